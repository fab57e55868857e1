from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "reporting.impact"
    label = "impact"
    verbose_name = "Support-floor impact"

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the login receiver
