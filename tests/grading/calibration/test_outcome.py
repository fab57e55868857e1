"""The figures of a session's outcome on small known tables (grading/calibration/outcome.py)."""

from grading.calibration.outcome import ScoredCriterion, needs_discussion, session_outcome


def test_a_spread_over_one_level_or_n_a_against_a_level_needs_discussion():
    assert needs_discussion([3, 1])
    assert needs_discussion([2, None])
    assert not needs_discussion([2, 3])
    assert not needs_discussion([None, None])
    assert not needs_discussion([])


def test_agreement_before_counts_trainer_pairs_with_the_same_level():
    outcome = session_outcome(
        [
            ScoredCriterion("accuracy", 0, 3, [3, 1, 3], agreed=True),  # 3 pairs, 1 same
            ScoredCriterion("empathy", 0, 3, [2, 2, 2], agreed=True),  # 3 pairs, 3 same
            ScoredCriterion("empathy", 0, 3, [None, None, 1], agreed=True, by_lead=True),
        ]
    )
    assert outcome.pairs == 9
    assert outcome.same_pairs == 1 + 3 + 1  # the two n/a agree
    assert outcome.agreement_before == round(5 / 9, 4)
    # Two of three criteria settled by the trainers; one by the lead.
    assert (outcome.settled, outcome.by_lead, outcome.agreement_after) == (2, 1, round(2 / 3, 4))


def test_kappa_pairs_leave_n_a_out_and_are_counted():
    outcome = session_outcome(
        [
            ScoredCriterion("accuracy", 0, 3, [0, 0]),
            ScoredCriterion("accuracy", 0, 3, [3, 3]),
            ScoredCriterion("accuracy", 0, 3, [1, 2]),
            ScoredCriterion("empathy", 0, 3, [None, 2]),
        ]
    )
    kappa, pairs = outcome.kappa_by_criterion["accuracy"]
    assert pairs == 3 and 0.8 < kappa < 1
    assert outcome.kappa_by_criterion["empathy"] == (None, 0)
    assert outcome.kappa_pairs == 3
    assert outcome.kappa == round(kappa, 4)
    assert outcome.as_dict()["kappa_pairs"] == 3


def test_an_empty_session_has_no_figures():
    outcome = session_outcome([])
    assert (outcome.agreement_before, outcome.agreement_after, outcome.kappa) == (None, None, None)
