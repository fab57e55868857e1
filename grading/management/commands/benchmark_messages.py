"""manage.py benchmark_messages: seconds to analyse one long message, draft and reply, by size."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from grading.detectors.claims import audit_draft
from grading.detectors.messages import analyze_message
from grading.offline import grade_reply

from .audit_drafts import load_kb

SHAPES = {
    # ordinary sentences with cues, a "but", questions, shouting, prices, policies and paths
    "sentences": (
        "I am really frustrated!!! This is the third time my invoice is wrong and nobody "
        "helps but I love the product. The Growth plan includes SSO and costs $10 a month. "
        "You can get a refund within 60 days. Go to Settings > Billing > Plan. Why does "
        "this keep happening? NOT GOOD at all, I need it by Friday. "
    ),
    # one endless sentence: no full stop, question or line break anywhere
    "no punctuation": "word frustrated urgent help today refund within 3 days ",
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
    help = (
        "Print how long message analysis, the draft audit and reply grading take on long "
        "input (a benchmark, not a test): the time should grow in step with the size."
    )

    def add_arguments(self, parser):
        parser.add_argument("--sizes", default="10000,100000", help="text lengths (chars)")
        parser.add_argument("--kb", default=str(settings.CONTENT_DIR), help="content dir")

    def handle(self, *args, **options):
        sizes = _sizes(options["sizes"])
        kb = load_kb(options["kb"])
        detectors = {
            "analyze_message": analyze_message,
            "audit_draft": lambda text: audit_draft(text, kb, customer_plan=None),
            "grade_reply": lambda text: grade_reply(
                customer_message="Why was I charged twice?", reply=text, kb=kb
            ),
        }
        for name, detector in detectors.items():
            detector("Warm-up.")
            for shape, unit in SHAPES.items():
                for size in sizes:
                    text = (unit * (size // len(unit) + 1))[:size]
                    started = time.perf_counter()
                    detector(text)
                    seconds = time.perf_counter() - started
                    self.stdout.write(f"{name}, {shape}, {size} chars: {seconds:.2f} s")
