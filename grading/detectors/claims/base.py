"""Shared by the claim checkers: verdicts, words and stems, phrase patterns, plans named
in a text, negation and its scope, corrections."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

from grading.detectors.knowledge_base import (
    Fact,
    KnowledgeBase,
    NotOfferedFact,
    PlanFact,
    ProcessFact,
    TroubleshootingFact,
    compiled,
)
from grading.detectors.text import Sentence, content_words, overlaps, sentence_before
from text_analysis import vocabulary
from text_analysis.vocabulary import ids

SUPPORTED, CONTRADICTED, UNSUPPORTED = "supported", "contradicted", "unsupported"


def per_kb(function):
    """Compute something from a knowledge base once per KB version: kept in the version's
    compiled form (knowledge_base.compiled), so a KB rebuilt from the database for each
    grade reuses it, and a changed KB (a new version) compiles afresh."""

    @functools.wraps(function)
    def wrapper(kb, *args):
        key = (function.__module__, function.__name__, *args)
        return compiled(kb).get(key, lambda: function(kb, *args))

    return wrapper


# The method's finding types (the one vocabulary), plus what a checker could not verify.
FINDING_TYPES = (*ids(vocabulary.FINDING_TYPES), "unsupported_claim")
TYPE_FOR_KIND = {
    "price": "wrong_price",
    "seat_limit": "wrong_policy",
    "quota": "wrong_policy",
    "feature": "invented_feature",
    "addon": "invented_feature",
    "not_offered": "invented_feature",
    "policy": "wrong_policy",
    "rule": "wrong_policy",
    "sla": "wrong_policy",
    "channel": "wrong_policy",
    "process": "outdated_process",
    "troubleshooting": "fake_troubleshooting",
}


# ---- words ---------------------------------------------------------------------------------

NEGATION = re.compile(
    r"\b(?:not|no|none|never|neither|nor|without|cannot|can't|cant|won't|wont|isn't|aren't|"
    r"wasn't|weren't|doesn't|don't|didn't|hasn't|haven't|hadn't|shouldn't|wouldn't|"
    r"couldn't|mustn't|no longer|unavailable|excluded|removed|discontinued|retired)\b",
    re.IGNORECASE,
)
AVAILABILITY = re.compile(
    r"\b(?:available|included|includes?|including|offers?|offered|supports?|supported|comes? "
    r"with|part of|access to|unlocks?|adds?|gets?|gives?|has|have|enabled?|on (?:your|the|"
    r"every|all|any)|plans?|you can|you'll be able to|lets you|allows you to|turn on|"
    r"switch on|set up|use)\b",
    re.IGNORECASE,
)
ASSERTIVE = re.compile(
    r"\b(?:can|will|lets?|helps|automatically|your plan|you have|you'll have|you get|"
    r"available|included|includes?|comes? with|allows?|supports?|enable|turn on|switch on|"
    r"use (?:the|our)|try (?:the|our)|offers?|has|through (?:our|the)|via (?:our|the)|"
    r"add-on|unlocks?|is|are|sends?|texts?|delivers?|provides?|handles?|creates?|"
    r"schedules?|publishes|posts|prints?|books?|runs?|syncs?|works?|we'll|you'll)\b",
    re.IGNORECASE,
)
HEDGE = re.compile(
    r"\b(?:if you (?:need|want|would like|'d like)|whether|do you|would you|are you|"
    r"can you|could you)\b|\?\s*$",
    re.IGNORECASE,
)
ONLY = re.compile(r"\b(?:only|exclusively|just)\b", re.IGNORECASE)
ALL_PLANS = re.compile(
    r"\b(?:every|all|any|each)(?: of (?:our|the))?(?: (?P<paid>paid))? (?:plans?|tiers?)\b",
    re.IGNORECASE,
)
STRONG_BOUNDARY = re.compile(
    r"[;:\u2014]|\s\u2013\s|\b(?:but|while|whereas|however|although|though|versus|vs\.?|"
    r"compared (?:with|to)|instead)\b",
    re.IGNORECASE,
)
RESPONSE_WORDS = re.compile(
    r"\b(?:respond|responds|response|responses|reply|replies|get back|answer|hear back|"
    r"hear from|first[- ]response|response time|reply time|turnaround)\b",
    re.IGNORECASE,
)
SAVING_WORDS = re.compile(
    r"\b(?:sav(?:e|es|ed|ing|ings)|less|cheaper|discount|off|difference|reduc\w*)\b", re.I
)
CUSTOMER_DATA = re.compile(
    r"\b(?:(?:you|your account|your team|you've|you have|we|they) (?:used|sent|got|paid|spent|"
    r"imported|added|have|had|reached)|you're at|you are at|your (?:current|usage|bill|invoice|"
    r"total)|of (?:them|those)|so far|already used)\b",
    re.IGNORECASE,
)
# A figure given as an estimate or a threshold is the customer's, not the KB's.
APPROXIMATE = re.compile(
    r"\b(?:about|around|roughly|approximately|nearly|almost|over|more than|less than|under|"
    r"some|maybe|regularly send|send around)\s*$|~\s*$",
    re.IGNORECASE,
)

_SUFFIXES = (
    "ational",
    "ations",
    "ation",
    "ments",
    "ment",
    "ings",
    "ing",
    "ies",
    "ied",
    "ers",
    "er",
    "ed",
    "es",
    "ly",
    "s",
)
GENERIC_STEMS = frozenset(
    {
        "account",
        "plan",
        "email",
        "check",
        "make",
        "sure",
        "your",
        "new",
        "time",
        "use",
        "set",
        "add",
        "first",
        "next",
        "page",
        "setting",
        "open",
        "click",
        "go",
        "find",
        "help",
        "support",
        "team",
        "customer",
        "client",
        "user",
        "day",
        "month",
        "year",
        "hour",
        "week",
        "number",
        "option",
        "way",
        "thing",
        "issue",
        "problem",
    }
)


IRREGULAR = {
    "kept": "keep",
    "sent": "send",
    "paid": "pay",
    "bought": "buy",
    "made": "make",
    "took": "take",
    "taken": "take",
    "gave": "give",
    "given": "give",
    "held": "hold",
    "left": "leave",
    "lost": "lose",
    "chose": "choose",
    "chosen": "choose",
    "told": "tell",
    "ran": "run",
    "went": "go",
    "gone": "go",
    "began": "begin",
    "begun": "begin",
    "won't": "will",
    "can't": "can",
}


@lru_cache(maxsize=65536)
def stem_word(word: str) -> str:
    """A light stemmer: 'restored', 'restore' and 'restoring' all become 'restor'."""
    word = word.lower().replace("\u2019", "'")
    word = IRREGULAR.get(word, word)
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("-", "")
    for suffix in _SUFFIXES:
        if suffix == "es" and not re.search(r"(?:s|x|z|ch|sh)es$", word):
            continue  # 'files' -> 'file' (then as 'file'), 'boxes' -> 'box'
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # 'shipping' -> 'ship', like 'shipment'
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def stems(text: str) -> set[str]:
    """The stems of a text's content words."""
    return set(_stems(text or ""))


