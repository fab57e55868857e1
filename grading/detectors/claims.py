"""Claim checking against any company's knowledge base: prices, seats, quotas, features,
add-ons, things not offered, policies and support targets, yes/no rules, menu paths and
troubleshooting steps.

Nothing here names a company or its products: the company's name and product names come
from the knowledge base (company.yaml), every other word from its facts or from plain
English. `check_claims` marks each checkable statement supported, contradicted or
unsupported; `audit_draft` turns the wrong ones (and an answer to a different question)
into findings with a correction taken from the fact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from grading.detectors.knowledge_base import (
    AddonFact,
    Duration,
    Fact,
    FeatureFact,
    KnowledgeBase,
    NotOfferedFact,
    PlanFact,
    PolicyFact,
    ProcessFact,
    QuotaFact,
    RuleFact,
    SlaFact,
    TroubleshootingFact,
    billing_cycle_key,
)
from grading.detectors.quantities import (
    Count,
    DurationMention,
    Money,
    counts_in,
    durations_in,
    money_in,
)
from grading.detectors.text import (
    Sentence,
    content_words,
    overlaps,
    sentence_at,
    sentences,
    word_count,
)

SUPPORTED, CONTRADICTED, UNSUPPORTED = "supported", "contradicted", "unsupported"
FINDING_TYPES = (
    "invented_feature",
    "wrong_price",
    "wrong_policy",
    "outdated_process",
    "fake_troubleshooting",
    "irrelevant_answer",
    "unsupported_claim",
)
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
    r"add-on|unlocks?|is|are)\b",
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
    r"\b(?:you(?:'ve| have)? (?:used|sent|got|paid|spent|imported|added)|you're at|you are at|"
    r"your (?:current|usage|bill|invoice|total)|of (?:them|those)|so far|already used)\b",
    re.IGNORECASE,
)

_SUFFIXES = (
    "ational",
    "ations",
    "ation",
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


def stem_word(word: str) -> str:
    """A light stemmer: 'restored', 'restore' and 'restoring' all become 'restor'."""
    word = word.lower().replace("\u2019", "'")
    if word.endswith("'s"):
        word = word[:-2]
    word = word.replace("-", "")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix in ("ies", "ied") else "")
            break
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def stems(text: str) -> set[str]:
    """The stems of a text's content words."""
    return {stem_word(w) for w in content_words((text or "").replace("-", " "))}


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
    return re.compile(rf"(?<![\w-])(?:{'|'.join(parts)}){ending}(?![\w-])", re.IGNORECASE)


def alias_pattern(phrases: Iterable[str], *, singular: bool = False) -> re.Pattern[str]:
    """Any of the phrases, case-insensitive, word-bounded, inflected, and allowing an
    article or pronoun between words ('remove badge' finds 'remove the badge'); with
    `singular`, 'contacts' also finds 'contact' ('a 5,000-contact limit')."""
    wanted = {p.strip() for p in phrases if p and len(p.strip()) > 1}
    if singular:
        wanted |= {_singular(p) for p in wanted}
    return _alias_regex(tuple(sorted(wanted, key=len, reverse=True)))


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
    return best


# ---- negation ------------------------------------------------------------------------------


def negated(text: str) -> bool:
    """Whether a stretch of text denies something ('isn't included', 'no longer', 'can't')."""
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
    r"discontinued|retired|without)\b"
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


# ---- prices --------------------------------------------------------------------------------


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 0.005 + 1e-9 * abs(b)


CYCLE_WORDS = re.compile(
    r"\b(?P<annual>annual(?:ly)?|yearly|per year billing)\b|\b(?P<monthly>monthly)\b",
    re.IGNORECASE,
)


def _multipliers(text: str, message: str | None) -> list[int]:
    """Seat or unit counts a price may be multiplied by: '6 seats', '18 users'."""
    found = {1}
    for source in (text, message or ""):
        for count in counts_in(source):
            if count.value.is_integer() and 1 < count.value <= 1000:
                found.add(int(count.value))
    return sorted(found)


def _plan_prices(plan: PlanFact, money: Money, cycle: str | None, counts: list[int]):
    """(value, description) pairs a correct statement of this plan's price could give."""
    monthly, annual = plan.monthly_price, plan.annual_price
    equivalent = plan.monthly_equivalent
    if money.basis == "seat" and not plan.per_seat:
        return []
    if money.basis == "account" and plan.per_seat:
        return []
    multipliers = counts if plan.per_seat else [1]
    values: list[tuple[float, str]] = []
    period = money.period
    for n in multipliers:
        if period in (None, "month"):
            if cycle in (None, "monthly") and monthly is not None:
                values.append((monthly * n, "monthly price"))
            if cycle in (None, "annual") and equivalent is not None:
                values.append((equivalent * n, "annual price per month"))
        if period in (None, "year"):
            if cycle in (None, "annual") and annual is not None:
                values.append((annual * n, "annual price"))
            if cycle in (None, "monthly") and monthly is not None:
                values.append((monthly * 12 * n, "twelve monthly payments"))
    return values


def _savings(plan: PlanFact, counts: list[int]) -> list[float]:
    if plan.monthly_price is None or plan.annual_price is None:
        return []
    multipliers = counts if plan.per_seat else [1]
    yearly = plan.monthly_price * 12 - plan.annual_price
    return [v * n for n in multipliers for v in (yearly, yearly / 12)]


def _addon_prices(addon, money: Money, counts: list[int]) -> list[float]:
    price, period = addon.price, addon.period
    if price is None:
        return []
    claimed = money.period
    if period == "one_off" and claimed in ("month", "year", "week", "day"):
        return []
    if period in ("month", "year") and claimed == "one_off":
        return []
    factor = 1.0
    if period == "month" and claimed == "year":
        factor = 12.0
    elif period == "year" and claimed == "month":
        factor = 1 / 12
    return [price * factor * n for n in counts]


@dataclass(frozen=True)
class _Priced:
    """Something with a price that a money mention may be about: an add-on or an overage."""

    fact: Fact
    price: float | None
    per: str
    period: str
    plans: tuple[str, ...]
    phrases: tuple[str, ...]


def _priced_items(kb: KnowledgeBase) -> list[_Priced]:
    items = [_Priced(a, a.price, a.per, a.period, a.plans, a.topic_phrases) for a in kb.addons]
    for quota in kb.quotas:
        if quota.overage_price is not None:
            unit = quota.unit or "units"
            phrases = ("overage", "over the limit", "beyond", f"extra {unit}", f"additional {unit}")
            items.append(
                _Priced(quota, quota.overage_price, quota.overage_per, "per_use", (), phrases)
            )
    return items


def _per_parts(per: str) -> tuple[float | None, str]:
    match = re.match(r"\s*(\d{1,3}(?:,\d{3})+|\d+)?\s*(.*)", per or "")
    count = float(match.group(1).replace(",", "")) if match and match.group(1) else None
    return count, (match.group(2) if match else per).strip().lower()


def _noun_key(noun: str) -> str:
    return stem_word(noun.split()[0]) if noun.split() else ""


def _per_agrees(item: _Priced, money: Money) -> bool | None:
    """True/False when the money's 'per …' words can be compared with the item's, else None."""
    if not money.per_noun:
        return None
    count, noun = _per_parts(item.per)
    if _noun_key(money.per_noun) != _noun_key(noun):
        names = {stem_word(w) for p in item.phrases for w in p.split()}
        return True if _noun_key(money.per_noun) in names else None
    if money.per_count is not None and count is not None:
        return _close(money.per_count, count)
    return True


def check_prices(
    text: str,
    kb: KnowledgeBase,
    customer_plan: str | None,
    *,
    billing_cycle: str | None = None,
    customer_message: str | None = None,
) -> list[Claim]:
    claims = []
    counts = _multipliers(text, customer_message)
    customer_amounts = {round(m.value, 2) for m in money_in(customer_message or "")}
    items = _priced_items(kb)
    for money in money_in(text):
        if round(money.value, 2) in customer_amounts:
            continue  # the customer's own figure, repeated
        claim = _price_claim(text, money, kb, items, counts, customer_plan)
        if claim:
            claims.append(claim)
    return claims


def _price_claim(text, money: Money, kb, items, counts, customer_plan) -> Claim | None:
    sentence = sentence_at(text, money.start)
    cycle = money.cycle
    saving = bool(
        SAVING_WORDS.search(text[max(sentence.start, money.start - 25) : money.start])
        or SAVING_WORDS.search(text[money.end : money.end + 12])
    )
    subjects = _price_subjects(text, sentence, money, kb, items)
    shaped = bool(money.period or money.basis or money.cycle or money.per_noun)
    if not subjects and shaped and kb.plan(customer_plan) and _plan_compatible(money):
        subjects = [(2, 999, kb.plan(customer_plan))]
    if not subjects:
        return None
    for _, _, subject in subjects:
        if _price_fits(subject, money, cycle, counts, saving, kb):
            fact = subject.fact if isinstance(subject, _Priced) else subject
            return _claim("price", text, money.start, money.end, SUPPORTED, fact, "price")
    _, distance, subject = subjects[0]
    if isinstance(subject, PlanFact) and not shaped and distance > 80:
        return _claim("price", text, money.start, money.end, UNSUPPORTED, None, "no plan price")
    fact = subject.fact if isinstance(subject, _Priced) else subject
    return _claim("price", text, money.start, money.end, CONTRADICTED, fact, "price")


