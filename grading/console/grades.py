"""Final grades by precedence, in bulk: trainer, then the combination of automatic and peer.

The combination, per rubric criterion:

* automatic = the LLM grade's points when there is an LLM grade, else the offline grade's;
* peer = the peer engine's combined score (median of the completed peer reviews, or the
  accuracy-weighted mean where the exercise says `peer_weighting: accuracy`), counted only
  once the required number of peer reviews is in;
* both present: their mean; one present: that one; a trainer grade replaces all of it.

The total is the weighted mean of each criterion's fraction of its range, capped where a
critical criterion sits at its lowest level (as the graders compute it). An automatic-only
grade keeps the total its grader stored.

This module is the one place for that rule. `final_grades_compute` applies it to the raw
rows; `final_grades_refresh` stores its result (`StoredFinalGrade`, `StoredFinalCriterion`)
and is called in the transaction of every write that changes an input; everything else reads
the stored rows (`final_grades_for_submissions` here, aggregate SQL in reporting).
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import OuterRef, Prefetch, Q, Subquery

from curriculum.models import Exercise, Membership
from exercises.models import Submission

from .. import rubrics
from ..models import CriterionScore, Grade, GraderKind, RubricVersion
from ..peer import scoring
from ..peer.models import PeerQueueEntry, PeerReview, PeerScore
from ..peer.rubric import CriterionSpec, criteria_of
from .models import (
    CohortGradingSettings,
    GradeRelease,
    StoredFinalCriterion,
    StoredFinalGrade,
    TrainerReview,
    TrainerScore,
)

TRAINER = "trainer"
COMBINED = "combined"
AUTO = "auto"
PEER = "peer"
SOURCE_LABELS = {
    TRAINER: "Trainer",
    COMBINED: "Automatic + peer",
    AUTO: "Automatic",
    PEER: "Peer",
    "": "Not graded",
}


@dataclass(frozen=True)
class FinalCriterion:
    key: str
    title: str
    points: float | None
    min_points: int
    max_points: int
    weight: float
    source: str  # trainer / combined / auto / peer / "" (nothing yet, or not applicable)
    auto_points: int | None = None
    peer_points: float | None = None
    trainer_points: int | None = None

    @property
    def fraction(self) -> float | None:
        if self.points is None:
            return None
        span = self.max_points - self.min_points
        return 1.0 if span <= 0 else max(0.0, min(1.0, (self.points - self.min_points) / span))

    @property
    def display(self) -> str:
        return points_display(self.points)


def points_display(points: float | None) -> str:
    """Criterion points as shown and exported: 2, 2.5, or n/a."""
    if points is None:
        return "n/a"
    return f"{points:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class FinalGrade:
    """What counts for a submission: per criterion points and where they came from."""

    submission_id: int
    total: float | None  # fraction 0..1
    criteria: tuple[FinalCriterion, ...]
    source: str  # trainer / combined / auto / peer
    released: bool  # may the agent see it
    rubric_version_id: int
    trainer_changed: bool = False
    trainer_note: str = ""
    trainer_review_id: int | None = None

    @property
    def percent(self) -> int | None:
        return None if self.total is None else round(100 * self.total)

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source)

    def criterion(self, key: str) -> FinalCriterion | None:
        return next((c for c in self.criteria if c.key == key), None)


def total_of(specs: list[CriterionSpec], points: dict[str, float | None], snapshot: dict) -> float:
    """Weighted mean of the criteria's fractions, with critical caps (grading.rubrics)."""
    raw = {c["id"]: c for c in snapshot.get("criteria", [])}
    criteria = [
        {
            **raw.get(spec.key, {}),
            "id": spec.key,
            "weight": spec.weight,
            "levels": [{"points": spec.min_points}, {"points": spec.max_points}],
        }
        for spec in specs
    ]
    return rubrics.weighted_total(criteria, points)


def released_submission_ids(*, submissions: list[tuple[int, int]]) -> set[int]:
    """Of (submission id, author id) pairs, those the author may see grades of: every one
    unless the author is in an active cohort that releases grades by hand, then only the
    released ones. Two queries."""
    if not submissions:
        return set()
    held_authors = set(
        Membership.objects.filter(
            user_id__in={user_id for _, user_id in submissions},
            cohort__archived_at__isnull=True,
            cohort__grading_settings__release_mode=CohortGradingSettings.ReleaseMode.ON_RELEASE,
        ).values_list("user_id", flat=True)
    )
    held = [pk for pk, user_id in submissions if user_id in held_authors]
    released = set(
        GradeRelease.objects.filter(submission_id__in=held).values_list("submission_id", flat=True)
    )
    return {pk for pk, user_id in submissions if user_id not in held_authors or pk in released}


