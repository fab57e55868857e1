from django.apps import AppConfig


class AuthoringConfig(AppConfig):
    name = "authoring"
    verbose_name = "Authoring"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import access

        access.register_rules()
