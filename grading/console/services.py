"""Writes of the trainer console: settings, the audit sample, queue locks, trainer grades
with their override records, releases, notifications and trainer calibration sessions."""

import logging
import math
import secrets
from dataclasses import dataclass, field

from django.conf import settings as django_settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from curriculum.access import require_change, require_view
from curriculum.models import Cohort, Membership, User
from exercises.models import Submission

from ..models import Flag
from ..peer.rubric import criteria_of
from ..selectors import rubric_version_current
from . import grades
from .access import can_review_submission
from .errors import (
    ConsoleNotAllowedError,
    QueueItemLockedError,
    ReviewValidationError,
    TrainerCalibrationError,
)
from .models import (
    AuditDraw,
    CohortGradingSettings,
    GradeOverride,
    GradeRelease,
    QueueItem,
    TrainerCalibrationItem,
    TrainerCalibrationParticipant,
    TrainerCalibrationScore,
    TrainerCalibrationSession,
    TrainerReview,
    TrainerScore,
)

logger = logging.getLogger(__name__)


# ---- cohort settings -------------------------------------------------------------------


def cohort_settings_get(*, cohort: Cohort) -> CohortGradingSettings:
    """The cohort's grading settings, created with the defaults on first use."""
    found, _ = CohortGradingSettings.objects.get_or_create(cohort=cohort)
    return found


@transaction.atomic(durable=True)
def cohort_settings_update(
    *,
    user: User,
    cohort: Cohort,
    release_mode: str,
    audit_rate: float,
    mastery_threshold: float,
    review_share: float | None = None,
) -> CohortGradingSettings:
    """Save a cohort's grading settings. Switching to release by hand keeps visible the
    grades its agents can already see (they are released now); only later ones are held."""
    require_change(user, cohort)
    found, _ = CohortGradingSettings.objects.select_for_update().get_or_create(cohort=cohort)
    held = CohortGradingSettings.ReleaseMode.ON_RELEASE
    if release_mode == held and found.release_mode != held:
        _release_visible_grades(trainer=user, cohort=cohort)
    found.release_mode = release_mode
    found.audit_rate = audit_rate
    found.mastery_threshold = mastery_threshold
    if review_share is not None:
        # Applied when reading (reporting/progress.py), so no stored grade changes with it.
        found.review_share = review_share
    found.updated_by = user
    found.full_clean()
    found.save()
    # The release mode decides which stored grades are visible: bring the cohort's up to date.
    grades.final_grades_refresh_release(
        submission_ids=grades.final_grades_scope(cohort_id=cohort.pk)
    )
    return found


def _unreleased_graded_submissions(cohort: Cohort):
    """The cohort's agents' submissions that have a grade and no release yet."""
    from .selectors import unreleased_graded_submissions

    return unreleased_graded_submissions(cohort=cohort)


def _release_visible_grades(*, trainer: User, cohort: Cohort) -> None:
    """Release what the cohort's agents see now, before their grades start being held."""
    pairs = list(_unreleased_graded_submissions(cohort).values_list("pk", "user_id").distinct())
    visible = grades.released_submission_ids(submissions=pairs)
    GradeRelease.objects.bulk_create(
        [GradeRelease(submission_id=pk, released_by=trainer) for pk in sorted(visible)],
        ignore_conflicts=True,
    )


# ---- the audit sample ------------------------------------------------------------------


def audit_decide(*, considered: int, sampled: int, rate: float, draw: float) -> bool:
    """Sample this submission? `considered`/`sampled` count the cohort's earlier draws and
    `draw` is uniform in [0, 1).

    The sampled count stays between floor and ceil of rate x considered (so the share is
    within 1/n of the rate, inside the 10-15% band once a cohort has a few dozen graded
    submissions); between those bounds it is a random draw that keeps the expected share
    at the rate.
    """
    target = rate * (considered + 1)
    if sampled < math.floor(target):
        return True
    if sampled + 1 > math.ceil(target):
        return False
    return draw < target - sampled


def submission_cohort(*, user_id: int) -> Cohort | None:
    """The cohort an agent's new work counts in: their most recently joined active cohort."""
    membership = (
        Membership.objects.filter(user_id=user_id, cohort__archived_at__isnull=True)
        .select_related("cohort")
        .order_by("-joined_at", "-pk")
        .first()
    )
    return membership.cohort if membership else None


