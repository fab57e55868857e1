"""The one rubric arithmetic: levels, snapping, weighted totals and critical caps."""

import pytest

from grading import rubrics


def _criterion(cid, *, weight=1, critical=False, cap=None, at=None, levels=(0, 1, 2, 3)):
    return {
        "id": cid,
        "weight": weight,
        "critical": critical,
        "critical_cap": cap,
        "critical_at": at,
        "levels": [{"points": p} for p in levels],
    }


def test_level_points_are_ascending_and_default_to_0_to_3():
    assert rubrics.level_points(_criterion("a", levels=(3, 0, 1))) == [0, 1, 3]
    assert rubrics.level_points({"id": "a"}) == [0, 1, 2, 3]


@pytest.mark.parametrize(("fraction", "expected"), [(0, 0), (0.5, 1), (0.51, 2), (1, 3), (2, 3)])
def test_snap_fraction_takes_the_nearest_level_ties_down(fraction, expected):
    assert rubrics.snap_fraction(fraction, _criterion("a")) == expected


def test_weighted_total_leaves_out_not_applicable_criteria():
    criteria = [_criterion("a"), _criterion("b", weight=3)]
    assert rubrics.weighted_total(criteria, {"a": 3, "b": None}) == 1.0
    assert rubrics.weighted_total(criteria, {"a": 0, "b": 3}) == 0.75
    assert rubrics.weighted_total(criteria, {}) == 0.0


def test_a_critical_criterion_caps_at_its_lowest_level_by_default():
    criteria = [_criterion("a", critical=True, cap=0.5), _criterion("b")]
    assert rubrics.weighted_total(criteria, {"a": 0, "b": 3}) == 0.5
    assert rubrics.weighted_total(criteria, {"a": 1, "b": 3}) == pytest.approx(0.6667, abs=1e-4)


def test_critical_at_moves_the_cap_up_to_a_named_level():
    criteria = [_criterion("a", critical=True, cap=0.5, at=1), _criterion("b")]
    assert rubrics.weighted_total(criteria, {"a": 1, "b": 3}) == 0.5
    assert rubrics.weighted_total(criteria, {"a": 2, "b": 3}) == pytest.approx(0.8333, abs=1e-4)


def test_a_cap_without_critical_is_ignored():
    criteria = [_criterion("a", critical=False, cap=0.1)]
    assert rubrics.weighted_total(criteria, {"a": 0}) == 0.0
    assert rubrics.caps_at(criteria[0]) is None
