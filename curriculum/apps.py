from django.apps import AppConfig


class CurriculumConfig(AppConfig):
    name = "curriculum"
    verbose_name = "Curriculum and people"

    def ready(self) -> None:
        from .admin_permissions import connect_trainer_admin_permissions

        # Trainers run cohorts: they edit them and their members; accounts are read-only.
        connect_trainer_admin_permissions(self, editable=("cohort", "membership"))
