"""A real Celery worker on Redis grades a submission stored in PostgreSQL."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from grading.models import Grade, GradingJob
from tests.factories import (
    GradingJobFactory,
    SubmissionFactory,
)

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def worker_env(transactional_db, redis_url, monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        from tests.conftest import require_service

        require_service("PostgreSQL", "a worker process cannot share the SQLite test database")
    db = connection.settings_dict
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": redis_url,
        "LLM_BASE_URL": "",
        "DJANGO_ALLOW_ASYNC_UNSAFE": "",
    }


def test_real_worker_grades_a_submission(worker_env, agent, tmp_path):
    from celery import Celery
    from django.conf import settings

    from grading.content.loading import content_load_directory

    content_load_directory(path=settings.CONTENT_DIR)
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    GradingJobFactory(submission=submission)
    log = tmp_path / "worker.log"
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo",
         "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "INFO"],
        cwd=PROJECT_DIR, env=worker_env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        client = Celery("test-client", broker=worker_env["CELERY_BROKER_URL"])
        client.send_task(
            "grading.tasks.grade_submission_task", kwargs={"submission_id": submission.pk}
        )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if Grade.objects.filter(submission=submission).exists():
                break
            time.sleep(0.5)
        grade = Grade.objects.filter(submission=submission).first()
        assert grade is not None, log.read_text()[-3000:]
        assert grade.grader == "offline"
        assert grade.scores.count() == len(grade.rubric_version.snapshot["criteria"])
        for _ in range(20):
            if GradingJob.objects.get(submission=submission).status == "done":
                break
            time.sleep(0.25)
        assert GradingJob.objects.get(submission=submission).status == "done"
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
