"""Training rubric scores beside the floor metrics, read from the stored grades."""

import pytest
from django.urls import reverse

from grading.console.grades import final_grades_refresh
from grading.models import Grade, GraderKind
from reporting.impact.training_scores import rubric_averages_for_agents
from tests.factories import (
    CriterionScoreFactory,
    GradeFactory,
    RubricVersionFactory,
    SubmissionFactory,
)

pytestmark = pytest.mark.django_db


SNAPSHOT = {
    "criteria": [
        {"id": key, "title": key.title(), "weight": 1, "allow_na": True,
         "levels": [{"points": p, "title": str(p)} for p in range(5)]}
        for key in ("empathy", "tone")
    ]
}  # fmt: skip


@pytest.fixture
def rubric_version(db):
    return RubricVersionFactory(snapshot=SNAPSHOT)


def grade(submission, grader, rubric_version, scores: dict[str, int | None]) -> Grade:
    made = GradeFactory(
        submission=submission, grader=grader, rubric_version=rubric_version, total=0.5
    )
    for key, points in scores.items():
        CriterionScoreFactory(grade=made, criterion_key=key, points=points, max_points=4)
    final_grades_refresh(submission_ids=[submission.pk])  # as grading.services.grade_store
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


def test_a_trainer_grade_replaces_the_automatic_one(agents, rubric_version, trainer):
    from grading.console.models import TrainerReview, TrainerScore

    submission = SubmissionFactory(user=agents[0])
    grade(submission, GraderKind.OFFLINE, rubric_version, {"empathy": 0, "tone": 4})
    review = TrainerReview.objects.create(
        submission=submission, trainer=trainer, rubric_version=rubric_version, total=1.0
    )
    TrainerScore.objects.bulk_create(
        TrainerScore(review=review, criterion_key=k, points=4, min_points=0, max_points=4)
        for k in ("empathy", "tone")
    )
    final_grades_refresh(submission_ids=[submission.pk])  # as trainer_review_submit
    averages = rubric_averages_for_agents(agent_ids=[agents[0].pk])
    assert averages[agents[0].pk] == {"empathy": 1.0, "tone": 1.0}


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
