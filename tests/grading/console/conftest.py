"""Trainer-console fixtures: a small known rubric, an exercise on it, and graded work."""

import pytest

from grading.console.grades import final_grades_refresh
from grading.models import Grade, PeerReview, RubricVersion
from tests.factories import (
    RUBRIC_SNAPSHOT,
    CohortFactory,
    CriterionScoreFactory,
    GradeFactory,
    MembershipFactory,
    PeerReviewFactory,
    PeerScoreFactory,
    RubricVersionFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
    exercise_with_scenarios,
)

# The factories' small known rubric (two criteria of 0-3 points), as "console-test".
SNAPSHOT = {**RUBRIC_SNAPSHOT, "id": "console-test", "title": "Console test rubric"}


@pytest.fixture
def rubric_version(db) -> RubricVersion:
    return RubricVersionFactory(
        rubric__slug="console-test", rubric__title="Console test", snapshot=SNAPSHOT
    )


@pytest.fixture
def exercise(rubric_version):
    return exercise_with_scenarios(
        type="tone", scenarios=["tone-charged-twice-caps"], rubric_slug="console-test"
    )


@pytest.fixture
def console_cohort(trainer):
    return CohortFactory(trainers=[trainer])


@pytest.fixture
def agent_in(console_cohort):
    agent = UserFactory()
    MembershipFactory(cohort=console_cohort, user=agent)
    return agent


@pytest.fixture
def other_trainer(db):
    return TrainerFactory()


def grade(submission, points: dict, *, grader="offline", rubric_version=None) -> Grade:
    """Store an automatic grade with the given points (total as the graders compute it)."""
    from grading.console.grades import total_of
    from grading.peer.rubric import criteria_of

    rubric_version = rubric_version or RubricVersion.objects.get(rubric__slug="console-test")
    specs = criteria_of(rubric_version.snapshot)
    stored = GradeFactory(
        submission=submission,
        grader=grader,
        rubric_version=rubric_version,
        total=total_of(specs, points, rubric_version.snapshot),
    )
    for order, key in enumerate(["accuracy", "empathy"]):
        CriterionScoreFactory(grade=stored, criterion_key=key, order=order, points=points.get(key))
    final_grades_refresh(submission_ids=[submission.pk])  # as grading.services.grade_store
    return stored


def graded_submission(agent, exercise, points=None, **kwargs):
    submission = SubmissionFactory(user=agent, exercise=exercise, **kwargs)
    if points is not None:
        grade(submission, points)
    return submission


def peer_review(submission, reviewer, points: dict) -> PeerReview:
    review = PeerReviewFactory(
        submission=submission,
        reviewer=reviewer,
        rubric_version=RubricVersion.objects.get(rubric__slug="console-test"),
        completed=True,
    )
    for order, (key, p) in enumerate(points.items()):
        PeerScoreFactory(review=review, criterion_key=key, order=order, points=p)
    final_grades_refresh(submission_ids=[submission.pk])  # as peer_review_submit
    return review
