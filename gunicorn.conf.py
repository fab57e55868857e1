"""gunicorn's configuration for Coachline (read from the working directory by default).

Every value can be overridden from the environment; the README's production command uses
this file (`gunicorn -c gunicorn.conf.py config.wsgi`). Why these values:

- gthread workers: a request blocked on the database (a row lock, a slow statement) holds
  one thread, not a whole process, so the rest of the site keeps answering.
- timeout 30 s is the hard stop; the database's statement_timeout for web requests (20 s,
  config/database.py) and lock_timeout (3 s) end a stuck request with a clear message well
  before gunicorn kills the worker.
- max_requests with jitter recycles workers one by one, capping slow memory growth.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "").strip() or "127.0.0.1:8000"
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "").strip() or "gthread"
# WEB_CONCURRENCY is the conventional name (Heroku, Render, ...); 2 per core plus one.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "").strip() or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "").strip() or "info"
