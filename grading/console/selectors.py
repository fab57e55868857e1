"""Reads of the trainer console, shaped for its pages; the `*_get_for_*` getters are the
access chokepoint (404 for what does not exist, 403 for what the user may not see)."""

import dataclasses
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.safestring import mark_safe

from curriculum.access import is_trainer, require_change, require_view
from curriculum.models import Cohort, Membership, User
from exercises.models import Submission

from ..models import CriterionScore, Flag, Grade, GraderKind, GradingJob
from ..peer.rubric import commentable_fields
from ..selectors import CriterionFeedback, SubmissionFeedback, grade_is_provisional
from .access import can_review_submission, trained_cohorts_q
from .grades import (  # noqa: F401 - re-exported: the console's public read surface
    AUTO,
    COMBINED,
    PEER,
    TRAINER,
    FinalCriterion,
    FinalGrade,
    final_grades_for_submissions,
    released_submission_ids,
)
from .models import (
    AuditDraw,
    CohortGradingSettings,
    GradeOverride,
    QueueItem,
    TrainerCalibrationSession,
    TrainerReview,
)

# ---- access chokepoint -----------------------------------------------------------------


def cohort_get_for_console(*, user: User, slug: str) -> Cohort:
    """A cohort whose console pages `user` may open: its trainers and staff (404 / 403)."""
    if not is_trainer(user):
        raise PermissionDenied("This page is for trainers.")
    cohort = get_object_or_404(Cohort, slug=slug)
    require_change(user, cohort)
    return cohort


def cohort_list_for_console(*, user: User) -> list[Cohort]:
    return list(Cohort.objects.filter(trained_cohorts_q(user)).distinct().order_by("name"))


def submission_get_for_review(*, user: User, submission_id: int) -> Submission:
    """A submission a trainer may grade (404 if missing, 403 if not their cohort's agent)."""
    if not is_trainer(user):
        raise PermissionDenied("This page is for trainers.")
    submission = get_object_or_404(
        Submission.objects.select_related(
            "user", "exercise__module", "scenario", "scenario_version"
        ),
        pk=submission_id,
    )
    if not can_review_submission(user, submission):
        raise PermissionDenied("You do not train this agent's cohort.")
    return submission


def agent_get_for_console(*, cohort: Cohort, user_id: int) -> User:
    """An agent of the cohort (404 otherwise: the cohort was checked by the caller)."""
    return get_object_or_404(User, pk=user_id, memberships__cohort=cohort)


def trainer_calibration_session_get(*, user: User, session_id: int) -> TrainerCalibrationSession:
    session = get_object_or_404(
        TrainerCalibrationSession.objects.select_related("cohort", "created_by"), pk=session_id
    )
    require_view(user, session)
    return session


# ---- what the agent sees -----------------------------------------------------------------


def feedback_with_final_grade(
    feedback: SubmissionFeedback, *, submission: Submission, viewer: User | None
) -> SubmissionFeedback:
    """The automatic feedback brought in line with the final grade: hidden from the agent
    until released (cohorts that release by hand), trainer and peer scores by precedence.
    Trainers of the agent see it all, released or not."""
    final = final_grades_for_submissions(submission_ids=[submission.pk]).get(submission.pk)
    if final is None:
        return feedback
    as_trainer = (
        viewer is not None
        and viewer.pk != submission.user_id
        and can_review_submission(viewer, submission)
    )
    if not final.released and not as_trainer:
        return dataclasses.replace(
            feedback, grade=None, criteria=[], highlighted={}, held=True, status="done"
        )
    if final.source == AUTO:
        return dataclasses.replace(feedback, final=final)
    by_key = {c.key: c for c in feedback.criteria}
    criteria = []
    for item in final.criteria:
        auto = by_key.get(item.key)
        level = _level_title(feedback, item)
        rationale = auto.rationale if auto else ""
        if item.source == TRAINER and item.trainer_points != item.auto_points:
            said = f" The automatic grader said: {rationale}" if auto else ""
            rationale = f"Scored by your trainer.{said}"
        elif item.source in SOURCE_NOTES:
            rationale = f"{SOURCE_NOTES[item.source]} {rationale}".strip()
        criteria.append(
            CriterionFeedback(
                key=item.key,
                title=item.title,
                points=None if item.points is None else _num(item.points),
                max_points=item.max_points,
                level_title=level,
                rationale=rationale,
                evidence=auto.evidence if auto else [],
            )
        )
    return dataclasses.replace(feedback, criteria=criteria, final=final, status="done")


