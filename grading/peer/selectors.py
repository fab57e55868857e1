"""Reads of peer review, shaped for its pages; the `*_for_*` getters are the access chokepoint.

Nothing here returns a reviewer's identity to an author or an author's to a reviewer:
the author-facing shapes carry "Reviewer 1, 2, ..." labels only.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

from curriculum.access import is_trainer, require_change, require_view
from curriculum.markdown import render_markdown
from curriculum.models import Cohort, Exercise, Membership, User
from exercises.models import Submission
from exercises.presenters import answer_items

from ..models import ExampleSubmission, Flag
from . import scoring
from .access import is_review_recipient
from .models import CalibrationAttempt, InlineComment, PeerQueueEntry, PeerReview, PeerScore
from .rubric import EMPATHY_QUESTIONS, CriterionSpec, TextField, commentable_fields, criteria_of
from .services import MAX_TEXT, available_count, peer_exercises

PEER_FLAG_REASONS = [
    Flag.Reason.DISPUTE,
    Flag.Reason.INAPPROPRIATE,
    Flag.Reason.PEER_DISAGREEMENT,
    Flag.Reason.UNCALIBRATED_REVIEWERS,
    Flag.Reason.REVIEW_TIMEOUT,
    Flag.Reason.REVIEWER_INACCURATE,
]


# ---- reviewer accuracy -------------------------------------------------------------------


def reviewer_accuracy_for(*, user_ids) -> dict[int, scoring.ReviewerAccuracy]:
    """Accuracy figures of many reviewers in two queries (whatever their number)."""
    user_ids = list(user_ids)
    reviewer_calibration: dict[int, list[float]] = defaultdict(list)
    for reviewer_id, error in CalibrationAttempt.objects.filter(
        reviewer_id__in=user_ids
    ).values_list("reviewer_id", "error"):
        reviewer_calibration[reviewer_id].append(1.0 - error)
    counted = [PeerReview.Status.COMPLETED, PeerReview.Status.OVERTURNED]
    rows = PeerScore.objects.filter(
        review__kind=PeerReview.Kind.PEER,
        review__status__in=counted,
        review__submission_id__in=PeerReview.objects.filter(
            reviewer_id__in=user_ids,
            kind=PeerReview.Kind.PEER,
            status__in=counted,
        ).values("submission_id"),
    ).values_list(
        "review_id",
        "review__submission_id",
        "review__reviewer_id",
        "review__helpfulness",
        "review__status",
        "criterion_key",
        "points",
        "min_points",
        "max_points",
    )
    by_submission: dict[int, dict[int, dict]] = defaultdict(dict)
    owner: dict[int, tuple[int, int | None]] = {}
    ranges: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    consensus: dict[int, list[float]] = defaultdict(list)
    overturned: dict[int, int] = {}
    for review_id, submission_id, reviewer_id, helpful, status, key, points, low, high in rows:
        if status == PeerReview.Status.OVERTURNED:
            # A trainer upheld the author's dispute: the review counts as a miss (agreement
            # 0) for its reviewer and takes no part in the others' consensus.
            overturned[review_id] = reviewer_id
            continue
        by_submission[submission_id].setdefault(review_id, {})[key] = points
        owner[review_id] = (reviewer_id, helpful)
        ranges[submission_id][key] = (low, high)
    helpfulness: dict[int, list[int]] = defaultdict(list)
    wanted = set(user_ids)
    for reviewer_id in overturned.values():
        if reviewer_id in wanted:
            consensus[reviewer_id].append(0.0)
    for submission_id, reviews in by_submission.items():
        agreements = scoring.consensus_agreements(sorted(reviews.items()), ranges[submission_id])
        for review_id in reviews:
            reviewer_id, helpful = owner[review_id]
            if reviewer_id not in wanted:
                continue
            if review_id in agreements:
                consensus[reviewer_id].append(agreements[review_id])
            if helpful is not None:
                helpfulness[reviewer_id].append(helpful)
    return {
        user_id: scoring.ReviewerAccuracy(
            trainer_samples=tuple(reviewer_calibration[user_id]),
            consensus_samples=tuple(consensus[user_id]),
            helpfulness_ratings=tuple(helpfulness[user_id]),
        )
        for user_id in user_ids
    }


def reviewing_shares_for(*, user_ids, share: float) -> dict[int, scoring.ReviewingShare]:
    """What reviewing adds to each agent's grade and mastery under a cohort's `share`:
    two queries, none when the share is 0 (the cohort does not count reviewing)."""
    user_ids = list(user_ids)
    if share <= 0:
        return {user_id: scoring.ReviewingShare() for user_id in user_ids}
    accuracy = reviewer_accuracy_for(user_ids=user_ids)
    return {
        user_id: scoring.ReviewingShare(share=share, accuracy=accuracy[user_id])
        for user_id in user_ids
    }


def reviewer_accuracy(*, user: User) -> scoring.ReviewerAccuracy:
    return reviewer_accuracy_for(user_ids=[user.pk])[user.pk]


# ---- combining ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerCriterionScore:
    key: str
    title: str
    points: float | None  # combined
    min_points: int
    max_points: int
    given: tuple[int | None, ...]  # each review's points, in review order
    self_points: int | None = None

    @property
    def display(self) -> str:
        return "n/a" if self.points is None else f"{self.points:.1f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class PeerScores:
    """Combined peer scores of one submission (what the trainer console takes for the final
    grade: trainer > combined automatic + peer)."""

    submission_id: int
    method: str  # median / accuracy
    required: int
    completed: int
    criteria: list[PeerCriterionScore]
    calibrated_reviewers: int
    total: float | None  # weighted fraction of the maximum, 0..1 (no caps applied)

    @property
    def complete(self) -> bool:
        return self.required > 0 and self.completed >= self.required


def _reviews_with_scores(submission_id: int):
    return list(
        PeerReview.objects.filter(submission_id=submission_id, status=PeerReview.Status.COMPLETED)
        .select_related("rubric_version")
        .prefetch_related(
            Prefetch("scores", queryset=PeerScore.objects.order_by("order")),
            Prefetch("inline_comments", queryset=InlineComment.objects.order_by("field", "start")),
        )
        .order_by("completed_at", "pk")
    )


def _combine(
    submission_id: int, exercise: Exercise, entry, reviews: list[PeerReview]
) -> PeerScores:
    peers = [r for r in reviews if r.kind == PeerReview.Kind.PEER]
    own = next((r for r in reviews if r.kind == PeerReview.Kind.SELF), None)
    method = exercise.setting("peer_weighting")
    basis = peers[0] if peers else own
    criteria: list[CriterionSpec] = criteria_of(basis.rubric_version.snapshot) if basis else []
    per_review = [{s.criterion_key: s.points for s in r.scores.all()} for r in peers]
    weights = [1.0] * len(peers)
    if method == "accuracy" and peers:
        accuracy = reviewer_accuracy_for(user_ids={r.reviewer_id for r in peers})
        weights = [accuracy[r.reviewer_id].weight() for r in peers]
    combined = scoring.combine(
        list(zip(per_review, weights, strict=True)),
        [c.key for c in criteria],
        weighted=method == "accuracy",
    )
    own_points = {s.criterion_key: s.points for s in own.scores.all()} if own else {}
    items = [
        PeerCriterionScore(
            key=c.key,
            title=c.title,
            points=combined.get(c.key),
            min_points=c.min_points,
            max_points=c.max_points,
            given=tuple(scores.get(c.key) for scores in per_review),
            self_points=own_points.get(c.key),
        )
        for c in criteria
    ]
    weighted = [
        (c.weight, (combined[c.key] - c.min_points) / (c.max_points - c.min_points))
        for c in criteria
        if combined.get(c.key) is not None and c.max_points > c.min_points
    ]
    total = (
        sum(w * f for w, f in weighted) / sum(w for w, _ in weighted)
        if weighted and peers
        else None
    )
    calibrated = (
        CalibrationAttempt.objects.filter(
            exercise=exercise, passed=True, reviewer_id__in=[r.reviewer_id for r in peers]
        )
        .values("reviewer_id")
        .distinct()
        .count()
        if peers
        else 0
    )
    return PeerScores(
        submission_id=submission_id,
        method=method,
        required=entry.required if entry else exercise.setting("peer_reviews_required"),
        completed=len(peers),
        criteria=items,
        calibrated_reviewers=calibrated,
        total=total,
    )


def peer_scores_for_submission(*, submission_id: int) -> PeerScores:
    """The peer score per criterion of a submission: the median of its completed peer
    reviews, or the accuracy-weighted mean where the exercise sets `peer_weighting:
    accuracy`. For the trainer console's final grade."""
    submission = Submission.objects.select_related("exercise").get(pk=submission_id)
    entry = PeerQueueEntry.objects.filter(submission_id=submission_id).first()
    return _combine(submission_id, submission.exercise, entry, _reviews_with_scores(submission_id))


