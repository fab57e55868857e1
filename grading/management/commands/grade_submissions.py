"""manage.py grade_submissions --library DIR --input F --output G [--grader offline|llm]."""

from django.core.management.base import CommandError

from grading.batch import MemoryLLMCache, grade_submission_record, library_from_bundle
from grading.content.files import error_lines, read_content
from grading.content.validation import validate_bundle

from ._batch import BatchCommand
from .grade_replies import check_grader


class Command(BatchCommand):
    help = (
        'Each line {"id", "exercise", "scenario", "answer"} -> the exercise rubric\'s scores, '
        "graded against any content directory that follows the content schema."
    )

    def add_arguments(self, parser):
        parser.add_argument("--library", required=True, help="a content directory")
        parser.add_argument("--grader", choices=["offline", "llm"], default="offline")
        super().add_arguments(parser)

    def handler(self, options):
        check_grader(options["grader"])
        bundle = read_content(options["library"])
        errors = validate_bundle(bundle)
        if errors:
            for line in error_lines(errors, 50):
                self.stderr.write(line)
            raise CommandError(f"{len(errors)} problem(s) in {options['library']}")
        library = library_from_bundle(bundle)
        cache = MemoryLLMCache()
        return lambda record: grade_submission_record(
            record, library, grader=options["grader"], cache=cache
        )
