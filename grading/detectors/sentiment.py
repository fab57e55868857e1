"""VADER's compound polarity in linear time: the stock analyzer rescans every word per word."""

from __future__ import annotations

import heapq
from functools import lru_cache

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

# VADER's negation and idiom checks look at most three words back and two ahead.
_BEHIND, _AHEAD = 3, 3


def _window(words: list, i: int) -> tuple[list, int]:
    """The words around position `i` and i's place in them, so that every index the checks
    use (i-3 .. i+2, and the negative ones that wrap to the end near the start) and the
    "is there a next word" length tests read what they would read in the whole list."""
    if len(words) <= 2 * (_BEHIND + _AHEAD):
        return words, i
    if i >= _BEHIND:
        return words[i - _BEHIND : i + _AHEAD], _BEHIND
    # near the start VADER reads words[i - 3] etc. as the last words of the text
    return words[: i + _AHEAD] + words[-_BEHIND:], i


class LinearSentimentAnalyzer(SentimentIntensityAnalyzer):
    """The same scores as `SentimentIntensityAnalyzer`, without its quadratic parts: the
    negation and idiom checks lower-case the whole text for every sentiment word, and the
    "but" check looks every score up by value from the start (38 s on a 100 KB message)."""

    def _negation_check(self, valence, words_and_emoticons, start_i, i):
        words, at = _window(words_and_emoticons, i)
        return SentimentIntensityAnalyzer._negation_check(valence, words, start_i, at)

    def _special_idioms_check(self, valence, words_and_emoticons, i):
        words, at = _window(words_and_emoticons, i)
        return SentimentIntensityAnalyzer._special_idioms_check(valence, words, at)

    def _but_check(self, words_and_emoticons, sentiments):
        """VADER's rule, step for step: each score in turn finds the first position that
        holds an equal score now and halves it before the first "but" (x1.5 after).
        The first positions holding each value are kept in heaps instead of a scan."""
        lowered = [str(w).lower() for w in words_and_emoticons]
        if "but" not in lowered:
            return sentiments
        bi = lowered.index("but")
        holding: dict[float, list[int]] = {}
        for k, value in enumerate(list(sentiments)):
            heapq.heappush(holding.setdefault(value, []), k)
            si = holding[value][0]
            if si == bi:
                continue
            heapq.heappop(holding[value])
            changed = value * 0.5 if si < bi else value * 1.5
            sentiments[si] = changed
            heapq.heappush(holding.setdefault(changed, []), si)
        return sentiments


@lru_cache(maxsize=1)
def sentiment_analyzer() -> LinearSentimentAnalyzer:
    return LinearSentimentAnalyzer()