SOURCE_NOTES = {
    COMBINED: "The mean of the automatic score and your peers' score.",
    PEER: "From your peers' reviews.",
}


def _num(value: float):
    return int(value) if float(value).is_integer() else round(value, 1)


def _level_title(feedback: SubmissionFeedback, item: FinalCriterion) -> str:
    if item.points is None:
        return "Not applicable"
    rubric = feedback.grade.rubric_version.snapshot if feedback.grade else None
    levels = []
    if rubric:
        spec = next((c for c in rubric["criteria"] if c["id"] == item.key), None)
        levels = sorted(spec["levels"], key=lambda lv: lv["points"]) if spec else []
    below = [lv for lv in levels if lv["points"] <= item.points]
    return below[-1].get("title", "") if below else ""


# ---- held grades --------------------------------------------------------------------------

HELD_PAGE_SIZE = 50


def unreleased_graded_submissions(*, cohort: Cohort):
    """The cohort's agents' submissions that have a grade and no release yet (what
    "release all grades of an exercise" releases)."""
    return Submission.objects.filter(
        Exists(Membership.objects.filter(user_id=OuterRef("user_id"), cohort=cohort)),
        grade_release__isnull=True,
    ).filter(
        Q(pk__in=Grade.objects.values("submission_id"))
        | Q(pk__in=TrainerReview.objects.values("submission_id"))
    )


def release_mode_of(*, cohort: Cohort) -> str:
    """The cohort's release mode, read without creating its settings row (one query)."""
    mode = (
        CohortGradingSettings.objects.filter(cohort=cohort)
        .values_list("release_mode", flat=True)
        .first()
    )
    return mode or CohortGradingSettings.ReleaseMode.IMMEDIATE


def held_submissions(*, cohort: Cohort):
    """The cohort's agents' graded submissions whose grade the agent may not see yet (the
    stored final grade is not released): empty in a cohort that shows grades at once."""
    return Submission.objects.filter(
        Exists(Membership.objects.filter(user_id=OuterRef("user_id"), cohort=cohort)),
        final_grade__released=False,
    )


@dataclass(frozen=True)
class HeldExercise:
    exercise_id: int
    title: str
    module_title: str
    count: int
    agents: int

    @property
    def label(self) -> str:
        return f"{self.module_title} · {self.title}"


def held_grades_by_exercise(*, cohort: Cohort) -> list[HeldExercise]:
    """Per exercise, how many grades of the cohort wait for release and for how many agents,
    in module and exercise order. One query."""
    rows = (
        held_submissions(cohort=cohort)
        .values("exercise_id", "exercise__title", "exercise__module__title")
        .annotate(count=Count("pk", distinct=True), agents=Count("user_id", distinct=True))
        .order_by("exercise__module__order", "exercise__order", "exercise__title")
    )
    return [
        HeldExercise(
            exercise_id=row["exercise_id"],
            title=row["exercise__title"],
            module_title=row["exercise__module__title"],
            count=row["count"],
            agents=row["agents"],
        )
        for row in rows
    ]


def held_grades_submissions(*, cohort: Cohort, exercise_id: int | None = None):
    """The held submissions themselves, oldest first, with their final grade, ready to be
    paginated (each page: one query plus the count)."""
    held = held_submissions(cohort=cohort)
    if exercise_id is not None:
        held = held.filter(exercise_id=exercise_id)
    return held.select_related("user", "exercise", "scenario", "final_grade").order_by(
        "created_at", "pk"
    )


# ---- the queue ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    submission: Submission
    reasons: list[str]
    audit: bool
    locked_by: User | None
    locked_until: object
    locked_by_other: bool


QUEUE_PAGE_SIZE = 50


class QueueKind:
    """The queue's filter: everything, only flagged work, or only the unflagged audit sample."""

    ALL = ""
    FLAGGED = "flagged"
    AUDIT = "audit"
    CHOICES = ((ALL, "Everything"), (FLAGGED, "Flagged"), (AUDIT, "Audit sample"))

    @classmethod
    def clean(cls, value: str | None) -> str:
        return value if value in (cls.FLAGGED, cls.AUDIT) else cls.ALL


def _authors_in(user: User, cohort: Cohort | None):
    """Filter on Submission: authors in `cohort`, or in any cohort `user` trains."""
    if cohort is not None:
        return Exists(Membership.objects.filter(user_id=OuterRef("user_id"), cohort=cohort))
    if user.is_staff:
        return Q()
    return Exists(Membership.objects.filter(user_id=OuterRef("user_id"), cohort__trainers=user))


