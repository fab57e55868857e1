from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "reporting.impact"
    label = "impact"
    verbose_name = "Support-floor impact"

    def ready(self) -> None:
        from . import access, signals  # noqa: F401 - signals connects the login receiver

        access.register_rules()
