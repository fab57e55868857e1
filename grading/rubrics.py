"""The one place for rubric arithmetic: level points, snapping, weighted totals and caps.

Pure Python over the rubric snapshot's plain dicts (criterion: id, weight, levels,
critical, critical_cap, critical_at), so the offline grader, the LLM grader and the stored
final grades compute a total the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def level_points(criterion: Mapping) -> list[int]:
    """A criterion's level points, ascending ([0, 1, 2, 3] when it lists none)."""
    levels = criterion.get("levels") if isinstance(criterion, Mapping) else None
    points = sorted(
        int(level["points"])
        for level in (levels if isinstance(levels, list | tuple) else [])
        if isinstance(level, Mapping) and level.get("points") is not None
    )
    return points or [0, 1, 2, 3]


def snap_fraction(fraction: float, criterion: Mapping) -> int:
    """The criterion's level nearest to a fraction (0..1) of its range (ties go down)."""
    levels = level_points(criterion)
    low, high = levels[0], levels[-1]
    target = low + (high - low) * max(0.0, min(1.0, fraction))
    return min(levels, key=lambda p: (abs(p - target), p))


def caps_at(criterion: Mapping) -> float | None:
    """The points at or below which a critical criterion caps the total (None: no cap).

    `critical_at` in the rubric names that level; without it, the lowest level caps.
    """
    if not criterion.get("critical") or criterion.get("critical_cap") is None:
        return None
    at = criterion.get("critical_at")
    return float(at) if at is not None else float(level_points(criterion)[0])


def weighted_total(criteria: list[Mapping], points: Mapping[str, Any]) -> float:
    """Weighted mean of each scored criterion's fraction of its range, with critical caps.

    `points` maps a criterion id to its points (None or absent: not applicable, left out).
    """
    weighted = weights = 0.0
    cap = 1.0
    for criterion in criteria:
        value = points.get(str(criterion.get("id")))
        if value is None:
            continue
        levels = level_points(criterion)
        span = (levels[-1] - levels[0]) or 1
        weight = float(criterion.get("weight") or 1)
        weighted += weight * (float(value) - levels[0]) / span
        weights += weight
        threshold = caps_at(criterion)
        if threshold is not None and float(value) <= threshold:
            cap = min(cap, float(criterion["critical_cap"]))
    total = weighted / weights if weights else 0.0
    return round(max(0.0, min(total, cap)), 4)
