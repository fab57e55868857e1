"""The rules grading's models got with the access index (grading/access.py: grades, their
scores, jobs, the LLM cache): every role against them; a held grade stays hidden from its
author until released."""

import pytest

from curriculum import access
from grading.console.models import CohortGradingSettings
from grading.console.services import grade_release
from grading.models import GradingJob, LLMResponseCache
from tests.factories import SupportLeaderFactory, TrainerFactory, UserFactory
from tests.grading.console.conftest import graded_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    grade = submission.grades.get()
    roles = {
        "author": agent_in,
        "other_agent": UserFactory(),
        "cohort_trainer": trainer,
        "other_trainer": TrainerFactory(),
        "staff": UserFactory(is_staff=True),
        "support_leader": SupportLeaderFactory(),
    }
    objects = {
        "grade": grade,
        "score": grade.scores.first(),
        "job": GradingJob(submission=submission),
        "final": submission.final_grade,
        "final_criterion": submission.final_grade.criteria.first(),
    }
    return roles, objects


VIEW = {
    "grade": {"author", "cohort_trainer", "staff"},
    "score": {"author", "cohort_trainer", "staff"},
    "job": {"cohort_trainer", "staff"},
    "final": {"author", "cohort_trainer", "staff"},
    "final_criterion": {"author", "cohort_trainer", "staff"},
}


@pytest.mark.parametrize("kind", list(VIEW))
@pytest.mark.parametrize(
    "role",
    ["author", "other_agent", "cohort_trainer", "other_trainer", "staff", "support_leader"],
)
def test_who_sees_grades_scores_and_jobs(world, kind, role):
    roles, objects = world
    assert access.can_view(roles[role], objects[kind]) is (role in VIEW[kind])
    # Written by the grading pipeline only, never through a person's change.
    assert not access.can_change(roles[role], objects[kind])


def test_a_held_grade_is_hidden_from_its_author_until_released(
    exercise, agent_in, trainer, console_cohort
):
    CohortGradingSettings.objects.update_or_create(
        cohort=console_cohort,
        defaults={"release_mode": CohortGradingSettings.ReleaseMode.ON_RELEASE},
    )
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    grade = submission.grades.get()
    assert not access.can_view(agent_in, grade)
    assert access.can_view(trainer, grade)
    final = submission.final_grade
    assert not access.can_view(agent_in, final)
    assert access.can_view(trainer, final)
    grade_release(trainer=trainer, submission_id=submission.pk)
    assert access.can_view(agent_in, grade)
    assert access.can_view(agent_in, grade.scores.first())
    final.refresh_from_db()
    assert access.can_view(agent_in, final)
    assert access.can_view(agent_in, final.criteria.first())


def test_nobody_reads_the_llm_cache(world):
    roles, _ = world
    for user in roles.values():
        assert not access.can_view(user, LLMResponseCache())
