"""gunicorn.conf.py: the production shape of the web process, from the environment."""

import runpy
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[2]
CONFIG = PROJECT_DIR / "gunicorn.conf.py"


def _load(monkeypatch, **env) -> dict:
    for name in (
        "WEB_CONCURRENCY", "GUNICORN_BIND", "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS",
        "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_MAX_REQUESTS",
        "GUNICORN_MAX_REQUESTS_JITTER",
    ):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(CONFIG))


def test_the_defaults_are_threaded_workers_with_timeouts_and_recycling(monkeypatch):
    config = _load(monkeypatch)
    assert config["worker_class"] == "gthread"
    assert config["workers"] >= 3
    assert config["threads"] == 4
    assert (config["timeout"], config["graceful_timeout"]) == (30, 30)
    assert (config["max_requests"], config["max_requests_jitter"]) == (1000, 100)
    assert config["bind"] == "127.0.0.1:8000"


def test_every_value_comes_from_the_environment(monkeypatch):
    config = _load(
        monkeypatch,
        WEB_CONCURRENCY="5",
        GUNICORN_WORKER_CLASS="sync",
        GUNICORN_THREADS="1",
        GUNICORN_TIMEOUT="45",
        GUNICORN_GRACEFUL_TIMEOUT="20",
        GUNICORN_MAX_REQUESTS="500",
        GUNICORN_MAX_REQUESTS_JITTER="50",
        GUNICORN_BIND="0.0.0.0:9000",
    )
    assert (config["workers"], config["worker_class"], config["threads"]) == (5, "sync", 1)
    assert (config["timeout"], config["graceful_timeout"]) == (45, 20)
    assert (config["max_requests"], config["max_requests_jitter"]) == (500, 50)
    assert config["bind"] == "0.0.0.0:9000"


def test_the_database_timeouts_outlast_nothing_gunicorn_would_kill(monkeypatch):
    """The web statement timeout ends a request well before gunicorn's timeout kills it."""
    from config.database import database_settings

    config = _load(monkeypatch)
    web = database_settings(url="postgres://u@db:5432/c", env={}, web=True)
    statement_ms = int(web["OPTIONS"]["options"].split("statement_timeout=")[1])
    assert statement_ms / 1000 < config["timeout"]


def test_the_readme_production_command_uses_the_config_file():
    readme = (PROJECT_DIR / "README.md").read_text()
    assert "gunicorn -c gunicorn.conf.py config.wsgi" in readme