def _open_flag():
    return Exists(Flag.objects.filter(submission_id=OuterRef("pk"), resolved_at__isnull=True))


def _waiting_for_trainer(user: User, cohort: Cohort | None, kind: str = QueueKind.ALL):
    """Submissions with open flags, or sampled for audit and not yet reviewed by a trainer."""
    open_flag = _open_flag()
    audit_pending = Exists(
        AuditDraw.objects.filter(submission_id=OuterRef("pk"), sampled=True)
    ) & ~Exists(TrainerReview.objects.filter(submission_id=OuterRef("pk")))
    if kind == QueueKind.FLAGGED:
        waiting = open_flag
    elif kind == QueueKind.AUDIT:
        waiting = audit_pending & ~open_flag
    else:
        waiting = open_flag | audit_pending
    return Submission.objects.filter(_authors_in(user, cohort)).filter(waiting)


@dataclass(frozen=True)
class QueueSummary:
    waiting: int
    flagged: int

    @property
    def audit(self) -> int:
        return self.waiting - self.flagged


def queue_summary_for_trainer(*, user: User, cohort: Cohort | None = None) -> QueueSummary:
    """How much waits in a trainer's queue, and how much of it is flagged. One query."""
    counts = _waiting_for_trainer(user, cohort).aggregate(
        waiting=Count("pk"), flagged=Count("pk", filter=Q(_open_flag()))
    )
    return QueueSummary(waiting=counts["waiting"], flagged=counts["flagged"])


def queue_submissions(*, user: User, cohort: Cohort | None = None, kind: str = QueueKind.ALL):
    """The queue's submissions, oldest first, ready to be sliced into pages; turn a page
    into rows with `queue_rows`."""
    return (
        _waiting_for_trainer(user, cohort, kind)
        .select_related("user", "exercise", "scenario", "audit_draw")
        .prefetch_related(
            Prefetch(
                "flags",
                queryset=Flag.objects.filter(resolved_at__isnull=True).order_by("created_at"),
                to_attr="open_flags",
            ),
            Prefetch("queue_item", queryset=QueueItem.objects.select_related("locked_by")),
        )
        .order_by("created_at", "pk")
    )


def queue_rows(submissions, *, user: User, now=None) -> list[QueueRow]:
    """One row per submission of a page of `queue_submissions`: why it waits and who holds it."""
    now = now or timezone.now()
    rows = []
    for submission in submissions:
        item = getattr(submission, "queue_item", None)
        audit = getattr(submission, "audit_draw", None)
        held = item is not None and item.locked_until is not None and item.locked_until > now
        rows.append(
            QueueRow(
                submission=submission,
                reasons=[flag.get_reason_display() for flag in submission.open_flags],
                audit=bool(audit and audit.sampled),
                locked_by=item.locked_by if held else None,
                locked_until=item.locked_until if held else None,
                locked_by_other=bool(held and item.locked_by_id != user.pk),
            )
        )
    return rows


def queue_for_trainer(
    *,
    user: User,
    cohort: Cohort | None = None,
    kind: str = QueueKind.ALL,
    limit: int = QUEUE_PAGE_SIZE,
    now=None,
) -> list[QueueRow]:
    """The first `limit` items waiting for a trainer, oldest first. Constant queries."""
    submissions = queue_submissions(user=user, cohort=cohort, kind=kind)[:limit]
    return queue_rows(submissions, user=user, now=now)


def _overrides_titled(submission: Submission, criteria: list) -> list[GradeOverride]:
    """The submission's override log, newest first, each with its criterion's title."""
    titles = {c.key: c.title for c in criteria}
    overrides = list(
        GradeOverride.objects.filter(submission=submission)
        .select_related("trainer")
        .order_by("-created_at", "criterion_key")
    )
    for override in overrides:
        override.criterion_title = titles.get(override.criterion_key, override.criterion_key)
    return overrides


# ---- the review page -----------------------------------------------------------------------


@dataclass(frozen=True)
class LevelChoice:
    points: int
    title: str
    description: str


@dataclass(frozen=True)
class CaseMessage:
    name: str
    sent_at: str
    body: str
    from_customer: bool


