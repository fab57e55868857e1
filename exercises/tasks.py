"""Celery tasks of the exercises app: thin wrappers that take ids and call one service."""

import random

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from .errors import DraftGenerationError

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
        countdown = 2 * 2**self.request.retries + random.uniform(0, 1)  # noqa: S311 - jitter
        raise self.retry(exc=exc, countdown=countdown) from exc
    except SoftTimeLimitExceeded:
        services.draft_request_fail(draft_request_id=draft_request_id, error=DRAFT_TIMEOUT_MESSAGE)
