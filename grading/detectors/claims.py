"""Claim checking: prices, plan features, policy windows, paths and steps against the KB."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from rapidfuzz import fuzz

from grading.detectors.knowledge_base import (
    FeatureFact,
    KnowledgeBase,
    PlanFact,
    PolicyFact,
    ProcessFact,
    TroubleshootingFact,
)
from grading.detectors.text import (
    Sentence,
    clause_at,
    content_words,
    overlaps,
    phrase_pattern,
    sentence_at,
    sentences,
    stem,
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
    "seat_limit": "wrong_price",
    "feature": "invented_feature",
    "policy": "wrong_policy",
    "sla": "wrong_policy",
    "process": "outdated_process",
    "troubleshooting": "fake_troubleshooting",
}
NUMBER_WORDS = {
    "a": 1,
    "an": 1,
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
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty-five": 45,
    "sixty": 60,
    "ninety": 90,
}
UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}

PRICE = re.compile(
    r"(?:US\$|\$|USD\s?)\s?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?"
    r"(?:\s*(?:/|per|a|an|each)\s*(?:seat|user|person|licen[cs]e))?"
    r"(?:\s*(?:/|per|a|an|each)?\s*(?:month|mo|year|yr|annum)\b|"
    r"\s+(?:billed\s+)?(?:monthly|annually|yearly))?",
    re.IGNORECASE,
)
PRICE_CONTEXT = re.compile(
    (
        r"\b(?:costs?|price[sd]?|pricing|plan|subscription|upgrade|per seat|per user|"
        r"/seat|/user|a month|per month|/month|/mo|monthly|annual|annually|yearly|per "
        r"year|a year|/year|billed)\b"
    ),
    re.IGNORECASE,
)
YEARLY = re.compile(r"\b(?:year|yr|annum|annual|annually|yearly)\b", re.IGNORECASE)
MONTHLY = re.compile(r"\b(?:month|mo|monthly)\b", re.IGNORECASE)
SEATS = re.compile(
    r"\b(?:up to|maximum of|max(?:imum)?|limit of|limited to|includes?|for|"
    r"supports?)\s+(\d+)\s+(?:seats|users|team members)\b"
    r"|\bunlimited\s+(?:seats|users|team members)\b",
    re.IGNORECASE,
)
DURATION = re.compile(
    r"\b(\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
    r"[- ](?:calendar[- ]|business[- ]|working[- ])?(day|week|month|year)s?\b",
    re.IGNORECASE,
)
ELAPSED = re.compile(r"\s+(?:ago|old|since|earlier)\b", re.IGNORECASE)
HOURS = re.compile(
    r"\b(\d+|one|two|four|eight|twelve|twenty-four)[- ]?(?:hours?|hrs?|h)\b", re.IGNORECASE
)
RESPONSE_WORDS = re.compile(
    (
        r"\b(?:respond|response|reply|replies|get back|answer|hear back|hear from|first "
        r"response|support)\b"
    ),
    re.IGNORECASE,
)
NEGATION = re.compile(
    (
        r"\b(?:not|shouldn't|wouldn't|wasn't|weren't|hasn't|haven't|didn't|isn't|aren't|"
        r"doesn't|don't|no longer|unavailable|cannot|can't|won't|"
        r"never|neither|nor|excluded)\b"
    ),
    re.IGNORECASE,
)
AVAILABILITY = re.compile(
    r"\b(?:available|included|include|includes|offer|offers|support|supports|comes? with|part of|"
    r"plan|plans|access to|feature)\b",
    re.IGNORECASE,
)
ONLY = re.compile(r"\b(?:only|exclusively)\b", re.IGNORECASE)
ASSERTIVE = re.compile(
    (
        r"\b(?:can|will|lets|helps|automatically|you can|you could|your plan|you have|"
        r"you'll have|you get|available|included|includes|include|comes? with|lets you|"
        r"allows? you|supports?|enable|turn on|switch on|use (?:the|our)|try (?:the|our)|"
        r"offers?|has)\b"
    ),
    re.IGNORECASE,
)
PATH_SEP = r"\s*(?:>|→|»|->|\u203a)\s*"
PATH_SEGMENT = (
    r"[A-Z][\w&'\u2019-]*(?: (?!(?:and|then|to|or|click|select|choose|tap|where|you|the|"
    r"from|in|on|at|if|is|for|with)\b)[\w&'\u2019-]+){0,3}"
)
PATH_HEAD = (
    r"(?!(?:Open|Go|Click|Select|Choose|Tap|Navigate|Head|Visit|Check|Use|Find|Under|"
    r"In|At|From|Via|Then|Try)\b)[A-Z][\w&'\u2019-]*(?: [A-Z][\w&'\u2019-]*){0,2}"
)
PATH = re.compile(rf"{PATH_HEAD}(?:{PATH_SEP}(?:{PATH_SEGMENT}|\([^)]{{1,40}}\)))+")
UNKNOWN_FEATURE = re.compile(
    r"\b(?i:our|the|Tallyfront(?:'s)?|a|new|built-in)\s+(?i:new\s+|built-in\s+)?"
    r"((?:[A-Za-z][\w-]*\s+){0,3}(?:feature|tool|mode|integration|module|add-on|assistant))\b",
)
STEP_LINE = re.compile(
    r"^[ \t]*(?:\d+[.)]|[-*•])[ \t]+([^\n]+)|(?:^|(?<=[.!?]\s))(?:(?:first|then|next|"
    r"finally|also),?\s+)?"
    r"((?:try|clear|restart|reinstall|re-install|toggle|enable|disable|hold|press|"
    r"turn off|turn on|delete|remove|log out|sign out|update|reset|switch|disconnect|"
    r"reconnect|uninstall)\b[^.!?\n]*)",
    re.IGNORECASE | re.MULTILINE,
)


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


def _money(value: float | None) -> str:
    if value is None:
        return "not published"
    return f"${value:,.0f}" if float(value).is_integer() else f"${value:,.2f}"


def _join(items: Iterable[str]) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _statement_or(fact, built: str, key: str) -> str:
    """Prefer the authored statement when it carries the key value; else the built sentence."""
    return fact.statement if key and key.lower() in fact.statement.lower() else built


def correction_for(fact) -> str:
    """A sentence, built from the fact, that an agent could paste as the correction."""
    if isinstance(fact, PlanFact):
        built = (
            f"The {fact.plan} plan costs {_money(fact.monthly_price)} per seat per month billed "
            f"monthly, or {_money(fact.annual_price)} per seat per year billed annually."
        )
        return _statement_or(fact, built, _money(fact.monthly_price))
    if isinstance(fact, FeatureFact):
        where = f"on the {_join(fact.plans)} plan{'s' if len(fact.plans) > 1 else ''}"
        built = (
            f"{fact.feature} is available {where}."
            if fact.plans
            else f"{fact.feature} is not available on any plan."
        )
        return _statement_or(fact, built, fact.plans[0] if fact.plans else "not")
    if isinstance(fact, PolicyFact):
        built = f"The {fact.policy} is {fact.days} days."
        return _statement_or(fact, built, str(fact.days))
    if fact.category == "sla":
        hours = f"{fact.first_response_hours:g}" if fact.first_response_hours is not None else "?"
        built = f"{fact.plan} plan customers get a first response within {hours} hours."
        return _statement_or(fact, built, hours)
    if isinstance(fact, ProcessFact):
        return f"To {_lower_first(fact.task)}, go to {fact.current_path}."
    if isinstance(fact, TroubleshootingFact):
        steps = "; ".join(fact.steps)
        return (
            f"That step is not a documented fix ({_lower_first(fact.problem)}). Do this "
            f"instead: {steps}."
        )
    return fact.statement


# ---- plans mentioned in a sentence -------------------------------------------------------


def _plan_pattern(kb: KnowledgeBase) -> re.Pattern[str]:
    names = sorted(kb.plan_names, key=len, reverse=True)
    if not names:
        return re.compile(r"(?!x)x")
    exact = "|".join(re.escape(n) for n in names)
    loose = "|".join(re.escape(n.lower()) for n in names)
    return re.compile(rf"\b(?:{exact})\b|\b(?i:{loose})\s+plan\b")


def plans_in(text: str, kb: KnowledgeBase) -> list[tuple[PlanFact, int]]:
    found = []
    for match in _plan_pattern(kb).finditer(text):
        plan = kb.plan(re.sub(r"\s+plan$", "", match.group(0), flags=re.IGNORECASE))
        if plan:
            found.append((plan, match.start()))
    return found


def _nearest_plan(sentence: Sentence, position: int, kb: KnowledgeBase) -> PlanFact | None:
    found = plans_in(sentence.text, kb)
    if not found:
        return None
    offset = position - sentence.start
    before = [(p, at) for p, at in found if at <= offset]
    return (before[-1] if before else found[0])[0]


# ---- prices and seats -------------------------------------------------------------------


def _price_value(match: re.Match[str]) -> float:
    whole = match.group(1).replace(",", "")
    return float(f"{whole}.{match.group(2)}") if match.group(2) else float(whole)


def _period(match_text: str, sentence: str) -> str | None:
    for source in (match_text, sentence):
        yearly, monthly = YEARLY.search(source), MONTHLY.search(source)
        if yearly and not monthly:
            return "year"
        if monthly and not yearly:
            return "month"
    return None


def _price_matches(plan: PlanFact, value: float, period: str | None) -> bool:
    candidates = {
        "month": [plan.monthly_price],
        "year": [plan.annual_price],
        None: [plan.monthly_price, plan.annual_price],
    }[period]
    return any(c is not None and abs(c - value) < 0.005 for c in candidates)


def check_prices(text: str, kb: KnowledgeBase, customer_plan: str | None) -> list[Claim]:
    claims = []
    for match in PRICE.finditer(text):
        sentence = sentence_at(text, match.start())
        plan = _nearest_plan(sentence, match.start(), kb)
        if plan is None and not PRICE_CONTEXT.search(sentence.text):
            continue  # an amount on an invoice, not a price claim
        claims.append(_price_claim(match, sentence, plan, kb, customer_plan, _counts(text)))
    return claims


def _counts(text: str) -> list[int]:
    """Whole numbers in a text that are not themselves prices (seat counts, months)."""
    return [
        int(m.group(0).replace(",", ""))
        for m in re.finditer(r"(?<![$\d.,])\d{1,4}(?![\d.,]*\d)(?!\s*%)", text)
        if int(m.group(0).replace(",", "")) > 1
    ]


def _price_claim(
    match, sentence: Sentence, plan, kb: KnowledgeBase, customer_plan, text_counts=()
) -> Claim:
    value, period = _price_value(match), _period(match.group(0), sentence.text)
    text = match.group(0).strip()
    span = (text, match.start(), match.start() + len(text))
    candidates = [plan] if plan else kb.plans
    for candidate in candidates:
        for count in [1, *_counts(sentence.text), *text_counts]:
            if _price_matches(candidate, value / count, period):
                note = (
                    f"{_money(value)} = {count} x {candidate.plan} price"
                    if count > 1
                    else "list price"
                )
                return Claim("price", *span, SUPPORTED, candidate.id, None, note)
    shaped = bool(re.search(r"seat|user|month|year|annual|/", text, re.IGNORECASE))
    target = plan or (kb.plan(customer_plan) if shaped else None)
    if target is None:
        return Claim("price", *span, UNSUPPORTED, None, None, f"{_money(value)}: no plan price")
    detail = (
        f"{_money(value)} per {period or 'period'} vs {target.plan}: "
        f"{_money(target.monthly_price)}/month, {_money(target.annual_price)}/year"
    )
    return Claim("price", *span, CONTRADICTED, target.id, correction_for(target), detail)


def check_seats(text: str, kb: KnowledgeBase, customer_plan: str | None) -> list[Claim]:
    claims = []
    for match in SEATS.finditer(text):
        sentence = sentence_at(text, match.start())
        plan = _nearest_plan(sentence, match.start(), kb) or kb.plan(customer_plan)
        if plan is None:
            continue
        claimed = int(match.group(1)) if match.group(1) else None
        status = SUPPORTED if claimed == plan.seat_limit else CONTRADICTED
        limit = "unlimited" if plan.seat_limit is None else str(plan.seat_limit)
        correction = (
            f"The {plan.plan} plan allows {limit} seats." if status == CONTRADICTED else None
        )
        claims.append(
            Claim(
                "seat_limit",
                match.group(0),
                match.start(),
                match.end(),
                status,
                plan.id,
                correction,
                f"seat limit {limit}",
            )
        )
    return claims


# ---- features ---------------------------------------------------------------------------


def negative_aliases(feature: FeatureFact, kb: KnowledgeBase) -> list[str]:
    """Aliases the fact's own statement says do not exist ('there is no SMS option')."""
    clauses = [c for c in re.split(r"[.;]\s+", feature.statement) if c.strip()]
    negated = [c for c in clauses if NEGATION.search(c) or re.search(r"\bno\b", c, re.I)]
    negated = [c for c in negated if not plans_in(c, kb)]
    names = {w.lower() for p in (feature.feature,) for w in p.split()}
    found = []
    for alias in feature.aliases:
        if phrase_pattern([alias]).search(feature.statement):
            key = [alias]
        else:
            key = [w for w in alias.split() if w.lower() not in names and len(w) > 2][:1]
        if not key:
            continue
        pattern = phrase_pattern(key)
        hits = [c for c in clauses if pattern.search(c)]
        if hits and all(c in negated for c in hits):
            found.append(alias)
    return found


