"""The agent home and the workspace use a fixed number of queries however much was submitted."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from exercises.models import Submission
from tests.factories import SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


def _submissions(agent, exercise, count, start=1):
    """`count` more submissions spread over the exercise's scenarios (attempts count up)."""
    links = list(exercise.scenario_links.select_related("scenario"))
    rows = []
    for n in range(start, start + count):
        scenario = links[n % len(links)].scenario
        rows.append(
            SubmissionFactory.build(
                user=agent,
                exercise=exercise,
                scenario=scenario,
                attempt=n,
                answer={"reply": f"reply {n}"},
                edit_class="light",
                edit_distance=0.1,
            )
        )
    Submission.objects.bulk_create(rows)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.fixture
def busy_agent(client, make_exercise):
    exercises = [make_exercise(kind) for kind in ("tone", "audit", "context")]
    agent = UserFactory()
    client.force_login(agent)
    return agent, exercises


def test_agent_home_queries_do_not_grow_with_submissions(
    client, busy_agent, django_assert_num_queries
):
    agent, exercises = busy_agent
    _submissions(agent, exercises[0], 1)
    url = reverse("agent-home")
    expected = _queries(client, url)
    for exercise in exercises:
        _submissions(agent, exercise, 66 if exercise != exercises[0] else 67, start=2)
    assert Submission.objects.filter(user=agent).count() == 200
    with django_assert_num_queries(expected):
        client.get(url)


def test_workspace_queries_do_not_grow_with_submissions(
    client, busy_agent, django_assert_num_queries
):
    agent, exercises = busy_agent
    exercise = exercises[0]
    scenario = exercise.scenario_links.first().scenario
    url = reverse("exercises:workspace", args=[exercise.slug, scenario.slug])
    client.get(url)  # the first visit creates the workspace
    _submissions(agent, exercise, 1)
    expected = _queries(client, url)
    _submissions(agent, exercise, 199, start=2)
    with django_assert_num_queries(expected):
        client.get(url)


def test_submission_history_queries_do_not_grow(client, busy_agent, django_assert_num_queries):
    agent, exercises = busy_agent
    _submissions(agent, exercises[0], 1)
    url = reverse("exercises:submission-list")
    expected = _queries(client, url)
    _submissions(agent, exercises[1], 199, start=2)
    with django_assert_num_queries(expected):
        client.get(url)
