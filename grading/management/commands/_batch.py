"""Shared base of the JSON Lines batch commands."""

from django.core.management.base import BaseCommand, CommandError

from grading.batch import open_input, open_output, run_jsonl


class BatchCommand(BaseCommand):
    """--input F --output G (`-` for stdin/stdout); bad lines go to stderr with their number."""

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, help="JSON Lines file, or - for stdin")
        parser.add_argument("--output", required=True, help="JSON Lines file, or - for stdout")

    def handler(self, options):
        raise NotImplementedError

    def handle(self, *args, **options):
        handle_record = self.handler(options)
        try:
            source = open_input(options["input"])
        except OSError as exc:
            raise CommandError(f"cannot read {options['input']}: {exc.strerror}") from exc
        try:
            target = self.stdout if options["output"] == "-" else open_output(options["output"])
        except OSError as exc:
            raise CommandError(f"cannot write {options['output']}: {exc.strerror}") from exc
        try:
            summary = run_jsonl(source, target, self.stderr, handle_record)
        finally:
            for stream, name in ((source, "input"), (target, "output")):
                if options[name] != "-":
                    stream.close()
        self.stderr.write(f"{summary.processed} processed, {summary.skipped} skipped")
        if summary.skipped:
            raise CommandError(f"{summary.skipped} line(s) skipped; see the messages above")
