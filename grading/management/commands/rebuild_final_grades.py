"""manage.py rebuild_final_grades [--cohort ID] [--check]: recompute the stored final
grades and report drift (rows whose stored value differed from the recomputed one)."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from curriculum.models import Cohort
from grading.console.grades import REFRESH_CHUNK, final_grades_refresh, final_grades_scope


class Command(BaseCommand):
    help = (
        "Recompute the stored final grades (all, or one cohort's agents') by the precedence "
        "rule and store what differs; --check only reports the drift and exits with status 1 "
        "when there is any."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cohort", help="the cohort's id (or slug); default: every cohort")
        parser.add_argument(
            "--check", action="store_true", help="report drift without writing; exit 1 on drift"
        )

    def handle(self, *args, **options):
        cohort_id = None
        if options["cohort"]:
            raw = options["cohort"]
            cohort = Cohort.objects.filter(**({"pk": raw} if raw.isdigit() else {"slug": raw}))
            cohort_id = cohort.values_list("pk", flat=True).first()
            if cohort_id is None:
                raise CommandError(f"no cohort {raw!r}")
        ids = list(final_grades_scope(cohort_id=cohort_id))
        drift: list[int] = []
        for start in range(0, len(ids), REFRESH_CHUNK):
            chunk = ids[start : start + REFRESH_CHUNK]
            with transaction.atomic():
                drift.extend(
                    final_grades_refresh(submission_ids=chunk, check_only=options["check"])
                )
        verb = "differ from the recomputed grade" if options["check"] else "rewritten"
        self.stdout.write(
            f"{len(ids)} submission(s) checked, {len(drift)} {verb}"
            + (
                f": {', '.join(map(str, drift[:20]))}{' ...' if len(drift) > 20 else ''}"
                if drift
                else ""
            )
        )
        if options["check"] and drift:
            raise SystemExit(1)