def _peer_points(rows, exercises: dict[int, Exercise], subs, entries) -> dict[int, dict]:
    """submission id -> {criterion key: combined peer points}, for complete peer reviews."""
    from ..peer.selectors import reviewer_accuracy_for

    reviews: dict[int, dict[int, dict]] = defaultdict(dict)
    reviewer_of: dict[int, int] = {}
    for submission_id, review_id, reviewer_id, key, points in rows:
        reviews[submission_id].setdefault(review_id, {})[key] = points
        reviewer_of[review_id] = reviewer_id
    accuracy_subs = [
        pk for pk in reviews if exercises[subs[pk][1]].setting("peer_weighting") == "accuracy"
    ]
    accuracy = (
        reviewer_accuracy_for(
            user_ids={reviewer_of[r] for pk in accuracy_subs for r in reviews[pk]}
        )
        if accuracy_subs
        else {}
    )
    result = {}
    for submission_id, by_review in reviews.items():
        exercise = exercises[subs[submission_id][1]]
        required = entries.get(submission_id, exercise.setting("peer_reviews_required"))
        if len(by_review) < max(required, 1):
            continue
        weighted = submission_id in accuracy_subs
        pairs = [
            (scores, accuracy[reviewer_of[r]].weight() if weighted else 1.0)
            for r, scores in sorted(by_review.items())
        ]
        keys = {key for scores in by_review.values() for key in scores}
        result[submission_id] = scoring.combine(pairs, keys, weighted=weighted)
    return result


def final_grades_compute(*, submission_ids) -> dict[int, FinalGrade]:
    """The final grade of each submission that has any grade (others are left out),
    computed from the grade, peer and trainer rows by the precedence rule, in a constant
    number of queries however many submissions are asked for. Only `final_grades_refresh`
    (and the drift check) call this; readers read the stored rows."""
    ids = sorted(set(submission_ids))
    if not ids:
        return {}
    subs = {
        pk: (user_id, exercise_id)
        for pk, user_id, exercise_id in Submission.objects.filter(pk__in=ids).values_list(
            "pk", "user_id", "exercise_id"
        )
    }
    exercises = {
        e.pk: e
        for e in Exercise.objects.filter(pk__in={e for _, e in subs.values()}).only(
            "pk", "settings", "rubric_slug"
        )
    }
    auto: dict[int, Grade] = {}
    for grade in (
        Grade.objects.filter(submission_id__in=ids)
        .select_related("rubric_version")
        .prefetch_related(Prefetch("scores", queryset=CriterionScore.objects.order_by("order")))
    ):
        if grade.grader == GraderKind.LLM or grade.submission_id not in auto:
            auto[grade.submission_id] = grade
    peer_rows = list(
        PeerScore.objects.filter(
            review__submission_id__in=ids,
            review__kind=PeerReview.Kind.PEER,
            review__status=PeerReview.Status.COMPLETED,
        ).values_list(
            "review__submission_id", "review_id", "review__reviewer_id", "criterion_key", "points"
        )
    )
    peer_rubrics, entries = {}, {}
    if peer_rows:
        peer_rubrics = dict(
            PeerReview.objects.filter(
                submission_id__in={row[0] for row in peer_rows},
                kind=PeerReview.Kind.PEER,
                status=PeerReview.Status.COMPLETED,
            )
            .order_by("submission_id", "-pk")
            .values_list("submission_id", "rubric_version_id")
        )
        entries = dict(
            PeerQueueEntry.objects.filter(submission_id__in=ids).values_list(
                "submission_id", "required"
            )
        )
    peer = _peer_points(peer_rows, exercises, subs, entries)
    latest = TrainerReview.objects.filter(submission_id=OuterRef("submission_id")).order_by(
        "-created_at", "-pk"
    )
    trainer = {
        review.submission_id: review
        for review in TrainerReview.objects.filter(
            submission_id__in=ids, pk=Subquery(latest.values("pk")[:1])
        )
        .select_related("rubric_version")
        .prefetch_related(Prefetch("scores", queryset=TrainerScore.objects.order_by("order")))
    }
    needed_rubrics = {peer_rubrics[pk] for pk in peer if pk not in auto and pk not in trainer}
    rubrics = (
        {rv.pk: rv for rv in RubricVersion.objects.filter(pk__in=needed_rubrics)}
        if needed_rubrics
        else {}
    )
    released = released_submission_ids(submissions=[(pk, subs[pk][0]) for pk in ids if pk in subs])
    result = {}
    for pk in ids:
        review, grade, peer_points = trainer.get(pk), auto.get(pk), peer.get(pk)
        if review is not None:
            rubric_version = review.rubric_version
        elif grade is not None:
            rubric_version = grade.rubric_version
        elif peer_points is not None:
            rubric_version = rubrics[peer_rubrics[pk]]
        else:
            continue
        specs = criteria_of(rubric_version.snapshot)
        auto_points = {s.criterion_key: s.points for s in grade.scores.all()} if grade else {}
        trainer_points = {s.criterion_key: s.points for s in review.scores.all()} if review else {}
        peer_points = peer_points or {}
        criteria = []
        for spec in specs:
            a, p = auto_points.get(spec.key), peer_points.get(spec.key)
            if review is not None:
                points, source = trainer_points.get(spec.key), TRAINER
            elif a is not None and p is not None:
                points, source = (a + p) / 2, COMBINED
            elif a is not None:
                points, source = float(a), AUTO
            elif p is not None:
                points, source = p, PEER
            else:
                points, source = None, ""
            criteria.append(
                FinalCriterion(
                    key=spec.key,
                    title=spec.title,
                    points=None if points is None else float(points),
                    min_points=spec.min_points,
                    max_points=spec.max_points,
                    weight=spec.weight,
                    source=source,
                    auto_points=a,
                    peer_points=p,
                    trainer_points=trainer_points.get(spec.key),
                )
            )
        if review is not None:
            source, total = TRAINER, review.total
        elif any(c.source == COMBINED for c in criteria) or (grade and peer_points):
            source = COMBINED
            total = total_of(specs, {c.key: c.points for c in criteria}, rubric_version.snapshot)
        elif grade is not None:
            source, total = AUTO, grade.total
        else:
            source = PEER
            total = total_of(specs, {c.key: c.points for c in criteria}, rubric_version.snapshot)
        result[pk] = FinalGrade(
            submission_id=pk,
            total=total,
            criteria=tuple(criteria),
            source=source,
            released=pk in released,
            rubric_version_id=rubric_version.pk,
            trainer_changed=bool(review and review.changed),
            trainer_note=review.note if review else "",
            trainer_review_id=review.pk if review else None,
        )
    return result


