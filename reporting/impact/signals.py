"""Login receiver: remembers in the session whether the user may open the impact pages.

Only the navigation link reads this flag (so rendering the nav costs no query on every
page); every impact view checks access itself (reporting/impact/access.py).
"""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import access as impact_access

SESSION_KEY = "impact_nav"


@receiver(user_logged_in, dispatch_uid="impact_nav_flag")
def remember_impact_access(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = impact_access.can_use_impact(user)
