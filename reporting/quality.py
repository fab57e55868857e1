"""Grader quality: the automatic graders and the peer score against trainer grades, per
rubric criterion (quadratic weighted kappa), over a cohort's trainer-reviewed submissions."""

import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Exists, OuterRef

from curriculum.models import Cohort, Membership
from exercises.models import Submission
from grading.agreement import Agreement, agreement
from grading.console.grades import final_grades_for_submissions
from grading.console.models import TrainerReview
from grading.models import CriterionScore, GraderKind


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


def _pairs_to_agreement(pairs: list[tuple[int, int]], low: int, high: int) -> Agreement:
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


def grader_quality(*, cohort: Cohort) -> QualityReport:
    """Agreement of the offline grader, the LLM grader and the peer score with trainers, per
    criterion, over the cohort's trainer-reviewed submissions (the audit sample and the
    flagged ones a trainer graded). The trainer's latest grade is the reference; a peer
    score between two levels is rounded half up. Constant queries."""
    reviewed_ids = list(
        Submission.objects.filter(
            user_id__in=Membership.objects.filter(cohort=cohort).values("user_id"),
        )
        .filter(Exists(TrainerReview.objects.filter(submission_id=OuterRef("pk"))))
        .values_list("pk", flat=True)
    )
    finals = final_grades_for_submissions(submission_ids=reviewed_ids)
    by_grader: dict[tuple[int, str], dict[str, int | None]] = defaultdict(dict)
    for submission_id, grader, key, points in CriterionScore.objects.filter(
        grade__submission_id__in=reviewed_ids
    ).values_list("grade__submission_id", "grade__grader", "criterion_key", "points"):
        by_grader[(submission_id, grader)][key] = points
    criteria: dict[str, tuple[str, str, int, int]] = {}
    offline: dict[str, list] = defaultdict(list)
    llm: dict[str, list] = defaultdict(list)
    peer: dict[str, list] = defaultdict(list)
    for submission_id, final in finals.items():
        for c in final.criteria:
            criteria.setdefault(c.key, (c.key, c.title, c.min_points, c.max_points))
            if c.trainer_points is None:
                continue
            for grader, target in ((GraderKind.OFFLINE, offline), (GraderKind.LLM, llm)):
                points = by_grader.get((submission_id, grader), {}).get(c.key)
                if points is not None:
                    target[c.key].append((points, c.trainer_points))
            if c.peer_points is not None:
                peer[c.key].append((math.floor(c.peer_points + 0.5), c.trainer_points))
    return QualityReport(
        rows=quality_from_pairs(
            criteria=list(criteria.values()), offline=offline, llm=llm, peer=peer
        ),
        reviewed=len(finals),
    )