def _plan_compatible(money: Money) -> bool:
    """Whether a money mention could be a plan's price at all ('per 1,000 emails' is not)."""
    if money.per_count is not None or money.period == "one_off":
        return False
    return money.per_noun is None or money.basis is not None


def _item_compatible(item: _Priced, money: Money) -> bool:
    if item.period == "per_use":
        return money.period is None
    if item.period == "one_off":
        return money.period in (None, "one_off")
    return money.period in (None, "month", "year")


def _price_subjects(text, sentence, money: Money, kb, items):
    """What a price may be about, best first: (shape mismatch, distance, plan or item)."""
    local, local_end = money.start - sentence.start, money.end - sentence.start
    found = []
    if _plan_compatible(money):
        for group in plan_groups(sentence.text, kb):
            if group.every:
                continue
            distance = _distance(sentence.text, group.start, group.end, local, local_end)
            if distance <= 400:
                for plan in group.plans:
                    mismatch = (money.basis == "seat" and not plan.per_seat) or (
                        money.basis == "account" and plan.per_seat
                    )
                    found.append((int(mismatch), distance, plan))
    for item in items:
        if not _item_compatible(item, money):
            continue
        distances = [
            _distance(sentence.text, m.start(), m.end(), local, local_end)
            for m in alias_pattern(item.phrases).finditer(sentence.text)
        ]
        agrees = _per_agrees(item, money)
        if agrees is not None:
            distances.append(0)
        if not distances and _named_loosely(item, sentence.text[:local]):
            distances.append(40)
        if money.basis == "seat" and agrees is None:
            distances = [d + 100 for d in distances]
        best = min(distances) if distances else None
        if best is not None and best <= 120:
            found.append((0, best, item))
    if not found:
        found = _subjects_before(text, sentence, money, kb, items)
    return sorted(found, key=lambda entry: (entry[0], entry[1]))


def _named_loosely(item: _Priced, before: str) -> bool:
    """Every telling word of one of the item's names in the words before a price
    ('a dedicated sending IP address costs' names 'Dedicated IP')."""
    clause = re.split(r"[,;:]|\b(?:and|or|but)\b", before)[-1]
    words = stems(clause)
    for phrase in item.phrases:
        wanted = stems(phrase) - GENERIC_STEMS
        if len(wanted) >= 2 and wanted <= words:
            return True
    return False


def _subjects_before(text, sentence, money: Money, kb, items):
    """'It costs $79 a month': the thing named in the sentence before."""
    previous = _previous_sentence(text, sentence)
    if previous is None or not re.match(
        r"\s*(?:it|this|that|they|these|each(?: one)?|the (?:price|cost|fee))\b",
        sentence.text[: money.start - sentence.start] or "",
        re.IGNORECASE,
    ):
        return []
    found = []
    for item in items:
        if _item_compatible(item, money) and alias_pattern(item.phrases).search(previous.text):
            found.append((0, 500, item))
    groups = [g for g in plan_groups(previous.text, kb) if not g.every]
    if groups and _plan_compatible(money):
        found += [(0, 600, plan) for plan in groups[-1].plans]
    return found


def _price_fits(subject, money: Money, cycle, counts, saving: bool, kb) -> bool:
    if isinstance(subject, _Priced):
        agrees = _per_agrees(subject, money)
        values = _addon_prices(subject, money, counts)
        return agrees is not False and any(_close(v, money.value) for v in values)
    plan = subject
    if any(_close(v, money.value) for v, _ in _plan_prices(plan, money, cycle, counts)):
        return True
    if saving and any(_close(v, money.value) for v in _savings(plan, counts)):
        return True
    if plan.seats_purchasable and not plan.per_seat and money.basis is None:
        return any(_close(v, money.value) for v in _with_extra_seats(plan, money, kb, counts))
    return False


def _with_extra_seats(plan: PlanFact, money: Money, kb: KnowledgeBase, counts: list[int]):
    seat_addons = [
        a for a in kb.addons if _noun_key(_per_parts(a.per)[1]) in ("seat", "user", "member")
    ]
    base = [plan.monthly_price] if money.period in (None, "month") else [plan.annual_price]
    values = []
    for addon in seat_addons:
        if addon.price is None or not kb.feature_on_plan(addon, plan.plan):
            continue
        price = addon.price * (12 if money.period == "year" and addon.period == "month" else 1)
        for b in base:
            if b is None:
                continue
            for n in counts:
                values.append(b + price * n)
                if plan.seats_included and n > plan.seats_included:
                    values.append(b + price * (n - plan.seats_included))
    return values


def _previous_sentence(text: str, sentence: Sentence) -> Sentence | None:
    before = [s for s in sentences(text) if s.end <= sentence.start]
    return before[-1] if before else None


PRICE_BASIS = re.compile(
    r"\b(?:priced|billed|charged|paid|costs?|pricing is|price is)\s+(?:is\s+)?"
    r"(?P<basis>per[- ](?:account|seat|user|workspace|team)|by the seat|per head|flat)\b",
    re.IGNORECASE,
)


def check_price_basis(text: str, kb: KnowledgeBase) -> list[Claim]:
    """'Pro is billed per account' for a plan priced per seat (or the other way round)."""
    claims = []
    for match in PRICE_BASIS.finditer(text or ""):
        sentence = sentence_at(text, match.start())
        groups = plan_groups(sentence.text, kb)
        local = match.start() - sentence.start
        before = [
            g
            for g in groups
            if g.end <= local and not re.search(r"[,;:]", sentence.text[g.end : local])
        ]
        group = before[-1] if before else None
        if group is None or group.every or local - group.end > 40:
            continue
        words = match.group("basis").lower()
        claimed_seat = any(w in words for w in ("seat", "user", "head"))
        for plan in group.plans:
            right = claimed_seat == plan.per_seat
            status = SUPPORTED if right else CONTRADICTED
            if negated(_scope(text, sentence, match.start(), match.end())):
                status = CONTRADICTED if right else SUPPORTED
            claims.append(
                _claim("price", text, match.start(), match.end(), status, plan, "price basis")
            )
    return claims


# ---- seats and quotas ----------------------------------------------------------------------

SEAT_NOUN = r"(?:seats?|users?|team members?|members?|logins?|people|licen[cs]es?)"
SEAT_NUMBER = r"(?P<number>\d+|one|two|three|four|five|six|seven|eight|nine|ten|a single|single)"
SEAT_CLAIM = re.compile(
    rf"\b(?:(?P<limit>up to|maximum of|max(?:imum)?|limit of|limited to|capped at|"
    rf"allows?(?: up to)?|at most|no more than)|(?P<includes>includes?|including|comes? with|"
    rf"gives? you|has|with|for))\s+{SEAT_NUMBER}\s+(?:(?:paid|included|extra|additional)\s+)?"
    rf"{SEAT_NOUN}\b"
    rf"|\b(?P<number2>\d+|one|two|three|four|five|ten)\s+{SEAT_NOUN}\s+(?:are\s+|is\s+)?"
    rf"(?P<included>included)\b"
    rf"|\b(?P<unlimited>unlimited|no (?:seat|user) limit|no limit on (?:seats|users)|"
    rf"as many (?:seats|users) as)\b",
    re.IGNORECASE,
)
WORD_NUMBERS = {
    "one": 1,
    "a single": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}


def check_seats(
    text: str, kb: KnowledgeBase, customer_plan: str | None, customer_message: str | None = None
) -> list[Claim]:
    claims = []
    customer_numbers = {c.value for c in counts_in(customer_message or "")}
    for match in SEAT_CLAIM.finditer(text or ""):
        sentence = sentence_at(text, match.start())
        local = match.start() - sentence.start
        groups = plan_groups(sentence.text, kb)
        group = _nearest_group(groups, sentence.text, local, local + len(match.group(0)), 120)
        if group is None and (
            not kb.plan(customer_plan)
            or not re.search(r"\byour (?:plan|account)\b", sentence.text, re.I)
        ):
            continue
        plans = list(group.plans) if group else [kb.plan(customer_plan)]
        scope = _scope(text, sentence, match.start(), match.end())
        if match.group("unlimited"):
            claimed = None
            limit_words = True
        else:
            raw = (match.group("number") or match.group("number2")).lower()
            claimed = WORD_NUMBERS.get(raw) or int(raw)
            limit_words = bool(match.group("limit"))
            if claimed in customer_numbers and not limit_words:
                continue
        if re.search(r"\b(?:extra|additional|more)\s+" + SEAT_NOUN, match.group(0), re.I):
            continue
        for plan in plans:
            allowed = {plan.seat_limit} if limit_words else {plan.seat_limit, plan.seats_included}
            if not limit_words and plan.seats_included is None and plan.per_seat:
                allowed.add(None)
            right = claimed in allowed
            if claimed is None and match.group("unlimited") is None and negated(scope):
                right = plan.seat_limit is not None
            status = SUPPORTED if right else CONTRADICTED
            claims.append(
                _claim("seat_limit", text, match.start(), match.end(), status, plan, "seats")
            )
    return claims