# ---- the author's view -------------------------------------------------------------------


@dataclass
class AuthorReview:
    """One review as the author sees it: a number, never a name."""

    pk: int
    label: str
    answers: list[tuple[str, SafeString]]  # (question, sanitised Markdown)
    comments: SafeString
    scores: list[tuple[str, str]]  # (criterion title, "2 / 3 · Level title")
    inline: list[InlineComment]
    helpfulness: int | None
    disputed: bool
    reviewer_name: str = ""  # filled for trainers only, never for the author


@dataclass
class PeerFeedback:
    """What the submission page shows about peer review, for this viewer."""

    enabled: bool
    viewer_is_author: bool = False
    viewer_is_trainer: bool = False
    required: int = 0
    completed: int = 0
    released: bool = False
    waiting_message: str = ""
    scores: PeerScores | None = None
    reviews: list[AuthorReview] = field(default_factory=list)
    highlighted: list[tuple[str, SafeString]] = field(default_factory=list)
    to_give: int = 0
    given: int = 0
    text_max_length: int = MAX_TEXT  # of a dispute's reason
    # The trainer's decisions on the author's disputes: (outcome label, note to the agent).
    dispute_decisions: list[tuple[str, str]] = field(default_factory=list)


def highlight_inline(text: str, comments: list[tuple[int, int, str, str]]) -> SafeString:
    """Escaped text with <mark> around commented passages, numbered to match the notes."""
    parts, cursor = [], 0
    for start, end, label, body in sorted(comments):
        if start < cursor or end > len(text):
            continue  # overlapping passages: the first keeps the mark
        parts.append(escape(text[cursor:start]))
        parts.append(
            format_html(
                '<mark class="peer-inline" title="{}: {}">{}<sup>{}</sup></mark>',
                label,
                body,
                text[start:end],
                label,
            )
        )
        cursor = end
    parts.append(escape(text[cursor:]))
    return mark_safe("".join(str(p) for p in parts))  # noqa: S308 - every part escaped above


