"""The cohort progress dashboard: completion, criterion averages, overdue and behind agents,
mastery, CSV exports, and a constant query count at 10 and at 500 agents."""

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curriculum.models import Membership, User
from exercises.models import Assignment, Scenario, Submission
from grading.console import services
from grading.console.grades import final_grades_refresh
from grading.models import CriterionScore, Grade
from reporting import progress
from tests.factories import (
    CohortGradingSettingsFactory,
    ExerciseScenario,
    SubmissionFactory,
    UserFactory,
    exercise_with_scenarios,
    scenario_from_fixture,
)
from tests.grading.console.conftest import grade, graded_submission, peer_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_scenarios(exercise):
    ExerciseScenario.objects.create(
        exercise=exercise, scenario=scenario_from_fixture("tone-polite-deadline-card-declined"),
        order=1,
    )  # fmt: skip
    return list(exercise.scenario_links.order_by("order").values_list("scenario", flat=True))


def _submit(agent, exercise, scenario_id, points, attempt=1, when=None):
    """A submission of `agent` on one scenario, graded with `points`, made at `when`."""
    submission = SubmissionFactory(
        user=agent,
        exercise=exercise,
        scenario=Scenario.objects.get(pk=scenario_id),
        attempt=attempt,
    )
    if when is not None:
        Submission.objects.filter(pk=submission.pk).update(created_at=when)
    if points is not None:
        grade(submission, points)
    return submission


def test_completion_and_averages_count_the_latest_attempt(
    exercise, two_scenarios, console_cohort, agent_in
):
    first, _second = two_scenarios
    _submit(agent_in, exercise, first, {"accuracy": 0, "empathy": 0}, attempt=1)
    _submit(agent_in, exercise, first, {"accuracy": 3, "empathy": 1}, attempt=2)
    slacker = UserFactory()
    Membership.objects.create(cohort=console_cohort, user=slacker)

    overview = progress.cohort_progress(cohort=console_cohort)
    rows = {row.user: row for row in overview.agents}
    assert (rows[agent_in].done, rows[agent_in].total, rows[agent_in].percent) == (1, 2, 50)
    assert rows[slacker].done == 0
    module = overview.modules[0]
    assert module.exercises[0].percent == 25  # 1 of 2 agents x 2 scenarios
    # Only the latest attempt counts: accuracy 3/3, empathy 1/3.
    assert [(bar.label, bar.percent) for bar in overview.criteria] == [
        ("Empathy", 33),
        ("Accuracy", 100),
    ]
    assert overview.weakest.label == "Empathy" and overview.weakest.warn


def test_overdue_and_behind(exercise, two_scenarios, console_cohort, agent_in, trainer):
    first, second = two_scenarios
    now = timezone.now()
    Assignment.objects.create(
        cohort=console_cohort, module=exercise.module, opens_at=now - timedelta(days=10),
        due_at=now - timedelta(days=1), created_by=trainer,
    )  # fmt: skip
    on_time = UserFactory()
    Membership.objects.create(cohort=console_cohort, user=on_time)
    for scenario in (first, second):
        _submit(on_time, exercise, scenario, {"accuracy": 3, "empathy": 3},
                when=now - timedelta(days=2))  # fmt: skip
    _submit(agent_in, exercise, first, {"accuracy": 3, "empathy": 3}, when=now)  # late
    overview = progress.cohort_progress(cohort=console_cohort)
    rows = {row.user: row for row in overview.agents}
    assert rows[agent_in].overdue == 2  # one late, one missing
    assert rows[on_time].overdue == 0 and not rows[on_time].behind
    assert [a.user for a in overview.overdue] == [agent_in]


def test_mastery_needs_every_exercise_and_every_criterion_at_threshold(
    exercise, two_scenarios, console_cohort, agent_in
):
    first, second = two_scenarios
    _submit(agent_in, exercise, first, {"accuracy": 3, "empathy": 1})
    (mastery,) = progress.mastery_for_agent(user=agent_in)
    assert not mastery.mastered
    assert mastery.weak == [("Empathy", 33)]
    _submit(agent_in, exercise, second, {"accuracy": 3, "empathy": 3})
    (mastery,) = progress.mastery_for_agent(user=agent_in)
    assert mastery.weak == [("Empathy", 67)]  # (1 + 3) / 2 of 3 points
    CohortGradingSettingsFactory(cohort=console_cohort, mastery_threshold=0.6)
    (mastery,) = progress.mastery_for_agent(user=agent_in)
    assert mastery.mastered and mastery.blockers == []


def test_mastery_counts_only_released_grades_for_the_agent(exercise, console_cohort, agent_in):
    CohortGradingSettingsFactory(cohort=console_cohort, release_mode="on_release")
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3})
    (mastery,) = progress.mastery_for_agent(user=agent_in)
    assert not mastery.mastered and mastery.not_attempted == [exercise.title]


