"""Who may see or change what: every access rule of the product lives in this module.

Views never test roles or ownership themselves; they call `can_view` / `can_change`
(or the `require_*` helpers, which raise PermissionDenied). Rules are keyed by model
label ("app.Model") so this base app needs no import of the apps above it.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q

Rule = Callable[[Any, Any], bool]


def is_trainer(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_trainer)


def is_agent(user) -> bool:
    """Agents are the learners: every active account that is not a trainer."""
    return bool(user.is_authenticated and user.is_active and not user.is_trainer)


def _trains_cohort(user, cohort) -> bool:
    if user.is_staff:
        return True
    return cohort.trainers.filter(pk=user.pk).exists()


def _cohort_view(user, cohort) -> bool:
    if is_trainer(user):
        return _trains_cohort(user, cohort)
    return cohort.memberships.filter(user_id=user.pk).exists()


def _cohort_change(user, cohort) -> bool:
    return is_trainer(user) and _trains_cohort(user, cohort)


def _user_view(user, other) -> bool:
    if user.pk == other.pk or user.is_staff:
        return True
    return is_trainer(user) and other.memberships.filter(cohort__trainers=user).exists()


def _user_change(user, other) -> bool:
    return user.pk == other.pk or user.is_staff


def _published_content(user, obj) -> bool:
    """Curriculum content is readable by every signed-in user."""
    return user.is_authenticated


def _content_change(user, obj) -> bool:
    return is_trainer(user)


def _never(user, obj) -> bool:
    return False


def _submission_view(user, submission) -> bool:
    """The author, trainers of a cohort the author belongs to, and staff."""
    return _user_view(user, submission.user)


def _workspace_owner(user, workspace) -> bool:
    """Work in progress is the agent's own: not even trainers open it."""
    return workspace.user_id == user.pk


def _draft_request_owner(user, draft_request) -> bool:
    return draft_request.workspace.user_id == user.pk


VIEW_RULES: dict[str, Rule] = {
    "curriculum.Cohort": _cohort_view,
    "curriculum.User": _user_view,
    "curriculum.Module": _published_content,
    "curriculum.Lesson": _published_content,
    "curriculum.Exercise": _published_content,
    "exercises.KnowledgeFact": _published_content,
    "exercises.Scenario": _published_content,
    "exercises.Workspace": _workspace_owner,
    "exercises.DraftRequest": _draft_request_owner,
    "exercises.Submission": _submission_view,
}
CHANGE_RULES: dict[str, Rule] = {
    "curriculum.Cohort": _cohort_change,
    "curriculum.User": _user_change,
    "curriculum.Module": _content_change,
    "curriculum.Lesson": _content_change,
    "curriculum.Exercise": _content_change,
    "exercises.KnowledgeFact": _content_change,
    "exercises.Scenario": _content_change,
    "exercises.Workspace": _workspace_owner,
    "exercises.DraftRequest": _draft_request_owner,
    # Submissions are immutable: a revision is a new attempt, never a change.
    "exercises.Submission": _never,
}


# --- Support-floor impact (reporting.impact) ----------------------------------------
SUPPORT_LEADERS_GROUP = "Support leaders"
IMPORT_ANY_AGENT_PERMISSION = "impact.import_ticket_metrics"


