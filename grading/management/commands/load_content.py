"""manage.py load_content [--path DIR] [--check]: validate, then load authored content."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from grading.content.files import error_lines
from grading.content.loading import (
    ContentValidationError,
    content_check_directory,
    content_load_directory,
)


class Command(BaseCommand):
    help = (
        "Validate every content file, then load them all in one transaction. "
        "On any problem nothing is loaded and every problem is listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--path", default=None, help="content directory (default: CONTENT_DIR)")
        parser.add_argument("--check", action="store_true", help="only validate; write nothing")
        parser.add_argument(
            "--max-errors",
            type=int,
            default=50,
            help="list the first N problems and count the rest (default 50; 0 lists all)",
        )

    def handle(self, *args, path=None, check=False, **options):
        root = path or settings.CONTENT_DIR
        self.max_errors = options.get("max_errors", 50)
        if check:
            _, errors = content_check_directory(path=root)
            if errors:
                self._fail(root, errors)
            self.stdout.write(self.style.SUCCESS(f"{root}: content is valid"))
            return
        try:
            report = content_load_directory(path=root)
        except ContentValidationError as exc:
            self._fail(root, exc.errors)
        for kind, counter in report.counts.items():
            parts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(counter.items()))
            self.stdout.write(f"  {kind:<9} {parts}")
        summary = "content loaded" if report.changed else "content unchanged"
        self.stdout.write(self.style.SUCCESS(f"{root}: {summary}"))

    def _fail(self, root, errors) -> None:
        for line in error_lines(errors, self.max_errors):
            self.stderr.write(line)
        raise CommandError(f"{len(errors)} problem(s) in {root}; nothing was loaded.")
