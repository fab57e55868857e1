"""Text helpers shared by the detectors: spans, sentences, words and phrase matching."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

WORD_RE = re.compile(r"[A-Za-z0-9]+(?:['\u2019][A-Za-z]+)*")
SENTENCE_RE = re.compile(r"(?:[^.!?\n]|\.(?=\w))+(?:[.!?]+|\n|$)")
CLAUSE_RE = re.compile(r"(?:[^.!?\n,;:]|\.(?=\d)|,(?=\d))+")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "let",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "hi",
        "hello",
        "hey",
        "dear",
        "thanks",
        "thank",
        "please",
        "regards",
        "im",
        "i'm",
        "it's",
        "its",
        "dont",
        "don't",
        "can't",
        "cant",
        "won't",
        "wont",
        "i've",
        "ive",
        "i'll",
        "ill",
        "we're",
        "were",
        "we'll",
        "get",
        "got",
        "one",
        "still",
        "really",
        "need",
        "needs",
        "want",
        "wants",
        "know",
        "like",
        "just",
        "yet",
        "even",
        "ever",
        "able",
        "us",
        "go",
        "going",
        "make",
        "made",
        "see",
        "way",
        "there's",
        "that's",
        "what's",
        "let's",
        "today",
    ]
)


@dataclass(frozen=True)
class Span:
    """A located piece of text: what kind of finding it is and where it sits."""

    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


def sentences(text: str) -> list[Sentence]:
    """Split text into sentences that keep their character offsets."""
    return list(_sentences(text or ""))


# Every check reads the same reply and message sentence by sentence: split each text once
# (a bounded memo keyed by the text; Sentence is frozen, callers get their own list). On a
# long draft, re-splitting per match made the audit quadratic.
@lru_cache(maxsize=4096)
def _sentences(text: str) -> tuple[Sentence, ...]:
    found = []
    for match in SENTENCE_RE.finditer(text):
        raw = match.group(0)
        stripped = raw.strip()
        if not stripped:
            continue
        start = match.start() + (len(raw) - len(raw.lstrip()))
        if len(stripped) > MAX_SENTENCE_CHARS:
            found.extend(_pieces(text, start, start + len(stripped)))
        else:
            found.append(Sentence(stripped, start, start + len(stripped)))
    return tuple(found)


# Detectors read around each match within its sentence. A text that never ends a sentence
# would make every match read all of it (quadratic: minutes on 100 KB), so a "sentence"
# longer than this is read as pieces of at most this length, cut at a space. Real
# sentences are far shorter; docs/input-limits.md.
MAX_SENTENCE_CHARS = 1000


def _pieces(text: str, start: int, end: int) -> list[Sentence]:
    pieces = []
    while start < end:
        stop = min(end, start + MAX_SENTENCE_CHARS)
        if stop < end:
            space = text.rfind(" ", start + 1, stop)
            stop = space if space > start else stop
        piece = text[start:stop].strip()
        if piece:
            offset = start + (len(text[start:stop]) - len(text[start:stop].lstrip()))
            pieces.append(Sentence(piece, offset, offset + len(piece)))
        start = stop
        while start < end and text[start].isspace():
            start += 1
    return pieces


@lru_cache(maxsize=16)
def _sentence_ends(text: str) -> tuple[int, ...]:
    return tuple(s.end for s in _sentences(text))


def sentence_at(text: str, position: int) -> Sentence:
    """The sentence that contains a character position (or the whole text)."""
    found = _sentences(text or "")
    # sentences are in order and do not overlap: the first one ending after `position`
    index = bisect_right(_sentence_ends(text or ""), position)
    if index < len(found) and found[index].start <= position < found[index].end:
        return found[index]
    return Sentence(text, 0, len(text))


def sentence_before(text: str, start: int) -> Sentence | None:
    """The last sentence that ends at or before `start`, if any."""
    index = bisect_right(_sentence_ends(text or ""), start)
    return _sentences(text or "")[index - 1] if index else None


def words(text: str) -> list[str]:
    return WORD_RE.findall(text or "")


def word_count(text: str) -> int:
    return len(words(text))


def content_words(text: str) -> list[str]:
    """Lower-cased words that carry meaning (no stopwords, no one-letter words)."""
    return [w for w in (x.lower() for x in words(text)) if len(w) > 2 and w not in STOPWORDS]


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A crude stemmer, enough to match 'invoices' with 'invoice' and 'charged' with 'charge'."""
    word = word.lower()
    for suffix in ("ing", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def find_all(pattern: re.Pattern[str], text: str, kind: str) -> list[Span]:
    return [Span(kind, found, start, end) for found, start, end in _matches(pattern, text or "")]


# The same detector pattern runs over the same reply from several checks (and under several
# kinds of finding): match it once per text.
@lru_cache(maxsize=16384)
def _matches(pattern: re.Pattern[str], text: str) -> tuple[tuple[str, int, int], ...]:
    return tuple((m.group(0), m.start(), m.end()) for m in pattern.finditer(text))


@lru_cache(maxsize=4096)
def _phrase_pattern(parts: tuple[str, ...], inflect: bool) -> re.Pattern[str]:
    if not parts:
        return re.compile(r"(?!x)x")
    body = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)
    ending = r"(?:s|es|ed|d|ing)?" if inflect else ""
    return re.compile(rf"(?<![\w-])(?:{body}){ending}(?![\w-])", re.IGNORECASE)


def phrase_pattern(phrases: Iterable[str], *, inflect: bool = False) -> re.Pattern[str]:
    """One case-insensitive, word-bounded regex matching any of the phrases (longest first).

    With `inflect`, a plural or past-tense ending is allowed ('refund' matches 'refunded').
    """
    parts = sorted({p.strip() for p in phrases if p and p.strip()}, key=len, reverse=True)
    return _phrase_pattern(tuple(parts), inflect)


def clause_at(text: str, position: int) -> Sentence:
    """The clause (between commas, semicolons or sentence ends) holding a position."""
    for match in CLAUSE_RE.finditer(text or ""):
        if match.start() <= position < match.end():
            raw = match.group(0)
            start = match.start() + len(raw) - len(raw.lstrip())
            return Sentence(raw.strip(), start, start + len(raw.strip()))
    return Sentence(text, 0, len(text))


def regex(*alternatives: str) -> re.Pattern[str]:
    """Compile alternatives into one case-insensitive pattern with word boundaries."""
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b", re.IGNORECASE)


def dedupe_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Keep the longest of overlapping spans of the same kind, in text order."""
    kept: list[Span] = []
    # Spans come in start order, so a non-empty span overlaps a kept one of its kind exactly
    # when that kind's furthest end lies past its start: no rescan of everything kept.
    furthest: dict[str, int] = {}
    for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
        if span.end > span.start:
            if furthest.get(span.kind, -1) > span.start:
                continue
        elif any(k.kind == span.kind and k.start < span.end and span.start < k.end for k in kept):
            continue
        kept.append(span)
        furthest[span.kind] = max(furthest.get(span.kind, -1), span.end)
    return sorted(kept, key=lambda s: s.start)


def overlaps(a_start: int, a_end: int, b_start: int, b_end: int) -> bool:
    return a_start < b_end and b_start < a_end


def iter_kinds(spans: Iterable[Span], *kinds: str) -> Iterator[Span]:
    return (s for s in spans if s.kind in kinds)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip().lower())