@transaction.atomic
def audit_draw(*, submission_id: int, flagged: bool = False) -> AuditDraw | None:
    """Decide whether an automatically graded submission joins the trainer's audit sample.

    Called by grading when it finishes. Flagged submissions go to the queue anyway and are
    not drawn; so are agents in no cohort. Drawing twice is a no-op (one row each).
    """
    if flagged:
        return None
    existing = AuditDraw.objects.filter(submission_id=submission_id).first()
    if existing is not None:
        return existing
    user_id = Submission.objects.filter(pk=submission_id).values_list("user_id", flat=True).first()
    cohort = submission_cohort(user_id=user_id) if user_id else None
    if cohort is None:
        return None
    # The settings row serialises draws per cohort, so the counts below stay exact.
    cohort_settings, _ = CohortGradingSettings.objects.get_or_create(cohort=cohort)
    cohort_settings = CohortGradingSettings.objects.select_for_update().get(pk=cohort_settings.pk)
    counts = AuditDraw.objects.filter(cohort=cohort).aggregate(
        considered=Count("pk"), sampled=Count("pk", filter=Q(sampled=True))
    )
    sampled = audit_decide(
        considered=counts["considered"],
        sampled=counts["sampled"],
        rate=cohort_settings.audit_rate,
        draw=secrets.randbelow(1_000_000) / 1_000_000,
    )
    return AuditDraw.objects.create(
        submission_id=submission_id,
        cohort=cohort,
        sampled=sampled,
        rate=cohort_settings.audit_rate,
    )


# ---- queue locks -----------------------------------------------------------------------


def _submission_for_trainer(trainer: User, submission_id: int) -> Submission:
    submission = Submission.objects.select_related("user", "exercise").get(pk=submission_id)
    if not can_review_submission(trainer, submission):
        raise ConsoleNotAllowedError("You do not train this agent's cohort.")
    return submission


def _locked_item(submission_id: int) -> QueueItem:
    """The submission's queue row, locked for this transaction (created on first use)."""
    QueueItem.objects.get_or_create(submission_id=submission_id)
    return QueueItem.objects.select_for_update().get(submission_id=submission_id)


@transaction.atomic(durable=True)
def queue_item_open(*, trainer: User, submission_id: int, now=None) -> QueueItem:
    """Lock a queue item to `trainer` for QueueItem.LOCK_FOR (renews it if they hold it).

    Raises QueueItemLockedError while another trainer holds it.
    """
    now = now or timezone.now()
    _submission_for_trainer(trainer, submission_id)
    item = _locked_item(submission_id)
    if item.held_by_other(trainer, now):
        raise QueueItemLockedError(item.locked_by, item.locked_until)
    item.locked_by = trainer
    item.locked_until = now + QueueItem.LOCK_FOR
    item.save(update_fields=["locked_by", "locked_until"])
    return item


@transaction.atomic(durable=True)
def queue_item_unlock(*, trainer: User, submission_id: int) -> None:
    """Give the item back to the queue (only its holder can)."""
    item = _locked_item(submission_id)
    if item.locked_by_id == trainer.pk:
        item.locked_by = None
        item.locked_until = None
        item.save(update_fields=["locked_by", "locked_until"])


# ---- trainer grades --------------------------------------------------------------------


@dataclass
class ReviewInput:
    """The trainer's grade as typed: criterion key -> level points ("" / "na": n/a)."""

    scores: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    note: str = ""


def prefill_points(final: grades.FinalGrade | None, key: str) -> int | None:
    """The level a criterion's current final score shows in the trainer's form: the score
    rounded half up (a combined 2.5 shows as 3); None when not scored."""
    criterion = final.criterion(key) if final else None
    if criterion is None or criterion.points is None:
        return None
    return math.floor(criterion.points + 0.5)


def _parse_points(raw: str, spec) -> tuple[int | None, str | None]:
    raw = (raw or "").strip()
    if raw in {"", "na"}:
        if raw == "na" and spec.allow_na:
            return None, None
        return None, "Choose a level."
    try:
        points = int(raw)
    except ValueError:
        return None, "Choose one of the levels."
    if points not in {level.points for level in spec.levels}:
        return None, "Choose one of the levels."
    return points, None


