"""Peer-review fixtures: a cohort of agents on the shipped tone exercise, and helpers."""

import pytest

from curriculum.models import Exercise
from grading.peer import services
from grading.peer.rubric import criteria_of
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
)

TONE = "tone-read-and-calibrate"
SCENARIOS = [
    "tone-charged-twice-caps",
    "tone-polite-deadline-card-declined",
    "tone-sarcastic-thanks-sync",
]


def configure(exercise: Exercise, **settings) -> Exercise:
    exercise.settings = {**exercise.settings, **settings}
    exercise.save(update_fields=["settings"])
    return exercise


@pytest.fixture
def peer_content(loaded_content):
    return loaded_content


@pytest.fixture
def tone(peer_content) -> Exercise:
    """The shipped tone exercise (2 reviews required, 2 to give), without self-assessment."""
    return configure(Exercise.objects.get(slug=TONE), self_assessment=False)


@pytest.fixture
def peer_trainer(db):
    return TrainerFactory()


@pytest.fixture
def peer_cohort(peer_trainer):
    return CohortFactory(trainers=[peer_trainer])


def agents_in(cohort, n: int) -> list:
    agents = [UserFactory() for _ in range(n)]
    for agent in agents:
        MembershipFactory(cohort=cohort, user=agent)
    return agents


def submit(user, *, scenario: str = SCENARIOS[0], exercise: str = TONE, answer=None):
    """A committed submission, entered in the peer queue as grading's receiver of
    `submission_committed` does (without starting automatic grading)."""
    fields = {"answer": answer} if answer is not None else {}
    submission = SubmissionFactory(
        user=user, shipped_tone=True, exercise_slug=exercise, scenario_slug=scenario, **fields
    )
    services.peer_queue_enter(submission_id=submission.pk)
    return submission


def review_input(review, points=2, **texts) -> services.ReviewInput:
    """A complete review: `points` is one number for every criterion or a dict per key."""
    criteria = criteria_of(review.rubric_version.snapshot)

    def pick(criterion):
        value = points.get(criterion.key, 2) if isinstance(points, dict) else points
        return str(max(criterion.min_points, min(criterion.max_points, value)))

    return services.ReviewInput(
        scores={c.key: pick(c) for c in criteria},
        acknowledges_feelings=texts.get("acknowledges_feelings", "Yes, the surprise is named."),
        would_feel_heard=texts.get("would_feel_heard", "Mostly."),
        more_empathetic=texts.get("more_empathetic", "Mention the small-business pressure."),
        comments=texts.get("comments", ""),
        inline=texts.get("inline", []),
    )


def finish(review, points=2, **texts):
    return services.peer_review_submit(
        review_id=review.pk, reviewer=review.reviewer, data=review_input(review, points, **texts)
    )