@lru_cache(maxsize=8192)
def _stems(text: str) -> frozenset[str]:
    return frozenset(stem_word(w) for w in content_words(text.replace("-", " ")))


def _ordered_stems(text: str) -> list[str]:
    return [stem_word(w) for w in content_words((text or "").replace("-", " "))]


FILLER = (
    r"(?:\s+(?:the|a|an|your|our|my|their|its|it|them|this|that|these|those|all|any|is|are|"
    r"was|were|gets?|got|will be|has been|have been|be|been))?"
)


@lru_cache(maxsize=4096)
def _alias_regex(phrases: tuple[str, ...]) -> re.Pattern[str]:
    parts = []
    for phrase in phrases:
        tokens = phrase.split()
        if not tokens:
            continue
        body = (FILLER + r"[\s-]+").join(re.escape(t) for t in tokens)
        parts.append(body)
    if not parts:
        return re.compile(r"(?!x)x")
    ending = r"(?:s|es|ed|d|ing|'s)?"
    # a number-hyphen prefix is a boundary: "a 5,000-contact block" names a contact block
    start = r"(?:(?<=\d-)|(?<![\w-]))"
    return re.compile(rf"{start}(?:{'|'.join(parts)}){ending}(?![\w-])", re.IGNORECASE)


def alias_pattern(phrases: Iterable[str], *, singular: bool = False) -> re.Pattern[str]:
    """Any of the phrases, case-insensitive, word-bounded, inflected, and allowing an
    article or pronoun between words ('remove badge' finds 'remove the badge'); with
    `singular`, 'contacts' also finds 'contact' ('a 5,000-contact limit')."""
    return _alias_pattern(tuple(phrases), singular)