# ---- the stored rows ---------------------------------------------------------------------

REFRESH_CHUNK = 1000


def _from_stored(row: StoredFinalGrade) -> FinalGrade:
    return FinalGrade(
        submission_id=row.submission_id,
        total=row.total,
        criteria=tuple(
            FinalCriterion(
                key=c.criterion_key,
                title=c.title,
                points=c.points,
                min_points=c.min_points,
                max_points=c.max_points,
                weight=c.weight,
                source=c.source,
                auto_points=c.auto_points,
                peer_points=c.peer_points,
                trainer_points=c.trainer_points,
            )
            for c in row.criteria.all()
        ),
        source=row.source,
        released=row.released,
        rubric_version_id=row.rubric_version_id,
        trainer_changed=row.trainer_changed,
        trainer_note=row.trainer_note,
        trainer_review_id=row.trainer_review_id,
    )


def released_percents(*, submission_ids) -> dict[int, int]:
    """{submission id: total in percent} of the stored final grades their authors may see
    (released, with a total). One query."""
    rows = StoredFinalGrade.objects.filter(
        submission_id__in=sorted(set(submission_ids)), released=True, total__isnull=False
    ).values_list("submission_id", "total")
    return {submission_id: round(100 * total) for submission_id, total in rows}


def final_grades_for_submissions(*, submission_ids) -> dict[int, FinalGrade]:
    """The stored final grade of each submission that has one (others are left out).
    Two queries however many submissions are asked for."""
    ids = sorted(set(submission_ids))
    if not ids:
        return {}
    rows = StoredFinalGrade.objects.filter(submission_id__in=ids).prefetch_related(
        Prefetch("criteria", queryset=StoredFinalCriterion.objects.order_by("order"))
    )
    return {row.submission_id: _from_stored(row) for row in rows}


