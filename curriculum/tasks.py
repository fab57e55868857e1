"""Celery tasks of the base app: thin wrappers that take ids and call one service."""

import logging
import smtplib

from celery import shared_task

from .retry import backoff_seconds

logger = logging.getLogger(__name__)

# Transient mail failures: the server refused or the connection broke (OSError covers
# timeouts and refused connections). Anything else is a bug and is not retried.
MAIL_ERRORS = (smtplib.SMTPException, OSError)
MAIL_RETRIES = 5


def retry_mail(task, exc: Exception, what: str) -> None:
    """Retry a failed email later with backoff and jitter; in eager mode (no worker) log it
    and give up, so a mail server outage never breaks the web request that queued it."""
    if task.request.is_eager or task.request.retries >= task.max_retries:
        logger.exception("Giving up on %s: %s", what, exc)
        return
    countdown = backoff_seconds(task.request.retries, base=30, cap=600)
    raise task.retry(exc=exc, countdown=countdown) from exc


@shared_task(bind=True, acks_late=True, max_retries=MAIL_RETRIES, soft_time_limit=60, time_limit=90)
def invitation_send_task(self, *, invitation_id: int) -> None:
    """Email one invitation link. Idempotent: `sent_at` makes a redelivery a no-op."""
    from . import services

    try:
        services.invitation_send(invitation_id=invitation_id)
    except MAIL_ERRORS as exc:
        retry_mail(self, exc, f"invitation {invitation_id}")
