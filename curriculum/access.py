"""Who may see or change what: every access rule of the product lives in this module.

Views never test roles or ownership themselves; they call `can_view` / `can_change`
(or the `require_*` helpers, which raise PermissionDenied). Rules are keyed by model
label ("app.Model") so this base app needs no import of the apps above it.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied

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


VIEW_RULES: dict[str, Rule] = {
    "curriculum.Cohort": _cohort_view,
    "curriculum.User": _user_view,
}
CHANGE_RULES: dict[str, Rule] = {
    "curriculum.Cohort": _cohort_change,
    "curriculum.User": _user_change,
}


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
