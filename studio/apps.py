from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Content studio"

    def ready(self) -> None:
        from . import access

        access.register_rules()