def test_mastery_lists_every_module_the_agent_has_work_in_not_only_the_assigned(
    exercise, console_cohort, agent_in, trainer
):
    other = exercise_with_scenarios(type="tone", scenarios=["tone-confused-credit-note"])
    assert other.module_id != exercise.module_id
    now = timezone.now()
    Assignment.objects.create(
        cohort=console_cohort, module=other.module, opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=7), created_by=trainer,
    )  # fmt: skip
    assert [m.module for m in progress.mastery_for_agent(user=agent_in)] == [other.module]
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3})
    mastery = {m.module: m for m in progress.mastery_for_agent(user=agent_in)}
    assert set(mastery) == {other.module, exercise.module}
    assert mastery[exercise.module].mastered
    assert mastery[other.module].not_attempted == [other.title]


def test_agent_home_tag_renders_mastery(client, exercise, agent_in):
    from django.template import Context, Template
    from django.test import RequestFactory

    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 1})
    request = RequestFactory().get("/")
    request.user = agent_in
    html = Template("{% load progress_charts %}{% agent_mastery %}").render(
        Context({"request": request})
    )
    assert "Your mastery" in html and "Empathy: 33%" in html


def test_grades_and_progress_csv(client, exercise, console_cohort, agent_in, trainer):
    agent_in.full_name = "=cmd|' /C calc'!A0"
    agent_in.save(update_fields=["full_name"])
    graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    client.force_login(trainer)
    response = client.get(reverse("grading:console-grades-csv", args=[console_cohort.slug]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["agent_email"] == agent_in.email
    assert rows[0]["agent_name"].startswith("'=")  # no formula injection
    assert (rows[0]["accuracy"], rows[0]["empathy"], rows[0]["source"]) == ("2", "1", "auto")
    response = client.get(reverse("grading:console-progress-csv", args=[console_cohort.slug]))
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0]["completed"] == "1" and rows[0]["completion_percent"] == "100"


# ---- query count ---------------------------------------------------------------------------


def _populate(cohort, exercise, trainer, count):
    """`count` agents in the cohort, each with a graded submission (some peer-reviewed,
    some trainer-reviewed), created in bulk."""
    scenario = exercise.scenario_links.get().scenario
    version = scenario.versions.first()
    start = User.objects.count()
    users = User.objects.bulk_create(
        User(email=f"bulk{start + i}@example.com", password="!") for i in range(count)
    )
    Membership.objects.bulk_create(Membership(cohort=cohort, user=u) for u in users)
    submissions = Submission.objects.bulk_create(
        SubmissionFactory.build(
            user=u, exercise=exercise, scenario=scenario, scenario_version=version,
            attempt=1, answer={"reply": "Hi"},
        )
        for u in users
    )  # fmt: skip
    from grading.models import RubricVersion

    rv = RubricVersion.objects.get(rubric__slug="console-test")
    grades = Grade.objects.bulk_create(
        Grade(submission=s, grader="offline", rubric_version=rv, total=0.5) for s in submissions
    )
    CriterionScore.objects.bulk_create(
        CriterionScore(grade=g, criterion_key=key, order=i, points=(g.pk + i) % 4, max_points=3)
        for g in grades
        for i, key in enumerate(["accuracy", "empathy"])
    )
    final_grades_refresh(submission_ids=[s.pk for s in submissions])
    peer_review(submissions[0], users[-1], {"accuracy": 1, "empathy": 2})
    services.trainer_review_submit(
        trainer=trainer,
        submission_id=submissions[1].pk,
        data=services.ReviewInput(
            scores={"accuracy": "3", "empathy": "3"}, reasons={"accuracy": "x", "empathy": "y"}
        ),
    )


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)  # the queries of a stream run as it is read
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_dashboard_query_count_is_the_same_with_10_and_500_agents(
    client, exercise, console_cohort, trainer, monkeypatch
):
    # progress.csv sums its agents in chunks (a constant number of queries per chunk): one
    # chunk here, so the count is the same at both sizes.
    monkeypatch.setattr(progress, "PROGRESS_CHUNK", 1000)
    Assignment.objects.create(
        cohort=console_cohort, module=exercise.module, opens_at=timezone.now(),
        due_at=timezone.now() + timedelta(days=3), created_by=trainer,
    )  # fmt: skip
    client.force_login(trainer)
    urls = [
        reverse("grading:console-progress", args=[console_cohort.slug]),
        reverse("grading:console-progress-csv", args=[console_cohort.slug]),
        reverse("grading:console-grades-csv", args=[console_cohort.slug]),
        reverse("grading:console-quality", args=[console_cohort.slug]),
        reverse("grading:console-queue"),
        reverse("grading:console-progress", args=[console_cohort.slug])
        + "?sort=-average&status=on_track&q=agent",
        reverse("grading:console-held", args=[console_cohort.slug]),
    ]
    _populate(console_cohort, exercise, trainer, 10)
    small = [_queries(client, url) for url in urls]
    _populate(console_cohort, exercise, trainer, 490)
    assert Membership.objects.filter(cohort=console_cohort).count() == 500
    large = [_queries(client, url) for url in urls]
    assert small == large
    body = client.get(urls[0]).content.decode()
    assert body.count('class="badge ok">On track') + body.count("Behind") >= 1
