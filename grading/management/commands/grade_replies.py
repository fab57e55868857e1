"""manage.py grade_replies --kb PATH --input F --output G [--grader offline|llm]."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError

from exercises.services import llm_configured
from grading.batch import MemoryLLMCache, grade_reply_record, reply_rubric_described
from grading.content.files import read_content

from ._batch import BatchCommand
from .audit_drafts import load_kb


def check_grader(grader: str) -> None:
    if grader == "llm" and not llm_configured():
        raise CommandError("--grader llm needs LLM_BASE_URL and LLM_MODEL (see .env.example)")


def content_root(kb_path: str) -> Path:
    """The content directory around `--kb` (it may name the knowledge_base folder itself);
    the shipped content when the path has no rubrics beside it."""
    path = Path(kb_path)
    for candidate in (path, path.parent):
        if (candidate / "rubrics" / "reply-quality.yaml").is_file():
            return candidate
    return Path(settings.CONTENT_DIR)


class Command(BatchCommand):
    help = (
        "Score replies on the six reply-quality criteria (0-3 each) with a rationale each. "
        "With --grader llm, a line whose LLM grade is void or failed for good keeps the "
        'offline grade and carries a "flag" for a trainer.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--kb", required=True, help="content dir or knowledge_base dir")
        parser.add_argument("--grader", choices=["offline", "llm"], default="offline")
        super().add_arguments(parser)

    def handler(self, options):
        check_grader(options["grader"])
        kb = load_kb(options["kb"])
        cache = MemoryLLMCache()
        rubric = examples = None
        if options["grader"] == "llm":
            from grading.llm.grader import examples_from_bundle

            bundle = read_content(content_root(options["kb"]))
            described = bundle.by_id("rubric").get("reply-quality")
            rubric = reply_rubric_described(described.data if described else None)
            examples = examples_from_bundle(bundle)
        return lambda record: grade_reply_record(
            record,
            kb,
            grader=options["grader"],
            cache=cache,
            rubric=rubric,
            examples=examples,
        )
