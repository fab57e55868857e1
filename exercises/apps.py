from django.apps import AppConfig


class ExercisesConfig(AppConfig):
    name = "exercises"
    verbose_name = "Exercises and submissions"

    def ready(self) -> None:
        from curriculum.signals import cohort_page_sections, demo_seeded

        from . import access, receivers

        access.register_rules()

        cohort_page_sections.connect(
            receivers.cohort_page_assignments, dispatch_uid="exercises.cohort_page_assignments"
        )
        demo_seeded.connect(
            receivers.demo_seed_assignments, dispatch_uid="exercises.demo_seed_assignments"
        )