def check_features(text: str, kb: KnowledgeBase, customer_plan: str | None) -> list[Claim]:
    claims = []
    for feature in kb.features:
        missing = negative_aliases(feature, kb)
        for match in phrase_pattern(feature.topic_phrases).finditer(text):
            sentence = sentence_at(text, match.start())
            if any(match.group(0).lower() == m.lower() for m in missing):
                claim = _missing_feature_claim(feature, match, sentence)
            else:
                claim = _feature_claim(feature, match, sentence, kb, customer_plan)
            if claim:
                claims.append(claim)
    return claims


def _missing_feature_claim(feature, match, sentence) -> Claim | None:
    clause = clause_at(sentence.text, match.start() - sentence.start).text
    if NEGATION.search(clause) or re.search(r"\bno\b", clause, re.I):
        return _feature(feature, match, SUPPORTED, f"{match.group(0)} does not exist")
    before = sentence.text[: match.start() - sentence.start]
    if not ASSERTIVE.search(clause) or re.search(r"\b(?:into|from|to)\s+$", before, re.I):
        return None  # 'import your exports into Xero' is not a claim that we sync with Xero
    return _feature(feature, match, CONTRADICTED, f"{match.group(0)} does not exist")


def _feature_claim(feature, match, sentence, kb, customer_plan) -> Claim | None:
    clause = clause_at(sentence.text, match.start() - sentence.start).text
    plan_hits = plans_in(clause, kb) or plans_in(sentence.text, kb)
    plans = [p for p, _ in plan_hits]
    negated = bool(NEGATION.search(clause)) and bool(AVAILABILITY.search(sentence.text))
    assertive = bool(ASSERTIVE.search(sentence.text)) or bool(plans)
    if not assertive and not negated:
        return None
    if not plans:
        plan = kb.plan(customer_plan)
        if plan is None:
            status = CONTRADICTED if not feature.plans and not negated else UNSUPPORTED
            return _feature(feature, match, status, "no plan named")
        plans = [plan]
    has = [kb.feature_on_plan(feature, p.plan) for p in plans]
    if negated and not ONLY.search(sentence.text):
        status = CONTRADICTED if any(has) and len(plans) == 1 else SUPPORTED
    else:
        status = SUPPORTED if all(has) else CONTRADICTED
    claim = _feature(feature, match, status, f"{feature.feature} on {_join(p.plan for p in plans)}")
    if status == CONTRADICTED and plan_hits:
        return _widen(claim, sentence, [sentence.start + at for _, at in plan_hits])
    return claim


