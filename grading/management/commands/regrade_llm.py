"""manage.py regrade_llm --cohort ID | --flagged: ask the LLM again where it never graded."""

from django.core.management.base import BaseCommand, CommandError

from curriculum.models import Cohort
from grading.services import (
    GradingNotConfiguredError,
    grading_llm_rerun,
    submissions_for_llm_rerun,
)


class Command(BaseCommand):
    help = (
        "Re-run LLM grading for submissions that have no LLM grade: a cohort's (--cohort, its "
        "id or slug) and/or those flagged 'LLM grading failed' (--flagged). Each is queued for "
        "a worker; the offline grade shows as provisional until the LLM grade replaces it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cohort", help="the cohort's id (or slug)")
        parser.add_argument(
            "--flagged",
            action="store_true",
            help="only submissions with an open 'LLM grading failed' flag",
        )

    def handle(self, *args, **options):
        cohort_arg, flagged = options["cohort"], options["flagged"]
        if not cohort_arg and not flagged:
            raise CommandError("say which submissions: --cohort ID, --flagged, or both")
        cohort_id = None
        if cohort_arg:
            lookup = {"pk": int(cohort_arg)} if cohort_arg.isdigit() else {"slug": cohort_arg}
            cohort = Cohort.objects.filter(**lookup).first()
            if cohort is None:
                raise CommandError(f"no cohort {cohort_arg!r}")
            cohort_id = cohort.pk
        candidates = submissions_for_llm_rerun(cohort_id=cohort_id, flagged=flagged)
        try:
            queued = grading_llm_rerun(submission_ids=candidates)
        except GradingNotConfiguredError as exc:
            raise CommandError(str(exc)) from exc
        skipped = len(candidates) - len(queued)
        self.stdout.write(
            f"LLM grading queued for {len(queued)} submission(s)"
            + (f"; {skipped} skipped (grading running now)" if skipped else "")
        )
