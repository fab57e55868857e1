"""Training rubric scores beside the floor metrics, read from the stored grades."""

import pytest
from django.urls import reverse

from grading.models import Grade, GraderKind
from reporting.impact.training_scores import rubric_averages_for_agents
from tests.factories import (
    CriterionScoreFactory,
    GradeFactory,
    RubricVersionFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def rubric_version(db):
    return RubricVersionFactory(snapshot={"criteria": []})


def grade(submission, grader, rubric_version, scores: dict[str, int | None]) -> Grade:
    made = GradeFactory(submission=submission, grader=grader, rubric_version=rubric_version)
    for key, points in scores.items():
        CriterionScoreFactory(grade=made, criterion_key=key, points=points, max_points=4)
    return made


def test_llm_grade_counts_when_present_else_offline(agents, rubric_version):
    ana, ben, _ = agents
    both = SubmissionFactory(user=ana)
    grade(both, GraderKind.OFFLINE, rubric_version, {"empathy": 0, "tone": 0})
    grade(both, GraderKind.LLM, rubric_version, {"empathy": 4, "tone": 2})
    offline_only = SubmissionFactory(user=ana)
    grade(offline_only, GraderKind.OFFLINE, rubric_version, {"empathy": 2, "tone": None})
    grade(SubmissionFactory(user=ben), GraderKind.OFFLINE, rubric_version, {"empathy": 1})
    averages = rubric_averages_for_agents(agent_ids=[ana.pk, ben.pk])
    assert averages[ana.pk] == {"empathy": pytest.approx(0.75), "tone": pytest.approx(0.5)}
    assert averages[ben.pk] == {"empathy": pytest.approx(0.25)}


def test_rubric_averages_take_one_query(agents, rubric_version, django_assert_num_queries):
    grade(SubmissionFactory(user=agents[0]), GraderKind.LLM, rubric_version, {"empathy": 4})
    with django_assert_num_queries(1):
        rubric_averages_for_agents(agent_ids=[a.pk for a in agents])


def test_the_dashboard_shows_rubric_scores(client, leader, impact, agents, rubric_version):
    grade(SubmissionFactory(user=agents[0]), GraderKind.LLM, rubric_version, {"empathy": 3})
    client.force_login(leader)
    response = client.get(reverse("impact:cohort-dashboard", args=[impact.cohort.slug]))
    assert response.context["tables"]["rubric"].rows == [["empathy", 0.75, 0.75]]


def test_agents_without_grades_have_no_rubric_scores(client, leader, impact):
    client.force_login(leader)
    response = client.get(reverse("impact:cohort-dashboard", args=[impact.cohort.slug]))
    assert response.context["tables"]["rubric"].rows == []