def _quota_phrases(quota: QuotaFact) -> tuple[str, ...]:
    return (*quota.topic_phrases, quota.unit) if quota.unit else quota.topic_phrases


def check_quotas(
    text: str,
    kb: KnowledgeBase,
    customer_plan: str | None,
    customer_message: str | None = None,
) -> list[Claim]:
    """Amounts of a quota ('1,000 sends a month'), its rollover and its reset."""
    claims: list[Claim] = []
    customer_numbers = {c.value for c in counts_in(customer_message or "")}
    per_amounts = {_per_parts(a.per)[0] for a in kb.addons if _per_parts(a.per)[0] is not None} | {
        _per_parts(q.overage_per)[0] for q in kb.quotas if q.overage_per
    }
    for count in counts_in(text):
        if count.value < 1 or count.value in customer_numbers:
            continue
        quota = _quota_for_count(text, count, kb)
        if quota is None:
            continue
        sentence = sentence_at(text, count.start)
        before = text[max(sentence.start, count.start - 14) : count.start].lower()
        if (
            re.search(r"\b(?:per|of|blocks? of|packs? of)\s*$", before)
            and count.value in per_amounts
        ):
            continue
        if CUSTOMER_DATA.search(text[max(sentence.start, count.start - 30) : count.end + 20]):
            continue
        claim = _quota_amount_claim(text, sentence, count, quota, kb, customer_plan)
        if claim:
            claims.append(claim)
    claims += _quota_rules(text, kb)
    return claims


def _quota_for_count(text: str, count: Count, kb: KnowledgeBase) -> QuotaFact | None:
    """The quota a number counts: its unit or alias right after it ('1,000 email sends',
    '5,000-contact limit'), or, for a bare number, named just before it."""
    after = text[count.start : count.end + 30]
    number = re.match(r"[\d,.]+k?|[A-Za-z-]+", after)
    rest = after[number.end() if number else 0 :]
    if re.match(r"[.)]\s", rest) and re.search(r"(?:^|\n|\s)$", text[: count.start]):
        return None  # a list marker: '4) Ask your subscribers …'
    for quota in kb.quotas:
        found = re.match(
            r"[\s-]*(?:[A-Za-z-]+\s+)?(?="
            + alias_pattern(_quota_phrases(quota), singular=True).pattern
            + ")",
            rest,
            re.IGNORECASE,
        )
        if found:
            return quota
    if count.noun and count.noun not in ("a", "per", "each", "every", "in", "of"):
        return None
    sentence = sentence_at(text, count.start)
    before = text[sentence.start : count.start]
    cut = max((m.end() for m in re.finditer(r"[,;:(]", before)), default=0)
    before = before[cut:]
    best = None
    for quota in kb.quotas:
        for match in alias_pattern(_quota_phrases(quota), singular=True).finditer(before):
            distance = len(before) - match.end()
            if distance <= 30 and (best is None or distance < best[0]):
                best = (distance, quota)
    return best[1] if best else None


def _quota_amount_claim(text, sentence, count: Count, quota: QuotaFact, kb, customer_plan):
    local = count.start - sentence.start
    groups = [g for g in plan_groups(sentence.text, kb) if not g.every]
    group = _nearest_group(groups, sentence.text, local, count.end - sentence.start, 120)
    plans = list(group.plans) if group else []
    if not plans and kb.plan(customer_plan) and quota.by_plan:
        plans = [kb.plan(customer_plan)]
    values = [v for _, v in quota.by_plan] if quota.by_plan else [quota.limit]
    if not plans:
        status = (
            SUPPORTED if any(v is not None and _close(v, count.value) for v in values) else None
        )
        if status is None:
            return None  # no plan to judge by
        return _claim("quota", text, count.start, count.end, status, quota, "quota amount")
    for plan in plans:
        known, limit = quota.limit_for(plan.plan)
        if not known:
            continue
        if limit is not None and _close(limit, count.value):
            return _claim("quota", text, count.start, count.end, SUPPORTED, quota, plan.plan)
    if any(quota.limit_for(p.plan)[0] for p in plans):
        return _claim("quota", text, count.start, count.end, CONTRADICTED, quota, "quota amount")
    return None


ROLLOVER = re.compile(r"\b(?:roll(?:s|ed)?[- ]?over|carr(?:y|ies|ied)[- ](?:over|forward))\b", re.I)
RESET = re.compile(r"\bres(?:et|ets|etting)\b", re.I)
RESET_PERIOD = {
    "monthly": re.compile(r"\b(?:monthly|each month|every month|per month|a month)\b", re.I),
    "annually": re.compile(r"\b(?:annually|yearly|each year|every year|per year|a year)\b", re.I),
}


def _quota_rules(text: str, kb: KnowledgeBase) -> list[Claim]:
    claims = []
    for sentence in sentences(text):
        for quota in kb.quotas:
            mention = alias_pattern(_quota_phrases(quota), singular=True).search(sentence.text)
            if not mention:
                continue
            for match in ROLLOVER.finditer(sentence.text):
                if quota.rollover is None:
                    continue
                start, end = sentence.start + match.start(), sentence.start + match.end()
                says = not negated(_rule_scope(text, sentence, start, end))
                status = SUPPORTED if says == quota.rollover else CONTRADICTED
                claims.append(_claim("quota", text, start, end, status, quota, "rollover"))
            for match in RESET.finditer(sentence.text):
                scope = _local(
                    text, sentence, sentence.start + match.start(), sentence.start + match.end()
                )
                said = next((k for k, p in RESET_PERIOD.items() if p.search(scope)), None)
                if negated(scope):
                    said = "never"
                if said is None:
                    continue
                start, end = sentence.start + match.start(), sentence.start + match.end()
                status = SUPPORTED if said == quota.resets else CONTRADICTED
                claims.append(_claim("quota", text, start, end, status, quota, "reset"))
    return claims


# ---- features, add-ons and things not offered ---------------------------------------------


def check_features(
    text: str, kb: KnowledgeBase, customer_plan: str | None, customer_message: str | None = None
) -> list[Claim]:
    """Features and add-ons claimed on plans, and things not offered claimed as available.
    Where names overlap, the longest wins ('text-message reminders' is not 'reminders')."""
    mentions = []
    for fact in [*kb.features, *kb.addons, *kb.not_offered]:
        for match in alias_pattern(fact.topic_phrases).finditer(text or ""):
            mentions.append((fact, match))
    claims: list[Claim] = []
    for fact, match in mentions:
        if any(
            other is not fact
            and o.start() <= match.start()
            and match.end() <= o.end()
            and (o.end() - o.start()) > (match.end() - match.start())
            for other, o in mentions
        ):
            continue
        sentence = sentence_at(text, match.start())
        if isinstance(fact, NotOfferedFact):
            claim = _not_offered_claim(text, sentence, match, fact)
        elif isinstance(fact, FeatureFact) and any(
            match.group(0).lower().startswith(m.lower()) for m in negative_aliases(fact, kb)
        ):
            claim = _not_offered_claim(text, sentence, match, fact, kind="feature")
        else:
            claim = _availability_claim(text, sentence, match, fact, kb, customer_plan)
        if claim:
            claims.append(claim)
    return claims


def negative_aliases(feature: FeatureFact, kb: KnowledgeBase) -> list[str]:
    """Aliases the fact's own statement says do not exist ('there is no SMS option')."""
    clauses = [c for c in re.split(r"[.;]\s+", feature.statement) if c.strip()]
    denied = [c for c in clauses if negated(c) and not plan_mentions(c, kb)]
    names = {w.lower() for w in feature.feature.split()}
    found = []
    for alias in feature.aliases:
        if alias_pattern([alias]).search(feature.statement):
            key = [alias]
        else:
            key = [w for w in alias.split() if w.lower() not in names and len(w) > 2][:1]
        if not key:
            continue
        pattern = alias_pattern(key)
        hits = [c for c in clauses if pattern.search(c)]
        if hits and all(c in denied for c in hits):
            found.append(alias)
    return found


def _not_offered_claim(
    text: str, sentence: Sentence, match, fact, kind: str = "not_offered"
) -> Claim | None:
    scope = _scope(text, sentence, match.start(), match.end())
    if negated(_local(text, sentence, match.start(), match.end())):
        return _claim(kind, text, match.start(), match.end(), SUPPORTED, fact, "denied")
    before = text[sentence.start : match.start()]
    if HEDGE.search(scope) or re.search(
        r"\b(?:into|from|to|alongside|separate)\s+\S*\s*$", before, re.I
    ):
        return None
    if not ASSERTIVE.search(scope):
        return None
    start, end = _assertion_span(text, sentence, match.start(), match.end())
    return _claim(kind, text, start, end, CONTRADICTED, fact, "not offered")


