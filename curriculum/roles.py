"""The four roles (agent, trainer, support leader, staff) and the one function that derives
them from an account.

Roles are stored as Django groups (`Trainers`, `Support leaders`, both created by
`migrate`) plus the `is_staff` flag, so the admin's group editor grants them; `user_roles`
is the only code that reads those to decide who someone is:

- staff (`is_staff`) are trainers too and get the admin; they see every cohort;
- trainers are members of `Trainers`;
- support leaders are members of `Support leaders` (a trainer may also be one);
- agents are every other active account: the learners. A support leader or a trainer is
  never an agent, so they are refused the agent pages, answer saving and peer reviews.

An inactive or anonymous user has no role.
"""

from django.db import models

TRAINERS_GROUP = "Trainers"
SUPPORT_LEADERS_GROUP = "Support leaders"


class Role(models.TextChoices):
    AGENT = "agent", "Agent"
    TRAINER = "trainer", "Trainer"
    SUPPORT_LEADER = "support_leader", "Support leader"
    STAFF = "staff", "Staff"


ROLE_GROUPS: dict[Role, str] = {
    Role.TRAINER: TRAINERS_GROUP,
    Role.SUPPORT_LEADER: SUPPORT_LEADERS_GROUP,
}
_CACHE = "_coachline_roles"


def user_roles(user) -> frozenset[Role]:
    """The roles of `user` (cached on the instance: at most one query, none for staff)."""
    if user is None or not (user.is_authenticated and user.is_active):
        return frozenset()
    roles = getattr(user, _CACHE, None)
    if roles is None:
        if user.is_staff:
            # Staff see every cohort and every impact page, so groups add nothing.
            roles = frozenset({Role.STAFF, Role.TRAINER})
        else:
            names = set(
                user.groups.filter(name__in=ROLE_GROUPS.values()).values_list("name", flat=True)
            )
            granted = {role for role, group in ROLE_GROUPS.items() if group in names}
            roles = frozenset(granted or {Role.AGENT})
        setattr(user, _CACHE, roles)
    return roles


def user_has_role(user, role: Role) -> bool:
    return role in user_roles(user)


def user_roles_forget(user) -> None:
    """Drop the cached roles after a grant or a change of `is_staff`."""
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)
