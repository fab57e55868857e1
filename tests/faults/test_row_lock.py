"""A row lock held by another transaction: the blocked user gets a clear answer within 5 s
and loses no typing; other users are unaffected (issue 13)."""

import time

import psycopg.errors
import pytest
from django.db import OperationalError, connection, connections
from django.urls import reverse

from config.database import database_settings
from curriculum.middleware import BUSY_MESSAGE, database_busy_reason
from exercises import services
from exercises.models import Submission, Workspace
from tests.factories import UserFactory

from .conftest import SCENARIOS, _form, _urls, valid_answer

JSON = {"HTTP_ACCEPT": "application/json"}


def _lock_timeout(*args, **kwargs):
    """What Django raises when PostgreSQL's lock_timeout cancels a statement."""
    try:
        raise psycopg.errors.LockNotAvailable("canceling statement due to lock timeout")
    except psycopg.errors.LockNotAvailable as exc:
        raise OperationalError(str(exc)) from exc


# ---- the settings ---------------------------------------------------------------------------


def test_web_requests_get_lock_and_statement_timeouts_and_workers_do_not():
    url = "postgres://postgres@127.0.0.1:5432/coachline"
    web = database_settings(url=url, env={}, web=True)
    assert web["OPTIONS"]["options"] == "-c lock_timeout=3000 -c statement_timeout=20000"
    assert web["CONN_MAX_AGE"] == 60
    assert web["CONN_HEALTH_CHECKS"] is True
    worker = database_settings(url=url, env={}, web=False)
    assert "options" not in worker.get("OPTIONS", {})
    assert worker["CONN_HEALTH_CHECKS"] is True


def test_the_timeouts_and_connection_age_come_from_the_environment():
    env = {
        "DATABASE_WEB_LOCK_TIMEOUT_MS": "1500",
        "DATABASE_WEB_STATEMENT_TIMEOUT_MS": "0",
        "DATABASE_CONN_MAX_AGE": "0",
    }
    web = database_settings(url="postgres://u@db:5432/c", env=env, web=True)
    assert web["OPTIONS"]["options"] == "-c lock_timeout=1500 -c statement_timeout=0"
    assert web["CONN_MAX_AGE"] == 0
    sqlite = database_settings(url="sqlite:////tmp/x.sqlite3", env=env, web=True)
    assert sqlite["OPTIONS"]["timeout"] == 1.5


def _statement_timeout(*args, **kwargs):
    try:
        raise psycopg.errors.QueryCanceled("canceling statement due to statement timeout")
    except psycopg.errors.QueryCanceled as exc:
        raise OperationalError(str(exc)) from exc


def test_a_statement_timeout_says_it_took_too_long_not_that_someone_is_saving(
    workspace_urls, client, monkeypatch
):
    from curriculum.middleware import SLOW_MESSAGE

    _agent, urls = workspace_urls
    monkeypatch.setattr(services, "workspace_save", _statement_timeout)
    response = client.post(urls["workspace-save"], _form("tone", {"prompt": "typed"}), **JSON)
    assert response.status_code == 503
    assert response.json()["message"] == SLOW_MESSAGE
    page = client.post(urls["workspace-save"], _form("tone", {"prompt": "typed"}))
    assert page.status_code == 503
    assert "That took too long" in page.content.decode()


def test_only_lock_and_statement_timeouts_count_as_a_busy_database():
    with pytest.raises(OperationalError) as caught:
        _lock_timeout()
    assert database_busy_reason(caught.value) == "lock timeout"
    assert database_busy_reason(OperationalError("server closed the connection")) is None
    assert database_busy_reason(ValueError("no")) is None


# ---- the answer the blocked user gets (any database) ---------------------------------------


@pytest.fixture
def workspace_urls(db, make_exercise, client):
    exercise = make_exercise("tone")
    scenario = exercise.scenarios.get(slug=SCENARIOS["tone"][0])
    agent = UserFactory()
    client.force_login(agent)
    client.get(_urls(exercise, scenario)["workspace"])
    return agent, _urls(exercise, scenario)


def test_a_lock_timeout_on_autosave_is_a_503_saying_the_text_is_kept(
    workspace_urls, client, monkeypatch
):
    _agent, urls = workspace_urls
    monkeypatch.setattr(services, "workspace_save", _lock_timeout)
    response = client.post(urls["workspace-save"], _form("tone", {"prompt": "typed"}), **JSON)
    assert response.status_code == 503
    assert response["Retry-After"] == "3"
    assert response.json() == {"error": "busy", "message": BUSY_MESSAGE}
    assert "Your text is kept" in BUSY_MESSAGE