def _assertion_span(text: str, sentence: Sentence, start: int, end: int) -> tuple[int, int]:
    """The clause that asserts something about a mention, for the finding's span."""
    scope = _scope(text, sentence, start, end)
    at = sentence.text.find(scope)
    if at < 0:
        return start, end
    return sentence.start + at, sentence.start + at + len(scope)


def _availability_claim(text, sentence, match, fact, kb, customer_plan) -> Claim | None:
    local = match.start() - sentence.start
    groups = plan_groups(sentence.text, kb)
    group = _nearest_group(groups, sentence.text, local, local + len(match.group(0)), 140)
    group = group or _group_referring_back(sentence, groups, local + len(match.group(0)))
    spans = [(match.start(), match.end())]
    if group:
        spans.append((sentence.start + group.start, sentence.start + group.end))
    scope = _span_scope(text, sentence, spans)
    between = _between(text, spans)
    is_negated = denies(between) or denies(_local(text, sentence, match.start(), match.end()))
    if HEDGE.search(_scope(text, sentence, match.start(), match.end())) and not group:
        return None
    if group:
        plans = list(group.plans)
        explicit = True
    else:
        plan = kb.plan(customer_plan)
        if plan is None or not AVAILABILITY.search(scope):
            return None
        if not re.search(r"\b(?:you|your)\b", scope, re.I):
            return None
        plans, explicit = [plan], False
    has = [kb.feature_on_plan(fact, p.plan) for p in plans]
    only = group is not None and not group.every and _only_near(sentence, group)
    if is_negated:
        wrong = any(has) if (explicit or len(plans) == 1) else False
    elif only:
        wrong = not all(has) or {p.plan for p in plans} != {
            p.plan for p in kb.plans if kb.feature_on_plan(fact, p.plan)
        }
    else:
        wrong = not all(has)
    kind = "addon" if isinstance(fact, AddonFact) else "feature"
    if not wrong:
        return _claim(kind, text, match.start(), match.end(), SUPPORTED, fact, "availability")
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return _claim(kind, text, start, end, CONTRADICTED, fact, f"on {_join(p.plan for p in plans)}")


def _group_referring_back(sentence: Sentence, groups, after: int) -> PlanGroup | None:
    """'X lets you …; it's available on every plan': the next clause names the plans."""
    for group in groups:
        if group.start < after:
            continue
        between = sentence.text[after : group.start]
        pieces = STRONG_BOUNDARY.split(between)
        if len(pieces) == 2 and re.match(
            r"\s*(?:it|it's|they|they're|this|that|these|those|both|which)\b", pieces[1], re.I
        ):
            return group
        return None
    return None


def _only_near(sentence: Sentence, group: PlanGroup) -> bool:
    before = sentence.text[max(0, group.start - 12) : group.start]
    after = sentence.text[group.end : group.end + 8]
    return bool(
        re.search(r"\b(?:only|exclusively|just)\b(?:\s+\w+)?\s*$", before, re.I)
        or re.match(r"\s*(?:plans?\s+)?(?:only|exclusively)\b", after, re.I)
    )


def _between(text: str, spans: Sequence[tuple[int, int]]) -> str:
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return text[start:end]


UNKNOWN_KEYWORDS = (
    r"feature|tool|mode|integration|module|add-on|addon|assistant|setting|option|toggle|"
    r"filter|program|programme|service|plan|tier|wizard|bot|engine|dashboard|booster|"
    r"optimi[sz]er|scheduler|saver|shield|guard|boost"
)


def _unknown_feature_regex(kb: KnowledgeBase) -> re.Pattern[str]:
    owners = [re.escape(n) + r"(?:'s|\u2019s)?" for n in kb.company_names]
    owner = "|".join(["our", "the", "a", "new", "built-in", *owners])
    return re.compile(
        rf"\b(?i:{owner})\s+(?i:new\s+|built-in\s+|brand-new\s+)?"
        rf"(?P<name>(?:[A-Za-z][\w-]*\s+){{0,3}}(?i:{UNKNOWN_KEYWORDS}))\b"
        rf"|\b(?:{'|'.join(owners) or '(?!x)x'})\s+(?i:new\s+)(?P<bare>(?:[A-Z][\w-]*\s*){{1,3}})",
    )


def check_unknown_features(text: str, kb: KnowledgeBase) -> list[Claim]:
    """Named features the knowledge base has never heard of ("<Company>'s new X mode")."""
    known = [
        a.lower()
        for f in kb.facts
        for a in (*f.topic_phrases, getattr(f, "name", ""))
        if a and len(a) > 3
    ]
    statements = " ".join(f.statement.lower() for f in kb.facts)
    plan_words = {p.plan.lower() for p in kb.plans}
    claims = []
    for match in _unknown_feature_regex(kb).finditer(text or ""):
        group = "name" if match.group("name") else "bare"
        phrase = match.group(group).strip()
        words = phrase.split()
        head = words[:-1] if group == "name" else words
        if not head or not any(w[:1].isupper() for w in head):
            continue
        if {w.lower() for w in head} <= plan_words:
            continue
        if phrase.lower() in statements or any(
            fuzz.partial_ratio(phrase.lower(), k) >= 90 for k in known
        ):
            continue
        if " ".join(head).lower() in statements:
            continue
        sentence = sentence_at(text, match.start())
        if not ASSERTIVE.search(sentence.text) or negated(
            _local(text, sentence, match.start(group), match.end(group))
        ):
            continue
        start, end = match.start(group), match.start(group) + len(phrase)
        claims.append(
            Claim("feature", text[start:end], start, end, UNSUPPORTED, None, None, "unknown")
        )
    return claims


SUPPORT_CONTEXT = re.compile(
    r"\b(?:support|reach (?:us|our team|the team)|contact (?:us|our team|support)|get in touch|"
    r"talk to us|help desk|helpdesk|call us|chat with us)\b",
    re.IGNORECASE,
)


def check_channels(text: str, kb: KnowledgeBase, customer_plan: str | None) -> list[Claim]:
    """Support channels claimed for a plan ('phone support is included on Pro')."""
    channels = sorted({c for s in kb.slas for c in s.channels}, key=len, reverse=True)
    if not channels:
        return []
    claims = []
    pattern = alias_pattern([*channels, *(f"{c} support" for c in channels)])
    for match in pattern.finditer(text or ""):
        sentence = sentence_at(text, match.start())
        local = match.start() - sentence.start
        group = _nearest_group(
            plan_groups(sentence.text, kb), sentence.text, local, match.end() - sentence.start, 90
        )
        plans = list(group.plans) if group else []
        scope = _scope(text, sentence, match.start(), match.end())
        if not SUPPORT_CONTEXT.search(scope):
            continue
        if not plans:
            plan = kb.plan(customer_plan)
            if plan is None or not re.search(
                r"\b(?:you can|your plan|included|includes|you have|"
                r"available|reach us)\b",
                scope,
                re.I,
            ):
                continue
            plans = [plan]
        channel = next(c for c in channels if c.lower() in match.group(0).lower())
        is_negated = denies(_local(text, sentence, match.start(), match.end())) or denies(
            _between(
                text,
                [
                    (match.start(), match.end()),
                    (sentence.start + group.start, sentence.start + group.end),
                ],
            )
            if group
            else ""
        )
        for plan in plans:
            sla = kb.sla_for(plan.plan)
            if sla is None or not sla.channels:
                continue
            has = any(c.lower() == channel.lower() for c in sla.channels)
            status = SUPPORTED if has != is_negated else CONTRADICTED
            claims.append(_claim("channel", text, match.start(), match.end(), status, sla, channel))
    return claims


# ---- yes/no rules --------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _stem_weights(kb: KnowledgeBase) -> dict[str, float]:
    """How telling each stem is: rare across the facts' statements and names = heavy."""
    documents = [stems(" ".join([f.statement, f.title, *f.topic_phrases])) for f in kb.facts]
    total = max(1, len(documents))
    frequency: dict[str, int] = {}
    for document in documents:
        for word in document:
            frequency[word] = frequency.get(word, 0) + 1
    return {w: math.log((total + 1) / (n + 0.5)) for w, n in frequency.items()}


@lru_cache(maxsize=32)
def _stem_frequency(kb: KnowledgeBase) -> dict[str, int]:
    """In how many facts (statement, title, phrases) each stem occurs."""
    frequency: dict[str, int] = {}
    for fact in kb.facts:
        for word in stems(" ".join([fact.statement, fact.title, *fact.topic_phrases])):
            frequency[word] = frequency.get(word, 0) + 1
    return frequency


def check_rules(text: str, kb: KnowledgeBase) -> list[Claim]:
    """A sentence that asserts (or denies) a rule, against whether the rule holds."""
    claims = []
    weights = _stem_weights(kb)
    for rule in kb.rules:
        truth = rule.value != negated(rule.rule)
        rule_stems = stems(rule.rule)
        nouns = _rule_nouns(rule, rule_stems, kb)
        for sentence in sentences(text):
            if nouns and not (nouns & stems(sentence.text)):
                continue  # about something else ('unused tests' is not 'unused sends')
            span = _rule_span(sentence, rule, rule_stems, weights)
            if span is None:
                continue
            start, end = sentence.start + span[0], sentence.start + span[1]
            scope = _scope(text, sentence, start, end)
            if HEDGE.search(scope) and "?" in scope:
                continue
            says = not negated(_rule_scope(text, sentence, start, end))
            status = SUPPORTED if says == truth else CONTRADICTED
            s, e = _assertion_span(text, sentence, start, end)
            claims.append(_claim("rule", text, s, e, status, rule, "rule"))
    return claims


