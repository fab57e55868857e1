"""manage.py export_content DIR: write the database's content in the file format."""

from django.core.management.base import BaseCommand, CommandError

from grading.content.exporting import ContentExportError, content_export


class Command(BaseCommand):
    help = (
        "Write every active content item (knowledge base, rubrics, modules, lessons, "
        "exercises, scenarios, examples, and the company file) to DIR in the format "
        "load_content reads; loading DIR again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("directory", help="where to write (created if missing)")

    def handle(self, *args, directory, **options):
        try:
            report = content_export(path=directory)
        except ContentExportError as exc:
            raise CommandError(str(exc)) from exc
        for label in report.mismatched or []:
            self.stderr.write(f"warning: {label}: no written form gives its stored hash")
        self.stdout.write(
            self.style.SUCCESS(f"{directory}: {report.items} items in {report.files} files")
        )