def _md(text: str) -> SafeString:
    # render_markdown sanitises with bleach, so its output is safe to mark safe.
    return mark_safe(render_markdown(text or ""))  # noqa: S308


def _score_line(criteria: dict[str, CriterionSpec], score: PeerScore) -> tuple[str, str]:
    criterion = criteria.get(score.criterion_key)
    title = criterion.title if criterion else score.criterion_key
    if score.points is None:
        return title, "n/a"
    level = f" · {criterion.level_title(score.points)}" if criterion else ""
    return title, f"{score.points} / {score.max_points}{level}"


def _given_count(user_id: int, exercise: Exercise) -> int:
    return PeerReview.objects.filter(
        reviewer_id=user_id,
        exercise=exercise,
        kind=PeerReview.Kind.PEER,
        status=PeerReview.Status.COMPLETED,
    ).count()


def _released_to_author(submission: Submission) -> bool:
    # The console owns the release rule; imported here to avoid a cycle (console uses peer).
    from ..console.grades import released_submission_ids

    pairs = [(submission.pk, submission.user_id)]
    return submission.pk in released_submission_ids(submissions=pairs)


def peer_feedback_for_submission(*, submission: Submission, viewer: User) -> PeerFeedback:
    """Peer review of a submission for its page: a summary per criterion with the reviews
    and inline comments once enough are in (for the author also once they have given their
    own reviews, or nothing is left for them to review)."""
    exercise = submission.exercise
    if exercise.setting("peer_reviews_required") <= 0:
        return PeerFeedback(enabled=False)
    is_author = submission.user_id == viewer.pk
    trainer = not is_author and is_trainer(viewer)
    entry = PeerQueueEntry.objects.filter(submission_id=submission.pk).first()
    reviews = _reviews_with_scores(submission.pk)
    scores = _combine(submission.pk, exercise, entry, reviews)
    feedback = PeerFeedback(
        enabled=True,
        viewer_is_author=is_author,
        viewer_is_trainer=trainer,
        required=scores.required,
        completed=scores.completed,
        to_give=exercise.setting("peer_reviews_to_give"),
    )
    if entry is not None and entry.superseded and scores.completed == 0:
        feedback.waiting_message = "A newer attempt replaced this one in the peer-review queue."
        return feedback
    if is_author and not _released_to_author(submission):
        feedback.waiting_message = (
            "Your cohort's grades, peer reviews included, appear once your trainer releases them."
        )
        return feedback
    if is_author:
        from ..console.models import PeerDisputeDecision

        feedback.dispute_decisions = [
            (decision.get_outcome_display(), decision.note)
            for decision in PeerDisputeDecision.objects.filter(
                review__submission_id=submission.pk
            ).order_by("decided_at", "pk")
        ]
    if scores.completed < scores.required:
        timed_out = entry is not None and entry.timed_out_at is not None
        feedback.waiting_message = (
            f"{scores.completed} of {scores.required} peer reviews are in. "
            + (
                "It waited long enough that a trainer will review it instead."
                if timed_out
                else "You will see them here as soon as they are all in."
            )
        )
        if not trainer:
            return feedback
    if is_author:
        feedback.given = _given_count(viewer.pk, exercise)
        if (
            feedback.given < feedback.to_give
            and available_count(reviewer=viewer, exercise=exercise) > 0
        ):
            feedback.waiting_message = (
                f"Your reviews are in. Give your own {feedback.to_give} reviews to see them "
                f"(you have given {feedback.given}) on the Peer reviews page."
            )
            return feedback
    feedback.released = True
    feedback.scores = scores
    criteria = (
        {c.key: c for c in criteria_of(reviews[0].rubric_version.snapshot)} if reviews else {}
    )
    fields = {f.path: f for f in commentable_fields(exercise.type, submission.answer)}
    marks: dict[str, list] = defaultdict(list)
    number = 0
    for review in reviews:
        if review.kind != PeerReview.Kind.PEER:
            continue
        number += 1
        label = f"Reviewer {number}"
        inline = list(review.inline_comments.all())
        for index, comment in enumerate(inline, start=1):
            marks[comment.field].append(
                (comment.start, comment.end, f"{number}.{index}", comment.body)
            )
        feedback.reviews.append(
            AuthorReview(
                pk=review.pk,
                label=label,
                answers=[(q, _md(getattr(review, key))) for key, q in EMPATHY_QUESTIONS],
                comments=_md(review.comments),
                scores=[_score_line(criteria, score) for score in review.scores.all()],
                inline=inline,
                helpfulness=review.helpfulness,
                disputed=review.disputed_at is not None,
            )
        )
    for path, items in marks.items():
        if path in fields:
            feedback.highlighted.append(
                (fields[path].label, highlight_inline(fields[path].text, items))
            )
    if trainer:
        names = dict(
            User.objects.filter(pk__in=[r.reviewer_id for r in reviews]).values_list("pk", "email")
        )
        peers = [r for r in reviews if r.kind == PeerReview.Kind.PEER]
        for item, review in zip(feedback.reviews, peers, strict=True):
            item.reviewer_name = names.get(review.reviewer_id, "")
    return feedback


