"""Amounts against the knowledge base: prices (per seat or per account, annual
equivalents, totals, savings, add-ons, overages), seats and quotas."""

from __future__ import annotations

import re
from dataclasses import dataclass

from grading.detectors.knowledge_base import Fact, KnowledgeBase, PlanFact, QuotaFact
from grading.detectors.quantities import Count, Money, counts_in, money_in
from grading.detectors.text import Sentence, sentence_at, sentences

from .base import (
    APPROXIMATE,
    BULLET,
    CONTINUES,
    CONTRADICTED,
    CUSTOMER_DATA,
    GENERIC_STEMS,
    SAVING_WORDS,
    SUPPORTED,
    UNSUPPORTED,
    Claim,
    _claim,
    _distance,
    _local,
    _nearest_group,
    _rule_scope,
    _scope,
    alias_pattern,
    context_plans,
    negated,
    per_kb,
    plan_groups,
    previous_sentence,
    says_no,
    stem_word,
    stems,
)

# ---- prices --------------------------------------------------------------------------------


def _close(a: float, b: float) -> bool:
    return abs(a - b) < 0.005 + 1e-9 * abs(b)


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
    if plan.per_seat and money.total and any(n > 1 for n in counts):
        multipliers = [n for n in counts if n > 1]  # 'for your team of 4' is not one seat
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


@per_kb
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
        claim = _price_claim(text, money, kb, items, counts, customer_plan, billing_cycle)
        if claim:
            claims.append(claim)
    return claims


CYCLE_WORD = re.compile(r"\b(?:(?P<annual>annual(?:ly)?|yearly)|(?P<monthly>monthly))\b", re.I)


CYCLE_CHANGE = re.compile(r"\b(?:switch|mov|chang|convert|from|instead of|compared)\w*", re.I)


def _cycle_before(text: str, sentence, money: Money) -> str | None:
    """The billing cycle the clause names before the amount ("Scale on annual billing: $299
    a month", "your annual invoice will show $180"); None when it names none, or both."""
    before = text[max(sentence.start, money.start - 60) : money.start]
    before = re.split(r"[;.!?]\s|\$|\d[\d,.]*\s*(?:a|per)\s", before)[-1]
    if CYCLE_CHANGE.search(before):
        return None  # "switching to annual brings it down from $15 a month": the old price
    found = {("annual" if m.group("annual") else "monthly") for m in CYCLE_WORD.finditer(before)}
    return found.pop() if len(found) == 1 else None


def _price_claim(
    text, money: Money, kb, items, counts, customer_plan, customer_cycle=None
) -> Claim | None:
    sentence = sentence_at(text, money.start)
    cycle = money.cycle or _cycle_before(text, sentence, money)
    own_plan = kb.plan(customer_plan)
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
        # an unqualified price of the customer's own plan is read in the customer's cycle
        subject_cycle = cycle or (customer_cycle if subject is own_plan else None)
        if _price_fits(subject, money, subject_cycle, counts, saving, kb):
            fact = subject.fact if isinstance(subject, _Priced) else subject
            return _claim("price", text, money.start, money.end, SUPPORTED, fact, "price")
    top = subjects[0][2]
    named = isinstance(top, _Priced) and alias_pattern(top.phrases).search(
        text[max(sentence.start, money.start - 25) : money.start]
    )
    lenient = _plan_compatible(money) and not named  # 'Each extra seat is $12' is the seat's
    for subject in _also_possible(text, sentence, kb, customer_plan) if lenient else []:
        if any(_close(v, money.value) for v, _ in _plan_prices(subject, money, cycle, counts)):
            fact = subject.fact if isinstance(subject, _Priced) else subject
            return _claim("price", text, money.start, money.end, SUPPORTED, fact, "price")
    accepted = _nearby_item_priced_so(text, sentence, money, items, cycle, counts, kb)
    if accepted is not None:
        return _claim("price", text, money.start, money.end, SUPPORTED, accepted.fact, "price")
    _, distance, subject = subjects[0]
    if isinstance(subject, PlanFact) and not shaped and distance > 80:
        return _claim("price", text, money.start, money.end, UNSUPPORTED, None, "no plan price")
    fact = subject.fact if isinstance(subject, _Priced) else subject
    return _claim("price", text, money.start, money.end, CONTRADICTED, fact, "price")


