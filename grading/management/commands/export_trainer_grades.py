"""manage.py export_trainer_grades --cohort SLUG --output F: input for evaluate_grading."""

import json

from django.core.management.base import BaseCommand, CommandError

from curriculum.models import Cohort
from grading.batch import open_output
from grading.console.graded_export import trainer_graded_records


class Command(BaseCommand):
    help = (
        "Write a cohort's trainer-graded submissions as JSON Lines (trainer points, automatic "
        "points, the answer) for `evaluate_grading`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cohort", required=True, help="the cohort's slug")
        parser.add_argument("--output", required=True, help="JSON Lines file, or - for stdout")

    def handle(self, *args, **options):
        cohort = Cohort.objects.filter(slug=options["cohort"]).first()
        if cohort is None:
            raise CommandError(f"no cohort with the slug {options['cohort']!r}")
        records = trainer_graded_records(cohort=cohort)
        try:
            target = self.stdout if options["output"] == "-" else open_output(options["output"])
        except OSError as exc:
            raise CommandError(f"cannot write {options['output']}: {exc.strerror}") from exc
        written = 0
        try:
            for record in records:
                target.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
        finally:
            if options["output"] != "-":
                target.close()
        self.stderr.write(f"{written} trainer-graded submission(s) written", style_func=str)
