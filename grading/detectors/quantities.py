"""Amounts in text: numbers, money with its qualifiers, durations with units and ranges.

Pure parsing, no knowledge base: `money_in` finds "$24 per seat per month billed annually"
and says what each qualifier means; `durations_in` finds "5-10 business days", "a 14-day
window", "within 48 hours"; `counts_in` finds "6 seats" or "1,000 sends".
"""

from __future__ import annotations

import itertools
import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache

from grading.detectors.knowledge_base import Duration

NUMBER_WORDS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
    "twenty-four": 24,
    "forty-eight": 48,
    "seventy-two": 72,
    "a dozen": 12,
    "half an": 0.5,
    "half a": 0.5,
}
_WORDS = "|".join(sorted((re.escape(w) for w in NUMBER_WORDS), key=len, reverse=True))
NUMBER = rf"(?:\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|(?i:{_WORDS}))"
DASH = r"\s*(?:-|\u2013|\u2014|to)\s*"

UNIT_PATTERNS = {
    "business_hours": r"(?:business|working|office)[\s-]+(?:hours?|hrs?)",
    "business_days": r"(?:business|working)[\s-]+days?|week-?days?",
    "minutes": r"minutes?|mins?",
    "hours": r"hours?|hrs?|h(?=\b)",
    "days": r"(?:calendar[\s-]+)?days?",
    "weeks": r"weeks?",
    "months": r"months?",
    "years": r"years?",
}
_UNIT = "|".join(f"(?P<{name}>{pattern})" for name, pattern in UNIT_PATTERNS.items())
DURATION = re.compile(
    rf"(?<![\w$€£.,])(?:between\s+(?P<b_low>{NUMBER})\s+and\s+(?P<b_high>{NUMBER})"
    rf"|(?P<low>{NUMBER})(?:{DASH}(?P<high>{NUMBER}))?)[\s-]*(?:{_UNIT})\b",
    re.IGNORECASE,
)
# "within an hour", "takes about a week": an article as 'one' only after such a word.
ARTICLE_DURATION = re.compile(
    r"\b(?:within|for|after|in|than|over|about|around|least|takes?|of|up to|under|only)\s+"
    rf"(?P<article>an?)\s+(?:{_UNIT})\b",
    re.IGNORECASE,
)
ELAPSED_AFTER = re.compile(r"\s*(?:ago|old|earlier|since|in a row|running)\b", re.IGNORECASE)
ELAPSED_BEFORE = re.compile(
    r"(?:\b(?:for the (?:past|last)|over the (?:past|last)|in the (?:past|last)|"
    r"these|those|the past|the last|every|each|per|waiting|waited|been waiting|spent|"
    r"took|taken|it's been|it has been)\s+)$",
    re.IGNORECASE,
)

CURRENCY = r"(?:US\$|CA\$|A\$|\$|€|£|(?:USD|EUR|GBP)\s?)"
AMOUNT = r"(?P<whole>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<cents>\d{1,2}))?(?![\d,]*\d)"
MONEY = re.compile(
    rf"(?<![\w.]){CURRENCY}\s?{AMOUNT}"
    rf"|(?<![\w.$€£]){AMOUNT.replace('whole', 'whole2').replace('cents', 'cents2')}"
    rf"\s?(?:USD|EUR|GBP|dollars?|euros?|pounds?)\b",
    re.IGNORECASE,
)
PERCENT_AFTER = re.compile(r"\s*%")