# ---- access chokepoint -------------------------------------------------------------------


def peer_review_get_for_reviewer(*, user: User, review_id: int) -> PeerReview:
    """A review its reviewer works on (404 if missing, 403 for anyone else)."""
    review = get_object_or_404(
        PeerReview.objects.select_related(
            "submission__exercise", "submission__scenario", "rubric_version", "exercise"
        ),
        pk=review_id,
    )
    if review.reviewer_id != user.pk:
        raise PermissionDenied("This review is assigned to someone else.")
    require_view(user, review)
    return review


def peer_review_get_for_author(*, user: User, review_id: int) -> PeerReview:
    """A completed review of the user's own work (to rate or dispute it)."""
    review = get_object_or_404(PeerReview.objects.select_related("submission"), pk=review_id)
    if not is_review_recipient(user, review):
        raise PermissionDenied("You can only respond to reviews of your own work.")
    return review


def submission_get_for_peer_page(*, user: User, submission_id: int) -> Submission:
    submission = get_object_or_404(
        Submission.objects.select_related("exercise", "scenario"), pk=submission_id
    )
    require_view(user, submission)
    return submission


def cohort_get_for_trainer(*, user: User, slug: str, change: bool = False) -> Cohort:
    cohort = get_object_or_404(Cohort, slug=slug)
    if not is_trainer(user):
        raise PermissionDenied("This page is for trainers.")
    (require_change if change else require_view)(user, cohort)
    return cohort