def _rule_nouns(rule: RuleFact, rule_stems: set[str], kb: KnowledgeBase) -> set[str]:
    """The rule's words that name things elsewhere in the KB (its subject: 'sends')."""
    elsewhere = {w for f in kb.facts if f.id != rule.id for p in f.topic_phrases for w in stems(p)}
    return (rule_stems & elsewhere) - GENERIC_STEMS


def _rule_scope(text: str, sentence: Sentence, start: int, end: int) -> str:
    """From the clause start through the rule's words to the next comma or 'so/which'."""
    local_start, local_end = start - sentence.start, end - sentence.start
    cuts = [m.end() for m in LOCAL_BEFORE.finditer(sentence.text[:local_start])]
    left = cuts[-1] if cuts else 0
    after = LOCAL_AFTER.search(sentence.text, local_end)
    right = after.start() if after else len(sentence.text)
    return sentence.text[left:right]


def _rule_span(
    sentence: Sentence, rule: RuleFact, rule_stems: set[str], weights: dict[str, float]
) -> tuple[int, int] | None:
    """Where a sentence states the rule: an alias with another of its words, or most of
    the rule's telling words."""
    words = [
        (m.start(), m.end(), stem_word(m.group(0))) for m in re.finditer(r"[\w'-]+", sentence.text)
    ]
    hits = [(s, e) for s, e, st in words if st in rule_stems]
    distinct = {st for _, _, st in words if st in rule_stems}
    total = sum(weights.get(w, 1.0) for w in rule_stems) or 1.0
    covered = sum(weights.get(w, 1.0) for w in distinct) / total
    alias = alias_pattern(rule.aliases).search(sentence.text)
    if alias and (covered >= 0.45 or len(rule_stems) <= 2):
        hits.append((alias.start(), alias.end()))
        return min(s for s, _ in hits), max(e for _, e in hits)
    if len(distinct) >= 2 and covered >= 0.75:
        return min(s for s, _ in hits), max(e for _, e in hits)
    return None


# ---- policies and support targets ---------------------------------------------------------


def _durations_for(policy: PolicyFact, plan: str | None, cycle: str | None) -> list[Duration]:
    if policy.by_plan and plan:
        chosen = policy.duration_for(plan, None)
        if chosen and chosen in [d for _, d in policy.by_plan]:
            return [chosen] + ([policy.duration] if policy.duration else [])
    if policy.by_billing_cycle and cycle:
        chosen = policy.duration_for(None, cycle)
        if chosen:
            return [chosen]
    return policy.durations


def _cycle_near(text: str, sentence: Sentence, start: int, end: int) -> str | None:
    scope = _scope(text, sentence, start, end)
    local = sentence.text.find(scope)
    best = None
    for match in CYCLE_WORDS.finditer(scope):
        cycle = "annual" if match.group("annual") else "monthly"
        at = sentence.start + local + match.start()
        distance = abs(at - start)
        if best is None or distance < best[0]:
            best = (distance, cycle)
    return best[1] if best else None


def _policy_candidates(text: str, sentence: Sentence, kb: KnowledgeBase, at: int):
    """Policies a duration may be about: (distance, policy, named) — named means an alias or
    name is in the sentence; otherwise the sentence shares most of the statement's words."""
    found = []
    words = stems(sentence.text)
    for policy in kb.policies:
        distances = [
            abs(sentence.start + m.start() - at)
            for m in alias_pattern(policy.topic_phrases).finditer(sentence.text)
        ]
        if distances:
            found.append((min(distances), policy, True))
            continue
        statement = stems(policy.statement) - GENERIC_STEMS
        shared = words & statement
        if len(shared) >= 4 or (len(shared) >= 3 and len(shared) >= 0.4 * len(statement)):
            found.append((1000 - len(shared), policy, False))
    return sorted(found, key=lambda item: item[0])


def check_policies(
    text: str,
    kb: KnowledgeBase,
    customer_plan: str | None = None,
    *,
    billing_cycle: str | None = None,
    customer_message: str | None = None,
) -> list[Claim]:
    claims = []
    customer = {(d.duration.low, d.duration.unit) for d in durations_in(customer_message or "")}
    for mention in durations_in(text):
        sentence = sentence_at(text, mention.start)
        if (mention.duration.low, mention.duration.unit) in customer:
            continue
        scope = _scope(text, sentence, mention.start, mention.end)
        if RESPONSE_WORDS.search(scope) and kb.slas:
            claim = _sla_claim(text, sentence, mention, kb, customer_plan)
            if claim:
                claims.append(claim)
                continue
        claim = _policy_claim(text, sentence, mention, kb, customer_plan, billing_cycle)
        if claim:
            claims.append(claim)
    return claims


def _policy_claim(text, sentence, mention: DurationMention, kb, customer_plan, billing_cycle):
    candidates = _policy_candidates(text, sentence, kb, mention.start)
    if not candidates:
        return None
    local = mention.start - sentence.start
    groups = [g for g in plan_groups(sentence.text, kb) if not g.every]
    group = _nearest_group(groups, sentence.text, local, mention.end - sentence.start, 80)
    plan = group.plans[0].plan if group and len(group.plans) == 1 else customer_plan
    cycle = _cycle_near(text, sentence, mention.start, mention.end) or billing_cycle_key(
        billing_cycle
    )
    for _, policy, _ in candidates:
        for duration in _durations_for(policy, plan, cycle):
            if duration.agrees_with(mention.duration):
                return _claim(
                    "policy", text, mention.start, mention.end, SUPPORTED, policy, str(duration)
                )
    _, policy, named = candidates[0]
    applicable = _durations_for(policy, plan, cycle)
    if not applicable:
        return None
    if not named and not any(_comparable(d, mention.duration) for d in applicable):
        return None  # a look-alike sentence about a different kind of time
    detail = f"{mention.duration} vs {policy.policy}: {_join(str(d) for d in applicable)}"
    return _claim("policy", text, mention.start, mention.end, CONTRADICTED, policy, detail)


_SIBLINGS = ({"hours", "business_hours", "minutes"}, {"days", "business_days", "weeks", "months"})


def _comparable(fact: Duration, claimed: Duration) -> bool:
    """Same scale, or a sibling unit with the same number ('48 business hours' for 48 hours)."""
    if fact.in_unit(claimed.unit) is not None:
        return True
    return any(fact.unit in group and claimed.unit in group for group in _SIBLINGS)


def _sla_claim(text, sentence, mention: DurationMention, kb, customer_plan) -> Claim | None:
    local = mention.start - sentence.start
    groups = [g for g in plan_groups(sentence.text, kb) if not g.every]
    group = _nearest_group(groups, sentence.text, local, mention.end - sentence.start, 120)
    plans = [p.plan for p in group.plans] if group else ([customer_plan] if customer_plan else [])
    slas = [s for s in (kb.sla_for(p) for p in plans) if s and s.first_response]
    if not slas:
        agreeing = [
            s
            for s in kb.slas
            if s.first_response and s.first_response.agrees_with(mention.duration)
        ]
        if agreeing:
            return _claim("sla", text, mention.start, mention.end, SUPPORTED, agreeing[0], "sla")
        return None
    span_end = mention.end
    around = re.match(r",?\s*(?:around the clock|24/7|24 hours a day)", text[mention.end :], re.I)
    if around:
        span_end = mention.end + around.end()
    for sla in slas:
        if not sla.first_response.agrees_with(mention.duration):
            detail = f"first response {sla.first_response}"
            return _claim("sla", text, mention.start, span_end, CONTRADICTED, sla, detail)
    return _claim("sla", text, mention.start, mention.end, SUPPORTED, slas[0], "sla")


def check_slas(text: str, kb: KnowledgeBase, customer_plan: str | None) -> list[Claim]:
    """Support-target claims only (kept for callers of the old surface)."""
    return [c for c in check_policies(text, kb, customer_plan) if c.kind == "sla"]


# ---- process paths -------------------------------------------------------------------------

PATH_SEP = r"\s*(?:>|\u2192|\u00bb|->|\u203a)\s*"
_HEAD_EXCLUDED = (
    r"(?!(?:Open|Go|Click|Select|Choose|Tap|Navigate|Head|Visit|Check|Use|Find|Under|In|At|"
    r"From|Via|Then|Try|Just|Simply|Please|And|Or)\b)"
)


def _path_vocabulary(kb: KnowledgeBase) -> set[str]:
    vocabulary: set[str] = set()
    for path in _all_kb_paths(kb):
        for segment in re.split(PATH_SEP, path):
            vocabulary.update(w.lower() for w in segment.split())
    return vocabulary


