"""Who may see or change what: the one index of every access rule, and the role checks.

Each rule lives next to the model it protects, in its app's `access.py`
(`curriculum/access.py` for curriculum's own models, `exercises/access.py`,
`grading/access.py`, `grading/peer/access.py`, `grading/console/access.py`,
`reporting/impact/access.py`); each app registers its rules here from its
`AppConfig.ready()`, so this base module never imports the apps above it. `access_rules()`
lists them all (`manage.py access_rules` prints the list), and a test checks that every
model of the project has one.

Views never test roles or ownership themselves; they call `can_view` / `can_change` (or
the `require_*` helpers, which raise PermissionDenied). Who has which role is decided in
one place, `curriculum.roles.user_roles`.
"""

import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied

from .roles import SUPPORT_LEADERS_GROUP, Role, user_has_role

__all__ = [
    "SUPPORT_LEADERS_GROUP",
    "AccessRule",
    "access_rules",
    "agent_required",
    "can_change",
    "can_view",
    "cohort_change",
    "cohort_view",
    "content_change",
    "is_agent",
    "is_staff",
    "is_support_leader",
    "is_trainer",
    "never",
    "published_content",
    "register",
    "require_change",
    "require_view",
    "trainer_required",
    "trains_cohort",
    "trains_user",
    "user_view",
]

Rule = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class AccessRule:
    """The rules of one object kind, and the module that defines them."""

    label: str
    view: Rule
    change: Rule
    module: str


# The index: model label ("app.Model") -> rule. Filled by `register`.
VIEW_RULES: dict[str, Rule] = {}
CHANGE_RULES: dict[str, Rule] = {}
_RULES: dict[str, AccessRule] = {}


def register(label: str, *, view: Rule, change: Rule) -> None:
    """Put the rules of model `label` in the index (called from each app's `ready()`).

    Registering the same rules again is a no-op; different rules for one model are a bug.
    """
    # The module that registers the rule: the access.py beside the model.
    module = sys._getframe(1).f_globals["__name__"]
    rule = AccessRule(label=label, view=view, change=change, module=module)
    existing = _RULES.get(label)
    if existing is not None and (existing.view, existing.change) != (view, change):
        raise ValueError(f"{label} already has access rules, in {existing.module}")
    _RULES[label] = rule
    VIEW_RULES[label] = view
    CHANGE_RULES[label] = change


def access_rules() -> list[AccessRule]:
    """Every registered rule, by model label: the list a reviewer reads."""
    return [_RULES[label] for label in sorted(_RULES)]


# --- Roles (derived in curriculum.roles) ---------------------------------------------------


def is_trainer(user) -> bool:
    """Trainers and staff (staff are trainers too)."""
    return user_has_role(user, Role.TRAINER)


def is_agent(user) -> bool:
    """Agents are the learners: active accounts that are neither trainer, support leader
    nor staff."""
    return user_has_role(user, Role.AGENT)


def is_support_leader(user) -> bool:
    """Members of the "Support leaders" group (staff see their pages as staff)."""
    return user_has_role(user, Role.SUPPORT_LEADER)


def is_staff(user) -> bool:
    return user_has_role(user, Role.STAFF)


# --- Building blocks the apps' rules share -------------------------------------------------


def trains_cohort(user, cohort) -> bool:
    if not is_trainer(user):
        return False
    if is_staff(user):
        return True
    return cohort.trainers.filter(pk=user.pk).exists()


def cohort_view(user, cohort) -> bool:
    """A cohort's trainers (and staff), and its agents."""
    if is_trainer(user):
        return trains_cohort(user, cohort)
    return is_agent(user) and cohort.memberships.filter(user_id=user.pk).exists()


def cohort_change(user, cohort) -> bool:
    return trains_cohort(user, cohort)


def user_view(user, other) -> bool:
    """Oneself; staff; trainers of a cohort `other` belongs to."""
    if user.pk == other.pk or is_staff(user):
        return True
    return is_trainer(user) and other.memberships.filter(cohort__trainers=user).exists()


def trains_user(user, other) -> bool:
    """A trainer of a cohort `other` belongs to, or staff."""
    return is_trainer(user) and user_view(user, other)


def published_content(user, obj) -> bool:
    """Curriculum content is readable by every signed-in user."""
    return user.is_authenticated


def content_change(user, obj) -> bool:
    return is_trainer(user)


def never(user, obj) -> bool:
    return False


# --- curriculum's own models ---------------------------------------------------------------


def _user_change(user, other) -> bool:
    return user.pk == other.pk or is_staff(user)


def _membership_view(user, membership) -> bool:
    return membership.user_id == user.pk or cohort_change(user, membership.cohort)


def _membership_change(user, membership) -> bool:
    return cohort_change(user, membership.cohort)


def _invitation_manage(user, invitation) -> bool:
    """Invitations are the trainer's business (the invitee uses the token, not this rule)."""
    return cohort_change(user, invitation.cohort)


register("curriculum.User", view=user_view, change=_user_change)
register("curriculum.Cohort", view=cohort_view, change=cohort_change)
register("curriculum.Membership", view=_membership_view, change=_membership_change)
register("curriculum.Invitation", view=_invitation_manage, change=_invitation_manage)
for _label in ("curriculum.Module", "curriculum.Lesson", "curriculum.Exercise"):
    register(_label, view=published_content, change=content_change)


# --- The checks views call -----------------------------------------------------------------


def _rule_for(rules: dict[str, Rule], obj) -> Rule:
    label = obj._meta.label
    try:
        return rules[label]
    except KeyError:
        # Deny by default: an object kind without a rule is a bug, not a free pass.
        raise LookupError(
            f"No access rule for {label}; add one in its app's access.py and register it"
        ) from None


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
    """Decorator for agent-only views: trainers, support leaders and staff are refused."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not is_agent(request.user):
            raise PermissionDenied("This page is for agents.")
        return view(request, *args, **kwargs)

    return wrapped