def exercise_get_for_peer(*, slug: str) -> Exercise:
    exercise = get_object_or_404(Exercise, slug=slug, retired_at__isnull=True)
    if exercise.setting("peer_reviews_required") <= 0:
        raise PermissionDenied("This exercise has no peer review.")
    return exercise


# ---- the review form ---------------------------------------------------------------------


@dataclass
class ReviewPage:
    review: PeerReview
    criteria: list[CriterionSpec]
    fields: list  # commentable TextFields
    customer_message: str
    customer_name: str
    questions: list[tuple[str, str]]
    # The author's choices the rubric scores (a tone answer's state and indicators...):
    # the answer's items that are not free text (those are `fields`).
    choices: list = field(default_factory=list)


def review_page(*, review: PeerReview) -> ReviewPage:
    """What the form shows: the scenario, the author's choices, the answer's text fields,
    the rubric. No author."""
    submission = review.submission
    scenario = submission.scenario_version.data if submission.scenario_version_id else {}
    try:
        items = answer_items(
            exercise_type=review.exercise.type, answer=submission.answer, scenario_data=scenario
        )
    except (KeyError, TypeError, AttributeError):
        items = []  # an answer of an older shape: the text fields are still shown
    return ReviewPage(
        review=review,
        criteria=criteria_of(review.rubric_version.snapshot),
        fields=commentable_fields(review.exercise.type, submission.answer),
        customer_message=scenario.get("message", "") or submission.scenario.message,
        customer_name=(scenario.get("customer") or {}).get("name", ""),
        questions=EMPATHY_QUESTIONS,
        choices=[item for item in items if item.html is None and (item.text or item.items)],
    )


def review_field(*, review: PeerReview, path: str) -> TextField | None:
    """The commentable part of the reviewed work at `path` ("reply", "report.root_cause")."""
    fields = commentable_fields(review.exercise.type, review.submission.answer)
    return next((field for field in fields if field.path == path), None)


# ---- the agent's page --------------------------------------------------------------------


@dataclass
class OwnSubmission:
    submission: Submission
    required: int
    completed: int


@dataclass
class ExercisePeerStatus:
    exercise: Exercise
    submitted: bool
    to_give: int
    given: int
    open_review: PeerReview | None
    self_assessment_due: bool
    calibration_required: bool
    calibrated: bool
    available: int
    own: list[OwnSubmission]

    @property
    def owed(self) -> int:
        return max(0, self.to_give - self.given)

    @property
    def percent(self) -> int:
        return 100 if not self.to_give else min(100, round(100 * self.given / self.to_give))

    @property
    def nothing_left(self) -> bool:
        return self.submitted and self.open_review is None and self.available == 0


