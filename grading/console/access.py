"""Access rules of the trainer console, registered into `curriculum.access` by
`grading.apps`.

The review queue, trainer grades, releases, progress and grader quality are for the
trainers of the agent's cohort (staff: all); agents see only their own released grades.
"""

from django.db.models import Q

from curriculum import access


def trained_cohorts_q(user, prefix: str = "") -> Q:
    """Filter (on Cohort, or through `prefix`, e.g. "user__memberships__cohort__") for the
    cohorts whose console `user` may use; nothing for non-trainers."""
    if not access.is_trainer(user):
        return Q(pk__in=[])
    if access.is_staff(user):
        return Q()
    return Q(**{f"{prefix}trainers": user})


def can_review_submission(user, submission) -> bool:
    """A trainer of a cohort the author belongs to (or staff) may grade and override it."""
    return access.trains_user(user, submission.user)


def _console_submission_rule(user, obj) -> bool:
    return access.trains_user(user, obj.submission.user)


def _trainer_score_rule(user, score) -> bool:
    return _console_submission_rule(user, score.review)


def _console_cohort_rule(user, obj) -> bool:
    return access.cohort_change(user, obj.cohort)


def _trainer_calibration_view(user, session) -> bool:
    if not access.is_trainer(user):
        return False
    if access.is_staff(user) or session.created_by_id == user.pk:
        return True
    if session.participants.filter(trainer_id=user.pk).exists():
        return True
    # A lead trainer an item was escalated to reads the session to decide it.
    return session.items.filter(escalation__lead_id=user.pk).exists()


def _trainer_calibration_change(user, session) -> bool:
    return access.is_trainer(user) and (access.is_staff(user) or session.created_by_id == user.pk)


def _session_part_view(user, part) -> bool:
    return _trainer_calibration_view(user, part.session)


def _session_part_change(user, part) -> bool:
    return _trainer_calibration_change(user, part.session)


def _calibration_score_view(user, score) -> bool:
    return _trainer_calibration_view(user, score.participant.session)


def _calibration_score_change(user, score) -> bool:
    """A trainer scores for themselves only."""
    return access.is_trainer(user) and score.participant.trainer_id == user.pk


def _stored_final_view(user, final) -> bool:
    """The stored final grade: the author once it is released to them, the trainers of their
    cohort (staff: all). Written only by `final_grades_refresh`, never by a person."""
    if final.submission.user_id == user.pk and access.is_agent(user):
        return final.released
    return access.trains_user(user, final.submission.user)


def _stored_criterion_view(user, criterion) -> bool:
    return _stored_final_view(user, criterion.final)


def _dispute_decision_view(user, decision) -> bool:
    """The author of the disputed submission and their trainers (staff: all)."""
    author = decision.review.submission.user
    return author.pk == user.pk or access.trains_user(user, author)


def register_rules() -> None:
    # Written by the dispute decision service, never edited.
    access.register("grading.PeerDisputeDecision", view=_dispute_decision_view, change=access.never)
    for label in ("grading.QueueItem", "grading.TrainerReview", "grading.GradeRelease"):
        access.register(label, view=_console_submission_rule, change=_console_submission_rule)
    access.register("grading.TrainerScore", view=_trainer_score_rule, change=_trainer_score_rule)
    # Audit records: seen by the trainers concerned, changed by nobody.
    access.register("grading.GradeOverride", view=_console_submission_rule, change=access.never)
    access.register("grading.AuditDraw", view=_console_cohort_rule, change=access.never)
    access.register("grading.StoredFinalGrade", view=_stored_final_view, change=access.never)
    access.register(
        "grading.StoredFinalCriterion", view=_stored_criterion_view, change=access.never
    )
    access.register(
        "grading.CohortGradingSettings", view=_console_cohort_rule, change=_console_cohort_rule
    )
    access.register(
        "grading.TrainerCalibrationSession",
        view=_trainer_calibration_view,
        change=_trainer_calibration_change,
    )
    for label in ("grading.TrainerCalibrationItem", "grading.TrainerCalibrationParticipant"):
        access.register(label, view=_session_part_view, change=_session_part_change)
    access.register(
        "grading.TrainerCalibrationScore",
        view=_calibration_score_view,
        change=_calibration_score_change,
    )
