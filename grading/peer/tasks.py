"""Celery task of peer review: a thin wrapper around the periodic checks."""

from celery import shared_task

from . import services


@shared_task(name="grading.peer.sweep", acks_late=True, soft_time_limit=120)
def peer_review_sweep_task() -> dict:
    """Expire overdue reviews, apply the small-cohort fallback, flag inaccurate reviewers."""
    return services.peer_review_sweep()