def _widen(claim: Claim, sentence: Sentence, positions: list[int]) -> Claim:
    """Stretch a claim's span from the plan it names to the feature, within one sentence."""
    start = min([claim.start, *positions])
    end = claim.end
    text = sentence.text[start - sentence.start : end - sentence.start]
    return Claim(
        claim.kind, text, start, end, claim.status, claim.fact_id, claim.correction, claim.detail
    )


def _feature(feature: FeatureFact, match, status: str, detail: str) -> Claim:
    correction = correction_for(feature) if status == CONTRADICTED else None
    return Claim(
        "feature",
        match.group(0),
        match.start(),
        match.end(),
        status,
        feature.id,
        correction,
        detail,
    )


def check_unknown_features(text: str, kb: KnowledgeBase) -> list[Claim]:
    """Named features the knowledge base has never heard of ('our new Smart Sync mode')."""
    known = [a.lower() for f in kb.features for a in f.topic_phrases]
    claims = []
    for match in UNKNOWN_FEATURE.finditer(text):
        phrase = match.group(1)
        if any(fuzz.partial_ratio(phrase.lower(), k) >= 85 for k in known if len(k) > 3):
            continue
        if len(phrase.split()) < 2:
            continue
        sentence = sentence_at(text, match.start())
        if not ASSERTIVE.search(sentence.text):
            continue
        claims.append(
            Claim(
                "feature",
                phrase,
                match.start(1),
                match.end(1),
                UNSUPPORTED,
                None,
                None,
                "not in the knowledge base",
            )
        )
    return claims


