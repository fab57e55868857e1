"""Writes of the calibration loop: flagging submissions, discussing and agreeing on session
items, escalating to a lead trainer, concluding a session and publishing examples.

Every write checks access through `curriculum.access` and owns its transaction."""

import hashlib
import json

from django.db import transaction
from django.utils import timezone

from curriculum.access import can_change, require_change, require_view, trains_cohort
from curriculum.markdown import render_markdown
from curriculum.models import User
from exercises.models import Submission

from ..console.access import can_review_submission
from ..console.models import TrainerCalibrationItem, TrainerCalibrationSession
from ..console.services import _parse_points, submission_cohort
from ..models import ExampleSubmission
from ..peer.rubric import commentable_fields, criteria_of
from ..selectors import rubric_version_current
from .errors import CalibrationLoopError, CalibrationValidationError
from .models import (
    CalibrationFlag,
    ExampleKind,
    PublishedExample,
    TrainerCalibrationAgreement,
    TrainerCalibrationComment,
    TrainerCalibrationEscalation,
)

MAX_TEXT = 4000
MAX_PASSAGES = 5


def _text(value: str, field: str, errors: dict, message: str, limit: int = MAX_TEXT) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = message
    elif len(value) > limit:
        errors[field] = f"Keep it under {limit} characters."
    return value


def _criteria(submission: Submission):
    return criteria_of(rubric_version_current(slug=submission.exercise.rubric_slug).snapshot)


# ---- flags --------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def calibration_flag_create(
    *, trainer: User, submission_id: int, kind: str, criterion_key: str, note: str
) -> CalibrationFlag:
    """Flag a submission as exemplary or as a failure (on one criterion, or "" for the
    whole reply) for the calibration inbox of its cohort's trainers."""
    submission = Submission.objects.select_related("user", "exercise").get(pk=submission_id)
    if not can_review_submission(trainer, submission):
        raise CalibrationLoopError("You do not train this agent's cohort.")
    cohort = submission_cohort(user_id=submission.user_id)
    if cohort is None:
        raise CalibrationLoopError("This agent is in no active cohort.")
    errors: dict[str, str] = {}
    if kind not in ExampleKind.values:
        errors["kind"] = "Choose exemplary or failure."
    criterion_key = (criterion_key or "").strip()
    if criterion_key and criterion_key not in {c.key for c in _criteria(submission)}:
        errors["criterion"] = "Choose a criterion of this exercise's rubric."
    note = _text(note, "note", errors, "Say what makes it exemplary or where it fails.")
    if errors:
        raise CalibrationValidationError(errors)
    return CalibrationFlag.objects.create(
        submission=submission,
        cohort=cohort,
        flagged_by=trainer,
        kind=kind,
        criterion_key=criterion_key,
        note=note,
    )


@transaction.atomic(durable=True)
def calibration_flag_dismiss(*, trainer: User, flag_id: int) -> None:
    """Take a flag out of the inbox without a session (deleted: it was never discussed)."""
    flag = CalibrationFlag.objects.select_related("cohort").get(pk=flag_id)
    require_change(trainer, flag)
    if flag.session_id is not None:
        raise CalibrationLoopError("A session has taken this flag up already.")
    flag.delete()


# ---- the discussion of a revealed session -------------------------------------------------


def _item_for_discussion(trainer: User, item_id: int, *, lock: bool = False):
    """The item, its session locked (so two trainers' writes on one session serialise);
    refuses before the reveal, after the conclusion, and to non-participants."""
    item = TrainerCalibrationItem.objects.select_related("submission__exercise").get(pk=item_id)
    session = TrainerCalibrationSession.objects.select_for_update().get(pk=item.session_id)
    item.session = session
    participants = list(session.participants.all())
    is_participant = any(p.trainer_id == trainer.pk for p in participants)
    if not (is_participant or can_change(trainer, session)):
        raise CalibrationLoopError("You do not take part in this session.")
    if session.concluded_at is not None:
        raise CalibrationLoopError("This session is concluded; its outcome is kept as it is.")
    if not participants or any(p.submitted_at is None for p in participants):
        raise CalibrationLoopError("Discussion opens once every trainer has handed in.")
    return item


@transaction.atomic(durable=True)
def calibration_comment_add(*, trainer: User, item_id: int, body: str):
    errors: dict[str, str] = {}
    body = _text(body, "body", errors, "Write a comment.")
    if errors:
        raise CalibrationValidationError(errors)
    item = _item_for_discussion(trainer, item_id)
    return TrainerCalibrationComment.objects.create(item=item, author=trainer, body=body)


