"""Settings from the environment: production mode refuses to start unsafely."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
STRONG_KEY = "x7Qp2-vLr9_ZkT4mN8wB1cY6hJ3sD0fG5aE-uRiOqWlXe2tKy9PzMnBvCq4Hj7Ls"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unsafe = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    base = {k: v for k, v in os.environ.items() if k not in unsafe}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_DIR,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_mode_without_secret_key_refuses_to_start():
    result = run_manage("check", DEBUG="0", ALLOWED_HOSTS="coachline.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "refuses to start" in result.stderr


def test_production_mode_rejects_the_development_key():
    result = run_manage(
        "check",
        DEBUG="0",
        ALLOWED_HOSTS="coachline.example.com",
        SECRET_KEY="django-insecure-short",
    )
    assert result.returncode != 0
    assert "SECRET_KEY is too weak" in result.stderr


def test_production_mode_requires_allowed_hosts():
    result = run_manage("check", DEBUG="0", SECRET_KEY=STRONG_KEY, ALLOWED_HOSTS="")
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is empty" in result.stderr


def test_check_deploy_is_clean_in_production_mode():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="coachline.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "True"), ("0", "False"), ("false", "False"), ("1", "True"), ("yes", "True")],
)
def test_debug_is_read_from_the_environment(value, expected):
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        DEBUG=value,
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="localhost",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_unset_database_url_means_sqlite_in_the_project_folder():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; d = settings.DATABASES['default']; "
            "print(d['ENGINE'], d['NAME'])",
        ],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    engine, name = result.stdout.strip().splitlines()[-1].split()
    assert engine == "django.db.backends.sqlite3"
    assert Path(name).parent == PROJECT_DIR
