from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    verbose_name = "Exercises and submissions"

    def ready(self) -> None:
        from curriculum.admin_permissions import connect_trainer_admin_permissions
        from curriculum.signals import cohort_page_sections, demo_seeded

        from . import access, receivers

        access.register_rules()
        connect_trainer_admin_permissions(self)

        cohort_page_sections.connect(
            receivers.cohort_page_assignments, dispatch_uid="exercises.cohort_page_assignments"
        )
        demo_seeded.connect(
            receivers.demo_seed_assignments, dispatch_uid="exercises.demo_seed_assignments"
        )
