"""Celery tasks of grading: thin wrappers that take ids and call one service."""

from celery import shared_task

from curriculum.retry import backoff_seconds as backoff

from . import services
from .llm.errors import LLMTransientError

MAX_LLM_RETRIES = 4


def backoff_seconds(retries: int) -> float:
    """LLM grading retries: 0..(5 * 2^retries) seconds, capped at 5 minutes."""
    return backoff(retries, base=5, cap=300)


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_LLM_RETRIES,
    soft_time_limit=120,
    time_limit=150,
)
def grade_submission_task(self, submission_id: int) -> None:
    try:
        services.grading_run(submission_id=submission_id, is_retry=self.request.retries > 0)
    except LLMTransientError as exc:
        # Eager mode (no broker) runs inside the web request: do not make the agent wait.
        if self.request.is_eager or self.request.retries >= self.max_retries:
            services.grading_llm_give_up(submission_id=submission_id, error=exc)
            return
        raise self.retry(exc=exc, countdown=backoff_seconds(self.request.retries)) from exc


@shared_task(acks_late=True, soft_time_limit=60)
def sweep_stuck_grading_task() -> int:
    return len(services.grading_sweep_stuck())


# Peer review's periodic checks live with peer review, and the trainer console's
# notification with the console; imported here so that Celery's autodiscovery (which reads
# `grading.tasks`) registers them.
from grading.console.tasks import notify_grade_changed_task  # noqa: E402, F401
from grading.peer.tasks import peer_review_sweep_task  # noqa: E402, F401
