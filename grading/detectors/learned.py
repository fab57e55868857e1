"""A small fitted model of a customer message's state, read in pure Python.

Hand-set rules find the cues (a deadline, a grievance, praise, a question); which of them
decides the state is learned from labelled messages: a linear model over those cues plus
character n-grams of the text, fitted with scikit-learn by `manage.py fit_state_model` and
stored as JSON. Only the fitting needs scikit-learn; reading a fitted model needs nothing
but the standard library, so every installation can refit it on its own labelled messages.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DEFAULT_MODEL = Path(__file__).with_name("state_model.json")
MODEL_ENV = "COACHLINE_STATE_MODEL"
_WHITE_SPACES = re.compile(r"\s\s+")


class StateModelError(ValueError):
    """A state model file that cannot be read (names the file and what is wrong)."""


def char_wb_ngrams(text: str, low: int, high: int) -> list[str]:
    """Character n-grams inside word boundaries, padded with a space each side (the same
    n-grams as scikit-learn's `analyzer="char_wb"`, lower-cased)."""
    grams: list[str] = []
    for word in _WHITE_SPACES.sub(" ", text.lower()).split():
        padded = f" {word} "
        for n in range(low, high + 1):
            offset = 0
            grams.append(padded[offset : offset + n])
            while offset + n < len(padded):
                offset += 1
                grams.append(padded[offset : offset + n])
            if offset == 0:  # a word shorter than n is counted once
                break
    return grams


@dataclass(frozen=True)
class LinearPart:
    """One linear scorer: class weights over its features, and an intercept per class."""

    classes: tuple[str, ...]
    coef: tuple[tuple[float, ...], ...]  # one row per class
    intercept: tuple[float, ...]

    def probabilities(self, features: dict[int, float]) -> list[float]:
        logits = [
            self.intercept[k] + sum(row[i] * v for i, v in features.items())
            for k, row in enumerate(self.coef)
        ]
        top = max(logits)
        exps = [math.exp(x - top) for x in logits]
        total = sum(exps)
        return [e / total for e in exps]


@dataclass(frozen=True)
class StateModel:
    """Cue part (standardised cue counts) and text part (tf-idf character n-grams), blended."""

    classes: tuple[str, ...]
    cue_names: tuple[str, ...]
    cue_mean: tuple[float, ...]
    cue_scale: tuple[float, ...]
    cue_part: LinearPart
    ngram_range: tuple[int, int]
    vocabulary: dict[str, int]
    idf: tuple[float, ...]
    text_part: LinearPart
    cue_weight: float
    trained_on: int = 0

    def predict(self, text: str, cues: dict[str, float]) -> str:
        probabilities = self.probabilities(text, cues)
        return max(zip(self.classes, probabilities, strict=True), key=lambda kv: kv[1])[0]

    def probabilities(self, text: str, cues: dict[str, float]) -> list[float]:
        standardised = {
            i: (float(cues.get(name, 0.0)) - self.cue_mean[i]) / (self.cue_scale[i] or 1.0)
            for i, name in enumerate(self.cue_names)
        }
        from_cues = self.cue_part.probabilities(standardised)
        from_text = self.text_part.probabilities(self._tfidf(text))
        w = self.cue_weight
        return [w * a + (1 - w) * b for a, b in zip(from_cues, from_text, strict=True)]

    def _tfidf(self, text: str) -> dict[int, float]:
        counts = Counter(
            self.vocabulary[g]
            for g in char_wb_ngrams(text, *self.ngram_range)
            if g in self.vocabulary
        )
        weights = {i: (1.0 + math.log(c)) * self.idf[i] for i, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
        return {i: v / norm for i, v in weights.items()}

    @classmethod
    def from_dict(cls, data: dict, *, origin: str = "model") -> StateModel:
        try:
            classes = tuple(data["classes"])

            def part(raw: dict) -> LinearPart:
                return LinearPart(
                    classes=classes,
                    coef=tuple(tuple(float(x) for x in row) for row in raw["coef"]),
                    intercept=tuple(float(x) for x in raw["intercept"]),
                )

            return cls(
                classes=classes,
                cue_names=tuple(data["cues"]["names"]),
                cue_mean=tuple(float(x) for x in data["cues"]["mean"]),
                cue_scale=tuple(float(x) for x in data["cues"]["scale"]),
                cue_part=part(data["cues"]),
                ngram_range=(
                    int(data["text"]["ngram_range"][0]),
                    int(data["text"]["ngram_range"][1]),
                ),
                vocabulary={str(k): int(v) for k, v in data["text"]["vocabulary"].items()},
                idf=tuple(float(x) for x in data["text"]["idf"]),
                text_part=part(data["text"]),
                cue_weight=float(data["cue_weight"]),
                trained_on=int(data.get("trained_on", 0)),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise StateModelError(f"{origin}: not a state model ({exc!r})") from exc


def load_state_model(path: str | Path) -> StateModel:
    file = Path(path)
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StateModelError(f"{file}: cannot be read ({exc})") from exc
    return StateModel.from_dict(data, origin=str(file))


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> StateModel | None:
    return load_state_model(path)


def state_model() -> StateModel | None:
    """The installation's state model: COACHLINE_STATE_MODEL, else the shipped one; None
    (rules only) when the variable is set to an empty string or no file exists."""
    key = state_model_key()
    return None if key is None else _cached(*key)


def state_model_key() -> tuple[str, float] | None:
    """Which model file state_model() reads (path and modification time), or None: what a
    memo of the model's answers is keyed by."""
    configured = os.environ.get(MODEL_ENV)
    if configured == "":
        return None
    path = Path(configured) if configured else DEFAULT_MODEL
    if not path.is_file():
        return None
    return str(path), path.stat().st_mtime