def peer_home_for_agent(*, user: User) -> tuple[list[ExercisePeerStatus], scoring.ReviewerAccuracy]:
    """Per peer-reviewed exercise: reviews owed and given, what is open, how many are
    available, the agent's own submissions' review progress; and their accuracy figure.
    A constant number of queries whatever the number of submissions."""
    exercises = peer_exercises()
    ids = [e.pk for e in exercises]
    given = dict(
        PeerReview.objects.filter(
            reviewer=user,
            exercise_id__in=ids,
            kind=PeerReview.Kind.PEER,
            status=PeerReview.Status.COMPLETED,
        )
        .values("exercise_id")
        .annotate(n=Count("pk"))
        .values_list("exercise_id", "n")
    )
    open_reviews: dict[int, PeerReview] = {}
    self_done: set[int] = set()
    for review in (
        PeerReview.objects.filter(reviewer=user, exercise_id__in=ids)
        .exclude(status=PeerReview.Status.EXPIRED)
        .order_by("assigned_at", "pk")
    ):
        if review.kind == PeerReview.Kind.SELF:
            if review.status == PeerReview.Status.COMPLETED:
                self_done.add(review.submission_id)
            else:
                open_reviews.setdefault(review.exercise_id, review)
        elif review.status == PeerReview.Status.IN_PROGRESS:
            open_reviews.setdefault(review.exercise_id, review)
    own: dict[int, list[OwnSubmission]] = defaultdict(list)
    latest_own: dict[int, int] = {}
    for entry in (
        PeerQueueEntry.objects.filter(author=user, exercise_id__in=ids, superseded=False)
        .select_related("submission__scenario")
        .order_by("-submitted_at")
    ):
        own[entry.exercise_id].append(
            OwnSubmission(entry.submission, entry.required, entry.completed_count)
        )
        latest_own.setdefault(entry.exercise_id, entry.submission_id)
    submitted = set(
        Submission.objects.filter(user=user, exercise_id__in=ids)
        .values_list("exercise_id", flat=True)
        .distinct()
    )
    calibrated = set(
        CalibrationAttempt.objects.filter(reviewer=user, exercise_id__in=ids, passed=True)
        .values_list("exercise_id", flat=True)
        .distinct()
    )
    available = _available_by_exercise(user=user, exercise_ids=ids)
    statuses = [
        ExercisePeerStatus(
            exercise=exercise,
            submitted=exercise.pk in submitted,
            to_give=exercise.setting("peer_reviews_to_give"),
            given=given.get(exercise.pk, 0),
            open_review=open_reviews.get(exercise.pk),
            self_assessment_due=bool(
                exercise.setting("self_assessment")
                and exercise.pk in latest_own
                and latest_own[exercise.pk] not in self_done
            ),
            calibration_required=exercise.setting("peer_calibration"),
            calibrated=exercise.pk in calibrated,
            available=available.get(exercise.pk, 0),
            own=own.get(exercise.pk, []),
        )
        for exercise in exercises
    ]
    return statuses, reviewer_accuracy(user=user)


def _available_by_exercise(*, user: User, exercise_ids: list[int]) -> dict[int, int]:
    cohorts = Membership.objects.filter(user=user, cohort__archived_at__isnull=True).values(
        "cohort_id"
    )
    rows = (
        PeerQueueEntry.objects.filter(
            exercise_id__in=exercise_ids, superseded=False, active_count__lt=F("required")
        )
        .exclude(author=user)
        .filter(
            Exists(Membership.objects.filter(user_id=OuterRef("author_id"), cohort_id__in=cohorts))
        )
        .exclude(
            Exists(
                PeerReview.objects.filter(
                    submission_id=OuterRef("submission_id"), reviewer=user
                ).exclude(status=PeerReview.Status.EXPIRED)
            )
        )
        .exclude(
            Exists(
                Flag.objects.filter(
                    submission_id=OuterRef("submission_id"),
                    reason=Flag.Reason.INAPPROPRIATE,
                    resolved_at__isnull=True,
                )
            )
        )
        .values("exercise_id")
        .annotate(n=Count("pk"))
        .values_list("exercise_id", "n")
    )
    return dict(rows)


