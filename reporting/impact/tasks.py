"""Celery tasks of the impact app: thin wrappers that take ids and call one service."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError

from curriculum.retry import backoff_seconds

from . import services

MAX_RETRIES = 3
SOFT_TIME_LIMIT = 60 * 60


@shared_task(
    # The name it had before the app moved from curriculum/ to reporting/, so an import
    # queued by the previous release still finds its task.
    name="curriculum.impact.tasks.import_tickets_task",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=SOFT_TIME_LIMIT + 60,
)
def import_tickets_task(self, job_id: int) -> None:
    """Run one CSV import. A redelivered or retried task restarts the file from the top:
    rows are upserted by ticket id, so that is safe."""
    try:
        services.import_job_run(job_id=job_id)
    except (OperationalError, InterfaceError) as exc:
        if self.request.is_eager or self.request.retries >= self.max_retries:
            services.import_job_fail(job_id=job_id, error=f"Database error: {exc}")
            raise
        countdown = backoff_seconds(self.request.retries, base=10, cap=300)
        raise self.retry(exc=exc, countdown=countdown) from exc
    except SoftTimeLimitExceeded:
        services.import_job_fail(
            job_id=job_id,
            error=f"The import took longer than {SOFT_TIME_LIMIT // 60} minutes; the rows "
            "imported so far are kept. Split the file and upload the rest.",
        )
