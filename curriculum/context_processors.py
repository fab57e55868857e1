"""Template context shared by every page."""

from .access import is_trainer


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    trainer = bool(user is not None and user.is_authenticated and is_trainer(user))
    return {"nav_is_trainer": trainer}