def is_support_leader(user) -> bool:
    """Support leaders are members of the "Support leaders" group (cached per instance)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if not hasattr(user, "_is_support_leader"):
        user._is_support_leader = user.groups.filter(name=SUPPORT_LEADERS_GROUP).exists()
    return user._is_support_leader


def can_use_impact(user) -> bool:
    """The impact pages are for support leaders, trainers and staff; agents never see them."""
    return is_trainer(user) or is_support_leader(user)


def impact_cohorts_q(user) -> Q:
    """Filter on Cohort: the cohorts whose impact `user` may see (may need .distinct())."""
    if not can_use_impact(user):
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    allowed = Q(pk__in=[])
    if is_trainer(user):
        allowed |= Q(trainers=user)
    if is_support_leader(user):
        allowed |= Q(impact__leaders=user)
    return allowed


def impact_imports_any_agent(user) -> bool:
    """Staff and holders of the import permission may import tickets of any agent; everyone
    else only tickets of agents in the cohorts whose impact they see."""
    return bool(user.is_staff or user.has_perm(IMPORT_ANY_AGENT_PERMISSION))


def _cohort_impact_view(user, impact) -> bool:
    if not can_use_impact(user):
        return False
    if user.is_staff:
        return True
    if is_trainer(user) and impact.cohort.trainers.filter(pk=user.pk).exists():
        return True
    return bool(
        impact.pk is not None
        and is_support_leader(user)
        and impact.leaders.filter(pk=user.pk).exists()
    )


def _import_job_view(user, job) -> bool:
    return can_use_impact(user) and (user.is_staff or job.created_by_id == user.pk)


VIEW_RULES["impact.CohortImpact"] = _cohort_impact_view
VIEW_RULES["impact.ImportJob"] = _import_job_view
# Leaders and the cohort's trainers tune targets, thresholds and training dates.
CHANGE_RULES["impact.CohortImpact"] = _cohort_impact_view
# An import is a record of what happened: nobody edits it.
CHANGE_RULES["impact.ImportJob"] = _never


# --- Peer review (grading.peer) ---------------------------------------------------------
# Anonymous both ways: an author sees a finished review of their work but never who wrote
# it (the pages and selectors show numbers, not names); a reviewer sees the work, not
# its author. Trainers of the author's cohort see everything.


def _trains_user(user, other) -> bool:
    return is_trainer(user) and _user_view(user, other)


def is_review_recipient(user, review) -> bool:
    """The author of the reviewed work, once the (peer) review is finished: may read, rate
    and dispute it."""
    return bool(
        user.is_authenticated
        and review.kind == "peer"
        and review.status == "completed"
        and review.submission.user_id == user.pk
    )


def _peer_review_view(user, review) -> bool:
    if review.reviewer_id == user.pk or is_review_recipient(user, review):
        return True
    return _trains_user(user, review.submission.user)


def _peer_review_change(user, review) -> bool:
    """Only its reviewer fills it in, while it is open (or expired and may be handed in)."""
    return review.reviewer_id == user.pk and review.status in {"in_progress", "expired"}


def _peer_entry_view(user, entry) -> bool:
    return entry.author_id == user.pk or _trains_user(user, entry.author)


def _peer_entry_change(user, entry) -> bool:
    return _trains_user(user, entry.author)


def _calibration_view(user, attempt) -> bool:
    return attempt.reviewer_id == user.pk or _trains_user(user, attempt.reviewer)


def _flag_view(user, flag) -> bool:
    """Flags are the trainer's queue: trainers of the agent concerned, and staff."""
    subject = flag.reviewer if flag.submission_id is None else flag.submission.user
    return _trains_user(user, subject)


VIEW_RULES["grading.PeerReview"] = _peer_review_view
CHANGE_RULES["grading.PeerReview"] = _peer_review_change
VIEW_RULES["grading.PeerQueueEntry"] = _peer_entry_view
CHANGE_RULES["grading.PeerQueueEntry"] = _peer_entry_change
VIEW_RULES["grading.CalibrationAttempt"] = _calibration_view
CHANGE_RULES["grading.CalibrationAttempt"] = _never  # a record of what was scored
# Trainer-graded examples are course content: every signed-in user may calibrate on them.
VIEW_RULES["grading.ExampleSubmission"] = _published_content
CHANGE_RULES["grading.ExampleSubmission"] = _content_change
VIEW_RULES["grading.Flag"] = _flag_view
CHANGE_RULES["grading.Flag"] = _flag_view


# --- Trainer console (grading.console) ----------------------------------------------------
# The review queue, trainer grades, releases, progress and grader quality are for the
# trainers of the agent's cohort (staff: all); agents see only their own released grades.


