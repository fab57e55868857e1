from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "reporting.impact"
    label = "impact"
    verbose_name = "Support-floor impact"

    def ready(self) -> None:
        from curriculum.admin_permissions import connect_trainer_admin_permissions

        from . import access, signals  # noqa: F401 - signals connects the login receiver

        access.register_rules()
        # API tokens are the support leaders' and the operators' business.
        connect_trainer_admin_permissions(self, editable=("cohortimpact",), hidden=("apitoken",))