# ---- reviewer calibration ----------------------------------------------------------------


@dataclass
class ReviewerCalibrationPage:
    exercise: Exercise
    example: ExampleSubmission | None
    criteria: list[CriterionSpec]
    fields: list
    customer_message: str
    attempts: list[CalibrationAttempt]
    calibrated: bool
    tolerance: float


def reviewer_calibration_page(*, user: User, exercise: Exercise) -> ReviewerCalibrationPage:
    """The next example to score: the one this reviewer tried least, in order."""
    examples = list(
        ExampleSubmission.objects.filter(exercise=exercise, retired_at__isnull=True)
        .select_related("rubric_version", "scenario")
        .annotate(
            tries=Count(
                "reviewer_calibration_attempts",
                filter=Q(reviewer_calibration_attempts__reviewer=user),
            )
        )
        .order_by("tries", "slug")
    )
    attempts = list(
        CalibrationAttempt.objects.filter(reviewer=user, exercise=exercise)
        .select_related("example")
        .order_by("-created_at")[:10]
    )
    example = examples[0] if examples else None
    return ReviewerCalibrationPage(
        exercise=exercise,
        example=example,
        criteria=criteria_of(example.rubric_version.snapshot) if example else [],
        fields=commentable_fields(exercise.type, example.answer) if example else [],
        customer_message=example.scenario.message if example else "",
        attempts=attempts,
        calibrated=any(a.passed for a in attempts)
        or CalibrationAttempt.objects.filter(
            reviewer=user, exercise=exercise, passed=True
        ).exists(),
        tolerance=exercise.setting("peer_calibration_tolerance"),
    )


# ---- the trainer's page ------------------------------------------------------------------


@dataclass
class ReviewerRow:
    user: User
    given: int
    open: int
    accuracy: scoring.ReviewerAccuracy
    calibrated_exercises: int
    flagged: bool


@dataclass
class WaitingRow:
    entry: PeerQueueEntry
    open_flags: list[str]


@dataclass
class CohortPeerOverview:
    cohort: Cohort
    reviewers: list[ReviewerRow]
    waiting: list[WaitingRow]
    flags: list[Flag]
    disputes: list[PeerReview]
    members: list[User]
    waiting_page: Page | None = None  # the page of `waiting` (its number, count, links)
    reviewers_page: Page | None = None  # the page of `reviewers`


PEER_PAGE_SIZE = 50


def _page(paginator: Paginator, number) -> Page:
    """The requested page; the first for a missing or unreadable number, the last past it."""
    try:
        return paginator.page(number or 1)
    except PageNotAnInteger:
        return paginator.page(1)
    except EmptyPage:
        return paginator.page(paginator.num_pages)