# ---- policies and SLAs ------------------------------------------------------------------


def _days(match: re.Match[str]) -> int:
    amount = match.group(1).lower()
    number = int(amount) if amount.isdigit() else NUMBER_WORDS[amount]
    return number * UNIT_DAYS[match.group(2).lower()]


def _policy_near(
    sentence: Sentence, text: str, kb: KnowledgeBase, position: int
) -> PolicyFact | None:
    best, best_distance = None, None
    for policy in kb.policies:
        for match in phrase_pattern(policy.topic_phrases, inflect=True).finditer(sentence.text):
            distance = abs(sentence.start + match.start() - position)
            if best_distance is None or distance < best_distance:
                best, best_distance = policy, distance
    return best


def _policy_candidates(sentence: Sentence, kb: KnowledgeBase) -> list[PolicyFact]:
    """Policies named in the sentence, or whose statement shares its wording."""
    words = _stem_set(sentence.text)
    similar = [p for p in kb.policies if len(words & _stem_set(p.statement)) >= 3]
    return _policies_in(sentence, kb) + similar


def _policies_in(sentence: Sentence, kb: KnowledgeBase) -> list[PolicyFact]:
    return [
        p
        for p in kb.policies
        if phrase_pattern(p.topic_phrases, inflect=True).search(sentence.text)
    ]


