"""Shared base of the JSON Lines batch commands."""

from argparse import ArgumentTypeError

from django.core.management.base import BaseCommand, CommandError

from grading.batch import BatchLimits, open_input, open_output, run_jsonl


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ArgumentTypeError(f"expected a number of bytes, not {text!r}") from None
    if value < 1:
        raise ArgumentTypeError("must be at least 1 byte")
    return value


class BatchCommand(BaseCommand):
    """--input F --output G (`-` for stdin/stdout); bad lines go to stderr with their number."""

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, help="JSON Lines file, or - for stdin")
        parser.add_argument("--output", required=True, help="JSON Lines file, or - for stdout")
        parser.add_argument(
            "--max-line-bytes",
            type=_positive,
            help="skip longer lines (default BATCH_MAX_LINE_BYTES, 1 MB)",
        )
        parser.add_argument(
            "--max-file-bytes",
            type=_positive,
            help="stop reading past this size (default BATCH_MAX_FILE_BYTES, 200 MB)",
        )

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
            limits = BatchLimits.from_settings(
                line_bytes=options.get("max_line_bytes"), file_bytes=options.get("max_file_bytes")
            )
            summary = run_jsonl(source, target, self.stderr, handle_record, limits=limits)
        finally:
            for stream, name in ((source, "input"), (target, "output")):
                if options[name] != "-":
                    stream.close()
        self.stderr.write(f"{summary.processed} processed, {summary.skipped} skipped")
        if summary.skipped:
            raise CommandError(f"{summary.skipped} line(s) skipped; see the messages above")
