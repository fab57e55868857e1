"""Agreement figures on small tables worked out by hand."""

import pytest

from grading.agreement import agreement, quadratic_weighted_kappa


def test_perfect_agreement_is_one():
    assert quadratic_weighted_kappa([0, 1, 2, 3], [0, 1, 2, 3], low=0, high=3) == 1


def test_complete_disagreement_on_two_levels_is_minus_one():
    assert quadratic_weighted_kappa([0, 1], [1, 0], low=0, high=1) == -1


def test_known_two_by_two_table():
    # observed [[1, 1], [0, 2]], expected [[0.5, 1.5], [0.5, 1.5]] -> 1 - 1/2
    assert quadratic_weighted_kappa([0, 0, 1, 1], [0, 1, 1, 1], low=0, high=1) == 0.5


def test_far_misses_cost_more_than_near_misses():
    near = quadratic_weighted_kappa([0, 1, 2, 3], [1, 1, 2, 3], low=0, high=3)
    far = quadratic_weighted_kappa([0, 1, 2, 3], [3, 1, 2, 3], low=0, high=3)
    assert far < near < 1


def test_no_variance_is_undefined():
    assert quadratic_weighted_kappa([2, 2, 2], [2, 2, 2], low=0, high=3) is None
    assert quadratic_weighted_kappa([], [], low=0, high=3) is None


def test_scores_out_of_range_are_rejected():
    with pytest.raises(ValueError, match="out of range"):
        quadratic_weighted_kappa([0, 5], [0, 1], low=0, high=3)
    with pytest.raises(ValueError, match="length"):
        quadratic_weighted_kappa([0], [0, 1], low=0, high=3)


def test_exact_and_adjacent_shares():
    result = agreement([0, 1, 2, 3], [0, 2, 0, 3], low=0, high=3)
    assert result.n == 4
    assert result.exact == 0.5
    assert result.adjacent == 0.75
    assert agreement([], [], low=0, high=3).kappa is None