def check_policies(text: str, kb: KnowledgeBase) -> list[Claim]:
    claims = []
    for match in DURATION.finditer(text):
        if ELAPSED.match(text, match.end()):
            continue  # 'renewed 12 days ago' describes the customer, not the policy
        sentence = sentence_at(text, match.start())
        policy = _policy_near(sentence, text, kb, match.start())
        if policy is None or policy.days is None:
            continue
        exact = [p for p in _policy_candidates(sentence, kb) if p.days == _days(match)]
        policy = exact[0] if exact else policy
        status = SUPPORTED if _days(match) == policy.days else CONTRADICTED
        correction = correction_for(policy) if status == CONTRADICTED else None
        detail = f"{_days(match)} days vs {policy.policy}: {policy.days} days"
        claims.append(
            Claim(
                "policy",
                match.group(0),
                match.start(),
                match.end(),
                status,
                policy.id,
                correction,
                detail,
            )
        )
    return claims


def _hours(match: re.Match[str]) -> float:
    value = match.group(1).lower()
    words = {"one": 1, "two": 2, "four": 4, "eight": 8, "twelve": 12, "twenty-four": 24}
    return float(value) if value.isdigit() else float(words[value])


def check_slas(text: str, kb: KnowledgeBase, customer_plan: str | None) -> list[Claim]:
    claims = []
    for match in HOURS.finditer(text):
        sentence = sentence_at(text, match.start())
        if not RESPONSE_WORDS.search(sentence.text):
            continue
        plan = _nearest_plan(sentence, match.start(), kb)
        sla = kb.sla_for(plan.plan if plan else customer_plan)
        if sla is None or sla.first_response_hours is None:
            continue
        status = SUPPORTED if abs(_hours(match) - sla.first_response_hours) < 0.01 else CONTRADICTED
        correction = correction_for(sla) if status == CONTRADICTED else None
        claims.append(
            Claim(
                "sla",
                match.group(0),
                match.start(),
                match.end(),
                status,
                sla.id,
                correction,
                f"first response {sla.first_response_hours:g}h",
            )
        )
    return claims


