"""Writes of peer review: the queue (sync, review next, expiry, manual allocation), reviews,
reviewer calibration, the small-cohort fallback and the flags that reach the trainer's queue.

Counters on PeerQueueEntry change only while its row is locked (`select_for_update`), and
"review next" skips rows another transaction holds (SKIP LOCKED on PostgreSQL), so
concurrent requests never hand out more reviews than a submission needs; the unique
constraint on (submission, reviewer) is the backstop. Locks are always taken entry first,
then review, so the services cannot deadlock each other.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from curriculum.access import is_agent
from curriculum.models import Cohort, Exercise, Membership, User
from exercises.models import Submission
from text_analysis.passages import passage_find

from ..models import ExampleSubmission, Flag, Grade, GraderKind, RubricVersion
from ..selectors import rubric_version_current
from . import scoring
from .errors import (
    PeerReviewClosedError,
    PeerReviewNotAllowedError,
    PeerReviewValidationError,
    ReviewerCalibrationRequiredError,
)
from .models import CalibrationAttempt, InlineComment, PeerQueueEntry, PeerReview, PeerScore
from .rubric import EMPATHY_QUESTIONS, CriterionSpec, commentable_fields, criteria_of, ranges_of

logger = logging.getLogger(__name__)

LIVE = [PeerReview.Status.IN_PROGRESS, PeerReview.Status.COMPLETED, PeerReview.Status.FLAGGED]
MAX_TEXT = 4000
MAX_INLINE_COMMENTS = 50
NOTHING_LEFT = (
    "There is nothing left for you to review right now. You are not blocked: "
    "your own feedback is not held back while nothing is waiting."
)


# ---- input -------------------------------------------------------------------------------


@dataclass
class InlineInput:
    field: str
    quote: str
    body: str
    start: int | None = None
    end: int | None = None


@dataclass
class ReviewInput:
    """What a reviewer typed, as strings (forms.parse_review builds it from the POST)."""

    scores: dict[str, str] = field(default_factory=dict)  # criterion key -> "2" / "na" / ""
    acknowledges_feelings: str = ""
    would_feel_heard: str = ""
    more_empathetic: str = ""
    comments: str = ""
    inline: list[InlineInput] = field(default_factory=list)


def _clean_scores(
    criteria: list[CriterionSpec], raw: dict[str, str], errors: dict[str, list[str]]
) -> dict[str, int | None]:
    scores: dict[str, int | None] = {}
    for criterion in criteria:
        name = f"score__{criterion.key}"
        value = (raw.get(criterion.key) or "").strip()
        points = {level.points for level in criterion.levels}
        if not value:
            errors.setdefault(name, []).append(f"Choose a level for “{criterion.title}”.")
        elif value == "na":
            if criterion.allow_na:
                scores[criterion.key] = None
            else:
                errors.setdefault(name, []).append("This criterion cannot be marked n/a.")
        else:
            try:
                number = int(value)
            except ValueError:
                number = None
            if number not in points:
                errors.setdefault(name, []).append(
                    f"Choose one of the levels ({criterion.min_points} to "
                    f"{criterion.max_points} points)."
                )
            else:
                scores[criterion.key] = number
    return scores


def inline_error_key(index: int) -> str:
    """The errors key of the index-th inline comment, so its message shows next to it."""
    return f"inline-{index}"


def _clean_inline(
    submission: Submission, items: list[InlineInput], errors: dict[str, list[str]]
) -> list[InlineInput]:
    fields = {f.path: f for f in commentable_fields(submission.exercise.type, submission.answer)}
    cleaned = []
    if len(items) > MAX_INLINE_COMMENTS:
        errors.setdefault("inline", []).append(
            f"At most {MAX_INLINE_COMMENTS} inline comments per review."
        )
        return []
    for index, item in enumerate(items):
        target = fields.get(item.field)
        quote, body = item.quote or "", (item.body or "").strip()
        if not quote.strip() and not body:
            continue  # an empty row of the no-JavaScript form
        item_errors = errors.setdefault(inline_error_key(index), [])
        if target is None:
            item_errors.append("This comment points at an unknown part.")
        elif not body:
            item_errors.append(f"Write a comment for “{quote[:60]}”.")
        elif len(body) > MAX_TEXT:
            item_errors.append(f"Keep the comment under {MAX_TEXT} characters.")
        else:
            start, end = item.start, item.end
            if start is None or end is None or target.text[start:end] != quote or not quote:
                # Re-anchor by the typed words (the keyboard way, and the form without
                # JavaScript, send only the passage): spacing, case and small typos aside.
                found = passage_find(quote, target.text)
                start, end = (found.start, found.end) if found else (-1, -1)
                quote = found.text if found else quote.strip()
            if start < 0:
                item_errors.append(
                    f"No passage of the {target.label.lower()} matches “{quote[:60]}”: check "
                    "the words, or choose the part it is in."
                )
            else:
                cleaned.append(InlineInput(item.field, quote, body, start, end))
        if not item_errors:
            del errors[inline_error_key(index)]
    return cleaned


def _clean_review(review: PeerReview, data: ReviewInput):
    errors: dict[str, list[str]] = {}
    criteria = criteria_of(review.rubric_version.snapshot)
    scores = _clean_scores(criteria, data.scores, errors)
    texts = {}
    for key, _question in EMPATHY_QUESTIONS:
        value = (getattr(data, key) or "").strip()
        if not value and review.kind == PeerReview.Kind.PEER:
            errors.setdefault(key, []).append("Answer this question in a sentence or two.")
        elif len(value) > MAX_TEXT:
            errors.setdefault(key, []).append(f"Keep it under {MAX_TEXT} characters.")
        texts[key] = value
    comments = (data.comments or "").strip()
    if len(comments) > 2 * MAX_TEXT:
        errors.setdefault("comments", []).append(f"Keep it under {2 * MAX_TEXT} characters.")
    inline = _clean_inline(review.submission, data.inline, errors)
    if errors:
        raise PeerReviewValidationError(errors)
    return criteria, scores, texts, comments, inline


# ---- the queue ---------------------------------------------------------------------------


def peer_exercises(*, exercise_ids=None) -> list[Exercise]:
    """Active exercises with peer review switched on."""
    exercises = Exercise.objects.filter(retired_at__isnull=True)
    if exercise_ids is not None:
        exercises = exercises.filter(pk__in=exercise_ids)
    return [e for e in exercises if e.setting("peer_reviews_required") > 0]


def _newer_attempt(user_ref: str, scenario_ref: str, attempt_ref: str, exercise_ref: str):
    return Exists(
        Submission.objects.filter(
            user_id=OuterRef(user_ref),
            exercise_id=OuterRef(exercise_ref),
            scenario_id=OuterRef(scenario_ref),
            attempt__gt=OuterRef(attempt_ref),
        )
    )


@transaction.atomic(durable=True)
def peer_queue_enter(*, submission_id: int) -> PeerQueueEntry | None:
    """Put one committed submission in the peer-review queue and retire the entries of its
    author's earlier attempts at the same scenario: the queue kept current as submissions
    arrive (grading's receiver of `submission_committed` calls it), a bounded amount of work
    per submission. Idempotent. Returns the entry, or None when the exercise has no peer
    review or a newer attempt already replaced this one."""
    submission = (
        Submission.objects.select_related("exercise")
        .filter(pk=submission_id)
        .only("pk", "user_id", "exercise", "scenario_id", "attempt", "created_at")
        .first()
    )
    if submission is None:
        return None
    exercise = submission.exercise
    if exercise.retired_at is not None or exercise.setting("peer_reviews_required") <= 0:
        return None
    same_scenario = {
        "author_id": submission.user_id,
        "exercise_id": exercise.pk,
        "submission__scenario_id": submission.scenario_id,
    }
    PeerQueueEntry.objects.filter(
        **same_scenario, superseded=False, submission__attempt__lt=submission.attempt
    ).update(superseded=True)
    newer = Submission.objects.filter(
        user_id=submission.user_id,
        exercise_id=exercise.pk,
        scenario_id=submission.scenario_id,
        attempt__gt=submission.attempt,
    ).exists()
    if newer:
        return None
    PeerQueueEntry.objects.bulk_create(
        [
            PeerQueueEntry(
                submission_id=submission.pk,
                exercise_id=exercise.pk,
                author_id=submission.user_id,
                required=exercise.setting("peer_reviews_required"),
                submitted_at=submission.created_at,
            )
        ],
        ignore_conflicts=True,  # entered already (a repeated signal, or the sweep)
    )
    return PeerQueueEntry.objects.filter(submission_id=submission.pk).first()


def peer_queue_sync(*, exercise_ids=None) -> int:
    """Give every latest attempt in a peer-reviewed exercise its queue entry, and retire the
    entries of attempts since replaced. Idempotent; returns how many entries it created.

    The repair path, not the request path: submissions enter the queue one by one as they
    commit (`peer_queue_enter`); this fills the queue for existing data (`manage.py
    peer_queue_fill`) and, in the periodic sweep, catches a submission whose commit signal
    was lost (a worker stopped between the commit and its on-commit callback)."""
    exercises = {e.pk: e for e in peer_exercises(exercise_ids=exercise_ids)}
    if not exercises:
        return 0
    missing = list(
        Submission.objects.filter(exercise_id__in=exercises, peer_entry__isnull=True)
        .exclude(_newer_attempt("user_id", "scenario_id", "attempt", "exercise_id"))
        .values_list("pk", "exercise_id", "user_id", "created_at")
    )
    if not missing:
        return 0
    with transaction.atomic(durable=True):
        PeerQueueEntry.objects.bulk_create(
            [
                PeerQueueEntry(
                    submission_id=pk,
                    exercise_id=exercise_id,
                    author_id=user_id,
                    required=exercises[exercise_id].setting("peer_reviews_required"),
                    submitted_at=created_at,
                )
                for pk, exercise_id, user_id, created_at in missing
            ],
            ignore_conflicts=True,
        )
        PeerQueueEntry.objects.filter(superseded=False, exercise_id__in=exercises).filter(
            _newer_attempt(
                "author_id", "submission__scenario_id", "submission__attempt", "exercise_id"
            )
        ).update(superseded=True)
    return len(missing)


def _own_latest(user: User, exercise: Exercise) -> Submission | None:
    # Only what "review next" needs of it (not the answer or the exercise's content).
    submission = (
        Submission.objects.filter(user=user, exercise=exercise)
        .only("pk", "user_id", "exercise_id", "created_at")
        .order_by("-created_at", "-pk")
        .first()
    )
    if submission is not None:
        submission.exercise = exercise
    return submission


def reviewer_is_calibrated(*, reviewer: User, exercise: Exercise) -> bool:
    return CalibrationAttempt.objects.filter(
        reviewer=reviewer, exercise=exercise, passed=True
    ).exists()


@transaction.atomic(durable=True)
def _self_assessment_open(*, author: User, submission: Submission) -> PeerReview | None:
    """The author's self-assessment of their latest submission, opened if needed; None once
    it is done."""
    existing = (
        PeerReview.objects.filter(submission=submission, reviewer=author, kind=PeerReview.Kind.SELF)
        .exclude(status=PeerReview.Status.EXPIRED)
        .first()
    )
    if existing is not None:
        return None if existing.status == PeerReview.Status.COMPLETED else existing
    return PeerReview.objects.create(
        submission=submission,
        exercise=submission.exercise,
        reviewer=author,
        rubric_version=rubric_version_current(slug=submission.exercise.rubric_slug),
        kind=PeerReview.Kind.SELF,
    )


def _open_review(reviewer: User, exercise: Exercise) -> PeerReview | None:
    return (
        PeerReview.objects.filter(
            reviewer=reviewer,
            exercise=exercise,
            kind=PeerReview.Kind.PEER,
            status=PeerReview.Status.IN_PROGRESS,
        )
        .order_by("assigned_at", "pk")
        .first()
    )


def peer_review_next(*, reviewer: User, exercise: Exercise, now=None) -> PeerReview | None:
    """The review this agent should do next on this exercise: their self-assessment when the
    exercise asks for one first, an open review they have not finished, or a newly assigned
    submission from their cohort(s) that most needs reviews. None when nothing is left.

    Raises PeerReviewNotAllowedError (not an agent, no own submission yet, or no peer review
    here) and ReviewerCalibrationRequiredError (calibrate on the examples first).
    """
    now = now or timezone.now()
    if not is_agent(reviewer):
        raise PeerReviewNotAllowedError("Peer reviews are for agents in training.")
    if exercise.setting("peer_reviews_required") <= 0:
        raise PeerReviewNotAllowedError("This exercise has no peer review.")
    own = _own_latest(reviewer, exercise)
    if own is None:
        raise PeerReviewNotAllowedError(
            "Submit your own answer to this exercise first; then you can review others'."
        )
    if exercise.setting("self_assessment"):
        self_review = _self_assessment_open(author=reviewer, submission=own)
        if self_review is not None:
            return self_review
    if exercise.setting("peer_calibration") and not reviewer_is_calibrated(
        reviewer=reviewer, exercise=exercise
    ):
        raise ReviewerCalibrationRequiredError(
            "This exercise asks reviewers to calibrate first: score the trainer-graded "
            "examples until you are close to the trainer's grades."
        )
    peer_reviews_expire(now=now, exercise_id=exercise.pk)
    # An open review is returned by _assign_next, which looks for it under the reviewer's lock.
    rubric_version = rubric_version_current(slug=exercise.rubric_slug)
    return _assign_next(reviewer=reviewer, exercise=exercise, rubric_version=rubric_version,
                        now=now)  # fmt: skip


# How many open entries, in queue order, "review next" weighs for the reviewer's spread
# over authors: the pick reads at most this many rows, whatever the size of the queue, and
# it is well above the number of reviewers who can hold an entry locked at once.
PICK_WINDOW = 100


def _candidates(*, reviewer: User, exercise: Exercise):
    """Open entries this reviewer may take: not their own, from an author who shares a cohort
    with them (read live, so a cohort change counts at once), not reviewed by them already,
    not reported. Unordered."""
    cohorts = Membership.objects.filter(user=reviewer, cohort__archived_at__isnull=True).values(
        "cohort_id"
    )
    # The reviewer's co-members as one set (hashed once), not a lookup per entry.
    co_members = Membership.objects.filter(cohort_id__in=cohorts).values("user_id")
    already = Exists(
        PeerReview.objects.filter(
            submission_id=OuterRef("submission_id"), reviewer=reviewer
        ).exclude(status=PeerReview.Status.EXPIRED)
    )
    reported = Exists(
        Flag.objects.filter(
            submission_id=OuterRef("submission_id"),
            reason=Flag.Reason.INAPPROPRIATE,
            resolved_at__isnull=True,
        )
    )
    return (
        PeerQueueEntry.objects.filter(
            exercise=exercise, superseded=False, active_count__lt=F("required")
        )
        .exclude(author=reviewer)
        .filter(author_id__in=co_members)
        .exclude(already)
        .exclude(reported)
    )


def _pick_order(*, reviewer: User, exercise: Exercise):
    """The candidates in the order "review next" hands them out, reading a bounded window.

    The first PICK_WINDOW candidates in index order (peer_entry_open_idx: fewest reviews,
    then oldest); among them, authors this reviewer has reviewed least first (spreads
    reviewers across authors), then the submission that most needs reviews, the oldest."""
    # Read first, as a list: inlined as a subquery, PostgreSQL may hash-join it against
    # every open entry instead of fetching the few rows by primary key.
    window = list(
        _candidates(reviewer=reviewer, exercise=exercise)
        .order_by("active_count", "submitted_at", "pk")
        .values_list("pk", flat=True)[:PICK_WINDOW]
    )
    of_author = Coalesce(
        Subquery(
            PeerReview.objects.filter(
                reviewer=reviewer,
                kind=PeerReview.Kind.PEER,
                submission__user_id=OuterRef("author_id"),
                status__in=LIVE,
            )
            .values("reviewer")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        ),
        0,
    )
    return (
        PeerQueueEntry.objects.filter(
            pk__in=window, superseded=False, active_count__lt=F("required")
        )
        .annotate(of_author=of_author)
        .order_by("of_author", "active_count", "submitted_at", "pk")
    )


def _lock_next_entry(pick, attempts: int = 5) -> PeerQueueEntry | None:
    """Lock the first open queue entry, skipping those other reviewers hold right now.

    When every open entry is held this instant (a busy cohort all pressing "review next"),
    wait for the first one rather than report an empty queue. The wait runs in a savepoint
    that is rolled back when the entry filled up meanwhile, so a caller never waits while
    holding another entry's lock: no lock cycles, no deadlocks.
    """
    for _attempt in range(attempts):
        candidates = pick()  # read again: the entries waited for may have filled up
        entry = candidates.select_for_update(skip_locked=True, of=("self",)).first()
        if entry is not None:
            return entry
        first_pk = candidates.values_list("pk", flat=True).first()
        if first_pk is None:
            return None
        savepoint = transaction.savepoint()
        entry = (
            PeerQueueEntry.objects.select_for_update()
            .filter(pk=first_pk, superseded=False, active_count__lt=F("required"))
            .first()
        )
        if entry is not None:
            transaction.savepoint_commit(savepoint)
            return entry
        transaction.savepoint_rollback(savepoint)
    return None


@transaction.atomic(durable=True)
def _assign_next(
    *, reviewer: User, exercise: Exercise, rubric_version: RubricVersion, now
) -> PeerReview | None:
    # One assignment at a time per reviewer: concurrent "review next" calls of the same
    # reviewer (two tabs, a double click) wait here, then find the review the first one made.
    User.objects.select_for_update(no_key=True).filter(pk=reviewer.pk).values_list(
        "pk", flat=True
    ).first()
    open_review = _open_review(reviewer, exercise)
    if open_review is not None:
        return open_review
    entry = _lock_next_entry(lambda: _pick_order(reviewer=reviewer, exercise=exercise))
    if entry is None:
        return None
    try:
        with transaction.atomic():
            review = PeerReview.objects.create(
                submission_id=entry.submission_id,
                exercise=exercise,
                reviewer=reviewer,
                rubric_version=rubric_version,
                expires_at=now + timedelta(hours=exercise.setting("peer_review_hours")),
            )
    except IntegrityError:
        return None
    PeerQueueEntry.objects.filter(pk=entry.pk).update(active_count=F("active_count") + 1)
    return review


def available_count(*, reviewer: User, exercise: Exercise) -> int:
    """How many submissions "review next" could hand this reviewer now."""
    return _candidates(reviewer=reviewer, exercise=exercise).count()


def peer_reviews_expire(*, now=None, exercise_id: int | None = None) -> int:
    """Return reviews not finished in time to the pool; returns how many expired."""
    now = now or timezone.now()
    overdue = PeerReview.objects.filter(status=PeerReview.Status.IN_PROGRESS, expires_at__lt=now)
    if exercise_id is not None:
        overdue = overdue.filter(exercise_id=exercise_id)
    # Ordered by the partial index (peer_review_open_expiry_idx), not the model's ordering
    # (which would join every submission): a bounded read when nothing is overdue.
    pairs = list(overdue.order_by("expires_at", "pk").values_list("pk", "submission_id")[:1000])
    if not pairs:
        return 0
    with transaction.atomic(durable=True):
        entries = list(
            PeerQueueEntry.objects.select_for_update()
            .filter(submission_id__in={s for _, s in pairs})
            .order_by("pk")
        )
        reviews = list(
            PeerReview.objects.select_for_update()
            .filter(
                pk__in=[pk for pk, _ in pairs],
                status=PeerReview.Status.IN_PROGRESS,
                expires_at__lt=now,
            )
            .order_by("pk")
        )
        PeerReview.objects.filter(pk__in=[r.pk for r in reviews]).update(
            status=PeerReview.Status.EXPIRED
        )
        per_submission: dict[int, int] = {}
        for review in reviews:
            if review.kind == PeerReview.Kind.PEER:
                per_submission[review.submission_id] = (
                    per_submission.get(review.submission_id, 0) + 1
                )
        for entry in entries:
            if entry.submission_id in per_submission:
                PeerQueueEntry.objects.filter(pk=entry.pk).update(
                    active_count=F("active_count") - per_submission[entry.submission_id]
                )
    return len(reviews)


@transaction.atomic(durable=True)
def _allocate(*, trainer: User, submission_id: int, reviewer: User, now) -> PeerReview:
    entry = (
        PeerQueueEntry.objects.select_for_update()
        .select_related("exercise")
        .filter(submission_id=submission_id)
        .first()
    )
    if entry is None:
        raise PeerReviewNotAllowedError("This submission is not open for peer review.")
    if entry.superseded:
        raise PeerReviewNotAllowedError("The author has submitted a newer attempt since.")
    if entry.author_id == reviewer.pk:
        raise PeerReviewNotAllowedError("Authors cannot review their own submission.")
    exercise = entry.exercise
    try:
        with transaction.atomic():
            review = PeerReview.objects.create(
                submission_id=submission_id,
                exercise=exercise,
                reviewer=reviewer,
                rubric_version=rubric_version_current(slug=exercise.rubric_slug),
                source=PeerReview.Source.MANUAL,
                allocated_by=trainer,
                expires_at=now + timedelta(hours=exercise.setting("peer_review_hours")),
            )
    except IntegrityError:
        raise PeerReviewNotAllowedError(
            f"{reviewer.display_name} is already reviewing or has reviewed this submission."
        ) from None
    PeerQueueEntry.objects.filter(pk=entry.pk).update(active_count=F("active_count") + 1)
    return review


def peer_review_allocate(
    *, trainer: User, cohort: Cohort, submission_id: int, reviewer_id: int, now=None
) -> PeerReview:
    """A trainer hands a submission to a reviewer of the same cohort by hand (this may go
    beyond the required count: the trainer decides)."""
    now = now or timezone.now()
    members = set(Membership.objects.filter(cohort=cohort).values_list("user_id", flat=True))
    submission = Submission.objects.filter(pk=submission_id).only("user_id", "exercise_id").first()
    if submission is None or submission.user_id not in members:
        raise PeerReviewNotAllowedError("That submission is not from this cohort.")
    if reviewer_id not in members:
        raise PeerReviewNotAllowedError("The reviewer must be an agent of this cohort.")
    if not PeerQueueEntry.objects.filter(submission_id=submission_id).exists():
        peer_queue_enter(submission_id=submission_id)  # its commit signal was lost
    reviewer = User.objects.get(pk=reviewer_id)
    return _allocate(trainer=trainer, submission_id=submission_id, reviewer=reviewer, now=now)


# ---- reviewing ---------------------------------------------------------------------------


def _lock(review_id: int) -> tuple[PeerQueueEntry | None, PeerReview]:
    """Lock the queue entry, then the review (always in this order)."""
    submission_id = (
        PeerReview.objects.filter(pk=review_id).values_list("submission_id", flat=True).first()
    )
    if submission_id is None:
        raise PeerReviewClosedError("This review no longer exists.")
    entry = PeerQueueEntry.objects.select_for_update().filter(submission_id=submission_id).first()
    review = (
        PeerReview.objects.select_for_update(of=("self",))
        .select_related("submission__exercise", "exercise", "rubric_version")
        .get(pk=review_id)
    )
    return entry, review


@transaction.atomic(durable=True)
def peer_review_submit(
    *, review_id: int, reviewer: User, data: ReviewInput, now=None
) -> PeerReview:
    """Store a finished review: scores, the empathy answers, comments and inline comments.

    A review that expired can still be handed in while its place has not been taken.
    Raises PeerReviewValidationError with per-field messages (nothing is stored then).
    """
    now = now or timezone.now()
    entry, review = _lock(review_id)
    if review.reviewer_id != reviewer.pk:
        raise PeerReviewNotAllowedError("This review is assigned to someone else.")
    if review.status == PeerReview.Status.COMPLETED:
        raise PeerReviewClosedError("You already handed in this review.")
    if review.status == PeerReview.Status.FLAGGED:
        raise PeerReviewClosedError("You reported this submission; a trainer is looking at it.")
    criteria, scores, texts, comments, inline = _clean_review(review, data)
    is_peer = review.kind == PeerReview.Kind.PEER
    revived = review.status == PeerReview.Status.EXPIRED
    if revived and is_peer:
        has_room = entry is not None and entry.active_count < entry.required
        if review.source != PeerReview.Source.MANUAL and not has_room:
            raise PeerReviewClosedError(
                "This review expired and other reviewers have taken its place. Thank you; "
                "ask for the next one."
            )
        if (
            PeerReview.objects.filter(submission_id=review.submission_id, reviewer=reviewer)
            .exclude(status=PeerReview.Status.EXPIRED)
            .exists()
        ):
            raise PeerReviewClosedError("You have a newer copy of this review open.")
    PeerScore.objects.bulk_create(
        PeerScore(
            review=review,
            criterion_key=criterion.key,
            order=order,
            points=scores[criterion.key],
            min_points=criterion.min_points,
            max_points=criterion.max_points,
        )
        for order, criterion in enumerate(criteria)
    )
    InlineComment.objects.bulk_create(
        InlineComment(
            review=review, field=c.field, start=c.start, end=c.end, quote=c.quote, body=c.body
        )
        for c in inline
    )
    for key, value in texts.items():
        setattr(review, key, value)
    review.comments = comments
    review.status = PeerReview.Status.COMPLETED
    review.completed_at = now
    review.save(update_fields=[*texts.keys(), "comments", "status", "completed_at"])
    if is_peer and entry is not None:
        PeerQueueEntry.objects.filter(pk=entry.pk).update(
            active_count=F("active_count") + (1 if revived else 0),
            completed_count=F("completed_count") + 1,
        )
        entry.refresh_from_db(fields=["active_count", "completed_count", "required"])
        _evaluate_flags(entry=entry, exercise=review.exercise)
    if is_peer:
        from ..console.grades import final_grades_refresh  # the stored final grade

        final_grades_refresh(submission_ids=[review.submission_id])
    return review


def _flag(*, reason: str, detail: str, submission_id=None, reviewer_id=None) -> Flag:
    flag, created = Flag.objects.get_or_create(
        submission_id=submission_id,
        reviewer_id=reviewer_id,
        reason=reason,
        resolved_at=None,
        defaults={"detail": detail[:4000]},
    )
    if not created and detail not in flag.detail:
        flag.detail = f"{flag.detail}\n{detail}"[:4000]
        flag.save(update_fields=["detail"])
    return flag


@transaction.atomic(durable=True)
def peer_review_flag_inappropriate(*, review_id: int, reviewer: User, reason: str) -> Flag:
    """The reviewer reports the submission: it leaves the queue and reaches a trainer."""
    reason = (reason or "").strip()
    if not reason:
        raise PeerReviewValidationError({"reason": ["Say briefly what is inappropriate."]})
    entry, review = _lock(review_id)
    if review.reviewer_id != reviewer.pk or review.kind != PeerReview.Kind.PEER:
        raise PeerReviewNotAllowedError("You can only report a submission you are reviewing.")
    if review.status not in (PeerReview.Status.IN_PROGRESS, PeerReview.Status.EXPIRED):
        raise PeerReviewClosedError("This review is already closed.")
    was_active = review.status == PeerReview.Status.IN_PROGRESS
    review.status = PeerReview.Status.FLAGGED
    review.save(update_fields=["status"])
    if was_active and entry is not None:
        PeerQueueEntry.objects.filter(pk=entry.pk).update(active_count=F("active_count") - 1)
    return _flag(
        reason=Flag.Reason.INAPPROPRIATE,
        submission_id=review.submission_id,
        detail=f"Reported by reviewer {reviewer.email}: {reason[:1000]}",
    )


def _own_completed_review(review_id: int, author: User) -> PeerReview:
    review = (
        PeerReview.objects.select_for_update(of=("self",))
        .select_related("submission")
        .filter(pk=review_id)
        .first()
    )
    if (
        review is None
        or review.submission.user_id != author.pk
        or review.kind != PeerReview.Kind.PEER
        or review.status != PeerReview.Status.COMPLETED
    ):
        raise PeerReviewNotAllowedError("You can only respond to reviews of your own work.")
    return review


@transaction.atomic(durable=True)
def peer_review_rate(*, review_id: int, author: User, helpfulness) -> PeerReview:
    """The author rates how helpful a review was (1-5); it feeds the reviewer's figure."""
    try:
        value = int(helpfulness)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise PeerReviewValidationError({"helpfulness": ["Choose a rating from 1 to 5."]})
    review = _own_completed_review(review_id, author)
    review.helpfulness = value
    review.save(update_fields=["helpfulness"])
    return review


@transaction.atomic(durable=True)
def peer_review_dispute(*, review_id: int, author: User, reason: str) -> PeerReview:
    """The author disputes a review; a trainer sees it in their queue."""
    reason = (reason or "").strip()
    if not reason:
        raise PeerReviewValidationError({"reason": ["Say what you disagree with."]})
    if len(reason) > MAX_TEXT:
        raise PeerReviewValidationError({"reason": [f"Keep it under {MAX_TEXT} characters."]})
    review = _own_completed_review(review_id, author)
    review.disputed_at = timezone.now()
    review.dispute_reason = reason
    review.save(update_fields=["disputed_at", "dispute_reason"])
    _flag(
        reason=Flag.Reason.DISPUTE,
        submission_id=review.submission_id,
        detail=f"Review {review.pk} disputed: {reason[:1000]}",
    )
    return review


@transaction.atomic(durable=True)
def peer_dispute_decide(*, trainer: User, review_id: int, outcome: str, note: str):
    """A trainer decides an author's dispute of a peer review, with a note to the agent.

    Upheld: the review stops counting (status overturned; its place in the queue opens for
    another reviewer), the final grade is recomputed in this transaction, and the
    reviewer's accuracy counts it as a miss. Dismissed: the review stands. Both are
    recorded once (PeerDisputeDecision); the dispute flag is resolved when no other dispute
    of the submission waits.
    """
    from ..console.access import can_review_submission
    from ..console.grades import final_grades_refresh
    from ..console.models import PeerDisputeDecision

    errors: dict[str, list[str]] = {}
    note = (note or "").strip()
    if outcome not in PeerDisputeDecision.Outcome.values:
        errors["outcome"] = ["Choose to uphold or dismiss the dispute."]
    if not note:
        errors["note"] = ["Write a note to the agent."]
    elif len(note) > MAX_TEXT:
        errors["note"] = [f"Keep it under {MAX_TEXT} characters."]
    if errors:
        raise PeerReviewValidationError(errors)
    entry, review = _lock(review_id)
    if not can_review_submission(trainer, review.submission):
        raise PeerReviewNotAllowedError("You do not train this agent's cohort.")
    if review.disputed_at is None or review.status != PeerReview.Status.COMPLETED:
        raise PeerReviewClosedError("This review is not disputed, or no longer counts.")
    if PeerDisputeDecision.objects.filter(review=review).exists():
        raise PeerReviewClosedError("This dispute has been decided already.")
    decision = PeerDisputeDecision.objects.create(
        review=review, trainer=trainer, outcome=outcome, note=note
    )
    if outcome == PeerDisputeDecision.Outcome.UPHELD:
        review.status = PeerReview.Status.OVERTURNED
        review.save(update_fields=["status"])
        if entry is not None:
            PeerQueueEntry.objects.filter(pk=entry.pk).update(
                active_count=F("active_count") - 1, completed_count=F("completed_count") - 1
            )
    waiting = (
        PeerReview.objects.filter(
            submission_id=review.submission_id,
            disputed_at__isnull=False,
            status=PeerReview.Status.COMPLETED,
            dispute_decision__isnull=True,
        )
        .exclude(pk=review.pk)
        .exists()
    )
    if not waiting:
        Flag.objects.filter(
            submission_id=review.submission_id,
            reason=Flag.Reason.DISPUTE,
            resolved_at__isnull=True,
        ).update(resolved_at=timezone.now())
    final_grades_refresh(submission_ids=[review.submission_id])
    return decision


# ---- reviewer calibration ----------------------------------------------------------------


@transaction.atomic(durable=True)
def reviewer_calibration_submit(
    *, reviewer: User, exercise: Exercise, example_id: int, scores: dict[str, str]
) -> CalibrationAttempt:
    """Score a trainer-graded example; passes within the exercise's tolerance."""
    example = (
        ExampleSubmission.objects.select_related("rubric_version")
        .filter(pk=example_id, exercise=exercise, retired_at__isnull=True)
        .first()
    )
    if example is None:
        raise PeerReviewNotAllowedError("That example is not part of this exercise.")
    errors: dict[str, list[str]] = {}
    criteria = criteria_of(example.rubric_version.snapshot)
    cleaned = _clean_scores(criteria, scores, errors)
    if errors:
        raise PeerReviewValidationError(errors)
    reference = trainer_points(example)
    error = scoring.score_error(cleaned, reference, ranges_of(criteria))
    error = 1.0 if error is None else error
    return CalibrationAttempt.objects.create(
        reviewer=reviewer,
        exercise=exercise,
        example=example,
        scores=cleaned,
        error=round(error, 4),
        passed=error <= exercise.setting("peer_calibration_tolerance"),
    )


def trainer_points(example: ExampleSubmission) -> dict[str, int | None]:
    points = {}
    for key, item in (example.trainer_grade.get("criteria") or {}).items():
        value = item.get("points") if isinstance(item, dict) else item
        points[key] = value if isinstance(value, int) else None
    return points


# ---- flags and fallbacks -----------------------------------------------------------------


def _automatic_points(submission_id: int) -> dict[str, int | None]:
    """Per-criterion points of the latest automatic grade (LLM, else offline)."""
    grades = {
        g.grader: g
        for g in Grade.objects.filter(submission_id=submission_id).prefetch_related("scores")
    }
    grade = grades.get(GraderKind.LLM) or grades.get(GraderKind.OFFLINE)
    if grade is None:
        return {}
    return {score.criterion_key: score.points for score in grade.scores.all()}


def _evaluate_flags(*, entry: PeerQueueEntry, exercise: Exercise) -> list[str]:
    """Flag the submission when peers disagree (among themselves, or with the automatic
    grade once its reviews are in), or when none of its reviewers is calibrated."""
    reviews = list(
        PeerReview.objects.filter(
            submission_id=entry.submission_id,
            kind=PeerReview.Kind.PEER,
            status=PeerReview.Status.COMPLETED,
        )
        .select_related("rubric_version")
        .prefetch_related("scores")
    )
    if not reviews:
        return []
    criteria = criteria_of(reviews[0].rubric_version.snapshot)
    threshold = exercise.setting("peer_disagreement_threshold")
    per_review = [{s.criterion_key: s.points for s in r.scores.all()} for r in reviews]
    raised, notes = [], []
    for criterion in criteria:
        values = [scores.get(criterion.key) for scores in per_review]
        if scoring.spread(values, criterion.min_points, criterion.max_points) > threshold:
            present = [v for v in values if v is not None]
            notes.append(f"{criterion.title}: peers gave {min(present)} to {max(present)}.")
    if entry.completed_count >= entry.required:
        combined = scoring.combine([(s, 1.0) for s in per_review], [c.key for c in criteria],
                                   weighted=False)  # fmt: skip
        automatic = _automatic_points(entry.submission_id)
        for criterion in criteria:
            peer, auto = combined.get(criterion.key), automatic.get(criterion.key)
            if peer is None or auto is None:
                continue
            gap = scoring.distance(peer, auto, criterion.min_points, criterion.max_points)
            if gap > threshold:
                notes.append(f"{criterion.title}: peers {peer:g}, automatic grade {auto}.")
        has_examples = ExampleSubmission.objects.filter(
            exercise=exercise, retired_at__isnull=True
        ).exists()
        calibrated = CalibrationAttempt.objects.filter(
            exercise=exercise, passed=True, reviewer_id__in=[r.reviewer_id for r in reviews]
        ).exists()
        if has_examples and not calibrated:
            _flag(
                reason=Flag.Reason.UNCALIBRATED_REVIEWERS,
                submission_id=entry.submission_id,
                detail=f"None of the {len(reviews)} peer reviewers has passed calibration.",
            )
            raised.append(Flag.Reason.UNCALIBRATED_REVIEWERS)
    if notes:
        _flag(
            reason=Flag.Reason.PEER_DISAGREEMENT,
            submission_id=entry.submission_id,
            detail=" ".join(notes),
        )
        raised.append(Flag.Reason.PEER_DISAGREEMENT)
    return raised


def peer_reviews_check_waiting(*, now=None) -> list[int]:
    """The small-cohort fallback: a submission that waited past the exercise's
    `peer_wait_hours` goes to a trainer, or (peer_wait_action: reduce) needs only the
    reviews already in. Returns the submission ids it acted on."""
    now = now or timezone.now()
    acted = []
    for exercise in peer_exercises():
        cutoff = now - timedelta(hours=exercise.setting("peer_wait_hours"))
        waiting = PeerQueueEntry.objects.filter(
            exercise=exercise,
            superseded=False,
            timed_out_at__isnull=True,
            completed_count__lt=F("required"),
            submitted_at__lt=cutoff,
        ).values_list("pk", flat=True)
        for entry_id in list(waiting):
            if _time_out(entry_id=entry_id, exercise=exercise, now=now):
                acted.append(entry_id)
    return sorted(
        PeerQueueEntry.objects.filter(pk__in=acted).values_list("submission_id", flat=True)
    )


@transaction.atomic(durable=True)
def _time_out(*, entry_id: int, exercise: Exercise, now) -> bool:
    entry = PeerQueueEntry.objects.select_for_update().get(pk=entry_id)
    if entry.timed_out_at is not None or entry.completed_count >= entry.required:
        return False
    hours = exercise.setting("peer_wait_hours")
    entry.timed_out_at = now
    if exercise.setting("peer_wait_action") == "reduce" and entry.completed_count > 0:
        entry.required = entry.completed_count
        entry.save(update_fields=["timed_out_at", "required"])
        _evaluate_flags(entry=entry, exercise=exercise)
        from ..console.grades import final_grades_refresh  # fewer reviews now complete it

        final_grades_refresh(submission_ids=[entry.submission_id])
    else:
        entry.save(update_fields=["timed_out_at"])
        _flag(
            reason=Flag.Reason.REVIEW_TIMEOUT,
            submission_id=entry.submission_id,
            detail=(
                f"Waited over {hours} hours for peer review: {entry.completed_count} of "
                f"{entry.required} reviews in. Please review it."
            ),
        )
    return True


def peer_reviewers_flag_inaccurate() -> list[int]:
    """Flag to trainers the reviewers who are consistently off; returns their ids."""
    from .selectors import reviewer_accuracy_for

    reviewer_ids = set(
        PeerReview.objects.filter(
            kind=PeerReview.Kind.PEER, status=PeerReview.Status.COMPLETED
        ).values_list("reviewer_id", flat=True)
    ) | set(CalibrationAttempt.objects.values_list("reviewer_id", flat=True))
    accuracy = reviewer_accuracy_for(user_ids=sorted(reviewer_ids))
    flagged = []
    for user_id, figures in accuracy.items():
        if figures.consistently_off:
            with transaction.atomic(durable=True):
                _flag(
                    reason=Flag.Reason.REVIEWER_INACCURATE,
                    reviewer_id=user_id,
                    detail=(
                        f"Agreement {round(100 * figures.agreement)}% over "
                        f"{figures.samples} comparisons with trainers and other reviewers."
                    ),
                )
            flagged.append(user_id)
    return sorted(flagged)


def peer_review_sweep(*, now=None) -> dict[str, int]:
    """The periodic checks (Celery beat): queue entries, expiry, waiting, reviewer flags."""
    now = now or timezone.now()
    return {
        "synced": peer_queue_sync(),
        "expired": peer_reviews_expire(now=now),
        "timed_out": len(peer_reviews_check_waiting(now=now)),
        "reviewers_flagged": len(peer_reviewers_flag_inaccurate()),
    }