def _nearby_item_priced_so(text, sentence, money: Money, items, cycle, counts, kb):
    """An add-on (or overage) that this sentence or the one before names by a telling word
    and whose documented price the amount is: 'A dedicated IP suits Scale. The standard
    price is $79 per month.' To accept a price only, never to contradict one."""
    previous = previous_sentence(text, sentence)
    words = stems(f"{previous.text if previous else ''} {sentence.text}")
    for item in items:
        if _own_stems(kb, item.fact.id) & words and _price_fits(
            item, money, cycle, counts, False, kb
        ):
            return item
    return None


@per_kb
def _own_stems(kb: KnowledgeBase, fact_id: str) -> frozenset[str]:
    """The words of a priced item's names that no other priced item uses ('seat', not
    'extra')."""
    named = {
        item.fact.id: {w for p in item.phrases for w in stems(p)} for item in _priced_items(kb)
    }
    others = set().union(*(words for other, words in named.items() if other != fact_id))
    return frozenset(named.get(fact_id, set()) - others - GENERIC_STEMS)


def _also_possible(text, sentence, kb, customer_plan) -> list[PlanFact]:
    """Plans a price may also be about, to accept it (never to contradict it): those of the
    sentence before and the customer's own."""
    plans = list(context_plans(text, sentence, kb))
    previous = previous_sentence(text, sentence)
    if previous is not None:
        plans += [p for g in plan_groups(previous.text, kb) if not g.every for p in g.plans]
    if kb.plan(customer_plan):
        plans.append(kb.plan(customer_plan))
    return plans


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
            between = sentence.text[local_end : group.start] if group.start >= local_end else ""
            if re.search(r",\s*or\b|;|\bor\s+(?:move|upgrade|switch|go)\b", between):
                distance += 500  # '… for $25 a month, or move to Pro' is not Pro's price
            if distance <= 400:
                for plan in group.plans:
                    mismatch = (money.basis == "seat" and not plan.per_seat) or (
                        money.basis == "account" and plan.per_seat
                    )
                    found.append((int(mismatch), distance, plan))
    for item in items:
        compatible = _item_compatible(item, money)
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
        if best is not None and best <= 120 and (compatible or best <= 40):
            found.append((0 if compatible else 1, best, item))
    # 'Each extra seat is $12' is the seat's price; '$35 a month in total' may be plan + seats.
    named_item = not money.total and any(isinstance(s, _Priced) and d <= 20 for _, d, s in found)
    if not found:
        found = _subjects_before(text, sentence, money, kb, items)
    elif _plan_compatible(money) and not named_item:
        found += [(0, 700, plan) for plan in context_plans(text, sentence, kb)]
    return sorted(found, key=lambda entry: (entry[0], entry[1]))


def _named_loosely(item: _Priced, before: str) -> bool:
    """The telling words of one of the item's names in the words before a price ('a
    dedicated sending IP address costs' names 'Dedicated IP'; 'a block of 5,000 contacts
    for' names 'Extra contacts block')."""
    clause = re.split(r"[;:]|,(?!\d)|\b(?:and|or|but)\b", before)[-1]
    words = stems(clause)
    for phrase in item.phrases:
        wanted = stems(phrase) - GENERIC_STEMS
        if len(wanted) >= 2 and len(wanted - words) <= (1 if len(wanted) >= 3 else 0):
            return True
    return False