# ---- process paths ----------------------------------------------------------------------


def _path_key(path: str) -> str:
    return " > ".join(p.strip().lower() for p in re.split(PATH_SEP, path) if p.strip())


def _path_pattern(path: str) -> re.Pattern[str]:
    parts = [
        re.escape(p.strip()).replace(r"\ ", r"\s+") for p in re.split(PATH_SEP, path) if p.strip()
    ]
    return re.compile(PATH_SEP.join(parts), re.IGNORECASE)


def check_processes(text: str, kb: KnowledgeBase) -> list[Claim]:
    claims = _known_paths(text, kb)
    for match in PATH.finditer(text):
        if any(overlaps(match.start(), match.end(), c.start, c.end) for c in claims):
            continue
        claims.append(_unknown_path(text, match, kb))
    return sorted(claims, key=lambda c: c.start)


def _known_paths(text: str, kb: KnowledgeBase) -> list[Claim]:
    claims: list[Claim] = []
    for process in kb.processes:
        variants = [(process.current_path, SUPPORTED)] + [
            (p, CONTRADICTED) for p in process.outdated_paths
        ]
        for path, status in variants:
            for match in _path_pattern(path).finditer(text):
                if any(overlaps(match.start(), match.end(), c.start, c.end) for c in claims):
                    continue
                correction = correction_for(process) if status == CONTRADICTED else None
                claims.append(
                    Claim(
                        "process",
                        match.group(0),
                        match.start(),
                        match.end(),
                        status,
                        process.id,
                        correction,
                        f"{process.task}: {path}",
                    )
                )
    return claims


def documented_paths(kb: KnowledgeBase) -> dict[str, str]:
    """Menu paths quoted in any fact's statement or valid steps: normalised path -> fact id."""
    found: dict[str, str] = {}
    for fact in kb.facts:
        for text in (fact.statement, *getattr(fact, "steps", ())):
            for match in PATH.finditer(text):
                found.setdefault(_path_key(match.group(0)), fact.id)
    for process in kb.processes:
        found[_path_key(process.current_path)] = process.id
    return found


def _best_path(key: str, kb: KnowledgeBase, *, current: bool) -> tuple[ProcessFact | None, float]:
    best, best_score = None, 0.0
    for process in kb.processes:
        paths = [process.current_path] if current else list(process.outdated_paths)
        for path in paths:
            other = _path_key(path)
            score = 100.0 if current and other.startswith(key) else fuzz.ratio(key, other)
            if score > best_score:
                best, best_score = process, score
    return best, best_score


def _documented(key: str, kb: KnowledgeBase) -> str | None:
    documented = documented_paths(kb)
    if key in documented:
        return documented[key]
    return next((v for k, v in documented.items() if k.startswith(key + " >")), None)


def _unknown_path(text: str, match: re.Match[str], kb: KnowledgeBase) -> Claim:
    """A path not quoted verbatim: documented, close to a current or outdated one, or wrong."""
    key = _path_key(match.group(0))
    span = (match.group(0), match.start(), match.end())
    fact_id = _documented(key, kb)
    if fact_id:
        return Claim("process", *span, SUPPORTED, fact_id, None, "documented path")
    current, current_score = _best_path(key, kb, current=True)
    outdated, outdated_score = _best_path(key, kb, current=False)
    if current is not None and current_score >= 90 and current_score >= outdated_score:
        return Claim("process", *span, SUPPORTED, current.id, None, "matches the current path")
    sentence = sentence_at(text, match.start())
    topical = next(
        (p for p in kb.processes if phrase_pattern(p.topic_phrases).search(sentence.text)), None
    )
    process = outdated if outdated is not None and outdated_score >= 80 else topical
    if process is None:
        return Claim("process", *span, UNSUPPORTED, None, None, "path not in the knowledge base")
    detail = f"current path is {process.current_path}"
    return Claim("process", *span, CONTRADICTED, process.id, correction_for(process), detail)


