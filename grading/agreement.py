"""Agreement between two graders on one criterion: quadratic weighted kappa and friends.

Pure functions on paired integer scores, so trainers' figures can be checked on small
known tables.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Below this many pairs kappa swings widely with a single grade; pages mark it.
KAPPA_MIN_PAIRS = 10


@dataclass(frozen=True)
class Agreement:
    n: int
    exact: float | None  # share of pairs with the same score
    adjacent: float | None  # share within one point
    kappa: float | None  # quadratic weighted kappa; None when undefined

    @property
    def few_pairs(self) -> bool:
        """Too few pairs for kappa to mean much (0 < n < KAPPA_MIN_PAIRS)."""
        return 0 < self.n < KAPPA_MIN_PAIRS

    @property
    def min_pairs(self) -> int:
        return KAPPA_MIN_PAIRS


def quadratic_weighted_kappa(
    a: Sequence[int], b: Sequence[int], *, low: int, high: int
) -> float | None:
    """Cohen's kappa with quadratic weights over the score range low..high.

    None when there are no pairs or when it is undefined (both graders used one score
    throughout and agree, so there is no variance to measure against).
    """
    if len(a) != len(b):
        raise ValueError("score lists differ in length")
    n = len(a)
    k = high - low + 1
    if n == 0 or k < 2:
        return None
    observed = [[0.0] * k for _ in range(k)]
    for x, y in zip(a, b, strict=True):
        if not (low <= x <= high and low <= y <= high):
            raise ValueError(f"score out of range {low}..{high}: {x}, {y}")
        observed[x - low][y - low] += 1
    hist_a = [sum(row) for row in observed]
    hist_b = [sum(observed[i][j] for i in range(k)) for j in range(k)]
    numerator = denominator = 0.0
    for i in range(k):
        for j in range(k):
            weight = (i - j) ** 2 / (k - 1) ** 2
            numerator += weight * observed[i][j]
            denominator += weight * hist_a[i] * hist_b[j] / n
    if denominator == 0:
        return None
    return 1 - numerator / denominator


def agreement(a: Sequence[float], b: Sequence[int], *, low: int, high: int) -> Agreement:
    """Exact and adjacent agreement on the scores as given (a peer median of 2.5 is not
    exact agreement with 3, only adjacent); kappa on the scores rounded half up to a level,
    as kappa needs categories."""
    n = len(a)
    if n == 0:
        return Agreement(0, None, None, None)
    exact = sum(x == y for x, y in zip(a, b, strict=True)) / n
    adjacent = sum(abs(x - y) <= 1 for x, y in zip(a, b, strict=True)) / n
    levels_a = [math.floor(x + 0.5) for x in a]
    levels_b = [math.floor(y + 0.5) for y in b]
    kappa = quadratic_weighted_kappa(levels_a, levels_b, low=low, high=high)
    return Agreement(n, exact, adjacent, kappa)