def _subjects_before(text, sentence, money: Money, kb, items):
    """'It costs $79 a month', or a bullet under 'Enterprise costs:': the thing named in
    the sentence before (through a few bullets of the same list)."""
    found: list = [(0, 600, plan) for plan in context_plans(text, sentence, kb)]
    if not _plan_compatible(money):
        found = []
    lead = sentence.text[: money.start - sentence.start] or ""
    previous = previous_sentence(text, sentence)
    if previous is not None and (
        CONTINUES.match(lead) or BULLET.match(sentence.text) or previous.text.rstrip().endswith(":")
    ):
        for item in items:
            if _item_compatible(item, money) and alias_pattern(item.phrases).search(previous.text):
                found.append((0, 500, item))
    return found


def _price_fits(subject, money: Money, cycle, counts, saving: bool, kb) -> bool:
    if isinstance(subject, _Priced):
        if not _item_compatible(subject, money):
            return False
        agrees = _per_agrees(subject, money)
        values = _addon_prices(subject, money, counts)
        return agrees is not False and any(_close(v, money.value) for v in values)
    plan = subject
    if not _plan_compatible(money):
        return False
    if any(_close(v, money.value) for v, _ in _plan_prices(plan, money, cycle, counts)):
        return True
    if saving and any(_close(v, money.value) for v in _savings(plan, counts)):
        return True
    if money.basis != "seat" or plan.per_seat:
        return any(_close(v, money.value) for v in _with_addons(plan, money, kb, counts))
    return False


def _with_addons(plan: PlanFact, money: Money, kb: KnowledgeBase, counts: list[int]):
    """The plan's price with some of its add-ons bought on top: extra seats ('3 seats on
    Essentials come to $35 a month'), or a block of usage ('$40 a month with a block')."""
    base = [plan.monthly_price] if money.period in (None, "month") else [plan.annual_price]
    values = []
    for addon in kb.addons:
        if addon.price is None or addon.period not in ("month", "year"):
            continue
        seats = _noun_key(_per_parts(addon.per)[1]) in ("seat", "user", "member")
        if seats and (plan.per_seat or not plan.seats_purchasable):
            continue
        if not kb.feature_on_plan(addon, plan.plan):
            continue
        price = addon.price * (12 if money.period == "year" and addon.period == "month" else 1)
        for b in base:
            if b is None:
                continue
            for n in counts:
                values.append(b + price * n)
                if seats and plan.seats_included and n > plan.seats_included:
                    values.append(b + price * (n - plan.seats_included))
    return values


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
    rf"|\b(?P<unlimited>unlimited (?:seats|users|team members)|no (?:seat|user) limit|"
    rf"no limit on (?:seats|users)|as many (?:seats|users) as)\b",
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
            or not match.group("limit")
            or not re.search(r"\byour (?:plan|subscription)\b", sentence.text, re.I)
        ):
            continue  # 'your account has 2 people' is the customer's, not the plan's
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
        if APPROXIMATE.search(text[max(sentence.start, count.start - 20) : count.start]):
            continue
        if not _quota_context(text, sentence, count, quota):
            continue
        claim = _quota_amount_claim(text, sentence, count, quota, kb, customer_plan)
        if claim:
            claims.append(claim)
    claims += _unlimited_quotas(text, kb, customer_plan)
    claims += _quota_rules(text, kb)
    return claims


QUOTA_PERIOD = re.compile(
    r"\b(?:a|per|each|every)\s+(?:calendar\s+)?(?:month|year|billing (?:period|cycle))\b|"
    r"\b(?:monthly|annually|yearly|/\s*(?:mo|month|yr|year))\b",
    re.IGNORECASE,
)
QUOTA_INCLUDES = re.compile(
    r"\b(?:includes?|including|included|up to|allows?|comes? with|covers?|gives? you|gets?|"
    r"offers?|has|have|keep|store|hold|at most|no more than|maximum of|max)\b[^.]*$",
    re.IGNORECASE,
)
QUOTA_LIMIT = re.compile(r"\b(?:allowance|limit|limits|limited|cap|capped|quota)\b", re.I)
NOT_THE_QUOTA = re.compile(
    r"^\W*(?:\w+\W+){0,2}?(?:at once|at a time|in one go|per (?:order|batch|file|import|"
    r"campaign|send|list|run)|each time)\b",
    re.IGNORECASE,
)