def _parse_agreed(item, scores: dict[str, str], prefix: str) -> dict[str, int | None]:
    errors: dict[str, str] = {}
    chosen: dict[str, int | None] = {}
    for spec in _criteria(item.submission):
        points, error = _parse_points(scores.get(spec.key, ""), spec)
        if error:
            errors[f"{prefix}{spec.key}"] = error
        else:
            chosen[spec.key] = points
    if errors:
        raise CalibrationValidationError(errors)
    return chosen


def _store_agreed(item, chosen: dict[str, int | None], *, by: User, by_lead: bool) -> None:
    for key, points in chosen.items():
        TrainerCalibrationAgreement.objects.update_or_create(
            item=item,
            criterion_key=key,
            defaults={"points": points, "recorded_by": by, "by_lead": by_lead},
        )


@transaction.atomic(durable=True)
def calibration_agreement_record(
    *, trainer: User, item_id: int, scores: dict[str, str]
) -> dict[str, int | None]:
    """Record the score the trainers agreed on, per criterion ("na": not applicable). Can be
    corrected until the session concludes, unless the item went to a lead trainer."""
    item = _item_for_discussion(trainer, item_id)
    if TrainerCalibrationEscalation.objects.filter(item=item).exists():
        raise CalibrationLoopError("This item went to a lead trainer; their decision settles it.")
    if PublishedExample.objects.filter(item=item).exists():
        raise CalibrationLoopError("This item is published; its agreed scores stay as they are.")
    chosen = _parse_agreed(item, scores, "agreed__")
    _store_agreed(item, chosen, by=trainer, by_lead=False)
    return chosen


@transaction.atomic(durable=True)
def calibration_escalate(
    *, trainer: User, item_id: int, lead_id, reason: str
) -> TrainerCalibrationEscalation:
    """The trainers stay apart: the item goes to a lead trainer of the cohort for a
    decision (any agreed scores recorded so far are set aside until then)."""
    errors: dict[str, str] = {}
    reason = _text(reason, "reason", errors, "Say where you stay apart.")
    lead = User.objects.filter(pk=lead_id).first() if str(lead_id or "").isdigit() else None
    item = _item_for_discussion(trainer, item_id)
    if lead is None or not trains_cohort(lead, item.session.cohort):
        errors["lead"] = "Choose a trainer of this cohort as the lead."
    if errors:
        raise CalibrationValidationError(errors)
    if TrainerCalibrationEscalation.objects.filter(item=item).exists():
        raise CalibrationLoopError("This item has already gone to a lead trainer.")
    if PublishedExample.objects.filter(item=item).exists():
        raise CalibrationLoopError("This item is published already.")
    TrainerCalibrationAgreement.objects.filter(item=item).delete()
    return TrainerCalibrationEscalation.objects.create(
        item=item, raised_by=trainer, lead=lead, reason=reason
    )


@transaction.atomic(durable=True)
def calibration_escalation_decide(
    *, lead: User, item_id: int, scores: dict[str, str], note: str
) -> TrainerCalibrationEscalation:
    """The lead trainer's decision: the scores that stand (recorded as agreed, by the lead)
    and a note for the trainers. Decided once."""
    item = TrainerCalibrationItem.objects.select_related("submission__exercise").get(pk=item_id)
    escalation = TrainerCalibrationEscalation.objects.select_for_update().filter(item=item).first()
    if escalation is None:
        raise CalibrationLoopError("This item was not escalated.")
    require_change(lead, escalation)
    if escalation.decided_at is not None:
        raise CalibrationLoopError("The lead trainer has decided this item already.")
    errors: dict[str, str] = {}
    note = _text(note, "decision_note", errors, "Say why these scores stand.")
    try:
        chosen = _parse_agreed(item, scores, "decided__")
    except CalibrationValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise CalibrationValidationError(errors)
    _store_agreed(item, chosen, by=lead, by_lead=True)
    escalation.decided_at = timezone.now()
    escalation.decision_note = note
    escalation.save(update_fields=["decided_at", "decision_note"])
    return escalation


# ---- conclusion ---------------------------------------------------------------------------


@transaction.atomic(durable=True)
def trainer_calibration_conclude(*, trainer: User, session_id: int) -> TrainerCalibrationSession:
    """Close the session once every item is settled (agreed, or decided by a lead); its
    outcome (agreement before and after, kappa and its pairs) is kept with it."""
    from .selectors import calibration_session_outcome

    session = TrainerCalibrationSession.objects.select_for_update().get(pk=session_id)
    require_change(trainer, session)
    if session.concluded_at is not None:
        raise CalibrationLoopError("This session is concluded already.")
    outcome, unsettled = calibration_session_outcome(session=session)
    if unsettled:
        raise CalibrationLoopError(
            f"{unsettled} item{'s are' if unsettled != 1 else ' is'} not settled yet: agree on "
            "every criterion, or wait for the lead trainer's decision."
        )
    session.outcome = outcome.as_dict()
    session.concluded_at = timezone.now()
    session.concluded_by = trainer
    session.save(update_fields=["outcome", "concluded_at", "concluded_by"])
    return session