def test_a_lock_timeout_on_submit_is_a_page_not_a_bare_500(workspace_urls, client, monkeypatch):
    _agent, urls = workspace_urls
    monkeypatch.setattr(services, "_submission_create", _lock_timeout)
    response = client.post(urls["workspace-submit"], _form("tone", valid_answer("tone")))
    assert response.status_code == 503
    content = response.content.decode()
    assert "Someone else is saving this" in content
    assert "data-database-busy" in content
    assert not Submission.objects.exists()


def test_the_autosave_script_retries_with_backoff_and_keeps_the_text():
    from django.conf import settings

    script = (settings.BASE_DIR / "exercises/static/exercises/workspace.js").read_text()
    assert "Not saved yet — retrying in" in script
    assert "Retry-After" in script
    assert "RETRY_CAP" in script


# ---- a real row lock on PostgreSQL -----------------------------------------------------------


@pytest.fixture
def web_timeouts(transactional_db):
    """The Django connection reconnects with the web process's options (config/database.py)."""
    if connection.vendor != "postgresql":
        from tests.conftest import require_service

        require_service("PostgreSQL", "the row-lock fault needs real row locks")
    options = connection.settings_dict.setdefault("OPTIONS", {})
    before = options.get("options")
    options["options"] = "-c lock_timeout=3000 -c statement_timeout=20000"
    connection.close()
    yield
    if before is None:
        options.pop("options", None)
    else:
        options["options"] = before
    connection.close()


@pytest.fixture
def row_lock():
    """Another transaction (its own connection) holding a row lock until released."""
    other = connections.create_connection("default")
    other.connect()
    other.set_autocommit(False)

    def hold(table: str, pk: int) -> None:
        with other.cursor() as cursor:
            cursor.execute(f"SELECT id FROM {table} WHERE id = %s FOR UPDATE", [pk])  # noqa: S608

    yield hold
    other.rollback()
    other.close()


def test_a_row_locked_elsewhere_answers_within_5_seconds_and_others_are_unaffected(
    web_timeouts, row_lock, make_exercise, client
):
    exercise = make_exercise("tone")
    scenario = exercise.scenarios.get(slug=SCENARIOS["tone"][0])
    urls = _urls(exercise, scenario)
    blocked, other_agent = UserFactory(), UserFactory()
    client.force_login(blocked)
    client.get(urls["workspace"])
    workspace = Workspace.objects.get(user=blocked)
    row_lock("exercises_workspace", workspace.pk)

    started = time.monotonic()
    response = client.post(urls["workspace-save"], _form("tone", {"prompt": "my typing"}), **JSON)
    waited = time.monotonic() - started
    assert response.status_code == 503
    assert waited < 5
    assert "Your text is kept" in response.json()["message"]
    started = time.monotonic()
    submit = client.post(urls["workspace-submit"], _form("tone", valid_answer("tone")))
    assert submit.status_code == 503
    assert time.monotonic() - started < 5
    assert not Submission.objects.exists()

    # Another agent saves and opens pages at once while the lock is held.
    client.force_login(other_agent)
    client.get(urls["workspace"])
    started = time.monotonic()
    saved = client.post(urls["workspace-save"], _form("tone", {"prompt": "x"}), **JSON)
    assert saved.status_code == 200
    assert time.monotonic() - started < 1
    assert client.get(reverse("exercises:submission-list")).status_code == 200


def test_after_the_lock_is_released_the_retried_save_stores_the_typing(
    web_timeouts, make_exercise, client
):
    exercise = make_exercise("tone")
    scenario = exercise.scenarios.get(slug=SCENARIOS["tone"][0])
    urls = _urls(exercise, scenario)
    agent = UserFactory()
    client.force_login(agent)
    client.get(urls["workspace"])
    workspace = Workspace.objects.get(user=agent)
    other = connections.create_connection("default")
    other.connect()
    other.set_autocommit(False)
    with other.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM exercises_workspace WHERE id = %s FOR UPDATE", [workspace.pk]
        )
    data = _form("tone", {"prompt": "my typing"})
    try:
        assert client.post(urls["workspace-save"], data, **JSON).status_code == 503
    finally:
        other.rollback()
        other.close()
    retried = client.post(urls["workspace-save"], data, **JSON)  # what the script does next
    assert retried.status_code == 200
    assert Workspace.objects.get(pk=workspace.pk).answer["prompt"] == "my typing"