PERIOD_WORDS = {
    "month": "month",
    "mo": "month",
    "year": "year",
    "yr": "year",
    "annum": "year",
    "week": "week",
    "day": "day",
}
_PERIOD = r"(?P<period>month|mo|year|yr|annum|week|day)"
QUALIFIERS = [
    ("period", re.compile(rf"(?:/\s*|(?:per|a|an|each|every)\s+){_PERIOD}\b", re.I)),
    ("period", re.compile(r"(?P<period>month|year)ly\b", re.I)),
    (
        "cycle",
        re.compile(
            r"(?:(?:when |if )?(?:billed|paid|charged|you pay|paying)\s+)?"
            r"(?P<cycle>monthly|annually|yearly)\b",
            re.I,
        ),
    ),
    (
        "cycle",
        re.compile(
            r"(?:on|with|for|under)\s+(?:an?\s+|the\s+)?(?P<cycle>monthly|annual|yearly)\s+"
            r"(?:billing|plan|subscription|contract|cycle|terms?)\b",
            re.I,
        ),
    ),
    (
        "one_off",
        re.compile(r"(?:as\s+a\s+)?(?:one-?off|one-?time|once)\b(?:\s+(?:fee|charge))?", re.I),
    ),
    (
        "account",
        re.compile(
            r"(?:for\s+(?:the\s+)?(?:whole|entire)\s+(?:team|account|workspace|company|"
            r"organi[sz]ation)|for\s+everyone|flat|no\s+matter\s+how\s+many\s+"
            r"(?:seats|users|people)(?:\s+you\s+have)?|regardless\s+of\s+(?:the\s+number\s+"
            r"of\s+)?(?:seats|users|team\s+size))\b",
            re.I,
        ),
    ),
    (
        "total",
        re.compile(
            r"(?:in\s+total|altogether|all\s+in|in\s+all|total|for\s+(?:your|the)\s+team"
            r"(?:\s+of\s+\d+)?|for\s+all\s+\d+(?:\s+(?:of\s+you|seats|users|people))?|"
            r"for\s+(?:the\s+)?\d+\s+of\s+you)\b",
            re.I,
        ),
    ),
    (
        "per",
        re.compile(
            r"(?:/\s*|(?:per|each|for\s+each|for\s+every|every)\s+|an?\s+(?=(?:seat|user|"
            r"person|member|licen[cs]e|account|workspace)\b))"
            r"(?:(?P<count>\d{1,3}(?:,\d{3})+|\d+)\s+)?"
            r"(?P<noun>(?!(?:the|your|our|a|an|month|year|week|day|mo|yr|annum)\b)"
            r"[A-Za-z][\w-]*(?:\s+address(?:es)?)?)",
            re.I,
        ),
    ),
]
SEAT_NOUNS = ("seat", "user", "person", "member", "licence", "license", "head", "agent")
ACCOUNT_NOUNS = ("account", "workspace", "team", "company", "organisation", "organization")


@dataclass(frozen=True)
class Money:
    """An amount of money in a text, and what the words around it say it is for."""

    value: float
    start: int
    end: int  # the amount and the qualifiers that follow it
    text: str
    period: str | None = None  # month | year | week | day | one_off
    cycle: str | None = None  # monthly | annual: the billing the text attaches to it
    basis: str | None = None  # seat | account
    per_noun: str | None = None  # "1,000 emails" -> "emails"; "seat"; "block"
    per_count: float | None = None  # "per 1,000 emails" -> 1000
    total: bool = False  # "in total", "for your team of 4": the whole bill, not one seat


def number_value(text: str) -> float | None:
    """'1,000' -> 1000.0; 'two' -> 2.0; 'an' -> 1.0; None when it is not a number."""
    raw = (text or "").strip().lower()
    if raw in ("a", "an"):
        return 1.0
    if raw in NUMBER_WORDS:
        return float(NUMBER_WORDS[raw])
    try:
        return float(raw.replace(",", ""))
    except ValueError:
        return None


def _unit_of(match: re.Match[str]) -> str:
    return next(name for name in UNIT_PATTERNS if match.group(name))


@dataclass(frozen=True)
class DurationMention:
    duration: Duration
    start: int
    end: int
    text: str


def durations_in(text: str, *, elapsed: bool = False) -> list[DurationMention]:
    """Every duration in a text, except elapsed time ('12 days ago', 'for the past week')
    unless `elapsed`."""
    return list(_durations_in(text or "", elapsed))


# Each check that reads amounts of time reads the same reply: find them once per text.
@lru_cache(maxsize=4096)
def _durations_in(text: str, elapsed: bool) -> tuple[DurationMention, ...]:
    found: list[DurationMention] = []
    for match in DURATION.finditer(text):
        low_text = match.group("b_low") or match.group("low")
        high_text = match.group("b_high") or match.group("high")
        low, high = number_value(low_text), number_value(high_text or low_text)
        if low is None or high is None or high < low:
            continue
        if not elapsed and _elapsed(text, match.start(), match.end()):
            continue
        unit = _unit_of(match)
        if unit == "hours" and match.group("hours").lower() == "h" and "-" in match.group(0):
            continue
        found.append(
            DurationMention(Duration(low, high, unit), match.start(), match.end(), match.group(0))
        )
    for match in ARTICLE_DURATION.finditer(text or ""):
        start = match.start("article")
        if any(m.start <= start < m.end for m in found):
            continue
        if not elapsed and _elapsed(text, start, match.end()):
            continue
        duration = Duration.exact(1, _unit_of(match))
        found.append(DurationMention(duration, start, match.end(), text[start : match.end()]))
    return tuple(sorted(found, key=lambda m: m.start))


# ELAPSED_BEFORE reads a few words back from a duration: a bounded tail keeps a long text
# with many durations linear (searching all the text before each one was quadratic).
ELAPSED_LOOKBACK_CHARS = 200


