"""Access rules of the calibration loop, registered into `curriculum.access` by
`grading/access.py`.

Flags and the discussion of a session are for trainers (the flag's cohort, the session's
participants); published examples are read by every signed-in user while they are
published (anonymised: the gallery never shows the author), and changed by the trainers of
the author's cohort.
"""

from curriculum import access

from ..console.access import _trainer_calibration_change, _trainer_calibration_view


def _flag_rule(user, flag) -> bool:
    return access.trains_cohort(user, flag.cohort)


def _part_view(user, part) -> bool:
    return _trainer_calibration_view(user, part.item.session)


def _part_change(user, part) -> bool:
    """The session's participants and its creator (staff: all)."""
    session = part.item.session
    if _trainer_calibration_change(user, session):
        return True
    return access.is_trainer(user) and session.participants.filter(trainer_id=user.pk).exists()


def _escalation_view(user, escalation) -> bool:
    return escalation.lead_id == user.pk or _part_view(user, escalation)


def _escalation_change(user, escalation) -> bool:
    """Only the lead trainer decides (staff too)."""
    return access.is_trainer(user) and (escalation.lead_id == user.pk or access.is_staff(user))


def _published_view(user, published) -> bool:
    if published.withdrawn_at is None:
        return user.is_authenticated
    return access.trains_user(user, published.submission.user)


def _published_change(user, published) -> bool:
    return access.trains_user(user, published.submission.user)


def register_rules() -> None:
    access.register("grading.CalibrationFlag", view=_flag_rule, change=_flag_rule)
    for label in ("grading.TrainerCalibrationComment", "grading.TrainerCalibrationAgreement"):
        access.register(label, view=_part_view, change=_part_change)
    access.register(
        "grading.TrainerCalibrationEscalation", view=_escalation_view, change=_escalation_change
    )
    access.register("grading.PublishedExample", view=_published_view, change=_published_change)