@transaction.atomic(durable=True)
def trainer_review_submit(
    *, trainer: User, submission_id: int, data: ReviewInput, now=None
) -> TrainerReview:
    """Record a trainer's grade; it takes precedence over automatic and peer grades.

    Every criterion whose level differs from the current final grade (as prefilled) is an
    override: it needs a reason and leaves a GradeOverride record. The submission's open
    flags are resolved, the lock is given back, and the agent is told (after commit) when
    the grade changed and they may see it.
    """
    now = now or timezone.now()
    submission = _submission_for_trainer(trainer, submission_id)
    item = _locked_item(submission_id)
    if item.held_by_other(trainer, now):
        raise QueueItemLockedError(item.locked_by, item.locked_until)
    final = grades.final_grades_for_submissions(submission_ids=[submission_id]).get(submission_id)
    if final is not None:
        from ..models import RubricVersion

        rubric_version = RubricVersion.objects.get(pk=final.rubric_version_id)
    else:
        rubric_version = rubric_version_current(slug=submission.exercise.rubric_slug)
    specs = criteria_of(rubric_version.snapshot)
    errors: dict[str, str] = {}
    chosen: dict[str, int | None] = {}
    overrides = []
    for spec in specs:
        points, error = _parse_points(data.scores.get(spec.key, ""), spec)
        if error:
            errors[f"score__{spec.key}"] = error
            continue
        chosen[spec.key] = points
        current = final.criterion(spec.key) if final else None
        if current is None or current.source == "":
            continue  # nothing was there to override
        if points != prefill_points(final, spec.key):
            reason = (data.reasons.get(spec.key) or "").strip()
            if not reason:
                errors[f"reason__{spec.key}"] = "Say why you change this score."
                continue
            overrides.append((spec.key, current, points, reason))
    if errors:
        raise ReviewValidationError(errors)
    total = grades.total_of(specs, chosen, rubric_version.snapshot)
    review = TrainerReview.objects.create(
        submission_id=submission_id,
        trainer=trainer,
        rubric_version=rubric_version,
        total=total,
        note=data.note.strip(),
        changed=bool(overrides),
    )
    TrainerScore.objects.bulk_create(
        TrainerScore(
            review=review,
            criterion_key=spec.key,
            order=order,
            points=chosen[spec.key],
            min_points=spec.min_points,
            max_points=spec.max_points,
        )
        for order, spec in enumerate(specs)
    )
    GradeOverride.objects.bulk_create(
        GradeOverride(
            review=review,
            submission_id=submission_id,
            trainer=trainer,
            criterion_key=key,
            from_source=current.source,
            from_points=current.points,
            to_points=points,
            auto_points=current.auto_points,
            peer_points=current.peer_points,
            reason=reason,
        )
        for key, current, points, reason in overrides
    )
    Flag.objects.filter(submission_id=submission_id, resolved_at__isnull=True).update(
        resolved_at=now
    )
    item.locked_by = None
    item.locked_until = None
    item.save(update_fields=["locked_by", "locked_until"])
    grades.final_grades_refresh(submission_ids=[submission_id])
    if overrides:
        _notify_on_commit(review.pk)
    return review


def _notify_on_commit(review_id: int) -> None:
    from .tasks import notify_grade_changed_task

    notify_grade_changed_task.delay_on_commit(review_id=review_id)


def trainer_review_notify(*, review_id: int) -> bool:
    """Email the agent that a trainer changed their grade, once, when they may see it."""
    with transaction.atomic(durable=True):
        review = (
            TrainerReview.objects.select_for_update(of=("self",))
            .select_related("submission__user", "submission__exercise")
            .get(pk=review_id)
        )
        submission = review.submission
        if review.agent_notified_at is not None or not review.changed:
            return False
        visible = grades.released_submission_ids(submissions=[(submission.pk, submission.user_id)])
        if submission.pk not in visible:
            return False  # told on release instead
        review.agent_notified_at = timezone.now()
        review.save(update_fields=["agent_notified_at"])
    url = reverse("exercises:submission-detail", args=[submission.pk])
    base = getattr(django_settings, "SITE_URL", "").rstrip("/")
    send_mail(
        subject=f"A trainer updated your grade: {submission.exercise.title}",
        message=(
            f"Hello {submission.user.display_name},\n\n"
            f'A trainer reviewed your submission to "{submission.exercise.title}" '
            f"(attempt {submission.attempt}) and changed its grade.\n"
            + (f"\nTheir note: {review.note}\n" if review.note else "")
            + f"\nSee the details: {base}{url}\n"
        ),
        from_email=None,
        recipient_list=[submission.user.email],
    )
    return True


# ---- releases --------------------------------------------------------------------------


def _notify_released(submission_ids: list[int]) -> None:
    pending = list(
        TrainerReview.objects.filter(
            submission_id__in=submission_ids, changed=True, agent_notified_at__isnull=True
        ).values_list("pk", flat=True)
    )
    for review_id in pending:
        _notify_on_commit(review_id)


@transaction.atomic(durable=True)
def grade_release(*, trainer: User, submission_id: int) -> GradeRelease:
    """Let the agent see this submission's grade."""
    _submission_for_trainer(trainer, submission_id)
    release, _ = GradeRelease.objects.get_or_create(
        submission_id=submission_id, defaults={"released_by": trainer}
    )
    grades.final_grades_refresh_release(submission_ids=[submission_id])
    _notify_released([submission_id])
    return release


