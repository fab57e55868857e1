"""The production shape: a real Celery worker on Redis, and PostgreSQL when configured."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def celery_worker_on_redis(redis_url, tmp_path, monkeypatch):
    """Start `celery worker` as a subprocess with Redis as broker and result backend."""
    # Celery lets these variables override a client's own broker argument.
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.delenv("CELERY_RESULT_BACKEND", raising=False)
    log_path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{os.getpid()}@%h",
        ],
        cwd=PROJECT_DIR,
        env=env,
        stdout=log_path.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        yield redis_url
    finally:
        print(log_path.read_text())  # pytest shows it when the test fails
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()


def test_real_celery_worker_runs_a_task_from_redis(celery_worker_on_redis):
    from celery import Celery

    client = Celery("coachline-test", broker=celery_worker_on_redis, backend=celery_worker_on_redis)
    started = time.monotonic()
    result = client.send_task("coachline.ping")
    assert result.get(timeout=60) == "pong"
    assert time.monotonic() - started < 60


def test_tasks_run_eagerly_without_a_broker():
    from config.celery import app, ping

    if os.environ.get("CELERY_BROKER_URL"):
        pytest.skip("CELERY_BROKER_URL is set: this run uses the real broker")
    assert app.conf.task_always_eager
    assert ping.delay().get(timeout=5) == "pong"


def test_database_is_postgresql_when_configured(postgres_db):
    with postgres_db.cursor() as cursor:
        cursor.execute("select version()")
        assert "PostgreSQL" in cursor.fetchone()[0]


def test_redis_redelivers_a_task_only_after_every_task_could_have_finished():
    """acks_late + Redis: a task still running past the visibility timeout would be handed
    to a second worker. Every task's hard time limit, plus its longest retry wait (5 min),
    must fit inside it."""
    from django.conf import settings

    from config.celery import app

    app.loader.import_default_modules()
    timeout = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
    ours = [t for name, t in app.tasks.items() if not name.startswith("celery.")]
    assert len(ours) >= 5
    for task in ours:
        limit = task.time_limit or settings.CELERY_TASK_TIME_LIMIT
        assert limit + 300 < timeout, task.name
