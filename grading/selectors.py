"""Reads for grading: the knowledge base as the detectors see it, rubrics, grades."""

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404

from exercises.models import KnowledgeFact

from .detectors.knowledge_base import KnowledgeBase
from .models import CriterionScore, Grade, Rubric, RubricVersion


def knowledge_base_current() -> KnowledgeBase:
    """The active knowledge-base facts, as the detectors' KnowledgeBase."""
    facts = KnowledgeFact.objects.filter(retired_at__isnull=True).order_by("slug")
    return KnowledgeBase.from_facts([fact.as_content() for fact in facts], origin="database")


def rubric_version_current(*, slug: str) -> RubricVersion:
    rubric = get_object_or_404(Rubric.objects.select_related("current_version"), slug=slug)
    if rubric.current_version is None:
        raise RubricVersion.DoesNotExist(f"rubric {slug!r} has no version loaded")
    return rubric.current_version


def grade_list_for_submission(*, submission_id: int) -> QuerySet[Grade]:
    return (
        Grade.objects.filter(submission_id=submission_id)
        .select_related("rubric_version")
        .prefetch_related(Prefetch("scores", queryset=CriterionScore.objects.order_by("order")))
        .order_by("grader")
    )
