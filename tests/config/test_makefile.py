"""`make run PORT=…`: the links in emails point at the port actually served."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _run_lines(*args, env=None) -> list[str]:
    import os

    environment = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    environment.update(env or {})
    out = subprocess.run(
        ["make", "-n", "run", *args],
        cwd=ROOT, capture_output=True, text=True, check=True, env=environment,
    ).stdout  # fmt: skip
    return [line for line in out.splitlines() if "manage.py" in line]


def _site_url(lines: list[str], command: str) -> str:
    line = next(line for line in lines if f"manage.py {command}" in line)
    return line.split("SITE_URL=", 1)[1].split()[0]


def test_make_run_on_another_port_links_to_that_port():
    lines = _run_lines("PORT=8123")
    assert _site_url(lines, "runserver") == "http://127.0.0.1:8123"
    assert _site_url(lines, "seed_demo") == "http://127.0.0.1:8123"


def test_make_run_on_every_address_links_to_the_loopback():
    assert _site_url(_run_lines("HOST=0.0.0.0", "PORT=9000"), "runserver") == (
        "http://127.0.0.1:9000"
    )


def test_an_explicit_site_url_wins():
    lines = _run_lines("PORT=8123", env={"SITE_URL": "https://coachline.example.com"})
    assert _site_url(lines, "runserver") == "https://coachline.example.com"
