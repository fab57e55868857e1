"""Shared fixtures: users by role, and the real services (PostgreSQL, Redis)."""

import os
from pathlib import Path

import pytest

from tests.factories import CohortFactory, MembershipFactory, TrainerFactory, UserFactory

# The real-browser fixtures (`browser`, `page`), one Chromium for the whole session.
pytest_plugins = ["tests.browser_fixtures"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def require_service(name: str, reason: str) -> None:
    """A missing service fails the test in CI and skips it, visibly, elsewhere."""
    message = f"{name} is not reachable: {reason}"
    if IN_CI:
        pytest.fail(f"{message} (CI must provide it; see .ci/run)", pytrace=False)
    pytest.skip(message)


# `pytest --reuse-db` (make test-quick) keeps the test database between local runs. The
# default SQLite test database lives in memory and dies with the run, so with --reuse-db it
# goes to a file instead; CI never passes the option and always starts from a new database.
SQLITE_REUSED_TEST_DB = Path(__file__).resolve().parents[1] / ".pytest-db.sqlite3"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(request, django_db_modify_db_settings_parallel_suffix):
    from django.conf import settings

    database = settings.DATABASES["default"]
    test = database.setdefault("TEST", {})
    sqlite = database["ENGINE"].endswith("sqlite3")
    if request.config.getoption("reuse_db") and sqlite and not test.get("NAME"):
        test["NAME"] = str(SQLITE_REUSED_TEST_DB)


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service("Redis", f"{TEST_REDIS_URL}: {exc}")
    return TEST_REDIS_URL


@pytest.fixture
def postgres_db(db):
    """Use in tests that need PostgreSQL's behaviour (row locks, SKIP LOCKED)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        require_service(
            "PostgreSQL",
            "the tests run on SQLite; set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test",
        )
    return connection


@pytest.fixture
def agent(db):
    return UserFactory()


@pytest.fixture
def trainer(db):
    return TrainerFactory()


@pytest.fixture
def cohort(trainer):
    return CohortFactory(trainers=[trainer])


@pytest.fixture
def member(cohort, agent):
    MembershipFactory(cohort=cohort, user=agent)
    return agent


class ContentRows:
    """The rows that loading the shipped content writes, kept after the first load of the
    session so later tests insert them in bulk (the loader's per-item writes cost most of
    a second per test; parsing and validating cost the rest).

    The rows are reused only into tables that are empty and for the same CONTENT_DIR, so they
    land exactly as the loader would have written them (same primary keys, hence same
    references); anything else (a test that made content of its own first, or points
    CONTENT_DIR elsewhere) gets the real loader."""

    def __init__(self):
        self.report = None
        self.path = None  # the content directory the rows came from
        self.rows: dict = {}  # model -> list of field dicts (attnames), in load order

    @staticmethod
    def _project_models():
        from django.apps import apps

        return [m for c in apps.get_app_configs() if c.name in PROJECT_APPS for m in c.get_models()]

    def load(self):
        import copy

        from django.conf import settings

        from grading.content.loading import content_load_directory

        path = str(settings.CONTENT_DIR)
        reusable = self.report is not None and self.path == path
        if reusable and not any(m.objects.exists() for m in self.rows):
            self._insert()
            return copy.deepcopy(self.report)
        models = self._project_models()
        before = {m: m.objects.count() for m in models}
        report = content_load_directory(path=path)
        written = [m for m in models if m.objects.count() != before[m]]
        if self.report is None and all(before[m] == 0 for m in written):
            self.rows = {m: list(m.objects.order_by("pk").values()) for m in written}
            self.report = copy.deepcopy(report)
            self.path = path
        return report

    def _insert(self) -> None:
        import copy

        from django.core.management.color import no_style
        from django.db import connection, transaction

        # One transaction: rubrics and their current versions refer to each other, and the
        # deferred foreign-key checks pass once every table is in (also in tests that commit).
        with transaction.atomic():
            for model, rows in self.rows.items():
                model.objects.bulk_create(model(**row) for row in copy.deepcopy(rows))
        # Explicit primary keys do not move PostgreSQL's sequences (SQLite's do).
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.rows))
        if statements:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)


PROJECT_APPS = {"curriculum", "exercises", "grading", "reporting.impact"}


@pytest.fixture(scope="session")
def content_rows() -> ContentRows:
    return ContentRows()


@pytest.fixture
def loaded_content(db, content_rows):
    """The shipped curriculum, loaded into the test database (the loader's result)."""
    return content_rows.load()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Factories hash a password per user and failed logins hash a dummy one; the real
    hasher is slow on purpose, which would make every test that makes users slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _celery_eager_in_process():
    """In-process tests run tasks eagerly even when CI points CELERY_BROKER_URL at Redis;
    the real-worker tests talk to a worker subprocess through their own client."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def fake_llm(settings):
    """A local Chat Completions server, with the LLM settings pointing at it."""
    from grading.llm.fake_server import FakeChatServer

    server = FakeChatServer().start()
    settings.LLM_BASE_URL = server.base_url
    settings.LLM_MODEL = "fake-grader-1"
    settings.LLM_API_KEY = "test-key"
    settings.LLM_TIMEOUT_SECONDS = 2
    yield server
    server.stop()
