"""Grader quality (reporting.quality) on a small known table, and its page."""

import pytest

from grading.console import services
from reporting import quality
from tests.factories import CohortFactory, MembershipFactory, UserFactory
from tests.grading.console.conftest import grade, graded_submission, peer_review

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


def test_a_peer_median_between_levels_is_not_exact_agreement():
    from grading.agreement import agreement

    # A peer median of 2.5 against a trainer's 3: adjacent, not exact (it used to round up).
    found = agreement([2.5, 1.0], [3, 1], low=0, high=3)
    assert (found.exact, found.adjacent) == (0.5, 1.0)
    assert found.kappa == pytest.approx(1.0)  # kappa still compares levels, 2.5 -> 3


def test_kappa_on_few_pairs_is_marked(exercise, agent_in, trainer, client):
    from django.urls import reverse

    from grading.agreement import KAPPA_MIN_PAIRS, Agreement

    assert Agreement(1, 1.0, 1.0, 0.5).few_pairs
    assert not Agreement(KAPPA_MIN_PAIRS, 1.0, 1.0, 0.5).few_pairs
    assert not Agreement(0, None, None, None).few_pairs
    for offline, trained in ((0, 1), (2, 3)):
        submission = graded_submission(agent_in, exercise, {"accuracy": offline, "empathy": 1})
        _trainer_grades(trainer, submission, trained, empathy=2)
    client.force_login(trainer)
    cohort = agent_in.memberships.get().cohort
    body = client.get(reverse("grading:console-quality", args=[cohort.slug])).content.decode()
    row = body.split('data-criterion="accuracy"')[1].split("</tr>")[0]
    assert "few pairs" in row and "2 of the 10 needed" in row
