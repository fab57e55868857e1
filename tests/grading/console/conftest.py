"""Trainer-console fixtures: a small known rubric, an exercise on it, and graded work."""

import pytest
from django.utils import timezone

from grading.console.grades import final_grades_refresh
from grading.models import CriterionScore, Grade, PeerReview, PeerScore, Rubric, RubricVersion
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
    exercise_with_scenarios,
)

SNAPSHOT = {
    "id": "console-test",
    "title": "Console test rubric",
    "criteria": [
        {
            "id": "accuracy",
            "title": "Accuracy",
            "weight": 1,
            "allow_na": False,
            "critical": True,
            "critical_cap": 0.5,
            "levels": [
                {"points": p, "title": f"Accuracy level {p}", "description": f"A{p}"}
                for p in range(4)
            ],
        },
        {
            "id": "empathy",
            "title": "Empathy",
            "weight": 1,
            "allow_na": False,
            "levels": [
                {"points": p, "title": f"Empathy level {p}", "description": f"E{p}"}
                for p in range(4)
            ],
        },
    ],
}


@pytest.fixture
def rubric_version(db) -> RubricVersion:
    rubric = Rubric.objects.create(slug="console-test", title="Console test", content_hash="t")
    version = RubricVersion.objects.create(
        rubric=rubric, number=1, content_hash="t", title="Console test", snapshot=SNAPSHOT
    )
    rubric.current_version = version
    rubric.save(update_fields=["current_version"])
    return version


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
    stored = Grade.objects.create(
        submission=submission,
        grader=grader,
        rubric_version=rubric_version,
        total=total_of(specs, points, rubric_version.snapshot),
    )
    CriterionScore.objects.bulk_create(
        CriterionScore(
            grade=stored,
            criterion_key=key,
            order=order,
            points=points.get(key),
            max_points=3,
            rationale=f"{grader} on {key}",
        )
        for order, key in enumerate(["accuracy", "empathy"])
    )
    final_grades_refresh(submission_ids=[submission.pk])  # as grading.services.grade_store
    return stored


def graded_submission(agent, exercise, points=None, **kwargs):
    submission = SubmissionFactory(user=agent, exercise=exercise, **kwargs)
    if points is not None:
        grade(submission, points)
    return submission


def peer_review(submission, reviewer, points: dict) -> PeerReview:
    review = PeerReview.objects.create(
        submission=submission,
        exercise=submission.exercise,
        reviewer=reviewer,
        rubric_version=RubricVersion.objects.get(rubric__slug="console-test"),
        status=PeerReview.Status.COMPLETED,
        completed_at=timezone.now(),
    )
    PeerScore.objects.bulk_create(
        PeerScore(review=review, criterion_key=key, order=i, points=p, min_points=0, max_points=3)
        for i, (key, p) in enumerate(points.items())
    )
    final_grades_refresh(submission_ids=[submission.pk])  # as peer_review_submit
    return review
