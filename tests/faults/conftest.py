"""The fault suite's deterministic half (the whole table runs with `make faults`)."""

import socket

import pytest

from tests.exercises.conftest import SCENARIOS, make_exercise, valid_answer  # noqa: F401
from tests.exercises.test_views import _form, _urls  # noqa: F401


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def no_llm(settings):
    settings.LLM_BASE_URL = ""
    settings.LLM_MODEL = ""
