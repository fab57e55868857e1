"""Celery task of the trainer console: tell an agent a trainer changed their grade."""

from celery import shared_task

from . import services


@shared_task(name="grading.console.notify_grade_changed", acks_late=True, soft_time_limit=60)
def notify_grade_changed_task(review_id: int) -> bool:
    return services.trainer_review_notify(review_id=review_id)
