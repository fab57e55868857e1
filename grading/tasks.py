"""Celery tasks of grading: thin wrappers that take ids and call one service."""

from celery import shared_task

from . import services


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,  # the service decides when to stop (LLM_RETRY_FOR_SECONDS)
    soft_time_limit=120,
    time_limit=150,
)
def grade_submission_task(self, submission_id: int) -> None:
    try:
        services.grading_run(submission_id=submission_id)
    except services.GradingLeaseHeldError as held:
        # Redelivered while the job still reads "running": its worker may have died, so
        # come back when the lease has expired and take it over (a no-op if it finished).
        if self.request.is_eager:
            return
        raise self.retry(countdown=held.seconds_left + 1) from held
    except services.GradingRetryLaterError as later:
        # Eager mode (no broker) runs inside the web request: nobody comes back later, so
        # the offline grade stands and a trainer can re-run LLM grading (regrade_llm).
        if self.request.is_eager:
            services.grading_llm_give_up(submission_id=submission_id, error=later)
            return
        raise self.retry(exc=later, countdown=later.countdown) from later


@shared_task(acks_late=True, soft_time_limit=60)
def sweep_stuck_grading_task() -> int:
    return len(services.grading_sweep_stuck())


# Peer review's periodic checks live with peer review, and the trainer console's
# notification with the console; imported here so that Celery's autodiscovery (which reads
# `grading.tasks`) registers them.
from grading.console.tasks import notify_grade_changed_task  # noqa: E402, F401
from grading.peer.tasks import peer_review_sweep_task  # noqa: E402, F401
