"""Middleware of the base layer: each request in its reader's time zone, and a busy
database as a clear, retryable answer, never a 500."""

import logging
import sqlite3

from django.db import OperationalError
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone

from .dates import user_zone

logger = logging.getLogger(__name__)

# PostgreSQL's SQLSTATEs for lock_timeout (lock_not_available) and statement_timeout
# (query_canceled), both set for web requests in config/database.py.
BUSY_SQLSTATES = {"55P03": "lock timeout", "57014": "statement timeout"}
BUSY_MESSAGE = (
    "Someone else is saving this right now, so your change could not be stored yet. "
    "Your text is kept; try again in a moment."
)
# A statement cancelled by statement_timeout is not someone else's lock: say what happened.
SLOW_MESSAGE = (
    "This took the server too long, so it stopped without changing anything. "
    "Your text is kept; try again in a moment."
)
RETRY_AFTER_SECONDS = 3


def database_busy_reason(exc: BaseException) -> str | None:
    """Why the database gave up ("lock timeout", "statement timeout", "database locked"),
    or None when `exc` is some other error."""
    if not isinstance(exc, OperationalError):
        return None
    cause = exc.__cause__
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    if sqlstate in BUSY_SQLSTATES:
        return BUSY_SQLSTATES[sqlstate]
    if isinstance(cause, sqlite3.OperationalError) and "locked" in str(cause):
        return "database locked"
    return None


class DatabaseBusyMiddleware:
    """Turns a lock or statement timeout into 503 with Retry-After: JSON for the workspace's
    autosave (which keeps the text and retries), a page saying the text is kept otherwise.

    The transaction that hit the timeout has rolled back, so nothing was half-written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        reason = database_busy_reason(exception)
        if reason is None:
            return None
        logger.warning("%s %s: database busy (%s)", request.method, request.path, reason)
        message = SLOW_MESSAGE if reason == "statement timeout" else BUSY_MESSAGE
        if "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse({"error": "busy", "message": message}, status=503)
        else:
            context = {"message": message, "slow": reason == "statement timeout"}
            response = render(request, "503_busy.html", context, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response


class UserTimeZoneMiddleware:
    """Activates the logged-in user's time zone (`User.time_zone`, else the site's) for the
    request, so forms read typed times in it and every date shown is in it.

    Place it after AuthenticationMiddleware. Anonymous visitors get the site's zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            timezone.activate(user_zone(user))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            # A worker thread serves other people next: never leave a zone behind.
            timezone.deactivate()
