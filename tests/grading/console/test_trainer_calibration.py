"""Blind trainer calibration sessions (grading.console.calibration and its services)."""

import pytest

from grading.console import services, trainer_calibration
from grading.console.errors import TrainerCalibrationError
from tests.factories import TrainerFactory, UserFactory

from .conftest import graded_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def session_setup(exercise, agent_in, trainer, console_cohort):
    co = TrainerFactory()
    console_cohort.trainers.add(co)
    subs = [graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1}) for _ in range(2)]
    session = services.trainer_calibration_session_create(
        trainer=trainer,
        cohort=console_cohort,
        title="May round",
        submission_ids=[s.pk for s in subs],
        co_trainer_ids=[co.pk],
    )
    return session, co


def _scores(session, accuracy):
    return {
        (item.pk, key): str(accuracy if key == "accuracy" else 1)
        for item in session.items.all()
        for key in ("accuracy", "empathy")
    }


def test_trainer_calibration_scores_stay_blind_until_everyone_handed_in(session_setup, trainer):
    session, co = session_setup
    services.trainer_calibration_scores_submit(
        trainer=trainer, session_id=session.pk, scores=_scores(session, 3)
    )
    mine = trainer_calibration.trainer_calibration_page(session=session, user=trainer)
    assert not mine.revealed and mine.waiting_for == 1
    assert {name for v in mine.items for c in v.criteria for name, _ in c.scores} == {"You"}
    theirs = trainer_calibration.trainer_calibration_page(session=session, user=co)
    assert all(c.scores == [] for v in theirs.items for c in v.criteria)

    services.trainer_calibration_scores_submit(
        trainer=co, session_id=session.pk, scores=_scores(session, 1)
    )
    page = trainer_calibration.trainer_calibration_page(session=session, user=co)
    assert page.revealed
    accuracy = page.items[0].criteria[0]
    assert sorted(p for _, p in accuracy.scores) == [1, 3]
    assert (accuracy.spread, accuracy.mean, accuracy.stdev) == (2, 2.0, 1.0)
    assert page.items[0].criteria[1].spread == 0


def test_trainer_calibration_scores_are_handed_in_once_and_complete(session_setup, trainer):
    session, _co = session_setup
    from grading.console.errors import ReviewValidationError

    partial = dict(list(_scores(session, 2).items())[:1])
    with pytest.raises(ReviewValidationError):
        services.trainer_calibration_scores_submit(
            trainer=trainer, session_id=session.pk, scores=partial
        )
    services.trainer_calibration_scores_submit(
        trainer=trainer, session_id=session.pk, scores=_scores(session, 2)
    )
    with pytest.raises(TrainerCalibrationError):
        services.trainer_calibration_scores_submit(
            trainer=trainer, session_id=session.pk, scores=_scores(session, 2)
        )


def test_trainer_calibration_only_on_the_cohorts_work_and_trainers(
    exercise, trainer, console_cohort, agent_in
):
    stranger = UserFactory()
    foreign = graded_submission(stranger, exercise, {"accuracy": 1, "empathy": 1})
    with pytest.raises(TrainerCalibrationError):
        services.trainer_calibration_session_create(
            trainer=trainer, cohort=console_cohort, title="x",
            submission_ids=[foreign.pk], co_trainer_ids=[],
        )  # fmt: skip
    own = graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 1})
    with pytest.raises(TrainerCalibrationError):
        services.trainer_calibration_session_create(
            trainer=trainer, cohort=console_cohort, title="x",
            submission_ids=[own.pk], co_trainer_ids=[TrainerFactory().pk],
        )  # fmt: skip
