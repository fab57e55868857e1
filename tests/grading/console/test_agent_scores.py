"""The agent's lists (My submissions, the exercise's and the workspace's scenario lists) show
the released score of each submission, and nothing while a grade is held."""

import pytest
from django.urls import reverse

from grading.console import services
from tests.factories import CohortGradingSettingsFactory

from .conftest import graded_submission

pytestmark = pytest.mark.django_db


def _pages(exercise, submission):
    return [
        reverse("exercises:submission-list"),
        reverse("exercises:exercise-detail", args=[exercise.slug]),
        reverse("exercises:workspace", args=[exercise.slug, submission.scenario.slug]),
    ]


def test_released_scores_show_in_every_list(client, exercise, agent_in):
    submission = graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 1})
    client.force_login(agent_in)
    for url in _pages(exercise, submission):
        assert "67%" in client.get(url).content.decode(), url


def test_held_scores_do_not_show_until_released(
    client, exercise, console_cohort, agent_in, trainer
):
    CohortGradingSettingsFactory(cohort=console_cohort, release_mode="on_release")
    submission = graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 1})
    client.force_login(agent_in)
    for url in _pages(exercise, submission):
        assert "67%" not in client.get(url).content.decode(), url
    assert "Not yet" in client.get(reverse("exercises:submission-list")).content.decode()
    services.grade_release(submission_id=submission.pk, trainer=trainer)
    for url in _pages(exercise, submission):
        assert "67%" in client.get(url).content.decode(), url


def test_the_scenario_list_shows_the_latest_attempts_score(client, exercise, agent_in):
    graded_submission(agent_in, exercise, {"accuracy": 0, "empathy": 0}, attempt=1)
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3}, attempt=2)
    client.force_login(agent_in)
    html = client.get(reverse("exercises:exercise-detail", args=[exercise.slug])).content.decode()
    table = html[html.index("scenario-table") :]
    assert "100%" in table and "0%" not in table.replace("100%", "")
