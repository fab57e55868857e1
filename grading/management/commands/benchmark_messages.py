"""manage.py benchmark_messages: seconds to analyse one long customer message, by size."""

import time

from django.core.management.base import BaseCommand, CommandError

from grading.detectors.messages import analyze_message

SHAPES = {
    # ordinary sentences with cues, a "but", questions and shouting
    "sentences": (
        "I am really frustrated!!! This is the third time my invoice is wrong and nobody "
        "helps but I love the product. Please fix it ASAP, I need this by Friday. Why does "
        "this keep happening? NOT GOOD at all. "
    ),
    # one endless sentence: no full stop, question or line break anywhere
    "no punctuation": "word frustrated urgent help today ",
}


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(f"--sizes takes characters, e.g. 10000,100000, not {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise CommandError("--sizes needs at least one positive size")
    return sizes


class Command(BaseCommand):
    help = "Print how long message analysis takes on long messages (a benchmark, not a test)."

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,100000", help="message lengths (chars)")

    def handle(self, *args, **options):
        for shape, unit in SHAPES.items():
            for size in _sizes(options["sizes"]):
                message = (unit * (size // len(unit) + 1))[:size]
                started = time.perf_counter()
                analyze_message(message)
                seconds = time.perf_counter() - started
                self.stdout.write(f"analyze_message, {shape}, {size} chars: {seconds:.2f} s")
