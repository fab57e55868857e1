"""manage.py audit_drafts --kb PATH --input F --output G: find the errors in AI drafts.

--kb is a content directory (its company.yaml and knowledge_base/*.yaml) or the
knowledge_base folder itself (the company.yaml beside it is read too).
"""

from django.core.management.base import CommandError

from grading.batch import audit_record
from grading.detectors.knowledge_base import KnowledgeBase, KnowledgeBaseError

from ._batch import BatchCommand


def load_kb(path: str) -> KnowledgeBase:
    """The knowledge base and company at `path`, or a CommandError that says why not."""
    try:
        return KnowledgeBase.from_directory(path)
    except (KnowledgeBaseError, OSError) as exc:
        raise CommandError(f"cannot read the knowledge base at {path}: {exc}") from exc


class Command(BatchCommand):
    help = (
        'Each line {"id", "draft", "customer_plan", "customer_message", "billing_cycle"} '
        "-> findings."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--kb",
            required=True,
            help="content dir (company.yaml + knowledge_base/) or its knowledge_base dir",
        )
        super().add_arguments(parser)

    def handler(self, options):
        kb = load_kb(options["kb"])
        return lambda record: audit_record(record, kb)
