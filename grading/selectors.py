"""Reads for grading: the knowledge base as the detectors see it, rubrics, grades."""

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from exercises.models import CompanyProfile, KnowledgeFact

from .detectors.knowledge_base import Company, KnowledgeBase, KnowledgeBaseError, read_company
from .models import CriterionScore, Flag, Grade, GraderKind, GradingJob, Rubric, RubricVersion


def knowledge_base_current() -> KnowledgeBase:
    """The active knowledge-base facts, as the detectors' KnowledgeBase, with the company
    of the content directory (the loader stores facts, not company.yaml)."""
    facts = KnowledgeFact.objects.filter(retired_at__isnull=True).order_by("slug")
    return KnowledgeBase.from_facts(
        [fact.as_content() for fact in facts], origin="database", company=_company_current()
    )


def _company_current():
    """The company last loaded (the database's), else the content directory's file."""
    loaded = CompanyProfile.objects.filter(retired_at__isnull=True).first()
    if loaded is not None:
        try:
            return Company.from_mapping(loaded.data, origin="database: company")
        except KnowledgeBaseError:
            return None
    try:
        return read_company(Path(settings.CONTENT_DIR))
    except (KnowledgeBaseError, OSError):
        return None


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


@dataclass(frozen=True)
class CriterionFeedback:
    key: str
    title: str
    points: int | None
    max_points: int
    level_title: str
    rationale: str
    evidence: list[dict]


@dataclass(frozen=True)
class SubmissionFeedback:
    """What an agent sees about the automatic grading of one submission."""

    status: str  # queued / running / done / missing
    grade: Grade | None
    criteria: list[CriterionFeedback]
    highlighted: dict[str, str]  # answer field -> HTML with evidence marked
    flagged: bool
    # The trainer console (grading/console): the final grade by precedence, and whether it
    # is held back from the agent until a trainer releases it.
    final: object | None = None
    held: bool = False
    # The offline grade shown while LLM grading is still to come (retrying a model that is
    # down or rate-limiting): "AI grading pending; this grade may change".
    provisional: bool = False

    @property
    def pending(self) -> bool:
        waiting = self.status in {"queued", "running", "missing"}
        return self.grade is None and self.final is None and not self.held and waiting

    @property
    def total(self) -> float | None:
        if self.final is not None:
            return self.final.total
        return self.grade.total if self.grade else None


def feedback_for_submission(*, submission, viewer=None) -> SubmissionFeedback:
    """What `viewer` (default: the author) sees of a submission's grade: the automatic
    grade (LLM when present, else offline) with evidence marked, brought in line with the
    final grade and its release by the trainer console."""
    from .console.selectors import feedback_with_final_grade

    return feedback_with_final_grade(
        _automatic_feedback(submission), submission=submission, viewer=viewer
    )


def _automatic_feedback(submission) -> SubmissionFeedback:
    job = GradingJob.objects.filter(submission=submission).only("status").first()
    grades = {g.grader: g for g in grade_list_for_submission(submission_id=submission.pk)}
    grade = grades.get(GraderKind.LLM) or grades.get(GraderKind.OFFLINE)
    flagged = Flag.objects.filter(submission=submission, resolved_at__isnull=True).exists()
    if grade is None:
        return SubmissionFeedback(job.status if job else "missing", None, [], {}, flagged)
    specs = {c["id"]: c for c in grade.rubric_version.snapshot["criteria"]}
    criteria = []
    for score in grade.scores.all():
        spec = specs.get(score.criterion_key, {})
        levels = {level["points"]: level["title"] for level in spec.get("levels", [])}
        criteria.append(
            CriterionFeedback(
                key=score.criterion_key,
                title=spec.get("title", score.criterion_key),
                points=score.points,
                max_points=score.max_points,
                level_title=levels.get(score.points, "Not applicable"),
                rationale=score.rationale,
                evidence=score.evidence,
            )
        )
    highlighted = highlight_evidence(submission.answer, criteria)
    return SubmissionFeedback(
        job.status if job else "done",
        grade,
        criteria,
        highlighted,
        flagged,
        provisional=grade_is_provisional(grades=grades, job_status=job.status if job else None),
    )


def grade_is_provisional(*, grades, job_status: str | None) -> bool:
    """True while the shown grade is the offline one and LLM grading is still to come: a
    model is configured, there is no LLM grade yet, and the grading job is not finished."""
    from exercises.services import llm_configured

    return (
        GraderKind.LLM not in grades
        and GraderKind.OFFLINE in grades
        and job_status not in (None, GradingJob.Status.DONE)
        and llm_configured()
    )


def _field_text(answer: dict, field: str):
    value = answer
    for part in field.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value if isinstance(value, str) else None


def highlight_evidence(answer: dict, criteria: list[CriterionFeedback]) -> dict[str, str]:
    """Each answer field that has evidence, as escaped HTML with <mark> around the spans."""
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for criterion in criteria:
        for item in criterion.evidence:
            text = _field_text(answer, item.get("field", ""))
            start, end = item.get("start"), item.get("end")
            if text is None or not isinstance(start, int) or not isinstance(end, int):
                continue
            if 0 <= start < end <= len(text):
                note = f"{criterion.title}: {item.get('note', '')}".strip(": ")
                spans.setdefault(item["field"], []).append((start, end, note))
    highlighted = {}
    for field, marks in spans.items():
        text = _field_text(answer, field)
        parts, cursor = [], 0
        for start, end, note in sorted(marks):
            if start < cursor:  # overlapping evidence: keep the first mark
                continue
            parts.append(escape(text[cursor:start]))
            parts.append(
                format_html('<mark class="evidence" title="{}">{}</mark>', note, text[start:end])
            )
            cursor = end
        parts.append(escape(text[cursor:]))
        highlighted[field] = mark_safe("".join(str(p) for p in parts))  # noqa: S308 - escaped above
    return highlighted
