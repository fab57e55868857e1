"""Grader quality: the automatic graders and the peer score against trainer grades, per
rubric criterion (quadratic weighted kappa), over a cohort's trainer-reviewed submissions."""

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, F, Max, Min

from curriculum.models import Cohort, Membership
from grading.agreement import Agreement, agreement
from grading.console.models import StoredFinalCriterion, StoredFinalGrade
from grading.models import GraderKind


@dataclass(frozen=True)
class QualityRow:
    key: str
    title: str
    low: int
    high: int
    offline: Agreement
    llm: Agreement
    peer: Agreement


@dataclass(frozen=True)
class QualityReport:
    rows: list[QualityRow]
    reviewed: int  # trainer-reviewed submissions in the sample


def _pairs_to_agreement(pairs: list[tuple[float, int]], low: int, high: int) -> Agreement:
    if not pairs:
        return Agreement(0, None, None, None)
    a = [min(max(x, low), high) for x, _ in pairs]
    b = [min(max(y, low), high) for _, y in pairs]
    return agreement(a, b, low=low, high=high)


def quality_from_pairs(
    *,
    criteria: list[tuple[str, str, int, int]],
    offline: dict[str, list[tuple[int, int]]],
    llm: dict[str, list[tuple[int, int]]],
    peer: dict[str, list[tuple[int, int]]],
) -> list[QualityRow]:
    """Agreement per criterion from (grader points, trainer points) pairs."""
    return [
        QualityRow(
            key=key,
            title=title,
            low=low,
            high=high,
            offline=_pairs_to_agreement(offline.get(key, []), low, high),
            llm=_pairs_to_agreement(llm.get(key, []), low, high),
            peer=_pairs_to_agreement(peer.get(key, []), low, high),
        )
        for key, title, low, high in criteria
    ]


def _pair_counts(rows, key_of, low_high) -> dict[str, list[tuple[int, int]]]:
    """(criterion, grader points, trainer points, count) rows -> pairs per criterion."""
    pairs: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for key, points, trainer_points, count in rows:
        if key in low_high:
            pairs[key].extend([(key_of(points), trainer_points)] * count)
    return pairs


def grader_quality(*, cohort: Cohort) -> QualityReport:
    """Agreement of the offline grader, the LLM grader and the peer score with trainers, per
    criterion, over the cohort's trainer-reviewed submissions (the audit sample and the
    flagged ones a trainer graded). The trainer's latest grade is the reference; a peer
    score between two levels (a median of 2.5) counts as exact only when equal, and is
    rounded half up for kappa only. Constant queries: the database counts each
    (grader points, trainer points) pair per criterion over the stored final grades."""
    reviewed = StoredFinalGrade.objects.filter(
        submission__user_id__in=Membership.objects.filter(cohort=cohort).values("user_id"),
        trainer_review__isnull=False,
    )
    scored = StoredFinalCriterion.objects.filter(final__in=reviewed)
    criteria = {
        row["criterion_key"]: (row["criterion_key"], row["title"], row["low"], row["high"])
        for row in scored.values("criterion_key")
        .annotate(
            title=Min("title"),
            low=Min("min_points"),
            high=Max("max_points"),
            first=Min("final_id"),
            position=Min("order"),
        )
        .order_by("first", "position", "criterion_key")
    }
    with_trainer = scored.filter(trainer_points__isnull=False)
    # Each automatic grader's points on the same criterion, joined through the submission's
    # grades (one join, grouped by grader: no per-row subquery).
    grades = "final__submission__grades"
    grader_rows = (
        with_trainer.filter(
            **{
                f"{grades}__scores__criterion_key": F("criterion_key"),
                f"{grades}__scores__points__isnull": False,
            }
        )
        .values_list(
            "criterion_key", f"{grades}__grader", f"{grades}__scores__points", "trainer_points"
        )
        .annotate(count=Count("pk"))
        .order_by()
    )
    by_grader: dict[str, list] = defaultdict(list)
    for key, grader, points, trainer_points, count in grader_rows:
        by_grader[grader].append((key, points, trainer_points, count))
    peer_rows = (
        with_trainer.filter(peer_points__isnull=False)
        .values_list("criterion_key", "peer_points", "trainer_points")
        .annotate(count=Count("pk"))
        .order_by()
    )
    return QualityReport(
        rows=quality_from_pairs(
            criteria=list(criteria.values()),
            offline=_pair_counts(by_grader[GraderKind.OFFLINE], int, criteria),
            llm=_pair_counts(by_grader[GraderKind.LLM], int, criteria),
            peer=_pair_counts(peer_rows, float, criteria),
        ),
        reviewed=reviewed.count(),
    )
