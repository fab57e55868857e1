"""Cache (Redis) down: pages, autosave, submit and login keep working (issue 13)."""

import logging

import pytest
from django.core.cache import cache
from django.urls import reverse

from exercises.models import Submission
from tests.factories import TEST_PASSWORD, UserFactory

from .conftest import SCENARIOS, _form, _urls, closed_port, valid_answer

pytestmark = pytest.mark.django_db
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def cache_down(settings):
    """The shared cache pointed at a port where no Redis listens."""
    settings.CACHES = {
        "default": {
            "BACKEND": "curriculum.cache.FailOpenRedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}


def test_the_cache_reads_as_empty_and_a_lock_is_granted_when_redis_is_down(cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger="curriculum.cache"):
        assert cache.get("missing", "fallback") == "fallback"
        assert cache.add("some-lock", True) is True  # the rate limit's lock fails open
        cache.set("key", "value")
        assert cache.get("key") is None
        assert cache.get_many(["a", "b"]) == {}
        assert cache.delete("key") is False
    assert "cache unreachable" in caplog.text


def test_login_works_with_the_cache_down_and_says_so_in_the_log(cache_down, client, caplog):
    agent = UserFactory()
    with caplog.at_level(logging.WARNING):
        response = client.post(
            reverse("account_login"), {"login": agent.email, "password": TEST_PASSWORD}
        )
    assert response.status_code == 302
    assert client.get(reverse("home"), follow=True).status_code == 200
    assert "_auth_user_id" in client.session


def test_a_wrong_password_is_still_refused_with_the_cache_down(cache_down, client):
    agent = UserFactory()
    response = client.post(reverse("account_login"), {"login": agent.email, "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_pages_autosave_and_submit_work_with_the_cache_down(cache_down, client, make_exercise):
    exercise = make_exercise("tone")
    scenario = exercise.scenarios.get(slug=SCENARIOS["tone"][0])
    urls = _urls(exercise, scenario)
    agent = UserFactory()
    client.force_login(agent)
    assert client.get(reverse("home"), follow=True).status_code == 200
    assert client.get(urls["workspace"]).status_code == 200
    saved = client.post(urls["workspace-save"], _form("tone", {"prompt": "kept"}), **JSON)
    assert saved.status_code == 200
    submitted = client.post(
        urls["workspace-submit"], _form("tone", valid_answer("tone"), revision=1)
    )
    assert submitted.status_code == 302
    submission = Submission.objects.get(user=agent)
    assert client.get(submitted["Location"]).status_code == 200
    assert submission.answer["reply"] == valid_answer("tone")["reply"]


def test_without_the_fail_open_backend_a_login_would_fail(settings, client):
    """What the issue saw: Django's own RedisCache raises on the rate limit's cache lock."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port()}/0",
        }
    }
    agent = UserFactory()
    with pytest.raises(RedisConnectionError):
        client.post(reverse("account_login"), {"login": agent.email, "password": TEST_PASSWORD})
