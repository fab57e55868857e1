"""Combining and reviewer accuracy on small tables whose figures are known by hand."""

import pytest

from grading.peer import scoring

RANGES = {"tone": (0, 3), "facts": (0, 3), "steps": (0, 2)}


def test_median_per_criterion_leaves_out_na():
    reviews = [
        ({"tone": 3, "facts": 1, "steps": None}, 1.0),
        ({"tone": 2, "facts": 2, "steps": 2}, 1.0),
        ({"tone": 0, "facts": 3, "steps": 0}, 1.0),
    ]
    assert scoring.combine(reviews, RANGES, weighted=False) == {
        "tone": 2.0,
        "facts": 2.0,
        "steps": 1.0,  # median of 2 and 0
    }


def test_accuracy_weighted_mean():
    reviews = [({"tone": 3}, 0.9), ({"tone": 0}, 0.1)]
    assert scoring.combine(reviews, ["tone"], weighted=True)["tone"] == pytest.approx(2.7)


def test_distance_and_spread_are_fractions_of_the_range():
    assert scoring.distance(3, 1, 0, 3) == pytest.approx(2 / 3)
    assert scoring.spread([0, 2, None, 1], 0, 2) == 1.0
    assert scoring.spread([2], 0, 3) == 0.0


def test_consensus_agreement_against_the_median_of_the_others():
    # Reviewer 1 and 2 agree; reviewer 3 is 3 points off on tone and 1 on steps.
    reviews = [
        (1, {"tone": 3, "facts": 2, "steps": 2}),
        (2, {"tone": 3, "facts": 2, "steps": 2}),
        (3, {"tone": 0, "facts": 2, "steps": 1}),
    ]
    agreements = scoring.consensus_agreements(reviews, RANGES)
    # Review 1 vs median(2, 3) = tone 1.5, facts 2, steps 1.5:
    # distances 0.5, 0, 0.25 -> mean 0.25 -> agreement 0.75.
    assert agreements[1] == pytest.approx(0.75)
    assert agreements[2] == pytest.approx(0.75)
    # Review 3 vs median(1, 2) = 3, 2, 2: distances 1, 0, 0.5 -> agreement 0.5.
    assert agreements[3] == pytest.approx(0.5)


def test_a_lone_review_gets_no_consensus_figure():
    assert scoring.consensus_agreements([(1, {"tone": 3})], RANGES) == {}


def test_accuracy_figure_weighs_trainer_consensus_and_helpfulness():
    accuracy = scoring.ReviewerAccuracy(
        trainer_samples=(0.9, 0.7),  # mean 0.8
        consensus_samples=(0.6,),
        helpfulness_ratings=(5, 3),  # mean 4 -> (4 - 1) / 4 = 0.75
    )
    assert accuracy.trainer_agreement == pytest.approx(0.8)
    assert accuracy.helpfulness == pytest.approx(4.0)
    # 0.5 * 0.8 + 0.3 * 0.6 + 0.2 * 0.75 = 0.73
    assert accuracy.figure == pytest.approx(0.73)
    assert accuracy.percent == 73
    # Agreement alone: (0.5 * 0.8 + 0.3 * 0.6) / 0.8 = 0.725
    assert accuracy.agreement == pytest.approx(0.725)
    assert not accuracy.consistently_off


def test_figure_renormalises_over_what_is_measured():
    only_consensus = scoring.ReviewerAccuracy(consensus_samples=(0.5, 0.7))
    assert only_consensus.figure == pytest.approx(0.6)
    assert scoring.ReviewerAccuracy().figure is None
    assert scoring.ReviewerAccuracy().weight() == 0.5


def test_consistently_off_needs_enough_samples():
    off = scoring.ReviewerAccuracy(trainer_samples=(0.4,), consensus_samples=(0.5, 0.3))
    assert off.consistently_off
    too_few = scoring.ReviewerAccuracy(trainer_samples=(0.2,), consensus_samples=(0.3,))
    assert not too_few.consistently_off