def _stored_rows(final: FinalGrade) -> tuple[StoredFinalGrade, list[StoredFinalCriterion]]:
    grade = StoredFinalGrade(
        submission_id=final.submission_id,
        rubric_version_id=final.rubric_version_id,
        total=final.total,
        source=final.source,
        released=final.released,
        trainer_review_id=final.trainer_review_id,
        trainer_changed=final.trainer_changed,
        trainer_note=final.trainer_note,
    )
    criteria = [
        StoredFinalCriterion(
            final_id=final.submission_id,
            criterion_key=c.key,
            order=order,
            title=c.title[:200],
            points=c.points,
            fraction=c.fraction,
            min_points=c.min_points,
            max_points=c.max_points,
            weight=c.weight,
            source=c.source,
            auto_points=c.auto_points,
            peer_points=c.peer_points,
            trainer_points=c.trainer_points,
        )
        for order, c in enumerate(final.criteria)
    ]
    return grade, criteria


def final_grades_refresh(*, submission_ids, check_only: bool = False) -> list[int]:
    """Recompute the final grades of these submissions and store those that differ from
    the stored rows (new, changed, or no longer graded). Returns the ids that differed.

    Call it inside the transaction that changed an input, after the change: it locks the
    submissions' rows first (in id order) so two writers never interleave. `check_only`
    compares without writing (the drift check of `rebuild_final_grades`). Outside a
    transaction it opens its own (the row locks need one)."""
    with transaction.atomic():
        return _final_grades_refresh(sorted(set(submission_ids)), check_only=check_only)


def _final_grades_refresh(ids: list[int], *, check_only: bool) -> list[int]:
    changed: list[int] = []
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        if not check_only:
            list(
                Submission.objects.select_for_update()
                .filter(pk__in=chunk)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        computed = final_grades_compute(submission_ids=chunk)
        stored = final_grades_for_submissions(submission_ids=chunk)
        differ = [pk for pk in chunk if computed.get(pk) != stored.get(pk)]
        changed.extend(differ)
        if check_only or not differ:
            continue
        StoredFinalCriterion.objects.filter(final_id__in=differ).delete()
        StoredFinalGrade.objects.filter(submission_id__in=differ).delete()
        grades, criteria = [], []
        for pk in differ:
            if pk in computed:
                grade, rows = _stored_rows(computed[pk])
                grades.append(grade)
                criteria.extend(rows)
        StoredFinalGrade.objects.bulk_create(grades)
        StoredFinalCriterion.objects.bulk_create(criteria)
    return changed


def final_grades_refresh_release(*, submission_ids) -> int:
    """Bring the stored release state of these submissions up to date after a release or a
    change of release mode: only `released` can change then, so this is the release rule
    (`released_submission_ids`) and two UPDATEs per chunk, not a full recompute. Returns how
    many rows changed. Call it inside the transaction that made the change."""
    ids = sorted(set(submission_ids))
    changed = 0
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        # Locked like final_grades_refresh, so a grade written meanwhile waits for this.
        pairs = list(
            Submission.objects.select_for_update()
            .filter(pk__in=chunk)
            .order_by("pk")
            .values_list("pk", "user_id")
        )
        visible = released_submission_ids(submissions=pairs)
        changed += StoredFinalGrade.objects.filter(
            submission_id__in=sorted(visible), released=False
        ).update(released=True)
        changed += StoredFinalGrade.objects.filter(
            submission_id__in=sorted(set(chunk) - visible), released=True
        ).update(released=False)
    return changed


def final_grades_scope(*, cohort_id: int | None = None):
    """Ids of the submissions that have (or may have) a final grade: any automatic grade,
    completed peer review or trainer review, or a stored row; of one cohort's agents when
    `cohort_id` is given. A queryset of ids, for bulk refreshes and the rebuild command."""
    graded = (
        Q(pk__in=Grade.objects.values("submission_id"))
        | Q(pk__in=TrainerReview.objects.values("submission_id"))
        | Q(
            pk__in=PeerReview.objects.filter(
                kind=PeerReview.Kind.PEER, status=PeerReview.Status.COMPLETED
            ).values("submission_id")
        )
        | Q(pk__in=StoredFinalGrade.objects.values("submission_id"))
    )
    submissions = Submission.objects.filter(graded)
    if cohort_id is not None:
        submissions = submissions.filter(
            user_id__in=Membership.objects.filter(cohort_id=cohort_id).values("user_id")
        )
    return submissions.order_by("pk").values_list("pk", flat=True)