@transaction.atomic(durable=True)
def grade_release_exercise(*, trainer: User, cohort: Cohort, exercise_id: int) -> int:
    """Release every graded submission of the cohort's agents to one exercise; returns how
    many were newly released."""
    require_change(trainer, cohort)
    candidates = list(
        _unreleased_graded_submissions(cohort)
        .filter(exercise_id=exercise_id)
        .values_list("pk", flat=True)
        .distinct()
    )
    GradeRelease.objects.bulk_create(
        [GradeRelease(submission_id=pk, released_by=trainer) for pk in candidates],
        ignore_conflicts=True,
    )
    grades.final_grades_refresh_release(submission_ids=candidates)
    _notify_released(candidates)
    return len(candidates)


# ---- trainer calibration sessions ------------------------------------------------------


@transaction.atomic(durable=True)
def trainer_calibration_session_create(
    *,
    trainer: User,
    cohort: Cohort,
    title: str,
    submission_ids: list[int],
    co_trainer_ids,
    flag_ids=(),
) -> TrainerCalibrationSession:
    """A blind scoring round on the chosen submissions (and those of the chosen flags of
    the cohort's calibration inbox, which the session takes up) for the trainer and
    co-trainers."""
    from ..calibration.models import CalibrationFlag

    require_change(trainer, cohort)
    flags = list(
        CalibrationFlag.objects.select_for_update()
        .filter(pk__in=list(flag_ids), cohort=cohort, session__isnull=True)
        .order_by("created_at", "pk")
    )
    if len(flags) != len(set(flag_ids)):
        raise TrainerCalibrationError(
            "Pick flags of this cohort's inbox that no session has taken up yet."
        )
    submission_ids = list(dict.fromkeys([*(f.submission_id for f in flags), *submission_ids]))
    if not submission_ids:
        raise TrainerCalibrationError("Pick at least one submission or flagged item.")
    allowed = set(
        Submission.objects.filter(
            pk__in=submission_ids, user__memberships__cohort=cohort
        ).values_list("pk", flat=True)
    )
    if allowed != set(submission_ids):
        raise TrainerCalibrationError("Pick submissions of this cohort's agents.")
    co_trainers = list(
        User.objects.filter(pk__in=co_trainer_ids)
        .filter(Q(trained_cohorts=cohort) | Q(is_staff=True))
        .exclude(pk=trainer.pk)
        .distinct()
    )
    if len(co_trainers) != len(set(co_trainer_ids) - {trainer.pk}):
        raise TrainerCalibrationError("Invite trainers of this cohort.")
    session = TrainerCalibrationSession.objects.create(
        cohort=cohort, title=title.strip() or "Trainer calibration", created_by=trainer
    )
    TrainerCalibrationItem.objects.bulk_create(
        TrainerCalibrationItem(session=session, submission_id=pk, order=order)
        for order, pk in enumerate(submission_ids)
    )
    TrainerCalibrationParticipant.objects.bulk_create(
        TrainerCalibrationParticipant(session=session, trainer=user)
        for user in [trainer, *co_trainers]
    )
    CalibrationFlag.objects.filter(pk__in=[f.pk for f in flags]).update(session=session)
    return session


@transaction.atomic(durable=True)
def trainer_calibration_scores_submit(
    *, trainer: User, session_id: int, scores: dict[tuple[int, str], str]
) -> TrainerCalibrationParticipant:
    """Hand in one trainer's blind scores: (item id, criterion key) -> level points."""
    session = TrainerCalibrationSession.objects.get(pk=session_id)
    require_view(trainer, session)
    participant = (
        TrainerCalibrationParticipant.objects.select_for_update()
        .filter(session=session, trainer=trainer)
        .first()
    )
    if participant is None:
        raise TrainerCalibrationError("You were not invited to this session.")
    if participant.submitted_at is not None:
        raise TrainerCalibrationError("You have already handed in your scores.")
    items = list(session.items.select_related("submission__exercise"))
    errors = {}
    rows = []
    rubric_cache: dict[str, list] = {}
    for item in items:
        slug = item.submission.exercise.rubric_slug
        if slug not in rubric_cache:
            rubric_cache[slug] = criteria_of(rubric_version_current(slug=slug).snapshot)
        for spec in rubric_cache[slug]:
            points, error = _parse_points(scores.get((item.pk, spec.key), ""), spec)
            if error:
                errors[f"score__{item.pk}__{spec.key}"] = error
                continue
            rows.append(
                TrainerCalibrationScore(
                    participant=participant, item=item, criterion_key=spec.key, points=points
                )
            )
    if errors:
        raise ReviewValidationError(errors)
    TrainerCalibrationScore.objects.bulk_create(rows)
    participant.submitted_at = timezone.now()
    participant.save(update_fields=["submitted_at"])
    return participant
