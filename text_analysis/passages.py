"""Finding a passage someone typed (instead of selecting it with a mouse) in a text.

The keyboard way to pick a passage: the agent or reviewer types the words they mean, and
this finds where they are, tolerant of case, spacing and line breaks, and of small typos
(a fuzzy alignment with rapidfuzz). The match is widened to whole words, so what is shown
back as "matched" is always the text's own words.
"""

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

# How alike (0 to 100) a typed passage and the text's words must be to count as a match.
FUZZY_CUTOFF = 80.0
MIN_CHARS = 3
QUOTES = "\"' \u201c\u201d\u2018\u2019"

_WORD = re.compile(r"\w")


@dataclass(frozen=True)
class PassageMatch:
    start: int
    end: int
    text: str  # text[start:end], the text's own words
    exact: bool  # the typed characters are there (case, spacing and line breaks aside)
    score: float  # 100 for an exact match
    occurrences: int  # how many places hold the same words (exact matches only; else 1)


def _collapsed(text: str) -> tuple[str, list[int]]:
    """`text` lower-cased with every run of whitespace as one space, and for each of its
    characters the index of the original character it came from."""
    out: list[str] = []
    where: list[int] = []
    previous_space = False
    for index, char in enumerate(text):
        if char.isspace():
            if previous_space:
                continue
            previous_space = True
            out.append(" ")
        else:
            previous_space = False
            out.append(char.lower())
        where.append(index)
    return "".join(out), where


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    while start > 0 and _WORD.match(text[start - 1]) and _WORD.match(text[start]):
        start -= 1
    while end < len(text) and _WORD.match(text[end]) and _WORD.match(text[end - 1]):
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def passage_find(typed: str, text: str) -> PassageMatch | None:
    """Where the words of `typed` are in `text`: exactly (case and whitespace aside) when
    they are there, else the closest run of the text's words if it is alike enough; None
    when nothing is (or `typed` is too short to place)."""
    needle, _ = _collapsed(" ".join((typed or "").split()).strip(QUOTES))
    if len(needle) < MIN_CHARS or not text:
        return None
    haystack, where = _collapsed(text)
    at = haystack.find(needle)
    if at >= 0:
        start, end = _whole_words(text, where[at], where[at + len(needle) - 1] + 1)
        return PassageMatch(
            start, end, text[start:end], True, 100.0, occurrences=haystack.count(needle)
        )
    if len(needle) > len(haystack):
        return None
    aligned = fuzz.partial_ratio_alignment(needle, haystack, score_cutoff=FUZZY_CUTOFF)
    if aligned is None or aligned.dest_end <= aligned.dest_start:
        return None
    start, end = where[aligned.dest_start], where[aligned.dest_end - 1] + 1
    start, end = _whole_words(text, start, end)
    if end <= start:
        return None
    return PassageMatch(start, end, text[start:end], False, round(aligned.score, 1), 1)


def _shown(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def passage_report(typed: str, text: str, *, where: str) -> dict:
    """What a page tells the person who typed a passage: the match (offsets and the text's
    own words) and a sentence saying what was matched in `where` ("the draft"), or why
    nothing was. JSON-ready."""
    found = passage_find(typed, text)
    if found is None:
        if len(" ".join((typed or "").split())) < MIN_CHARS:
            message = f"Type a few words of {where} to find the passage."
        else:
            message = (
                f"No passage of {where} matches “{_shown(typed)}”. Check the words against "
                f"{where}, or select the passage."
            )
        return {"found": False, "message": message}
    message = f"Matched in {where}: “{_shown(found.text)}”."
    if not found.exact:
        message += " Not word for word: check it is the passage you mean."
    if found.occurrences > 1:
        message += f" These words appear {found.occurrences} times; the first is used."
    return {
        "found": True,
        "start": found.start,
        "end": found.end,
        "text": found.text,
        "exact": found.exact,
        "message": message,
    }
