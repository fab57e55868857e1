"""The production shape: gunicorn with DEBUG off serves pages and WhiteNoise static files."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
STRONG_KEY = "p9Lq2-vXr7_ZkT4mN8wB1cY6hJ3sD0fG5aE-uRiOqWlXe2tKy9PzMnBvCq4Hj7Ls"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url: str, **headers):
    opener = urllib.request.build_opener(NoRedirect)
    try:
        return opener.open(urllib.request.Request(url, headers=headers), timeout=10)  # noqa: S310
    except urllib.error.HTTPError as exc:
        return exc


@pytest.fixture(scope="module")
def production_server(tmp_path_factory):
    """One migrated database, collected static files and gunicorn for the module: the tests
    only read pages (the one POST is refused), and setting all that up costs most of their
    time."""
    tmp_path = tmp_path_factory.mktemp("production")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_BROKER_URL", "REDIS_URL"}
        and not k.startswith(("EMAIL_", "TRUSTED_"))
    }
    env.update(
        DEBUG="0",
        SECRET_KEY=STRONG_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SITE_URL="https://coachline.example.com",
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        STATIC_ROOT=str(tmp_path / "static"),
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        done = subprocess.run(
            manage + command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True, timeout=180
        )
        assert done.returncode == 0, done.stderr[-2000:]
    port = free_port()
    server = subprocess.Popen(
        # The README's production command: the configuration file in the repository.
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "gunicorn.conf.py",
            "config.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
        ],
        cwd=PROJECT_DIR,
        env=env,
        # A file, not a pipe nobody reads: a full pipe would block the server's logging.
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "gunicorn.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # The first request loads Django in the worker: on a busy machine that takes seconds,
        # and a read timeout (TimeoutError) is as much "not ready yet" as a refused connection.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(base + "/", timeout=10)  # noqa: S310 - local server
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_gunicorn_serves_pages_and_static_files_with_debug_off(production_server):
    # As behind a TLS-terminating proxy (SECURE_PROXY_SSL_HEADER).
    landing = fetch(production_server + "/", **{"X-Forwarded-Proto": "https"})
    assert landing.status == 200
    html = landing.read().decode()
    assert "Create an account" in html
    assert landing.headers["X-Frame-Options"] == "DENY"
    # HSTS without includeSubDomains and preload unless opted in (SECURE_HSTS_*).
    assert landing.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "script-src 'self'" in landing.headers["Content-Security-Policy"]
    stylesheet = re.search(r'href="(/static/coachline/app\.[0-9a-f]+\.css)"', html)
    assert stylesheet, "the stylesheet is not served with a hashed name"
    css = fetch(production_server + stylesheet.group(1))
    assert css.status == 200
    assert "max-age" in css.headers["Cache-Control"]
    # Nothing is loaded from the internet: no external stylesheet, script or font.
    assert not re.search(r"<(link|script)[^>]+(href|src)=\"https?://", html)


def test_protected_pages_redirect_to_login_and_unknown_pages_are_404(production_server):
    home = fetch(production_server + "/agent/")
    assert home.status == 302
    assert "/accounts/login/" in home.headers["Location"]
    missing = fetch(production_server + "/accounts/no-such-page/")
    assert missing.status == 404
    assert "Traceback" not in missing.read().decode()


def test_error_pages_and_cookies_with_debug_off(production_server):
    proxied = {"X-Forwarded-Proto": "https"}
    missing = fetch(production_server + "/no-such-page/", **proxied)
    assert missing.status == 404
    body = missing.read().decode()
    assert "Page not found" in body
    assert re.search(r'href="/static/coachline/app\.[0-9a-f]+\.css"', body)
    login = fetch(production_server + "/accounts/login/", **proxied)
    assert "Secure" in login.headers["Set-Cookie"]
    # A form posted without its CSRF cookie gets the site's own explanation.
    request = urllib.request.Request(  # noqa: S310 - local server
        production_server + "/accounts/login/",
        data=b"login=a%40example.com&password=x",
        headers={**proxied, "Referer": "https://127.0.0.1/accounts/login/"},
    )
    try:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - local server
        raise AssertionError("a POST without a CSRF cookie was accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 403
        assert "Your form could not be sent" in exc.read().decode()