@dataclass(frozen=True)
class ReviewCase:
    """What the submission answers, as the agent saw it (the scenario version they had):
    the customer, the thread ending in the customer's latest message, the AI draft an audit
    checks, or the incident an RCA explains."""

    title: str
    customer: str
    company: str
    plan: str
    messages: list[CaseMessage]
    audited_draft: str = ""
    incident_title: str = ""
    incident_summary: str = ""
    customer_context_html: str = ""  # rendered and sanitised by curriculum.markdown


def review_case(submission: Submission) -> ReviewCase:
    """The scenario of `submission` at the version it answered (no query beyond the
    submission's scenario version, which the review chokepoint selects)."""
    from curriculum.markdown import render_markdown

    data = submission.scenario_version.data or {}
    customer = data.get("customer") or {}
    name = customer.get("name", "") or submission.scenario.customer_name
    messages = [
        CaseMessage(
            name=msg.get("name", ""),
            sent_at=str(msg.get("sent_at", "")),
            body=msg.get("body", ""),
            from_customer=msg.get("author") != "agent",
        )
        for msg in data.get("thread") or []
    ]
    if data.get("message"):
        messages.append(CaseMessage(name, "", data["message"], from_customer=True))
    incident = data.get("incident") or {}
    return ReviewCase(
        title=data.get("title") or submission.scenario.title,
        customer=name,
        company=customer.get("company", ""),
        plan=customer.get("plan", ""),
        messages=messages,
        audited_draft=data.get("draft", "") if submission.exercise.type == "audit" else "",
        incident_title=incident.get("title", ""),
        incident_summary=incident.get("summary", ""),
        customer_context_html=mark_safe(  # noqa: S308 - render_markdown output is sanitised
            render_markdown(data.get("customer_context", ""))
        ),
    )


@dataclass(frozen=True)
class ReviewCriterion:
    key: str
    title: str
    description: str
    allow_na: bool
    levels: list[LevelChoice]
    offline: int | None
    llm: int | None
    peer: float | None
    peer_given: tuple
    final: FinalCriterion | None
    prefill: int | None
    value: str  # what the form shows selected
    reason: str

    @property
    def has_level_descriptions(self) -> bool:
        return any(level.description for level in self.levels)


@dataclass
class ReviewPage:
    submission: Submission
    case: ReviewCase
    answer_fields: list[tuple[str, str]]
    criteria: list[ReviewCriterion]
    final: FinalGrade | None
    grades: dict[str, Grade]
    flags: list[Flag]
    audit: bool
    item: QueueItem | None
    holds_lock: bool
    locked_by_other: bool
    history: list[TrainerReview]
    overrides: list[GradeOverride]
    release_mode: str
    released: bool
    peer_required: int = 0
    peer_completed: int = 0
    errors: dict[str, str] = field(default_factory=dict)
    note: str = ""
    # The automatic grade is the offline one while LLM grading is retried.
    provisional: bool = False