@lru_cache(maxsize=8192)
def _alias_pattern(phrases: tuple[str, ...], singular: bool) -> re.Pattern[str]:
    wanted = {p.strip() for p in phrases if p and len(p.strip()) > 1}
    if singular:
        wanted |= {_singular(p) for p in wanted}
    return _alias_regex(tuple(sorted(wanted, key=len, reverse=True)))


class PhraseIndex:
    """Each fact's phrases compiled once (per KB version), with the words every match must
    contain: a text that lacks them is not searched (checked only on ASCII text, where
    that test is exactly the pattern's case-insensitive match)."""

    def __init__(self, entries: Iterable[tuple[str, Sequence[str]]]) -> None:
        self.entries = []
        for fact_id, phrases in entries:
            if not phrases:
                continue
            pattern = alias_pattern(phrases)
            wanted = [p.strip() for p in phrases if p and len(p.strip()) > 1]
            firsts = frozenset({p.split()[0].lower() for p in wanted if p.split()})
            exact = all(w.isascii() for w in firsts) and bool(firsts)
            self.entries.append((fact_id, pattern, firsts if exact else None))
        self.firsts = frozenset(w for _, _, firsts in self.entries for w in firsts or ())

    def finditer(self, text: str):
        """(fact id, match) for every match of every fact's phrases, in the facts' order."""
        present = None
        if text.isascii():
            lowered = text.lower()
            present = {first for first in self.firsts if first in lowered}
        for fact_id, pattern, firsts in self.entries:
            if present is not None and firsts is not None and present.isdisjoint(firsts):
                continue
            for match in pattern.finditer(text):
                yield fact_id, match


def _singular(phrase: str) -> str:
    """'monthly emails' -> 'monthly email', so '5,000-contact limit' finds 'contacts'."""
    head, _, last = phrase.rpartition(" ")
    if len(last) > 4 and last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return f"{head} {last}".strip()


# ---- claims and findings -------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A checkable statement found in a text, and what the knowledge base says about it."""

    kind: str
    text: str
    start: int
    end: int
    status: str
    fact_id: str | None
    correction: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class Finding:
    """An error in an AI draft, as the audit reports it (same shape as a scenario error)."""

    type: str
    span: str
    start: int
    end: int
    fact_id: str | None
    correction: str

    def as_dict(self) -> dict:
        return asdict(self)