def _elapsed(text: str, start: int, end: int) -> bool:
    before = text[max(0, start - ELAPSED_LOOKBACK_CHARS) : start]
    return bool(ELAPSED_AFTER.match(text, end)) or bool(ELAPSED_BEFORE.search(before))


def money_in(text: str) -> list[Money]:
    """Every amount of money in a text, with its period, billing cycle and per-unit words."""
    found = []
    for match in MONEY.finditer(text or ""):
        if PERCENT_AFTER.match(text, match.end()):
            continue
        whole = (match.group("whole") or match.group("whole2")).replace(",", "")
        cents = match.group("cents") or match.group("cents2")
        value = float(f"{whole}.{cents}") if cents else float(whole)
        found.append(_qualified(text, match, value))
    return found


def _qualified(text: str, match: re.Match[str], value: float) -> Money:
    fields: dict = {}
    position = match.end()
    for _ in range(6):
        step = _qualifier_at(text, position + _gap(text, position), fields)
        if step is None and text.startswith(",", position):
            step = _qualifier_at(text, position + _gap(text, position + 1) + 1, fields, ("cycle",))
        if step is None:
            break
        position = step
    before = text[max(0, match.start() - 60) : match.start()].lower()
    if re.search(r"\b(?:one-?off|one-?time)\b[^.$]*$", before):
        fields.setdefault("period", "one_off")
    if re.search(r"\bper[- ](?:seat|user)\b[^.$]*$", before):
        fields.setdefault("basis", "seat")
    end = position if position > match.end() else match.end()
    return Money(
        value=value, start=match.start(), end=end, text=text[match.start() : end], **fields
    )


def _gap(text: str, at: int) -> int:
    return len(text[at:]) - len(text[at:].lstrip(" \t"))


def _qualifier_at(text: str, at: int, fields: dict, kinds: tuple = ()) -> int | None:
    for kind, pattern in QUALIFIERS:
        if kinds and kind not in kinds:
            continue
        found = pattern.match(text, at)
        if not found:
            continue
        if kind == "period":
            if "period" in fields:
                return None
            fields["period"] = PERIOD_WORDS[found.group("period").lower()]
        elif kind == "cycle":
            if "cycle" in fields:
                return None
            word = found.group("cycle").lower()
            fields["cycle"] = "monthly" if word.startswith("month") else "annual"
        elif kind == "one_off":
            fields["period"] = "one_off"
        elif kind == "account":
            fields["basis"] = "account"
        elif kind == "total":
            fields["total"] = True
        elif kind == "per":
            noun = found.group("noun").lower()
            if "per_noun" in fields and not found.group("count"):
                return None
            if noun.rstrip("s") in SEAT_NOUNS or noun in ("people", "persons"):
                fields["basis"] = "seat"
            elif noun.rstrip("s") in ACCOUNT_NOUNS:
                fields["basis"] = "account"
            fields["per_noun"] = noun
            if found.group("count"):
                fields["per_count"] = float(found.group("count").replace(",", ""))
        return found.end()
    return None


COUNT = re.compile(
    rf"(?<![\w$€£.,/])(?P<number>\d+(?:\.\d+)?k\b|{NUMBER})(?:[\s-]+(?P<noun>[A-Za-z][\w-]*))?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Count:
    value: float
    start: int
    end: int
    noun: str  # the word after the number, lower-cased ('' when none)


def counts_in(text: str) -> list[Count]:
    """Numbers that are not money, percentages or durations, with the word that follows."""
    return list(_counts_in(text or ""))


@lru_cache(maxsize=4096)
def _counts_in(text: str) -> tuple[Count, ...]:
    taken = [(m.start, m.end) for m in durations_in(text)]
    taken += [(m.start(), m.end()) for m in MONEY.finditer(text or "")]
    # "inside a taken span?" by bisection over the starts with the furthest end so far
    # (a scan of every span per number was quadratic on a long text full of numbers)
    taken.sort()
    starts = [s for s, _ in taken]
    furthest = list(itertools.accumulate((e for _, e in taken), max))
    found = []
    for match in COUNT.finditer(text or ""):
        raw = match.group("number")
        index = bisect_right(starts, match.start())
        if raw.lower() in ("a", "an") or (index and furthest[index - 1] > match.start()):
            continue
        if PERCENT_AFTER.match(text, match.end("number")):
            continue
        value = number_value(raw[:-1]) * 1000 if raw.lower().endswith("k") else number_value(raw)
        if value is None:
            continue
        noun = (match.group("noun") or "").lower()
        found.append(Count(value, match.start(), match.end(), noun))
    return tuple(found)
