"""Grader quality on a small known table, and blind trainer calibration sessions."""

import pytest

from grading.console import quality, services
from grading.console.errors import CalibrationError
from tests.factories import CohortFactory, MembershipFactory, TrainerFactory, UserFactory

from .conftest import grade, graded_submission, peer_review

pytestmark = pytest.mark.django_db


def _trainer_grades(trainer, submission, accuracy, empathy=1):
    services.trainer_review_submit(
        trainer=trainer,
        submission_id=submission.pk,
        data=services.ReviewInput(
            scores={"accuracy": str(accuracy), "empathy": str(empathy)},
            reasons={"accuracy": "audit", "empathy": "audit"},
        ),
    )


def test_agreement_figures_on_a_known_table(exercise, agent_in, trainer):
    # offline accuracy 0, 1, 2, 2 against trainer 0, 1, 2, 3:
    #   exact 3/4, adjacent 4/4; quadratic weights (i-j)^2/9 give observed 1/9 and
    #   expected (1*14 + 1*6 + 2*6) / 9 / 4 = 8/9, so kappa = 1 - (1/9) / (8/9) = 0.875.
    # peer medians 1 and 2.5 (rounded to 3) against trainer 1, 2:
    #   exact 1/2, adjacent 2/2, kappa = 1 - (1/9) / (1/3) = 2/3.
    table = [(0, 0, None), (1, 1, [1]), (2, 2, [3, 2]), (2, 3, None)]
    for offline, trained, peers in table:
        submission = graded_submission(agent_in, exercise, {"accuracy": offline, "empathy": 1})
        for points in peers or []:
            peer_review(submission, UserFactory(), {"accuracy": points, "empathy": 1})
        _trainer_grades(trainer, submission, trained)
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3})  # not reviewed
    other_agent = UserFactory()
    MembershipFactory(cohort=CohortFactory(trainers=[trainer]), user=other_agent)
    elsewhere = graded_submission(other_agent, exercise, {"accuracy": 0, "empathy": 0})
    grade(elsewhere, {"accuracy": 0, "empathy": 0}, grader="llm")
    _trainer_grades(trainer, elsewhere, 3, 3)  # another cohort: not in this report

    report = quality.grader_quality(cohort=agent_in.memberships.get().cohort)
    assert report.reviewed == 4
    accuracy, empathy = report.rows
    assert (accuracy.key, accuracy.low, accuracy.high) == ("accuracy", 0, 3)
    assert accuracy.offline.n == 4
    assert accuracy.offline.exact == 0.75
    assert accuracy.offline.adjacent == 1.0
    assert accuracy.offline.kappa == pytest.approx(0.875)
    assert accuracy.llm.n == 0 and accuracy.llm.kappa is None
    assert accuracy.peer.n == 2
    assert (accuracy.peer.exact, accuracy.peer.adjacent) == (0.5, 1.0)
    assert accuracy.peer.kappa == pytest.approx(2 / 3)
    # Everyone said 1 for empathy: full agreement, kappa undefined.
    assert (empathy.offline.exact, empathy.offline.kappa) == (1.0, None)


def test_quality_page_shows_the_figures(client, exercise, agent_in, trainer):
    from django.urls import reverse

    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    _trainer_grades(trainer, submission, 3)
    client.force_login(trainer)
    cohort = agent_in.memberships.get().cohort
    body = client.get(reverse("grading:console-quality", args=[cohort.slug])).content.decode()
    assert "Offline grader" in body and "Peer median" in body and "Accuracy" in body


# ---- calibration sessions ------------------------------------------------------------------


@pytest.fixture
def session_setup(exercise, agent_in, trainer, console_cohort):
    co = TrainerFactory()
    console_cohort.trainers.add(co)
    subs = [graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1}) for _ in range(2)]
    session = services.calibration_session_create(
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


def test_calibration_scores_stay_blind_until_everyone_handed_in(session_setup, trainer):
    session, co = session_setup
    services.calibration_scores_submit(
        trainer=trainer, session_id=session.pk, scores=_scores(session, 3)
    )
    mine = quality.calibration_page(session=session, user=trainer)
    assert not mine.revealed and mine.waiting_for == 1
    assert {name for v in mine.items for c in v.criteria for name, _ in c.scores} == {"You"}
    theirs = quality.calibration_page(session=session, user=co)
    assert all(c.scores == [] for v in theirs.items for c in v.criteria)

    services.calibration_scores_submit(
        trainer=co, session_id=session.pk, scores=_scores(session, 1)
    )
    page = quality.calibration_page(session=session, user=co)
    assert page.revealed
    accuracy = page.items[0].criteria[0]
    assert sorted(p for _, p in accuracy.scores) == [1, 3]
    assert (accuracy.spread, accuracy.mean, accuracy.stdev) == (2, 2.0, 1.0)
    assert page.items[0].criteria[1].spread == 0


def test_calibration_scores_are_handed_in_once_and_complete(session_setup, trainer):
    session, _co = session_setup
    from grading.console.errors import ReviewValidationError

    partial = dict(list(_scores(session, 2).items())[:1])
    with pytest.raises(ReviewValidationError):
        services.calibration_scores_submit(trainer=trainer, session_id=session.pk, scores=partial)
    services.calibration_scores_submit(
        trainer=trainer, session_id=session.pk, scores=_scores(session, 2)
    )
    with pytest.raises(CalibrationError):
        services.calibration_scores_submit(
            trainer=trainer, session_id=session.pk, scores=_scores(session, 2)
        )


def test_calibration_only_on_the_cohorts_work_and_trainers(
    exercise, trainer, console_cohort, agent_in
):
    stranger = UserFactory()
    foreign = graded_submission(stranger, exercise, {"accuracy": 1, "empathy": 1})
    with pytest.raises(CalibrationError):
        services.calibration_session_create(
            trainer=trainer, cohort=console_cohort, title="x",
            submission_ids=[foreign.pk], co_trainer_ids=[],
        )  # fmt: skip
    own = graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 1})
    with pytest.raises(CalibrationError):
        services.calibration_session_create(
            trainer=trainer, cohort=console_cohort, title="x",
            submission_ids=[own.pk], co_trainer_ids=[TrainerFactory().pk],
        )  # fmt: skip
