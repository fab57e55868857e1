"""Template context shared by every page: which parts of the navigation the user sees.

It lives on top because the navigation spans every app (the impact link among them)."""

from curriculum.access import is_trainer

from .impact.signals import SESSION_KEY as IMPACT_NAV_SESSION_KEY


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    trainer = bool(user is not None and user.is_authenticated and is_trainer(user))
    # Support leaders who are not trainers: the flag is stored in the session at login so
    # that drawing the navigation costs no query (reporting.impact.signals).
    session = getattr(request, "session", None)
    leader = bool(not trainer and session is not None and session.get(IMPACT_NAV_SESSION_KEY))
    return {"nav_is_trainer": trainer, "nav_is_leader": leader}