def _all_kb_paths(kb: KnowledgeBase) -> list[str]:
    paths = []
    for process in kb.processes:
        paths += [process.current_path, *process.outdated_paths]
    word = r"[\w&'\u2019-]+"
    simple = re.compile(
        rf"[A-Z]{word}(?: {word}){{0,3}}(?:{PATH_SEP}[A-Z]{word}(?: {word}){{0,3}})+"
    )
    for fact in kb.facts:
        for source in (fact.statement, *getattr(fact, "steps", ())):
            for match in simple.finditer(source):
                segments = re.split(PATH_SEP, match.group(0))
                kept = [_segment_words(segment) for segment in segments]
                paths.append(" > ".join(k for k in kept if k))
    return paths


def _segment_words(segment: str) -> str:
    """A path segment up to the first plain-English word ('Shopify and reconnect' -> 'Shopify')."""
    kept = []
    for word in segment.split():
        if kept and word.lower() in _NOT_IN_PATHS:
            break
        kept.append(word)
    return " ".join(kept)


_NOT_IN_PATHS = frozenset(
    """
    a an and or the then to for from in on at by of with so if is are was be it its your
    you we our their this that these those where when which who while until before after
    under over into onto via then also just click select choose open tap go
    """.split()  # noqa: SIM905 - a word list reads better as text
)


@lru_cache(maxsize=64)
def _path_regex(vocabulary: frozenset[str]) -> re.Pattern[str]:
    extra = "|".join(
        sorted((re.escape(w) for w in vocabulary if w.islower()), key=len, reverse=True)
    )
    continuation = rf"(?: (?:[A-Z0-9][\w&'\u2019-]*|(?:{extra or '(?!x)x'})(?![\w-])))"
    segment = (
        rf"(?:[A-Z][\w&'\u2019-]*{continuation}{{0,3}}|\([^)]{{1,40}}\)|['\"][^'\"]{{1,40}}['\"])"
    )
    head = rf"{_HEAD_EXCLUDED}[A-Z][\w&'\u2019-]*{continuation}{{0,2}}"
    return re.compile(rf"{head}(?:{PATH_SEP}{segment})+")


def find_paths(text: str, kb: KnowledgeBase) -> list[tuple[str, int, int]]:
    """Menu paths ('Settings > Billing > Plan') as written, ending where the path ends."""
    pattern = _path_regex(frozenset(_path_vocabulary(kb)))
    return [(m.group(0), m.start(), m.end()) for m in pattern.finditer(text or "")]


def _path_key(path: str) -> str:
    return " > ".join(p.strip().strip("'\"").lower() for p in re.split(PATH_SEP, path) if p.strip())


def documented_paths(kb: KnowledgeBase) -> dict[str, str]:
    """Menu paths quoted in any fact's statement or steps: normalised path -> fact id."""
    found: dict[str, str] = {}
    for fact in kb.facts:
        for source in (fact.statement, *getattr(fact, "steps", ())):
            for path, _, _ in find_paths(source, kb):
                found.setdefault(_path_key(path), fact.id)
    for process in kb.processes:
        found[_path_key(process.current_path)] = process.id
    return found


def _outdated_keys(kb: KnowledgeBase) -> dict[str, ProcessFact]:
    return {_path_key(p): process for process in kb.processes for p in process.outdated_paths}


def check_processes(text: str, kb: KnowledgeBase) -> list[Claim]:
    documented = documented_paths(kb)
    outdated = _outdated_keys(kb)
    claims = []
    for path, start, end in find_paths(text, kb):
        key = _path_key(path)
        claims.append(_path_claim(text, path, start, end, key, documented, outdated, kb))
    return claims


def _path_claim(text, path, start, end, key, documented, outdated, kb) -> Claim:
    if key in outdated:
        process = outdated[key]
        return _claim("process", text, start, end, CONTRADICTED, process, "retired path")
    fact_id = documented.get(key) or next(
        (v for k, v in documented.items() if k.startswith(key + " >")), None
    )
    if fact_id is None and key.count(">") >= 1:
        # a documented path followed by a button or field name ('… > Export CSV > Download')
        fact_id = next((v for k, v in documented.items() if key.startswith(k + " >")), None)
        if fact_id and any(key.startswith(k + " >") for k in outdated):
            fact_id = None
    if fact_id:
        return _claim("process", text, start, end, SUPPORTED, kb.get(fact_id), "documented path")
    near_current = _best_path(key, [p.current_path for p in kb.processes])
    near_outdated = _best_path(key, list(outdated))
    if near_current[1] >= 90 and near_current[1] >= near_outdated[1]:
        fact = next(p for p in kb.processes if _path_key(p.current_path) == near_current[0])
        return _claim("process", text, start, end, SUPPORTED, fact, "matches the current path")
    if near_outdated[1] >= 85:
        return _claim(
            "process",
            text,
            start,
            end,
            CONTRADICTED,
            outdated[near_outdated[0]],
            "near a retired path",
        )
    sentence = sentence_at(text, start)
    topical = next(
        (p for p in kb.processes if alias_pattern(p.topic_phrases).search(sentence.text)), None
    )
    if topical is not None:
        return _claim("process", text, start, end, CONTRADICTED, topical, "not the documented path")
    return _claim("process", text, start, end, UNSUPPORTED, None, "path not in the knowledge base")


def _best_path(key: str, paths: Iterable[str]) -> tuple[str, float]:
    best, best_score = "", 0.0
    for path in paths:
        other = _path_key(path)
        score = fuzz.ratio(key, other)
        if score > best_score:
            best, best_score = other, score
    return best, best_score


# ---- troubleshooting steps -----------------------------------------------------------------

