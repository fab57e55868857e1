"""The review page: the case beside the answer, compact criteria, n/a kept on save."""

import copy

import pytest
from django.urls import reverse
from django.utils.html import escape

from grading.console.models import GradeOverride, TrainerReview
from tests.factories import RubricVersionFactory, SubmissionFactory, exercise_with_scenarios

from .conftest import SNAPSHOT, grade, graded_submission

pytestmark = pytest.mark.django_db


def test_the_review_page_shows_the_customers_message_and_the_scenario(
    client, exercise, agent_in, trainer
):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    client.force_login(trainer)
    page = client.get(reverse("grading:console-review", args=[submission.pk])).content.decode()
    assert "The case" in page
    assert "I have been CHARGED TWICE this month." in page
    assert "Derek Lindqvist, Lindqvist Plumbing · Starter plan" in page


def test_the_case_is_the_scenario_version_the_agent_answered(client, exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    version = submission.scenario_version
    version.data = {**version.data, "message": "What the agent saw back then."}
    version.save(update_fields=["data"])
    client.force_login(trainer)
    page = client.get(reverse("grading:console-review", args=[submission.pk])).content.decode()
    assert "What the agent saw back then." in page


def test_a_thread_is_shown_in_order_ending_with_the_latest_customer_message(
    client, agent_in, trainer, rubric_version
):
    context = exercise_with_scenarios(
        type="context", scenarios=["context-first-payout-hold"], rubric_slug="console-test"
    )
    submission = graded_submission(
        agent_in,
        context,
        {"accuracy": 2, "empathy": 2},
        scenario=context.scenarios.get(),
        answer={"summary": "A payout hold.", "prompt": "Explain.", "reply": "Hi."},
    )
    data = submission.scenario_version.data
    client.force_login(trainer)
    page = client.get(reverse("grading:console-review", args=[submission.pk])).content.decode()
    bodies = [msg["body"].strip().splitlines()[0] for msg in data["thread"]]
    latest = data["message"].strip().splitlines()[0]
    positions = [page.index(escape(body)) for body in [*bodies, latest]]
    assert positions == sorted(positions)
    assert "The conversation" in page and "Latest" in page


def test_each_level_description_is_shown_once_and_folded(client, exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    client.force_login(trainer)
    page = client.get(reverse("grading:console-review", args=[submission.pk])).content.decode()
    for text in ("<dd>A0</dd>", "<dd>A3</dd>", "<dd>E2</dd>"):
        assert page.count(text) == 1
    assert page.count('<details class="level-help">') == 2


@pytest.fixture
def na_exercise(db):
    snapshot = copy.deepcopy(SNAPSHOT)
    snapshot["id"] = "console-na"
    snapshot["criteria"][1]["allow_na"] = True
    version = RubricVersionFactory(rubric__slug="console-na", snapshot=snapshot)
    exercise = exercise_with_scenarios(
        type="tone", scenarios=["tone-charged-twice-caps"], rubric_slug="console-na"
    )
    return exercise, version


def test_an_automatic_na_is_preselected_and_saving_unchanged_works(
    client, na_exercise, agent_in, trainer
):
    exercise, version = na_exercise
    submission = SubmissionFactory(user=agent_in, exercise=exercise)
    grade(submission, {"accuracy": 2, "empathy": None}, rubric_version=version)
    client.force_login(trainer)
    url = reverse("grading:console-review", args=[submission.pk])
    page = client.get(url).content.decode()
    assert 'name="score__empathy" value="na" checked' in page
    # What the browser sends for the form as shown.
    response = client.post(url, {"score__accuracy": "2", "score__empathy": "na"})
    assert response.status_code == 302
    review = TrainerReview.objects.get(submission=submission)
    assert not review.changed and not GradeOverride.objects.exists()
    assert {s.criterion_key: s.points for s in review.scores.all()} == {
        "accuracy": 2,
        "empathy": None,
    }


def test_na_is_not_offered_where_the_rubric_forbids_it(client, exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": None})
    client.force_login(trainer)
    url = reverse("grading:console-review", args=[submission.pk])
    page = client.get(url).content.decode()
    assert 'value="na"' not in page
    response = client.post(url, {"score__accuracy": "2", "score__empathy": "na"})
    assert response.status_code == 400
    assert "Choose a level." in response.content.decode()