# ---- troubleshooting steps --------------------------------------------------------------


def _step_cutoff(step: str) -> float:
    return 95.0 if len(step) < 15 else 86.0


def _align(step: str, text: str) -> tuple[int, int, float] | None:
    if len(step.strip()) < 6:
        return None
    result = fuzz.partial_ratio_alignment(
        step.lower(), text.lower(), score_cutoff=_step_cutoff(step)
    )
    if result is None:
        return None
    start, end = result.dest_start, result.dest_end
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return start, end, result.score


def check_troubleshooting(text: str, kb: KnowledgeBase) -> list[Claim]:
    candidates: list[tuple[float, Claim]] = []
    for fact in kb.troubleshooting:
        for steps, status in ((fact.steps, SUPPORTED), (fact.invalid_steps, CONTRADICTED)):
            for step in steps:
                aligned = _align(step, text)
                matches = [aligned] if aligned else _clause_matches(step, text)
                for start, end, score in matches:
                    bonus = (0.5 if status == CONTRADICTED else 0) + len(step) / 1000
                    candidates.append(
                        (score + bonus, _step_claim(fact, step, status, text, start, end))
                    )
    kept = _best_non_overlapping(candidates)
    return kept + _unknown_steps(text, kb, kept)


def _step_claim(fact, step: str, status: str, text: str, start: int, end: int) -> Claim:
    correction = correction_for(fact) if status == CONTRADICTED else None
    detail = f"{fact.problem}: {step!r}"
    return Claim(
        "troubleshooting", text[start:end], start, end, status, fact.id, correction, detail
    )


def _stem_set(text: str) -> set[str]:
    return {stem(w.replace("-", "")) for w in content_words(text.replace("-", ""))}


def _clause_matches(step: str, text: str) -> list[tuple[int, int, float]]:
    """Clauses that carry most of a step's content words, even when paraphrased."""
    wanted = _stem_set(step)
    if len(wanted) < 3:
        return []
    needed = max(3, round(0.6 * len(wanted)))
    found = []
    for sentence in sentences(text):
        for part in re.finditer(r"[^,;:]+", sentence.text):
            clause = part.group(0)
            hits = len(wanted & _stem_set(clause))
            share = hits / len(wanted)
            if hits >= needed:
                lead = len(clause) - len(clause.lstrip())
                start = sentence.start + part.start() + lead
                body = clause.strip().rstrip(".!? ")
                found.append((start, start + len(body), 70 + 20 * share))
    return found


def _best_non_overlapping(candidates: list[tuple[float, Claim]]) -> list[Claim]:
    kept: list[Claim] = []
    for _, claim in sorted(candidates, key=lambda c: -c[0]):
        if not any(overlaps(claim.start, claim.end, k.start, k.end) for k in kept):
            kept.append(claim)
    return sorted(kept, key=lambda c: c.start)


def _known_step(step: str, topic: TroubleshootingFact, kb: KnowledgeBase) -> bool:
    """A step whose words mostly come from the KB's valid steps or statements is not unknown."""
    if any(fuzz.partial_ratio(s.lower(), step.lower()) >= 75 for s in topic.steps):
        return True
    vocabulary = _stem_set(" ".join([*topic.steps, topic.statement]))
    vocabulary |= {w for f in kb.facts for w in _stem_set(f.statement)}
    wanted = _stem_set(step)
    return not wanted or len(wanted & vocabulary) / len(wanted) >= 0.5


