"""The database settings, and the timeouts that keep one stuck request from stalling the site.

Web requests (the process started through config/wsgi.py or config/asgi.py, which set
COACHLINE_PROCESS=web) get PostgreSQL's `lock_timeout` and `statement_timeout` as
connection options: a row lock held by another transaction ends the request after
`DATABASE_WEB_LOCK_TIMEOUT_MS` (3 s) with a clear "someone else is saving this" answer
(curriculum.middleware.DatabaseBusyMiddleware) instead of holding a gunicorn thread until
its 30 s timeout kills it. Celery workers, beat and management commands (imports, content
loads, benchmarks) legitimately run long statements and wait for locks, so they keep
PostgreSQL's defaults (no timeout). SQLite gets the same lock wait as its busy timeout.
"""

import os
from collections.abc import Mapping

import dj_database_url

POSTGRES_ENGINES = {"django.db.backends.postgresql", "django.contrib.gis.db.backends.postgis"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = (env.get(name) or "").strip()
    return int(value) if value else default


def web_process(env: Mapping[str, str] = os.environ) -> bool:
    """True in the web server's processes (set by config/wsgi.py and config/asgi.py)."""
    return (env.get("COACHLINE_PROCESS") or "").strip() == "web"


def database_settings(*, url: str, env: Mapping[str, str] = os.environ, web: bool) -> dict:
    """DATABASES["default"]: persistent connections checked before reuse, and, for the web
    process only, the lock and statement timeouts (0 in the variables switches one off)."""
    database = dj_database_url.parse(
        url,
        conn_max_age=_int(env, "DATABASE_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
    if not web:
        return database
    lock_ms = _int(env, "DATABASE_WEB_LOCK_TIMEOUT_MS", 3000)
    statement_ms = _int(env, "DATABASE_WEB_STATEMENT_TIMEOUT_MS", 20000)
    options = database.setdefault("OPTIONS", {})
    if database["ENGINE"] in POSTGRES_ENGINES:
        flags = [options.get("options", "").strip()]
        flags.append(f"-c lock_timeout={lock_ms}")
        flags.append(f"-c statement_timeout={statement_ms}")
        options["options"] = " ".join(flag for flag in flags if flag)
    elif database["ENGINE"] == "django.db.backends.sqlite3" and lock_ms:
        options.setdefault("timeout", lock_ms / 1000)
    return database