def review_page(*, submission: Submission, user: User, data=None, errors=None, now=None):
    """Everything a trainer grades with: the answer, each grader's scores kept apart, the
    current final grade, the rubric levels, flags, lock state and the override history."""
    from ..peer.rubric import criteria_of
    from ..peer.selectors import peer_scores_for_submission
    from ..selectors import rubric_version_current
    from .services import cohort_settings_get, prefill_points, submission_cohort

    now = now or timezone.now()
    grades = {
        g.grader: g
        for g in Grade.objects.filter(submission=submission)
        .select_related("rubric_version")
        .prefetch_related(Prefetch("scores", queryset=CriterionScore.objects.order_by("order")))
    }
    final = final_grades_for_submissions(submission_ids=[submission.pk]).get(submission.pk)
    if final is not None:
        from ..models import RubricVersion

        snapshot = RubricVersion.objects.get(pk=final.rubric_version_id).snapshot
    else:
        snapshot = rubric_version_current(slug=submission.exercise.rubric_slug).snapshot
    peer = peer_scores_for_submission(submission_id=submission.pk)
    peer_by_key = {c.key: c for c in peer.criteria}
    offline, llm = (
        {s.criterion_key: s.points for s in grades[kind].scores.all()} if kind in grades else {}
        for kind in (GraderKind.OFFLINE, GraderKind.LLM)
    )
    criteria = []
    for spec in criteria_of(snapshot):
        prefill = prefill_points(final, spec.key)
        if data is not None:
            value = data.scores.get(spec.key, "")
            reason = data.reasons.get(spec.key, "")
        else:
            current = final.criterion(spec.key) if final else None
            # A criterion graded "not applicable" (by a grader, a peer or a trainer) starts
            # on n/a, so saving the grade unchanged keeps it.
            na = spec.allow_na and current is not None and current.points is None
            value = "na" if na else ("" if prefill is None else str(prefill))
            reason = ""
        peer_item = peer_by_key.get(spec.key)
        criteria.append(
            ReviewCriterion(
                key=spec.key,
                title=spec.title,
                description=spec.description,
                allow_na=spec.allow_na,
                levels=[LevelChoice(lv.points, lv.title, lv.description) for lv in spec.levels],
                offline=offline.get(spec.key),
                llm=llm.get(spec.key),
                peer=peer_item.points if peer_item and peer.completed else None,
                peer_given=peer_item.given if peer_item else (),
                final=final.criterion(spec.key) if final else None,
                prefill=prefill,
                value=value,
                reason=reason,
            )
        )
    item = QueueItem.objects.select_related("locked_by").filter(submission=submission).first()
    held = item is not None and item.locked_until is not None and item.locked_until > now
    cohort = submission_cohort(user_id=submission.user_id)
    mode = (
        cohort_settings_get(cohort=cohort).release_mode
        if cohort
        else CohortGradingSettings.ReleaseMode.IMMEDIATE
    )
    return ReviewPage(
        submission=submission,
        case=review_case(submission),
        answer_fields=[
            (f.label, f.text)
            for f in commentable_fields(submission.exercise.type, submission.answer)
        ],
        criteria=criteria,
        final=final,
        grades=grades,
        flags=list(Flag.objects.filter(submission=submission, resolved_at__isnull=True)),
        audit=AuditDraw.objects.filter(submission=submission, sampled=True).exists(),
        item=item,
        holds_lock=bool(held and item.locked_by_id == user.pk),
        locked_by_other=bool(held and item.locked_by_id != user.pk),
        history=list(
            TrainerReview.objects.filter(submission=submission)
            .select_related("trainer")
            .order_by("-created_at", "-pk")
        ),
        overrides=_overrides_titled(submission, criteria),
        release_mode=mode,
        released=bool(final and final.released),
        peer_required=peer.required,
        peer_completed=peer.completed,
        errors=errors or {},
        note=data.note if data is not None else "",
        provisional=grade_is_provisional(
            grades=grades,
            job_status=GradingJob.objects.filter(submission=submission)
            .values_list("status", flat=True)
            .first(),
        ),
    )


# ---- disputes and calibration flags on the review page ----------------------------------


@dataclass
class DisputeView:
    review: object  # grading.PeerReview, its scores and inline comments prefetched
    scores: list  # (criterion title, points, max points)
    decision: object | None  # grading.PeerDisputeDecision


def disputes_for_submission(*, submission: Submission) -> list[DisputeView]:
    """The disputed peer reviews of a submission, in full (scores, the empathy answers,
    comments, inline comments), with the author's reason and any decision: three queries."""
    from ..peer.models import PeerReview
    from ..peer.rubric import criteria_of
    from .models import PeerDisputeDecision

    reviews = list(
        PeerReview.objects.filter(submission=submission, disputed_at__isnull=False)
        .select_related("reviewer", "rubric_version")
        .prefetch_related("scores", "inline_comments")
        .order_by("disputed_at", "pk")
    )
    decisions = {
        d.review_id: d
        for d in PeerDisputeDecision.objects.filter(review__in=reviews).select_related("trainer")
    }
    views = []
    for review in reviews:
        titles = {c.key: c.title for c in criteria_of(review.rubric_version.snapshot)}
        views.append(
            DisputeView(
                review=review,
                scores=[
                    (titles.get(s.criterion_key, s.criterion_key), s.points, s.max_points)
                    for s in review.scores.all()
                ],
                decision=decisions.get(review.pk),
            )
        )
    return views


@dataclass
class CalibrationFlagsView:
    flags: list
    criteria: list  # (key, title) of the exercise's rubric, for the flag form


def calibration_flags_for_submission(*, submission: Submission) -> CalibrationFlagsView:
    from ..calibration.models import CalibrationFlag
    from ..peer.rubric import criteria_of
    from ..selectors import rubric_version_current

    flags = list(
        CalibrationFlag.objects.filter(submission=submission)
        .select_related("flagged_by", "session")
        .order_by("-created_at")
    )
    specs = criteria_of(rubric_version_current(slug=submission.exercise.rubric_slug).snapshot)
    return CalibrationFlagsView(flags=flags, criteria=[(s.key, s.title) for s in specs])