def peer_cohort_overview(
    *, cohort: Cohort, waiting_page=None, reviewers_page=None, per_page: int = PEER_PAGE_SIZE
) -> CohortPeerOverview:
    """The trainer's view of a cohort's peer review in a constant number of queries, whatever
    the cohort's size: one page of reviewers with their accuracy, one page of submissions
    waiting for reviews (each with its count of the whole), open flags and disputes."""
    member_ids = Membership.objects.filter(cohort=cohort).values("user_id")
    member_rows = User.objects.filter(pk__in=member_ids).order_by("full_name", "email", "pk")
    members_paged = _page(Paginator(member_rows, per_page), reviewers_page)
    members = list(member_rows.only("pk", "full_name", "email"))
    page_members = list(members_paged.object_list)
    ids = [m.pk for m in page_members]
    counts = defaultdict(lambda: {"given": 0, "open": 0})
    for reviewer_id, status, n in (
        PeerReview.objects.filter(reviewer_id__in=ids, kind=PeerReview.Kind.PEER)
        .values("reviewer_id", "status")
        .annotate(n=Count("pk"))
        .values_list("reviewer_id", "status", "n")
    ):
        if status == PeerReview.Status.COMPLETED:
            counts[reviewer_id]["given"] = n
        elif status == PeerReview.Status.IN_PROGRESS:
            counts[reviewer_id]["open"] = n
    calibrated = dict(
        CalibrationAttempt.objects.filter(reviewer_id__in=ids, passed=True)
        .values("reviewer_id")
        .annotate(n=Count("exercise_id", distinct=True))
        .values_list("reviewer_id", "n")
    )
    accuracy = reviewer_accuracy_for(user_ids=ids)
    peer_flags = list(
        Flag.objects.filter(reason__in=PEER_FLAG_REASONS, resolved_at__isnull=True)
        .filter(Q(submission__user_id__in=member_ids) | Q(reviewer_id__in=member_ids))
        .select_related("submission__scenario", "submission__user", "reviewer")
        .order_by("-created_at")
    )
    flagged_reviewers = {f.reviewer_id for f in peer_flags if f.reviewer_id}
    open_by_submission = defaultdict(list)
    for flag in peer_flags:
        if flag.submission_id:
            open_by_submission[flag.submission_id].append(flag.get_reason_display())
    waiting_rows = (
        PeerQueueEntry.objects.filter(
            author_id__in=member_ids, superseded=False, completed_count__lt=F("required")
        )
        .select_related("submission__scenario", "exercise", "author")
        .order_by("submitted_at", "pk")
    )
    waiting_paged = _page(Paginator(waiting_rows, per_page), waiting_page)
    waiting = [
        WaitingRow(entry, open_by_submission.get(entry.submission_id, []))
        for entry in waiting_paged.object_list
    ]
    disputes = list(
        PeerReview.objects.filter(submission__user_id__in=member_ids, disputed_at__isnull=False)
        .select_related("submission__scenario", "submission__user", "reviewer")
        .order_by("-disputed_at")
    )
    reviewers = [
        ReviewerRow(
            user=m,
            given=counts[m.pk]["given"],
            open=counts[m.pk]["open"],
            accuracy=accuracy[m.pk],
            calibrated_exercises=calibrated.get(m.pk, 0),
            flagged=m.pk in flagged_reviewers,
        )
        for m in page_members
    ]
    return CohortPeerOverview(
        cohort,
        reviewers,
        waiting,
        peer_flags,
        disputes,
        members,
        waiting_page=waiting_paged,
        reviewers_page=members_paged,
    )


def reviewer_calibration_page_for_example(
    *, page: ReviewerCalibrationPage, example_id: int
) -> ReviewerCalibrationPage:
    """The same page on a given example (to score it again after a mistake)."""
    example = (
        ExampleSubmission.objects.filter(
            pk=example_id, exercise=page.exercise, retired_at__isnull=True
        )
        .select_related("rubric_version", "scenario")
        .first()
    )
    if example is None:
        return page
    page.example = example
    page.criteria = criteria_of(example.rubric_version.snapshot)
    page.fields = commentable_fields(page.exercise.type, example.answer)
    page.customer_message = example.scenario.message
    return page


@dataclass(frozen=True)
class ReviewerCalibrationRow:
    title: str
    yours: str
    trainer: str
    comment: str


def reviewer_calibration_result_rows(
    *, attempt: CalibrationAttempt
) -> list[ReviewerCalibrationRow]:
    """The reviewer's points next to the trainer's, with the trainer's comment."""
    example = attempt.example
    grade = example.trainer_grade.get("criteria") or {}

    def shown(value) -> str:
        return "n/a" if value is None or value == "na" else str(value)

    return [
        ReviewerCalibrationRow(
            title=criterion.title,
            yours=shown(attempt.scores.get(criterion.key)),
            trainer=shown((grade.get(criterion.key) or {}).get("points")),
            comment=(grade.get(criterion.key) or {}).get("comment", ""),
        )
        for criterion in criteria_of(example.rubric_version.snapshot)
    ]
