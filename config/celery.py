"""The Celery application; tasks are discovered in every installed app."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("coachline")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="coachline.ping")
def ping() -> str:
    """Round-trip check used by the worker health test and `celery inspect`."""
    return "pong"
