"""manage.py grade_replies --kb PATH --input F --output G [--grader offline|llm]."""

from django.core.management.base import CommandError

from grading.batch import MemoryLLMCache, grade_reply_record
from grading.llm.client import llm_configured

from ._batch import BatchCommand
from .audit_drafts import load_kb


def check_grader(grader: str) -> None:
    if grader == "llm" and not llm_configured():
        raise CommandError("--grader llm needs LLM_BASE_URL and LLM_MODEL (see .env.example)")


class Command(BatchCommand):
    help = "Score replies on the six reply-quality criteria (0-3 each) with a rationale each."

    def add_arguments(self, parser):
        parser.add_argument("--kb", required=True, help="content dir or knowledge_base dir")
        parser.add_argument("--grader", choices=["offline", "llm"], default="offline")
        super().add_arguments(parser)

    def handler(self, options):
        check_grader(options["grader"])
        kb = load_kb(options["kb"])
        cache = MemoryLLMCache()
        return lambda record: grade_reply_record(record, kb, grader=options["grader"], cache=cache)
