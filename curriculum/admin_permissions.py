"""What the Django admin opens to staff trainers: the `Trainers` group may view every model
of the training apps and edit what a trainer runs (cohorts and their members).

Each app grants its own models from its `AppConfig.ready()` through `post_migrate` (after
Django has created the app's permissions), so this base module names no app above it.
Superusers keep every permission; a staff account outside `Trainers` sees an empty admin.
"""

from django.db.models.signals import post_migrate

from .roles import TRAINERS_GROUP


def trainer_admin_permissions_grant(
    *, app_config, editable: tuple[str, ...] = (), hidden: tuple[str, ...] = (), using="default"
) -> int:
    """Give `Trainers` the view permission of every model of `app_config` (except the model
    names in `hidden`) and add/change/view of those in `editable`. Idempotent; returns how
    many permissions the group holds for the app afterwards."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType

    group, _ = Group.objects.using(using).get_or_create(name=TRAINERS_GROUP)
    codenames = set()
    for model in app_config.get_models():
        name = model._meta.model_name
        if name in hidden:
            continue
        codenames.add(f"view_{name}")
        if name in editable:
            codenames.update({f"add_{name}", f"change_{name}"})
    types = ContentType.objects.db_manager(using).get_for_models(
        *app_config.get_models(), for_concrete_models=False
    )
    wanted = Permission.objects.using(using).filter(
        content_type__in=types.values(), codename__in=codenames
    )
    group.permissions.add(*wanted)
    return group.permissions.filter(content_type__in=types.values()).count()


def connect_trainer_admin_permissions(app_config, **options) -> None:
    """Grant on every `migrate` of `app_config` (call from its `ready()`)."""

    def grant(sender, using="default", **kwargs):
        trainer_admin_permissions_grant(app_config=sender, using=using, **options)

    post_migrate.connect(
        grant, sender=app_config, weak=False, dispatch_uid=f"trainer_admin.{app_config.label}"
    )