# ---- publishing ---------------------------------------------------------------------------


def _answer_text(submission: Submission) -> str:
    return "\n".join(
        f.text for f in commentable_fields(submission.exercise.type, submission.answer or {})
    )


@transaction.atomic(durable=True)
def calibration_example_publish(
    *,
    trainer: User,
    item_id: int,
    kind: str,
    criterion_key: str,
    title: str,
    commentary: str,
    passages: list[str],
) -> PublishedExample:
    """Publish an agreed item as an example, in one step: into the agents' gallery (with
    the commentary and the passages that make it work marked), into the practice set
    reviewers calibrate on before peer review, and among the graded examples the LLM
    grader is shown (both read grading.ExampleSubmission)."""
    item = (
        TrainerCalibrationItem.objects.select_related(
            "session", "submission__exercise", "submission__scenario", "submission__user"
        )
        .select_for_update(of=("self",))
        .get(pk=item_id)
    )
    if not can_review_submission(trainer, item.submission):
        raise CalibrationLoopError("You do not train this agent's cohort.")
    require_view(trainer, item.session)
    if PublishedExample.objects.filter(item=item).exists():
        raise CalibrationLoopError("This item is published already.")
    escalation = TrainerCalibrationEscalation.objects.filter(item=item).first()
    if escalation is not None and escalation.decided_at is None:
        raise CalibrationLoopError("This item waits for the lead trainer's decision.")
    specs = _criteria(item.submission)
    agreed = dict(
        TrainerCalibrationAgreement.objects.filter(item=item).values_list("criterion_key", "points")
    )
    if any(spec.key not in agreed for spec in specs):
        raise CalibrationLoopError("Agree on every criterion before publishing.")
    errors: dict[str, str] = {}
    if kind not in ExampleKind.values:
        errors["kind"] = "Choose exemplary or instructive failure."
    criterion_key = (criterion_key or "").strip()
    if criterion_key and criterion_key not in agreed:
        errors["criterion"] = "Choose a criterion of this exercise's rubric."
    title = _text(title, "title", errors, "Give the example a title.", limit=200)
    commentary = _text(commentary, "commentary", errors, "Write the commentary agents will read.")
    answer_text = _answer_text(item.submission)
    marked = [p.strip() for p in passages if p and p.strip()]
    if len(marked) > MAX_PASSAGES:
        errors["passages"] = f"Mark at most {MAX_PASSAGES} passages."
    missing = [p for p in marked if p not in answer_text]
    if missing:
        errors["passages"] = f'Not found word for word in the answer: "{missing[0][:80]}".'
    if errors:
        raise CalibrationValidationError(errors)
    submission = item.submission
    rubric_version = rubric_version_current(slug=submission.exercise.rubric_slug)
    # The LLM grader shows each level's examples with the trainer's comment: every criterion
    # carries the trainers' commentary (the prompt clips it).
    trainer_grade = {
        "criteria": {
            spec.key: {"points": agreed[spec.key], "comment": commentary} for spec in specs
        },
        "summary": commentary,
    }
    digest = hashlib.sha256(
        json.dumps([submission.answer, trainer_grade], sort_keys=True, default=str).encode()
    ).hexdigest()
    example = ExampleSubmission.objects.create(
        slug=f"calibration-{item.session_id}-{item.pk}",
        content_hash=digest,
        source_path=f"calibration session {item.session_id}",
        exercise=submission.exercise,
        scenario=submission.scenario,
        rubric_version=rubric_version,
        answer=submission.answer,
        trainer_grade=trainer_grade,
    )
    return PublishedExample.objects.create(
        item=item,
        submission=submission,
        exercise=submission.exercise,
        example=example,
        kind=kind,
        criterion_key=criterion_key,
        title=title,
        commentary=commentary,
        commentary_html=render_markdown(commentary),
        passages=marked,
        agreed=agreed,
        search_text="\n".join([title, commentary, answer_text]),
        published_by=trainer,
    )


@transaction.atomic(durable=True)
def calibration_example_withdraw(*, trainer: User, published_id: int) -> PublishedExample:
    """Take an example out of the gallery, the practice set and the LLM's examples."""
    published = PublishedExample.objects.select_for_update().get(pk=published_id)
    require_change(trainer, published)
    if published.withdrawn_at is None:
        now = timezone.now()
        published.withdrawn_at = now
        published.save(update_fields=["withdrawn_at"])
        ExampleSubmission.objects.filter(pk=published.example_id).update(retired_at=now)
    return published
