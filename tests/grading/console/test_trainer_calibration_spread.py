""" "1 vs n/a" in a trainer calibration session is disagreement, not a spread of 0. (The
submission picker itself is tested with the calibration loop, tests/grading/calibration/.)"""

from grading.console.trainer_calibration import TrainerCalibrationCriterion


def _criterion(*points):
    return TrainerCalibrationCriterion(
        key="k", title="K", levels=[], scores=[(f"T{i}", p) for i, p in enumerate(points)]
    )


def test_one_versus_na_is_not_a_spread_of_zero():
    split = _criterion(1, None)
    assert split.applicability_split and split.spread is None and split.disagrees
    assert _criterion(None, None).spread is None and not _criterion(None, None).disagrees
    assert _criterion(1, 1).spread == 0 and not _criterion(1, 1).disagrees
    assert _criterion(0, 3).disagrees and _criterion(0, 3).spread == 3
