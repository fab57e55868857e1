"""The calibration loop reuses the trainer console's fixtures (a small known rubric, an
exercise on it, a cohort with its trainer and agent) and builds a revealed session."""

import copy

import pytest

from grading.console import services as console_services
from tests.factories import TONE_ANSWER, TrainerFactory
from tests.grading.console.conftest import (  # noqa: F401 (fixtures)
    agent_in,
    console_cohort,
    exercise,
    graded_submission,
    rubric_version,
)


def hand_in(session, trainer, points: dict[str, str]):
    """Hand in `trainer`'s blind scores: the same points on every item."""
    scores = {
        (item.pk, key): value for item in session.items.all() for key, value in points.items()
    }
    console_services.trainer_calibration_scores_submit(
        trainer=trainer, session_id=session.pk, scores=scores
    )


@pytest.fixture
def co_trainer(console_cohort):  # noqa: F811
    co = TrainerFactory(full_name="Cora Co-trainer")
    console_cohort.trainers.add(co)
    return co


@pytest.fixture
def lead(console_cohort):  # noqa: F811
    lead = TrainerFactory(full_name="Lee Lead")
    console_cohort.trainers.add(lead)
    return lead


@pytest.fixture
def tone_submission(agent_in, exercise):  # noqa: F811
    return graded_submission(
        agent_in, exercise, {"accuracy": 3, "empathy": 2}, answer=copy.deepcopy(TONE_ANSWER)
    )


@pytest.fixture
def session(trainer, co_trainer, console_cohort, tone_submission):  # noqa: F811
    return console_services.trainer_calibration_session_create(
        trainer=trainer,
        cohort=console_cohort,
        title="June calibration",
        submission_ids=[tone_submission.pk],
        co_trainer_ids=[co_trainer.pk],
    )


@pytest.fixture
def revealed(session, trainer, co_trainer):
    """Both trainers handed in: accuracy 3 vs 1 (far apart), empathy 2 vs 2."""
    hand_in(session, trainer, {"accuracy": "3", "empathy": "2"})
    hand_in(session, co_trainer, {"accuracy": "1", "empathy": "2"})
    return session
