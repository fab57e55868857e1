"""Celery tasks of the exercises app: thin wrappers that take ids and call one service."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from curriculum.retry import backoff_seconds
from curriculum.tasks import MAIL_ERRORS, MAIL_RETRIES, retry_mail

from .errors import DraftGenerationError

logger = logging.getLogger(__name__)

DRAFT_TIMEOUT_MESSAGE = (
    "The language model took too long to answer. Everything you typed is saved; try again."
)
DRAFT_RETRIES = 1


@shared_task(
    bind=True, acks_late=True, max_retries=DRAFT_RETRIES, soft_time_limit=90, time_limit=120
)
def draft_generate_task(self, *, draft_request_id: int) -> None:
    """Generate one AI draft; a transient model error is retried once (the SDK never retries).

    Idempotent: the service only works on a PENDING request, so a redelivery is a no-op.
    """
    from . import services

    try:
        services.draft_request_run(
            draft_request_id=draft_request_id,
            final_attempt=self.request.retries >= DRAFT_RETRIES,
        )
    except DraftGenerationError as exc:  # only raised while a retry is left
        if self.request.is_eager:
            # Embedded mode runs in the web request: no worker to come back later, so the
            # one retry happens now.
            services.draft_request_run(draft_request_id=draft_request_id, final_attempt=True)
            return
        countdown = backoff_seconds(self.request.retries, base=4, cap=30)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except SoftTimeLimitExceeded:
        services.draft_request_fail(draft_request_id=draft_request_id, error=DRAFT_TIMEOUT_MESSAGE)


# ---- assignments --------------------------------------------------------------------------


@shared_task(
    bind=True, acks_late=True, max_retries=MAIL_RETRIES, soft_time_limit=120, time_limit=150
)
def assignment_notify_task(self, *, assignment_id: int) -> None:
    """Email the cohort about a new assignment. Idempotent: `notified_at` is claimed first."""
    from . import assignments

    try:
        assignments.assignment_notify(assignment_id=assignment_id)
    except MAIL_ERRORS as exc:
        retry_mail(self, exc, f"the notice of assignment {assignment_id}")


@shared_task(acks_late=True, soft_time_limit=300, time_limit=330)
def assignment_reminders_task() -> int:
    """Celery beat: remind agents of work due within a day (each reminder goes out once).

    A mail failure releases that reminder's claim; the next beat run tries it again.
    """
    from . import assignments

    try:
        return assignments.assignment_reminders_send()
    except MAIL_ERRORS:
        logger.exception("Sending assignment reminders failed; the next run retries")
        return 0


@shared_task(acks_late=True, soft_time_limit=60)
def draft_expire_stale_task() -> int:
    from . import services

    return services.draft_request_expire_stale()