def _claim(kind, text: str, start: int, end: int, status, fact, detail="") -> Claim:
    start, end = _trim(text, start, end)
    correction = correction_for(fact) if status == CONTRADICTED and fact else None
    return Claim(
        kind, text[start:end], start, end, status, fact.id if fact else None, correction, detail
    )


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\n,;:(":
        start += 1
    while end > start and text[end - 1] in " \t\n,;:)":
        end -= 1
    return start, end


# ---- corrections ---------------------------------------------------------------------------


def money_text(value: float | None, symbol: str = "$") -> str:
    if value is None:
        return "not sold"
    return f"{symbol}{value:,.0f}" if float(value).is_integer() else f"{symbol}{value:,.2f}"


def _join(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def correction_for(fact: Fact | None) -> str:
    """What an agent could paste as the correction: the fact's own statement (true as
    written), with the steps or path spelled out where the statement is a summary."""
    if fact is None:
        return ""
    if isinstance(fact, ProcessFact) and fact.current_path not in fact.statement:
        return f"To {_lower_first(fact.task)}, go to {fact.current_path}."
    if isinstance(fact, TroubleshootingFact):
        steps = "; ".join(fact.steps)
        return (
            f"That step is not a documented fix ({_lower_first(fact.problem)}). Do this "
            f"instead: {steps}."
        )
    if isinstance(fact, NotOfferedFact) and fact.alternative:
        return f"{fact.statement} {fact.alternative}"
    return fact.statement


# ---- plans named in a text -----------------------------------------------------------------


@dataclass(frozen=True)
class PlanGroup:
    """Plans named together ('Essentials, Pro and Scale', 'every paid plan')."""

    plans: tuple[PlanFact, ...]
    start: int
    end: int
    every: bool = False


@per_kb
def _plan_regex(kb: KnowledgeBase) -> re.Pattern[str]:
    exact, loose = [], []
    for plan in kb.plans:
        exact.append(re.escape(plan.plan))
        loose.append(re.escape(plan.plan.lower()))
        for alias in plan.aliases:
            (loose if " " in alias.strip() else exact).append(re.escape(alias.strip()))
    if not exact and not loose:
        return re.compile(r"(?!x)x")
    exact_part = "|".join(sorted(set(exact), key=len, reverse=True))
    loose_part = "|".join(sorted(set(loose), key=len, reverse=True))
    return re.compile(
        rf"(?<![\w-])(?:(?i:{loose_part})\s+(?i:plan|tier)s?\b|(?:{exact_part})(?![\w-])"
        rf"|(?i:{'|'.join(re.escape(a) for p in kb.plans for a in p.aliases if ' ' in a)}"
        rf"{'|' if any(' ' in a for p in kb.plans for a in p.aliases) else ''}(?!x)x))"
    )


def plan_mentions(text: str, kb: KnowledgeBase) -> list[tuple[PlanFact, int, int]]:
    found = []
    for match in _plan_regex(kb).finditer(text or ""):
        name = re.sub(r"\s+(?:plan|tier)s?$", "", match.group(0), flags=re.IGNORECASE)
        plan = kb.plan(name)
        if plan:
            found.append((plan, match.start(), match.end()))
    return found


def plans_in(text: str, kb: KnowledgeBase) -> list[tuple[PlanFact, int]]:
    """Plans named in a text, with where (kept for callers of the old surface)."""
    return [(plan, start) for plan, start, _ in plan_mentions(text, kb)]


_GROUP_JOIN = re.compile(
    r"^\s*(?:,|&|/|\band\b|\bor\b|\bnor\b|,\s*(?:and|or)\b|,?\s*(?:as well as|plus|including|"
    r"and also)\b)\s*(?:the\s+)?$",
    re.IGNORECASE,
)


def plan_groups(text: str, kb: KnowledgeBase) -> list[PlanGroup]:
    """Plan names in a text, with neighbours joined ('Pro and Scale') into one group."""
    items: list[tuple[tuple[PlanFact, ...], int, int, bool]] = [
        ((plan,), start, end, False) for plan, start, end in plan_mentions(text, kb)
    ]
    for match in ALL_PLANS.finditer(text or ""):
        chosen = [p for p in kb.plans if not match.group("paid") or (p.monthly_price or 0) > 0]
        chosen = chosen or list(kb.plans)
        if any(overlaps(match.start(), match.end(), s, e) for _, s, e, _ in items):
            continue
        items.append((tuple(chosen), match.start(), match.end(), True))
    items.sort(key=lambda item: item[1])
    groups: list[PlanGroup] = []
    for plans, start, end, every in items:
        if groups and _GROUP_JOIN.match(text[groups[-1].end : start]):
            last = groups[-1]
            merged = tuple(dict.fromkeys([*last.plans, *plans]))
            groups[-1] = PlanGroup(merged, last.start, end, last.every or every)
        else:
            groups.append(PlanGroup(plans, start, end, every))
    return groups


def _distance(text: str, a_start: int, a_end: int, b_start: int, b_end: int) -> float:
    """Characters between two spans, plus a large penalty per strong boundary crossed."""
    if overlaps(a_start, a_end, b_start, b_end):
        return 0
    left, right = (a_end, b_start) if a_end <= b_start else (b_end, a_start)
    between = text[left:right]
    return len(between) + 200 * len(STRONG_BOUNDARY.findall(between))


_ON_PLAN = re.compile(
    r"^\s*(?:\w+\s+)?(?:on|for|with|in|under)\s+(?:the\s+|your\s+|a\s+)?$", re.IGNORECASE
)


def _nearest_group(
    groups: Sequence[PlanGroup], text: str, start: int, end: int, limit: float = 150
) -> PlanGroup | None:
    """The plans a mention is about: 'N months on Pro' takes the plan after it; otherwise
    the closest plans in the same clause (a strong boundary counts as far away)."""
    for group in groups:
        if group.start >= end and _ON_PLAN.match(text[end : group.start]):
            return group
    return _closest_group(groups, text, start, end, limit)


def _closest_group(
    groups: Sequence[PlanGroup], text: str, start: int, end: int, limit: float = 150
) -> PlanGroup | None:
    best, best_distance = None, None
    for group in groups:
        distance = _distance(text, start, end, group.start, group.end)
        if distance <= limit and (best_distance is None or distance < best_distance):
            best, best_distance = group, distance
    return best or _label_group(groups, text, start)


CONTINUES = re.compile(
    r"\s*(?:[-*\u2022]\s+|\d+[.)]\s+)?(?:it|it's|this|that|they|they're|these|those|"
    r"both|the plan|that plan|this plan)\b",
    re.IGNORECASE,
)
BULLET = re.compile(r"\s*(?:[-*\u2022]|\d+[.)])\s")


def previous_sentence(text: str, sentence: Sentence) -> Sentence | None:
    return sentence_before(text, sentence.start)


def context_plans(text: str, sentence: Sentence, kb: KnowledgeBase) -> list[PlanFact]:
    """Plans a sentence carries on from the one before: 'It includes one user' after
    'the plan that fits is Essentials', or a bullet under 'Enterprise costs:' (back
    through a few bullets of the same list)."""
    bullet = BULLET.match(sentence.text)
    if not (bullet or CONTINUES.match(sentence.text)):
        previous = previous_sentence(text, sentence)
        if previous is None or not previous.text.rstrip().endswith(":"):
            return []
    current = sentence
    for _ in range(8):
        previous = previous_sentence(text, current)
        if previous is None:
            return []
        groups = [g for g in plan_groups(previous.text, kb) if not g.every]
        if groups:
            return list(groups[-1].plans)
        if not BULLET.match(previous.text) and not previous.text.rstrip().endswith(":"):
            return []
        current = previous
    return []


def _label_group(groups: Sequence[PlanGroup], text: str, start: int) -> PlanGroup | None:
    """A plan named as a label at the start of a line ('Free: $0 for 1 seat and …')."""
    first = groups[0] if groups else None
    if first is None or first.start >= start or first.every:
        return None
    if re.fullmatch(r"\s*(?:[-*\u2022]\s*|\d+[.)]\s*)?(?:the\s+)?", text[: first.start]) and (
        re.match(r"\s*(?:plan)?\s*[:\u2013\u2014-]\s", text[first.end :])
    ):
        return first
    return None


# ---- negation ------------------------------------------------------------------------------


def _unused(match: re.Match[str]) -> str:
    """'the sends you don't use' describes sends; 'we don't send SMS' at the start of a
    clause denies something, and stays."""
    before = match.string[: match.start()].rstrip()
    if not before or before[-1] in ",;:\u2014\u2013-" or CLAUSE_OPENER.search(before):
        return match.group(0)
    return " unused "


CLAUSE_OPENER = re.compile(r"\b(?:and|but|so|because|as|since|while|although|though)$", re.I)
UNUSED = re.compile(
    r"\b(?:you|they|we|i)\s+(?:don't|do not|didn't|did not|haven't|have not|won't|will not)"
    r"\s+(?:use|used|need|needed|spend|spent|send|sent)\b",
    re.IGNORECASE,
)


POLAR_NEGATION = re.compile(
    r"\b(?:not|no|never|neither|nor|cannot|can't|cant|won't|wont|isn't|aren't|wasn't|"
    r"weren't|doesn't|don't|didn't|hasn't|haven't|hadn't|shouldn't|wouldn't|couldn't|"
    r"mustn't|no longer)\b",
    re.IGNORECASE,
)


def says_no(text: str) -> bool:
    """Whether a statement is negative ('do not roll over', "can't be restored"); unlike
    `negated`, 'removed seats' or 'retired paths' are not a no."""
    return bool(POLAR_NEGATION.search(UNUSED.sub(" unused ", text or "")))


def negated(text: str) -> bool:
    """Whether a stretch of text denies something ('isn't included', 'no longer', 'can't');
    'any you don't use' describes what is meant, it denies nothing."""
    text = UNUSED.sub(_unused, text or "")
    cleaned = re.sub(
        r"\bnot only\b|\bno matter\b|\bno problem\b|\bno worries\b|\bno need\b|"
        r"\bwhether or not\b|\bif not\b|\bno extra\b|\bnothing extra\b|\bwon't be left\b",
        " ",
        text or "",
        flags=re.IGNORECASE,
    )
    return bool(NEGATION.search(cleaned))


DENIES_AVAILABILITY = re.compile(
    r"\b(?:(?:is|are|was|were|it's|they're)\s*n[o']t|not|isn't|aren't|wasn't|weren't)\s+"
    r"(?:\w+\s+){0,2}?(?:available|included|offered|supported|part of|possible|an option|"
    r"on|in|with|for|something)\b"
    r"|\b(?:doesn't|don't|does not|do not|didn't|did not|won't|will not|can't|cannot|"
    r"can not|isn't able to|aren't able to)\s+(?:\w+\s+){0,2}?(?:have|has|include|includes|"
    r"offer|offers|support|supports|come with|get|use|access|add|buy|purchase|send|turn on|"
    r"enable|remove|set up|do|provide|allow|let)\b"
    r"|\b(?:no longer|not available|unavailable|excluded|not included|not part of|"
    r"(?:was|were|has been|have been|got) (?:removed|discontinued|retired|dropped)|"
    r"discontinued|retired)\b"
    r"|\b(?:there's|there is|there are|has|have|with|offers?|includes?)\s+no\b|^\s*no\b",
    re.IGNORECASE,
)


def denies(text: str) -> bool:
    """Whether a stretch of text says something is not available, included or possible."""
    return bool(DENIES_AVAILABILITY.search(text or ""))


LOCAL_AFTER = re.compile(
    r",|;|:|\u2014|\s\u2013\s|\b(?:which|who|whom|whose|so|because|since|until|unless|"
    r"while|but|although|though|if|when|where)\b",
    re.IGNORECASE,
)
LOCAL_BEFORE = re.compile(
    r"[,;:\u2014]|\s\u2013\s|\b(?:so|because|since|but|although|though|while|whereas|"
    r"however|and then)\b",
    re.IGNORECASE,
)


def _local(text: str, sentence: Sentence, start: int, end: int) -> str:
    """The words that govern a mention: back to the last comma or conjunction, forward to
    the next comma or relative clause ('…, which skips contacts who haven't opened')."""
    local_start, local_end = start - sentence.start, end - sentence.start
    before = sentence.text[:local_start]
    cuts = [m.end() for m in LOCAL_BEFORE.finditer(before)]
    left = cuts[-1] if cuts else 0
    after = LOCAL_AFTER.search(sentence.text, local_end)
    right = after.start() if after else len(sentence.text)
    return sentence.text[left:right]


def _scope(text: str, sentence: Sentence, start: int, end: int) -> str:
    """The clause around a span: from the last strong boundary before it to the next after."""
    local_start, local_end = start - sentence.start, end - sentence.start
    before = sentence.text[:local_start]
    after = sentence.text[local_end:]
    cut_before = [m.end() for m in STRONG_BOUNDARY.finditer(before)]
    cut_after = STRONG_BOUNDARY.search(after)
    left = cut_before[-1] if cut_before else 0
    right = local_end + (cut_after.start() if cut_after else len(after))
    return sentence.text[left:right]


def _span_scope(text: str, sentence: Sentence, spans: Sequence[tuple[int, int]]) -> str:
    start = min(s for s, _ in spans)
    end = max(e for _, e in spans)
    return _scope(text, sentence, start, end)


# ---- how telling a word is --------------------------------------------------------------


@per_kb
def _stem_weights(kb: KnowledgeBase) -> dict[str, float]:
    """How telling each stem is: rare across the facts' statements and names = heavy."""
    documents = [stems(" ".join([f.statement, f.title, *f.topic_phrases])) for f in kb.facts]
    total = max(1, len(documents))
    frequency: dict[str, int] = {}
    for document in documents:
        for word in document:
            frequency[word] = frequency.get(word, 0) + 1
    return {w: math.log((total + 1) / (n + 0.5)) for w, n in frequency.items()}


@per_kb
def _stem_frequency(kb: KnowledgeBase) -> dict[str, int]:
    """In how many facts (statement, title, phrases) each stem occurs."""
    frequency: dict[str, int] = {}
    for fact in kb.facts:
        for word in stems(" ".join([fact.statement, fact.title, *fact.topic_phrases])):
            frequency[word] = frequency.get(word, 0) + 1
    return frequency


CYCLE_WORDS = re.compile(
    r"\b(?P<annual>annual(?:ly)?|yearly|per year billing)\b|\b(?P<monthly>monthly)\b",
    re.IGNORECASE,
)


def cycle_in(message: str | None) -> str | None:
    """The billing cycle a customer says they are on ('our annual plan renewed'), if one."""
    found = {
        "annual" if m.group("annual") else "monthly" for m in CYCLE_WORDS.finditer(message or "")
    }
    return found.pop() if len(found) == 1 else None


def _rule_scope(text: str, sentence: Sentence, start: int, end: int) -> str:
    """From the clause start through the rule's words to the next comma or 'so/which'."""
    local_start, local_end = start - sentence.start, end - sentence.start
    cuts = [m.end() for m in LOCAL_BEFORE.finditer(sentence.text[:local_start])]
    left = cuts[-1] if cuts else 0
    after = LOCAL_AFTER.search(sentence.text, local_end)
    right = after.start() if after else len(sentence.text)
    return sentence.text[left:right]
