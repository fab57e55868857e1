"""What the offline grader returns: evidence, criterion scores, verdicts and raw points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Evidence:
    """Where, in the agent's own text, a score found its reason."""

    field: str
    start: int
    end: int
    note: str


@dataclass(frozen=True)
class CriterionVerdict:
    """One criterion's points (a level of the criterion, or None for N/A), why, and where."""

    points: int | None
    rationale: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """A whole grade: per-criterion scores, the weighted total (0..1) and any flags."""

    criteria: dict[str, CriterionVerdict]
    total: float
    flags: tuple[str, ...] = ()
    grader: str = "offline"
    rubric_id: str | None = None
    kb_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "grader": self.grader,
            "rubric_id": self.rubric_id,
            "kb_version": self.kb_version,
            "total": self.total,
            "flags": list(self.flags),
            "criteria": {
                cid: {
                    "points": c.points,
                    "rationale": c.rationale,
                    "evidence": [e.__dict__ for e in c.evidence],
                }
                for cid, c in self.criteria.items()
            },
        }


@dataclass(frozen=True)
class Raw:
    """What a scorer returns: points on its nominal 0..top scale, or None for N/A."""

    points: int | None
    top: int
    rationale: str
    evidence: tuple[Evidence, ...] = ()
