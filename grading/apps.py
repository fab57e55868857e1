from django.apps import AppConfig


class GradingConfig(AppConfig):
    name = "grading"
    verbose_name = "Grading"

    def ready(self) -> None:
        from curriculum.admin_permissions import connect_trainer_admin_permissions
        from curriculum.signals import cohort_page_links, demo_seeded, lesson_page_sections
        from exercises.signals import (
            draft_requested,
            submission_committed,
            submission_page_sections,
            submission_scores,
        )

        from . import access, receivers

        access.register_rules()
        connect_trainer_admin_permissions(self)

        submission_committed.connect(
            receivers.submission_enter_peer_queue, dispatch_uid="grading.peer_queue"
        )
        submission_committed.connect(receivers.submission_grade, dispatch_uid="grading.grade")
        draft_requested.connect(receivers.draft_generate, dispatch_uid="grading.draft")
        # The submission page shows the grade first, then the peer reviews.
        submission_page_sections.connect(
            receivers.submission_page_grade, dispatch_uid="grading.page_grade"
        )
        submission_page_sections.connect(
            receivers.submission_page_peer_reviews, dispatch_uid="grading.page_peer_reviews"
        )
        submission_scores.connect(
            receivers.submission_released_scores, dispatch_uid="grading.released_scores"
        )
        lesson_page_sections.connect(
            receivers.lesson_page_examples, dispatch_uid="grading.lesson_examples"
        )
        cohort_page_links.connect(
            receivers.cohort_page_console_links, dispatch_uid="grading.cohort_links"
        )
        demo_seeded.connect(
            receivers.demo_seed_graded_submissions, dispatch_uid="grading.demo_seed"
        )
