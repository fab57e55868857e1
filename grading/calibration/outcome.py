"""The figures of a calibration session's outcome, as pure functions on the scores.

- agreement before: over every pair of trainers on every item and criterion, the share
  that gave the same level blind (both n/a counts as the same; n/a against a level does
  not);
- agreement after: the share of items' criteria the trainers settled themselves (an agreed
  score), as opposed to a lead trainer's decision or nothing yet;
- kappa: quadratic weighted kappa of the blind scores per criterion over all trainer
  pairs that both gave a level (n/a pairs left out), with its number of pairs; the
  session's kappa is the pair-weighted mean of the criteria where it is defined.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import combinations

from ..agreement import quadratic_weighted_kappa

# A spread of more than this many levels (or n/a against a level) is highlighted.
LARGE_SPREAD = 1


@dataclass
class ScoredCriterion:
    """One criterion of one item: the blind scores, its range and how it was settled."""

    key: str
    low: int
    high: int
    blind: Sequence[int | None]
    agreed: bool = False  # settled by the trainers
    by_lead: bool = False  # settled by a lead trainer


def needs_discussion(blind: Sequence[int | None]) -> bool:
    """Highlighted: the levels given lie more than LARGE_SPREAD apart, or some trainers
    scored it n/a and others gave a level."""
    given = [p for p in blind if p is not None]
    if given and len(given) < len(blind):
        return True
    return bool(given) and max(given) - min(given) > LARGE_SPREAD


@dataclass
class Outcome:
    pairs: int = 0
    same_pairs: int = 0
    settled: int = 0
    by_lead: int = 0
    total: int = 0
    kappa_by_criterion: dict[str, tuple[float | None, int]] = field(default_factory=dict)

    @property
    def agreement_before(self) -> float | None:
        return round(self.same_pairs / self.pairs, 4) if self.pairs else None

    @property
    def agreement_after(self) -> float | None:
        return round(self.settled / self.total, 4) if self.total else None

    @property
    def kappa_pairs(self) -> int:
        return sum(n for _, n in self.kappa_by_criterion.values())

    @property
    def kappa(self) -> float | None:
        defined = [(k, n) for k, n in self.kappa_by_criterion.values() if k is not None and n]
        weight = sum(n for _, n in defined)
        return round(sum(k * n for k, n in defined) / weight, 4) if weight else None

    def as_dict(self) -> dict:
        return {
            "agreement_before": self.agreement_before,
            "agreement_after": self.agreement_after,
            "pairs": self.pairs,
            "settled": self.settled,
            "by_lead": self.by_lead,
            "criteria": self.total,
            "kappa": self.kappa,
            "kappa_pairs": self.kappa_pairs,
            "kappa_by_criterion": {
                key: {"kappa": None if k is None else round(k, 4), "pairs": n}
                for key, (k, n) in sorted(self.kappa_by_criterion.items())
            },
        }


def session_outcome(criteria: Iterable[ScoredCriterion]) -> Outcome:
    outcome = Outcome()
    paired: dict[str, tuple[list[int], list[int], int, int]] = defaultdict(lambda: ([], [], 0, 0))
    for c in criteria:
        outcome.total += 1
        outcome.settled += int(c.agreed and not c.by_lead)
        outcome.by_lead += int(c.by_lead)
        a_list, b_list, _low, _high = paired[c.key]
        paired[c.key] = (a_list, b_list, c.low, c.high)
        for a, b in combinations(c.blind, 2):
            outcome.pairs += 1
            outcome.same_pairs += int(a == b)
            if a is not None and b is not None:
                a_list.append(a)
                b_list.append(b)
    for key, (a_list, b_list, low, high) in paired.items():
        kappa = quadratic_weighted_kappa(a_list, b_list, low=low, high=high) if a_list else None
        outcome.kappa_by_criterion[key] = (kappa, len(a_list))
    return outcome