STEP_VERBS = frozenset(
    """
    add adjust allow ask authenticate avoid change check choose clean clear click close
    confirm connect copy create deactivate delete disable disconnect download edit empty
    enable ensure enter export force give go import increase install lower make map merge
    move open paste pause raise re-enter reauthenticate reconnect recreate reduce refresh
    regenerate reinstall reload remove rename replace request re-send resend reset restart
    resubmit resume retry revoke run save select send set split start stop switch tap tell
    toggle try turn uninstall unsubscribe update upgrade downgrade upload use verify wait
    whitelist allowlist delay re-import reimport re-upload reupload
    """.split()  # noqa: SIM905 - a word list reads better as text
)
NOT_A_FIX = re.compile(
    r"^(?:call|contact|email|message|chat with|reach|reply|write to|let)\s+(?:us|our|me|support|"
    r"the support|here|know)\b|^(?:let us know|reply here|get in touch|reach out)",
    re.IGNORECASE,
)
VERB_CLASSES = {
    "remove": (
        "remove",
        "delete",
        "clear",
        "drop",
        "strip",
        "disable",
        "turn off",
        "switch off",
        "uninstall",
        "unsubscribe",
        "take out",
        "get rid",
    ),
    "keep": (
        "make sure",
        "ensure",
        "keep",
        "add",
        "include",
        "enable",
        "turn on",
        "switch on",
        "install",
        "allow",
        "check that",
        "confirm that",
    ),
}
ITEM_START = re.compile(r"(?:^|\n|(?<=\s))(?:\(?\d{1,2}[.)]|[-*\u2022])\s+")
LEAD_IN = re.compile(
    r"^(?:(?:first|firstly|second|secondly|then|next|also|finally|lastly|and|or|after that|"
    r"once (?:that's|that is|it's|it is) done|if (?:that|this) (?:doesn't|does not) work|"
    r"please|just|simply|you (?:should|could|can|might want to|may want to|need to|'ll need to|"
    r"will need to)|i(?:'d| would) (?:recommend|suggest)(?: that you)?|we recommend(?: that you)?|"
    r"try to)[,:]?\s+)+",
    re.IGNORECASE,
)
PURPOSE = re.compile(
    r"\s+(?:so(?: that)?|which|in case|because|as|to (?=(?:make|pull|help|get|force|ensure|"
    r"avoid|see|let|fix|clear|speed|reset|prevent|stop|trigger|refresh|push|bring))|"
    r"and (?:they|it|this|that) will|, which|, so)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Step:
    text: str
    start: int
    end: int
    unit: tuple[int, int] = (0, 0)  # the sentence or list item it was said in


def recommended_steps(text: str) -> list[Step]:
    """Steps a text tells the reader to take: list items and imperative clauses."""
    found: list[Step] = []
    for part in _step_parts(text):
        raw = text[part[0] : part[1]]
        unit = (part[2], part[3])
        lead = LEAD_IN.match(raw)
        offset = lead.end() if lead else 0
        body = raw[offset:]
        try_form = re.match(r"(?i)try\s+(?=\w+ing\b)", body)
        if try_form:
            offset += try_form.end()
            body = body[try_form.end() :]
        first = re.match(r"[A-Za-z'-]+", body)
        if not first:
            continue
        verb = first.group(0).lower()
        if verb not in STEP_VERBS and not (try_form and verb.endswith("ing")):
            continue
        if NOT_A_FIX.match(body):
            continue
        start, end = _trim(text, part[0] + offset, part[1])
        while end > start and text[end - 1] in ".!":
            end -= 1
        if word_count(text[start:end]) >= 2:
            found.append(Step(text[start:end], start, end, unit))
    return found


def _step_parts(text: str) -> list[tuple[int, int, int, int]]:
    """List items, sentences, and the clauses after 'If …,' / ', then' / ':' in them:
    (start, end, unit start, unit end) with the unit the sentence or item."""
    parts: list[tuple[int, int, int, int]] = []
    for sentence in sentences(text):
        items = list(ITEM_START.finditer(sentence.text))
        pieces = []
        if items:
            if items[0].start() > 0:
                pieces.append((0, items[0].start()))
            for index, item in enumerate(items):
                stop = items[index + 1].start() if index + 1 < len(items) else len(sentence.text)
                pieces.append((item.end(), stop))
        else:
            pieces.append((0, len(sentence.text)))
        for left, right in pieces:
            unit = (sentence.start + left, sentence.start + right)
            for start, end in _clauses(sentence.start + left, sentence.text[left:right]):
                parts.append((start, end, *unit))
    return parts


def _clauses(offset: int, body: str) -> list[tuple[int, int]]:
    cuts = [0]
    for match in re.finditer(
        r"(?:^|,\s*)if [^,]{3,80},\s*|:\s+|;\s+|,\s*(?:and\s+)?then\s+|\band then\s+"
        r"|,\s*and\s+(?=[a-z]+\s)",
        body,
        re.IGNORECASE,
    ):
        cuts.append(match.end())
    cuts = sorted(set(cuts))
    parts = []
    for index, cut in enumerate(cuts):
        stop = cuts[index + 1] if index + 1 < len(cuts) else len(body)
        parts.append((offset + cut, offset + stop))
    return parts


def _verb_class(text: str) -> str | None:
    """Whether a step takes something away or makes sure it is there (None: neither)."""
    lowered = " ".join(stem_word(w) for w in re.findall(r"[\w'-]+", text)[:3])
    for name, members in VERB_CLASSES.items():
        for member in members:
            if lowered.startswith(" ".join(stem_word(w) for w in member.split())):
                return name
    return None


def _core(step: str) -> str:
    """The step without its stated purpose ('… so Gmail receives …' is not the step)."""
    cut = PURPOSE.search(step)
    return step[: cut.start()] if cut and cut.start() > 8 else step


def step_aligns(step: str, documented: str) -> bool:
    """Whether a recommended step says the same as a documented one."""
    core = re.sub(PATH_SEP.join([r"[A-Z][^>]*?"] * 2) + r"[^,.;]*", " ", _core(step))
    wanted = set(_ordered_stems(_core(step))) - {"try", "pleas", "just"}
    doc = set(_ordered_stems(documented))
    if not wanted:
        return False
    shared = wanted & doc
    if fuzz.partial_ratio(_core(step).lower(), documented.lower()) >= 90 and len(_core(step)) >= 12:
        return _classes_agree(step, documented)
    if len(shared) < min(2, len(wanted)):
        return False
    object_words = set(_ordered_stems(core)) - {stem_word(step.split()[0])}
    coverage = len(shared) / len(wanted)
    if coverage >= 0.6 and _classes_agree(step, documented):
        object_shared = object_words & doc
        return not object_words or len(object_shared) / len(object_words) > 0.5
    return False


def _classes_agree(step: str, documented: str) -> bool:
    mine, theirs = _verb_class(step), _verb_class(documented)
    return not (mine and theirs and mine != theirs)


def _problems_in(text: str, kb: KnowledgeBase) -> list[TroubleshootingFact]:
    """Documented problems a text reports: a name or alias, or most of one's words close
    together ('the import keeps failing' for 'Contact import fails')."""
    found = []
    for fact in kb.troubleshooting:
        if alias_pattern(fact.topic_phrases).search(text or ""):
            found.append(fact)
            continue
        if any(_said_nearby(text, phrase) for phrase in fact.topic_phrases):
            found.append(fact)
    return found


def _said_nearby(text: str, phrase: str, window: int = 14) -> bool:
    """Most of a phrase's telling words within a few words of each other in one sentence."""
    wanted = stems(phrase) - GENERIC_STEMS
    if len(wanted) < 2:
        return False
    needed = max(2, math.ceil(0.66 * len(wanted)))
    for sentence in sentences(text):
        tokens = [stem_word(w) for w in re.findall(r"[\w'-]+", sentence.text)]
        for index in range(len(tokens)):
            if len(wanted & set(tokens[index : index + window])) >= needed:
                return True
    return False


def check_troubleshooting(
    text: str, kb: KnowledgeBase, customer_message: str | None = None
) -> list[Claim]:
    """Steps recommended for a documented problem: each aligns with a documented step, or
    it is unsupported (there is no list of known fakes: any other step is not the fix)."""
    if customer_message and customer_message.strip():
        problems = _problems_in(customer_message, kb)
    else:
        problems = [f for f in kb.troubleshooting if alias_pattern(f.topic_phrases).search(text)]
    if not problems:
        return []
    documented = [(fact, step) for fact in kb.troubleshooting for step in fact.steps]
    known_paths = set(documented_paths(kb)) | set(_outdated_keys(kb))
    claims = []
    for step in recommended_steps(text):
        paths = find_paths(text[step.unit[0] : step.unit[1]], kb)
        if any(
            _path_key(p) in known_paths or _is_prefix_of_known(_path_key(p), known_paths)
            for p, _, _ in paths
        ):
            continue  # a navigation instruction: the path checker judges it
        match = next(((f, d) for f, d in documented if step_aligns(step.text, d)), None)
        if match is None and any(_statement_says(step.text, p) for p in problems):
            match = (problems[0], problems[0].statement)
        if match:
            claims.append(
                _claim("troubleshooting", text, step.start, step.end, SUPPORTED, match[0], match[1])
            )
            continue
        claims.append(
            Claim(
                "troubleshooting",
                step.text,
                step.start,
                step.end,
                UNSUPPORTED,
                problems[0].id,
                correction_for(problems[0]),
                "not a documented step",
            )
        )
    return claims


def _is_prefix_of_known(key: str, known: set[str]) -> bool:
    return any(k.startswith(key + " >") for k in known)


def _statement_says(step: str, fact: TroubleshootingFact) -> bool:
    return any(
        step_aligns(step, part)
        for part in re.split(r"[.;:]\s+|,\s+(?:and\s+)?", fact.statement)
        if len(part) > 10
    )


# ---- putting it together -------------------------------------------------------------------


def check_claims(
    text: str | None,
    kb: KnowledgeBase,
    *,
    customer_plan: str | None = None,
    billing_cycle: str | None = None,
    customer_message: str | None = None,
) -> list[Claim]:
    """Every checkable claim in the text, marked supported, contradicted or unsupported."""
    text = text or ""
    if not text.strip():
        return []
    claims = [
        *check_prices(
            text, kb, customer_plan, billing_cycle=billing_cycle, customer_message=customer_message
        ),
        *check_price_basis(text, kb),
        *check_seats(text, kb, customer_plan, customer_message),
        *check_quotas(text, kb, customer_plan, customer_message),
        *check_features(text, kb, customer_plan, customer_message),
        *check_unknown_features(text, kb),
        *check_channels(text, kb, customer_plan),
        *check_rules(text, kb),
        *check_policies(
            text, kb, customer_plan, billing_cycle=billing_cycle, customer_message=customer_message
        ),
        *check_processes(text, kb),
        *check_troubleshooting(text, kb, customer_message),
    ]
    return _dedupe_claims(claims)


def _dedupe_claims(claims: list[Claim]) -> list[Claim]:
    """One claim per stretch of text: contradicted first, then unsupported, then supported;
    a step holding an unknown path stays a step."""
    rank = {CONTRADICTED: 0, UNSUPPORTED: 1, SUPPORTED: 2}
    kind_rank = {"troubleshooting": 0, "not_offered": 1, "feature": 2, "addon": 2}
    kept: list[Claim] = []
    ordered = sorted(
        claims,
        key=lambda c: (
            rank[c.status] if not (c.kind == "process" and c.status == UNSUPPORTED) else 3,
            kind_rank.get(c.kind, 5),
            c.start,
        ),
    )
    for claim in ordered:
        if any(
            overlaps(claim.start, claim.end, k.start, k.end) and k.kind == claim.kind for k in kept
        ):
            continue
        if claim.status != CONTRADICTED and any(
            overlaps(claim.start, claim.end, k.start, k.end) for k in kept
        ):
            continue
        kept.append(claim)
    return sorted(kept, key=lambda c: (c.start, c.end))


SUPPORT_PHRASES = (
    "first response",
    "response time",
    "reply time",
    "how fast",
    "how quickly",
    "support hours",
    "hear back",
    "get back to",
)


def subject_phrases(fact: Fact) -> tuple[str, ...]:
    """What a text says when it is about a fact (support targets: 'first response', …)."""
    if isinstance(fact, SlaFact):
        return (*SUPPORT_PHRASES, *(f"{c} support" for c in fact.channels))
    return fact.topic_phrases


def topic_spans(text: str, kb: KnowledgeBase) -> dict[str, list[tuple[int, int]]]:
    found: dict[str, list[tuple[int, int]]] = {}
    for fact in kb.facts:
        phrases = subject_phrases(fact)
        if not phrases:
            continue
        for match in alias_pattern(phrases).finditer(text or ""):
            found.setdefault(fact.id, []).append((match.start(), match.end()))
    return found


def topics_in(text: str, kb: KnowledgeBase) -> dict[str, list[tuple[int, int]]]:
    """Fact ids whose subject (feature, policy, task, problem…) the text mentions, with where."""
    found: dict[str, list[tuple[int, int]]] = {}
    for fact in kb.facts:
        if fact.topic_phrases:
            for match in alias_pattern(fact.topic_phrases).finditer(text or ""):
                found.setdefault(fact.id, []).append((match.start(), match.end()))
    return found


@lru_cache(maxsize=32)
def _distinctive_stems(kb: KnowledgeBase) -> dict[str, str]:
    """Names that occur in the topic phrases of exactly one fact ('Okta', 'SAML'):
    stem -> fact id. Only proper names and acronyms: common words say too little."""
    owners: dict[str, set[str]] = {}
    for fact in kb.facts:
        for phrase in subject_phrases(fact):
            for index, word in enumerate(re.findall(r"[A-Za-z][\w-]*", phrase)):
                proper = (word.isupper() and len(word) > 1) or (index > 0 and word[:1].isupper())
                if proper:
                    owners.setdefault(stem_word(word), set()).add(fact.id)
        for word in stems(" ".join(subject_phrases(fact))):
            if word in owners:
                owners[word].add(fact.id)
    names = {stem_word(w) for n in kb.company_names for w in n.split()}
    return {
        word: next(iter(ids))
        for word, ids in owners.items()
        if len(ids) == 1 and len(word) >= 3 and word not in GENERIC_STEMS and word not in names
    }


def asked_topics(message: str, kb: KnowledgeBase, *, strong: bool = False) -> set[str]:
    """Facts a customer's message asks about: those in its questions when they name any,
    else in the whole message (by a phrase, its words close together, or a name only one
    fact uses; with `strong`, by a phrase only)."""
    questions = " ".join(s.text for s in sentences(message) if s.text.rstrip().endswith("?"))
    return _topics_of(questions, kb, strong) or _topics_of(message, kb, strong)


def _topics_of(text: str, kb: KnowledgeBase, strong: bool = False) -> set[str]:
    if not text.strip():
        return set()
    spans = topic_spans(text, kb)
    found = {
        fact_id
        for fact_id, places in spans.items()
        if not all(_inside_longer(place, fact_id, spans) for place in places)
    }
    if strong:
        return found
    for fact in kb.facts:
        if any(_said_nearby(text, phrase, window=6) for phrase in subject_phrases(fact)):
            found.add(fact.id)
    words = stems(text)
    found |= {fact_id for word, fact_id in _distinctive_stems(kb).items() if word in words}
    return found


def _inside_longer(place: tuple[int, int], fact_id: str, spans) -> bool:
    """A mention inside a longer one of another fact ('cancelling' in 'after cancelling')."""
    start, end = place
    return any(
        other != fact_id and s <= start and end <= e and (e - s) > (end - start)
        for other, places in spans.items()
        for s, e in places
    )


def _covered(fact: Fact, draft: str, kb: KnowledgeBase) -> bool:
    """Whether a draft addresses a fact: names it, uses its telling words, or (for a
    documented problem) recommends one of its steps."""
    if alias_pattern(subject_phrases(fact)).search(draft):
        return True
    words = stems(draft)
    frequency = _stem_frequency(kb)
    telling = {w for p in subject_phrases(fact) for w in stems(p)} - GENERIC_STEMS
    if any(frequency.get(w, 0) <= 2 and w in words for w in telling):
        return True
    if isinstance(fact, TroubleshootingFact) and any(
        step_aligns(step.text, documented)
        for step in recommended_steps(draft)
        for documented in fact.steps
    ):
        return True
    distinctive = _distinctive_stems(kb)
    if any(words & {w} for w, fid in distinctive.items() if fid == fact.id):
        return True
    for phrase in subject_phrases(fact):
        wanted = stems(phrase) - GENERIC_STEMS
        if len(wanted) >= 2 and wanted <= words:
            return True
    return False


def _sentence_topics(sentence: Sentence, kb: KnowledgeBase) -> set[str]:
    return set(topic_spans(sentence.text, kb)) | {
        fact.id
        for fact in kb.processes
        for path, _, _ in find_paths(sentence.text, kb)
        if _path_key(path) == _path_key(fact.current_path)
    }


def find_irrelevance(draft: str, kb: KnowledgeBase, customer_message: str | None) -> Finding | None:
    """The draft answers a different question: what the customer asked is not addressed and
    a sentence answers something they did not ask."""
    if not customer_message or not customer_message.strip():
        return None
    asked = asked_topics(customer_message, kb) - {p.id for p in kb.plans}
    named = asked_topics(customer_message, kb, strong=True)
    asked_facts = [kb.get(a) for a in asked if kb.get(a)]
    uncovered = [f for f in asked_facts if not _covered(f, draft, kb)]
    parts = [s for s in sentences(draft) if word_count(s.text) >= 6]
    topical = [(s, _sentence_topics(s, kb) - {p.id for p in kb.plans}) for s in parts]
    topical = [(s, t) for s, t in topical if t]
    sentence = None
    if asked_facts and len(uncovered) == len(asked_facts):
        sentence = next((s for s, t in topical if not (t & asked)), None)
    elif [f for f in uncovered if f.id in named]:
        categories = {f.category for f in uncovered if f.id in named}
        for s, topics in topical:
            others = [kb.get(t) for t in topics - asked]
            same_kind = any(o.category in categories for o in others)
            answers_how = any(o.category == "process" for o in others)
            if (
                others
                and not (topics & asked)
                and same_kind
                and (answers_how or "process" not in categories)
            ):
                sentence = s
                break
    elif not asked_facts and topical:
        message_words = stems(customer_message) - GENERIC_STEMS
        fact_words = {
            w
            for _, topics in topical
            for fact_id in topics
            for p in kb.get(fact_id).topic_phrases
            for w in stems(p)
        }
        if not (fact_words & message_words):
            sentence = topical[0][0]
    if sentence is None:
        return None
    fact = uncovered[0] if uncovered else None
    correction = (
        f"The customer asked about {fact.title.lower()}: {fact.statement}"
        if fact
        else "The draft does not answer what the customer asked; answer their question."
    )
    return Finding(
        "irrelevant_answer",
        sentence.text,
        sentence.start,
        sentence.end,
        fact.id if fact else None,
        correction,
    )


def finding_from_claim(claim: Claim, text: str) -> Finding | None:
    if claim.status == SUPPORTED:
        return None
    if claim.status == CONTRADICTED:
        return Finding(
            TYPE_FOR_KIND[claim.kind],
            claim.text,
            claim.start,
            claim.end,
            claim.fact_id,
            claim.correction or "",
        )
    if claim.kind == "feature" and claim.fact_id is None:
        correction = (
            f"No feature called {claim.text!r} is documented; remove it or check the "
            "knowledge base."
        )
        return Finding("invented_feature", claim.text, claim.start, claim.end, None, correction)
    if claim.kind == "troubleshooting":
        return Finding(
            "fake_troubleshooting",
            claim.text,
            claim.start,
            claim.end,
            claim.fact_id,
            claim.correction or "",
        )
    return None  # could not be verified: not an error the audit can name


def audit_draft(
    draft: str | None,
    kb: KnowledgeBase,
    *,
    customer_plan: str | None = None,
    customer_message: str | None = None,
    billing_cycle: str | None = None,
) -> list[Finding]:
    """The errors in an AI draft: contradicted claims, invented features, undocumented
    troubleshooting steps, and an answer to a different question."""
    draft = draft or ""
    claims = check_claims(
        draft,
        kb,
        customer_plan=customer_plan,
        billing_cycle=billing_cycle,
        customer_message=customer_message,
    )
    findings = _one_per_fact([f for c in claims if (f := finding_from_claim(c, draft))])
    irrelevant = find_irrelevance(draft, kb, customer_message)
    if irrelevant:
        findings.append(irrelevant)
    return sorted(findings, key=lambda f: (f.start, f.end))


def _one_per_fact(findings: list[Finding]) -> list[Finding]:
    """A feature claimed wrongly twice is one error: keep its first (or widest) finding."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: f.start):
        if (
            finding.type == "invented_feature"
            and finding.fact_id
            and any(k.type == finding.type and k.fact_id == finding.fact_id for k in kept)
        ):
            continue
        kept.append(finding)
    return kept


__all__ = [
    "CONTRADICTED",
    "FINDING_TYPES",
    "SUPPORTED",
    "UNSUPPORTED",
    "Claim",
    "Finding",
    "audit_draft",
    "check_claims",
    "correction_for",
    "find_irrelevance",
    "topics_in",
]