def _quota_context(text: str, sentence: Sentence, count: Count, quota: QuotaFact) -> bool:
    """Whether a number is stated as the quota ('100 labels a month', 'a 5,000-contact
    limit') rather than another amount of the same thing ('500 labels at once')."""
    after = text[count.end : min(sentence.end, count.end + 40)]
    before = text[max(sentence.start, count.start - 40) : count.start]
    if NOT_THE_QUOTA.match(after):
        return False
    near = f"{before} {after}"
    if quota.resets in ("monthly", "annually"):
        return bool(QUOTA_PERIOD.search(after) or QUOTA_LIMIT.search(near))
    return bool(QUOTA_LIMIT.search(near) or QUOTA_INCLUDES.search(before))


def _unlimited_quotas(text: str, kb: KnowledgeBase, customer_plan: str | None) -> list[Claim]:
    """'Scale has unlimited contacts' against the plan's limit."""
    claims = []
    for quota in kb.quotas:
        phrases = _quota_phrases(quota)
        pattern = re.compile(
            r"\b(?:unlimited|no limit (?:on|to) (?:the )?(?:number of )?)\s*(?:\w+\s+)?(?="
            + alias_pattern(phrases, singular=True).pattern
            + ")",
            re.IGNORECASE,
        )
        for match in pattern.finditer(text or ""):
            sentence = sentence_at(text, match.start())
            local = match.start() - sentence.start
            groups = [g for g in plan_groups(sentence.text, kb) if not g.every]
            group = _nearest_group(groups, sentence.text, local, match.end() - sentence.start, 80)
            plans = list(group.plans) if group else []
            if not plans and kb.plan(customer_plan):
                plans = [kb.plan(customer_plan)]
            for plan in plans:
                known, limit = quota.limit_for(plan.plan)
                if not known:
                    continue
                status = SUPPORTED if limit is None else CONTRADICTED
                end = alias_pattern(phrases, singular=True).match(text, match.end())
                stop = end.end() if end else match.end()
                claims.append(
                    _claim("quota", text, match.start(), stop, status, quota, "unlimited")
                )
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
            r"[\s-]*(?:(?!(?:person|people|user|users|seat|seats|member|members|time|times)\b)"
            r"[A-Za-z-]+\s+)?(?="
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
    plans = list(group.plans) if group else context_plans(text, sentence, kb)
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
        if limit is not None and any(
            _close(v, count.value) for v in _with_blocks(limit, quota, plan, kb, text)
        ):
            return _claim("quota", text, count.start, count.end, SUPPORTED, quota, plan.plan)
    if any(quota.limit_for(p.plan)[0] for p in plans):
        return _claim("quota", text, count.start, count.end, CONTRADICTED, quota, "quota amount")
    return None


def _with_blocks(limit: float, quota: QuotaFact, plan: PlanFact, kb, text: str) -> list[float]:
    """The quota, and the quota with blocks of it bought as an add-on ('10,000 contacts'
    on a 5,000-contact plan with one extra block of 5,000)."""
    values = [limit]
    unit_keys = {_noun_key(p.split()[-1]) for p in _quota_phrases(quota) if p.split()}
    counts = _multipliers(text, None)
    for addon in kb.addons:
        amount, noun = _per_parts(addon.per)
        if amount is None or _noun_key(noun) not in unit_keys:
            continue
        if kb.feature_on_plan(addon, plan.plan):
            values += [limit + amount * n for n in counts]
    return values


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
                says = not says_no(_rule_scope(text, sentence, start, end))
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