def trained_cohorts_q(user, prefix: str = "") -> Q:
    """Filter (on Cohort, or through `prefix`, e.g. "user__memberships__cohort__") for the
    cohorts whose console `user` may use; nothing for non-trainers."""
    if not is_trainer(user):
        return Q(pk__in=[])
    if user.is_staff:
        return Q()
    return Q(**{f"{prefix}trainers": user})


def can_review_submission(user, submission) -> bool:
    """A trainer of a cohort the author belongs to (or staff) may grade and override it."""
    return _trains_user(user, submission.user)


def _console_submission_rule(user, obj) -> bool:
    return _trains_user(user, obj.submission.user)


def _console_cohort_rule(user, obj) -> bool:
    return _cohort_change(user, obj.cohort)


def _trainer_calibration_view(user, session) -> bool:
    if not is_trainer(user):
        return False
    if user.is_staff or session.created_by_id == user.pk:
        return True
    return session.participants.filter(trainer_id=user.pk).exists()


def _trainer_calibration_change(user, session) -> bool:
    return is_trainer(user) and (user.is_staff or session.created_by_id == user.pk)


for _label in ("grading.QueueItem", "grading.TrainerReview", "grading.GradeRelease"):
    VIEW_RULES[_label] = _console_submission_rule
    CHANGE_RULES[_label] = _console_submission_rule
VIEW_RULES["grading.GradeOverride"] = _console_submission_rule
CHANGE_RULES["grading.GradeOverride"] = _never  # an audit record
VIEW_RULES["grading.CohortGradingSettings"] = _console_cohort_rule
CHANGE_RULES["grading.CohortGradingSettings"] = _console_cohort_rule
VIEW_RULES["grading.TrainerCalibrationSession"] = _trainer_calibration_view
CHANGE_RULES["grading.TrainerCalibrationSession"] = _trainer_calibration_change


# --- Cohorts: invitations and assignments ----------------------------------------------
# Invitations are the trainer's business (the invitee uses the token, not these rules);
# an assignment is seen by its cohort's agents and trainers and changed by the trainers.


def _invitation_manage(user, invitation) -> bool:
    return _cohort_change(user, invitation.cohort)


def _assignment_view(user, assignment) -> bool:
    return _cohort_view(user, assignment.cohort)


def _assignment_change(user, assignment) -> bool:
    return _cohort_change(user, assignment.cohort)


VIEW_RULES["curriculum.Invitation"] = _invitation_manage
CHANGE_RULES["curriculum.Invitation"] = _invitation_manage
VIEW_RULES["exercises.Assignment"] = _assignment_view
CHANGE_RULES["exercises.Assignment"] = _assignment_change


def _rule_for(rules: dict[str, Rule], obj) -> Rule:
    label = obj._meta.label
    try:
        return rules[label]
    except KeyError:
        # Deny by default: an object kind without a rule is a bug, not a free pass.
        raise LookupError(f"No access rule for {label}; add one in curriculum/access.py") from None


def can_view(user, obj) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return _rule_for(VIEW_RULES, obj)(user, obj)


def can_change(user, obj) -> bool:
    if not (user.is_authenticated and user.is_active):
        return False
    return _rule_for(CHANGE_RULES, obj)(user, obj)


def require_view(user, obj) -> None:
    if not can_view(user, obj):
        raise PermissionDenied("You do not have access to this page.")


def require_change(user, obj) -> None:
    if not can_change(user, obj):
        raise PermissionDenied("You may not change this.")


def trainer_required(view):
    """Decorator for trainer-only views (login itself is enforced by middleware)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_trainer(request.user):
            raise PermissionDenied("This page is for trainers.")
        return view(request, *args, **kwargs)

    return wrapped


def agent_required(view):
    """Decorator for agent-only views."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_agent(request.user):
            raise PermissionDenied("This page is for agents.")
        return view(request, *args, **kwargs)

    return wrapped