def _unknown_steps(text: str, kb: KnowledgeBase, known: list[Claim]) -> list[Claim]:
    """Steps offered for a known problem that the KB does not list as a valid step."""
    topic = next(
        (f for f in kb.troubleshooting if phrase_pattern(f.topic_phrases).search(text)), None
    )
    if topic is None:
        return []
    claims = []
    for match in STEP_LINE.finditer(text):
        group = 1 if match.group(1) else 2
        start, end = match.start(group), match.end(group)
        if any(overlaps(start, end, k.start, k.end) for k in known):
            continue
        step = text[start:end].strip()
        if word_count(step) < 3 or _known_step(step, topic, kb):
            continue
        claims.append(
            Claim(
                "troubleshooting",
                step,
                start,
                start + len(step),
                UNSUPPORTED,
                topic.id,
                None,
                "step not in the knowledge base",
            )
        )
    return claims


# ---- putting it together ----------------------------------------------------------------


def check_claims(
    text: str | None, kb: KnowledgeBase, *, customer_plan: str | None = None
) -> list[Claim]:
    """Every checkable claim in the text, marked supported, contradicted or unsupported."""
    text = text or ""
    if not text.strip():
        return []
    claims = [
        *check_prices(text, kb, customer_plan),
        *check_seats(text, kb, customer_plan),
        *check_features(text, kb, customer_plan),
        *check_unknown_features(text, kb),
        *check_policies(text, kb),
        *check_slas(text, kb, customer_plan),
        *check_processes(text, kb),
        *check_troubleshooting(text, kb),
    ]
    return _dedupe_claims(claims)


def _dedupe_claims(claims: list[Claim]) -> list[Claim]:
    rank = {CONTRADICTED: 0, UNSUPPORTED: 1, SUPPORTED: 2}
    kept: list[Claim] = []
    for claim in sorted(claims, key=lambda c: (rank[c.status], c.start)):
        if not any(overlaps(claim.start, claim.end, k.start, k.end) for k in kept):
            kept.append(claim)
    return sorted(kept, key=lambda c: (c.start, c.end))


def topics_in(text: str, kb: KnowledgeBase) -> dict[str, list[tuple[int, int]]]:
    """Fact ids whose subject (feature, policy, task, problem) the text mentions, with where."""
    found: dict[str, list[tuple[int, int]]] = {}
    for fact in kb.facts:
        phrases = fact.topic_phrases
        if not phrases:
            continue
        for match in phrase_pattern(phrases, inflect=True).finditer(text or ""):
            found.setdefault(fact.id, []).append((match.start(), match.end()))
    return found


def _stems(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def find_irrelevance(draft: str, kb: KnowledgeBase, customer_message: str | None) -> Finding | None:
    """The draft answers a different question: none of the message's topics, others instead."""
    if not customer_message or not customer_message.strip():
        return None
    asked, answered = topics_in(customer_message, kb), topics_in(draft, kb)
    if asked and set(asked) & set(answered):
        return None
    overlap = len(_stems(customer_message) & _stems(draft)) / max(1, len(_stems(customer_message)))
    if (not asked or not answered) and overlap >= 0.1:
        return None
    sentence = _off_topic_sentence(draft, answered)
    if sentence is None:
        return None
    fact = kb.get(next(iter(asked), None))
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


def _off_topic_sentence(draft: str, answered: dict[str, list[tuple[int, int]]]) -> Sentence | None:
    parts = [s for s in sentences(draft) if word_count(s.text) >= 5]
    for sentence in parts:
        if any(
            sentence.start <= start < sentence.end
            for spans in answered.values()
            for start, _ in spans
        ):
            return sentence
    return parts[0] if parts and not answered else None


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
    correction = "This could not be verified against the knowledge base; check it or remove it."
    return Finding(
        "unsupported_claim", claim.text, claim.start, claim.end, claim.fact_id, correction
    )


def audit_draft(
    draft: str | None,
    kb: KnowledgeBase,
    *,
    customer_plan: str | None = None,
    customer_message: str | None = None,
) -> list[Finding]:
    """The errors in an AI draft: contradicted or unverifiable claims, and off-topic answers."""
    draft = draft or ""
    findings = [
        f
        for c in check_claims(draft, kb, customer_plan=customer_plan)
        if (f := finding_from_claim(c, draft))
    ]
    irrelevant = find_irrelevance(draft, kb, customer_message)
    if irrelevant:
        findings.append(irrelevant)
    return sorted(findings, key=lambda f: (f.start, f.end))
