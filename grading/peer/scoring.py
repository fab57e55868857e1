"""Pure arithmetic of peer review: combining scores, distances, reviewer accuracy.

No database access here, so the figures can be checked on small known tables.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import median

# How the accuracy figure weighs its parts (renormalised over the parts that have data).
TRAINER_WEIGHT = 0.5
CONSENSUS_WEIGHT = 0.3
HELPFULNESS_WEIGHT = 0.2
# A reviewer is "consistently off" with at least this many comparisons, agreeing less.
OFF_MIN_SAMPLES = 3
OFF_BELOW = 0.65

Scores = Mapping[str, int | None]
Ranges = Mapping[str, tuple[int, int]]


def distance(a: float, b: float, low: int, high: int) -> float:
    """|a - b| as a fraction of the criterion's range (0 identical .. 1 opposite ends)."""
    if high <= low:
        return 0.0
    return min(1.0, abs(a - b) / (high - low))


def score_error(scores: Scores, reference: Mapping[str, float | None], ranges: Ranges):
    """Mean distance over the criteria both sides scored; None when nothing compares."""
    parts = [
        distance(scores[key], reference[key], *ranges[key])
        for key in ranges
        if scores.get(key) is not None and reference.get(key) is not None
    ]
    return sum(parts) / len(parts) if parts else None


def combine(
    reviews: list[tuple[Scores, float]], keys: Iterable[str], *, weighted: bool
) -> dict[str, float | None]:
    """Peer score per criterion: the median of the reviews, or (weighted) a mean weighted by
    each reviewer's accuracy. Reviews are (scores, weight); n/a scores are left out."""
    combined: dict[str, float | None] = {}
    for key in keys:
        pairs = [(s[key], w) for s, w in reviews if s.get(key) is not None]
        if not pairs:
            combined[key] = None
            continue
        total_weight = sum(w for _, w in pairs)
        if weighted and total_weight > 0:
            combined[key] = sum(p * w for p, w in pairs) / total_weight
        else:
            combined[key] = float(median(p for p, _ in pairs))
    return combined


def spread(values: list[int | None], low: int, high: int) -> float:
    """The largest disagreement among values, as a fraction of the range."""
    present = [v for v in values if v is not None]
    if len(present) < 2:
        return 0.0
    return distance(max(present), min(present), low, high)


def consensus_agreements(reviews: list[tuple[int, Scores]], ranges: Ranges) -> dict[int, float]:
    """For each review (id, scores) of one submission: 1 - its distance from the median of
    the *other* reviews. A review alone on its submission gets no figure."""
    result = {}
    for index, (review_id, scores) in enumerate(reviews):
        others = [s for i, (_, s) in enumerate(reviews) if i != index]
        if not others:
            continue
        reference = combine([(s, 1.0) for s in others], ranges.keys(), weighted=False)
        error = score_error(scores, reference, ranges)
        if error is not None:
            result[review_id] = 1.0 - error
    return result


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


@dataclass(frozen=True)
class ReviewerAccuracy:
    """A grade for reviewing: agreement with trainers' grades (reviewer calibration on
    trainer-graded examples), with the consensus of other reviewers, and how helpful authors
    found the reviews."""

    trainer_samples: tuple[float, ...] = ()  # 1 - reviewer calibration error per attempt
    consensus_samples: tuple[float, ...] = ()  # agreement with other reviewers per review
    helpfulness_ratings: tuple[int, ...] = ()  # authors' 1..5 ratings

    @property
    def trainer_agreement(self) -> float | None:
        return _mean(list(self.trainer_samples))

    @property
    def consensus_agreement(self) -> float | None:
        return _mean(list(self.consensus_samples))

    @property
    def helpfulness(self) -> float | None:
        """Mean rating on 1..5."""
        return _mean([float(r) for r in self.helpfulness_ratings])

    @property
    def agreement(self) -> float | None:
        """Trainer and consensus agreement together (what "consistently off" is judged on)."""
        parts = [
            (value, weight)
            for value, weight in (
                (self.trainer_agreement, TRAINER_WEIGHT),
                (self.consensus_agreement, CONSENSUS_WEIGHT),
            )
            if value is not None
        ]
        if not parts:
            return None
        return sum(v * w for v, w in parts) / sum(w for _, w in parts)

    @property
    def figure(self) -> float | None:
        """The reviewer's accuracy, 0..1, or None before there is anything to measure."""
        helpful = None if self.helpfulness is None else (self.helpfulness - 1) / 4
        parts = [
            (value, weight)
            for value, weight in (
                (self.trainer_agreement, TRAINER_WEIGHT),
                (self.consensus_agreement, CONSENSUS_WEIGHT),
                (helpful, HELPFULNESS_WEIGHT),
            )
            if value is not None
        ]
        if not parts:
            return None
        return sum(v * w for v, w in parts) / sum(w for _, w in parts)

    @property
    def percent(self) -> int | None:
        return None if self.figure is None else round(100 * self.figure)

    @property
    def samples(self) -> int:
        return len(self.trainer_samples) + len(self.consensus_samples)

    @property
    def consistently_off(self) -> bool:
        agreement = self.agreement
        return self.samples >= OFF_MIN_SAMPLES and agreement is not None and agreement < OFF_BELOW

    def weight(self) -> float:
        """Weight in accuracy-weighted combining; an unmeasured reviewer counts as average."""
        return 0.5 if self.figure is None else max(self.figure, 0.05)


@dataclass(frozen=True)
class ReviewingShare:
    """How much reviewing counts in one agent's grade and mastery (a cohort setting) and
    the accuracy it is measured by: agreement with trainers (reviewer calibration on
    trainer-graded examples) and with the consensus of the other reviewers, weighted
    TRAINER_WEIGHT : CONSENSUS_WEIGHT (helpfulness ratings are not part of it)."""

    share: float = 0.0
    accuracy: ReviewerAccuracy = ReviewerAccuracy()

    @property
    def agreement(self) -> float | None:
        return self.accuracy.agreement

    @property
    def percent(self) -> int | None:
        return None if self.agreement is None else round(100 * self.agreement)

    @property
    def share_percent(self) -> int:
        return round(100 * self.share)

    @property
    def work_share_percent(self) -> int:
        return 100 - self.share_percent

    @property
    def trainer_percent(self) -> int | None:
        value = self.accuracy.trainer_agreement
        return None if value is None else round(100 * value)

    @property
    def consensus_percent(self) -> int | None:
        value = self.accuracy.consensus_agreement
        return None if value is None else round(100 * value)

    @property
    def applies(self) -> bool:
        """Only once something was measured: until then the work alone counts (an agent
        is not marked down for reviews they have not been asked to do yet)."""
        return self.share > 0 and self.agreement is not None

    def blend(self, work: float | None) -> float | None:
        """(1 - share) x work + share x agreement, or the work alone when it does not apply."""
        if work is None or not self.applies:
            return work
        return (1 - self.share) * work + self.share * self.agreement
