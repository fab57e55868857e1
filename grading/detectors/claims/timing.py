"""Yes/no rules (and when something takes effect), policy durations in their unit, and
first-response targets per plan."""

from __future__ import annotations

import re
from functools import lru_cache

from grading.detectors.knowledge_base import (
    Duration,
    KnowledgeBase,
    PolicyFact,
    RuleFact,
    SlaFact,
    billing_cycle_key,
)
from grading.detectors.quantities import DurationMention, durations_in
from grading.detectors.text import Sentence, sentence_at, sentences

from .availability import _assertion_span, _stemmed_tokens
from .base import (
    CONTRADICTED,
    CYCLE_WORDS,
    GENERIC_STEMS,
    HEDGE,
    RESPONSE_WORDS,
    SUPPORTED,
    Claim,
    _claim,
    _join,
    _local,
    _nearest_group,
    _rule_scope,
    _scope,
    _stem_weights,
    alias_pattern,
    context_plans,
    per_kb,
    plan_groups,
    says_no,
    stems,
)

# ---- yes/no rules --------------------------------------------------------------------------


TIMING = {
    "now": re.compile(
        r"\b(?:immediately|right away|straight away|instantly|at once|as soon as \w+|"
        r"the same day|on the spot|right now)\b",
        re.IGNORECASE,
    ),
    "later": re.compile(
        r"\b(?:(?:at|from|on) the (?:end|start|beginning) of (?:the |your |this )?"
        r"(?:current |next )?(?:billing |subscription )?(?:period|cycle|month|year|term)|"
        r"(?:at|from|on) (?:the |your )?"
        r"next (?:billing |subscription )?(?:period|cycle|renewal|month|year|invoice|billing date)|"
        r"at (?:the |your )?renewal|when (?:your|the) (?:plan|subscription|period) renews|"
        r"(?:the )?next (?:billing )?(?:period|cycle|renewal))\b",
        re.IGNORECASE,
    ),
}


def _timing(text: str) -> str | None:
    found = {name for name, pattern in TIMING.items() if pattern.search(text or "")}
    return found.pop() if len(found) == 1 else None


def check_rules(text: str, kb: KnowledgeBase) -> list[Claim]:
    """A sentence that asserts (or denies) a rule, against whether the rule holds; a rule
    about when something happens ('at the end of the period') is also checked against the
    timing the sentence gives ('immediately')."""
    claims = []
    weights = _stem_weights(kb)
    pieces = _clause_pieces(text)
    for rule, (truth, timing, rule_stems, nouns) in zip(kb.rules, _rule_table(kb), strict=True):
        for sentence in pieces:
            if nouns and not (nouns & stems(sentence.text)):
                continue  # about something else ('unused tests' is not 'unused sends')
            span = _rule_span(sentence, rule, rule_stems, weights)
            if span is None:
                continue
            start, end = sentence.start + span[0], sentence.start + span[1]
            scope = _scope(text, sentence, start, end)
            if HEDGE.search(scope) and "?" in scope:
                continue
            local = _rule_scope(text, sentence, start, end)
            says = not says_no(local)
            status = SUPPORTED if says == truth else CONTRADICTED
            claimed = _timing(scope)
            if timing and not claimed:
                continue  # a rule about when, in a sentence that says no when
            if timing and claimed:
                same = claimed == timing
                status = SUPPORTED if (same == says) == truth else CONTRADICTED
            s, e = _assertion_span(text, sentence, start, end)
            claims.append(_claim("rule", text, s, e, status, rule, "rule"))
    return claims


@per_kb
def _rule_table(kb: KnowledgeBase) -> tuple:
    """Per rule, in kb.rules order: whether it holds as worded, its timing, the stems of
    its wording without the timing, and its subject nouns (compiled once per KB version)."""
    table = []
    for rule in kb.rules:
        truth = rule.value != says_no(rule.rule)
        timing = _timing(rule.rule)
        core = rule.rule
        for pattern in TIMING.values():
            core = pattern.sub(" ", core)
        rule_stems = stems(core)
        table.append((truth, timing, rule_stems, _rule_nouns(rule, rule_stems, kb)))
    return tuple(table)


def _clause_pieces(text: str, *, commas: bool = False) -> list[Sentence]:
    """Sentences cut at ';', ':' and dashes (and, with `commas`, at commas that are not in
    a number): each piece states at most one rule."""
    return list(_clause_pieces_of(text, commas))


@lru_cache(maxsize=4096)
def _clause_pieces_of(text: str, commas: bool) -> tuple[Sentence, ...]:
    cut = r"[;:\u2014]\s+|\s\u2013\s" + (r"|,(?!\d)\s*(?:and\s+)?" if commas else "")
    pieces = []
    for sentence in sentences(text):
        left = 0
        for match in re.finditer(cut, sentence.text):
            pieces.append(_piece(sentence, left, match.start()))
            left = match.end()
        pieces.append(_piece(sentence, left, len(sentence.text)))
    return tuple(p for p in pieces if p.text.strip())


def _piece(sentence: Sentence, left: int, right: int) -> Sentence:
    return Sentence(sentence.text[left:right], sentence.start + left, sentence.start + right)


def _rule_nouns(rule: RuleFact, rule_stems: set[str], kb: KnowledgeBase) -> set[str]:
    """The rule's words that name things elsewhere in the KB (its subject: 'sends')."""
    return (rule_stems & _phrase_stems_except(kb, rule.id)) - GENERIC_STEMS


@per_kb
def _phrase_stems_except(kb: KnowledgeBase, fact_id: str) -> frozenset[str]:
    return frozenset(
        w for f in kb.facts if f.id != fact_id for p in f.topic_phrases for w in stems(p)
    )


def _rule_span(
    sentence: Sentence, rule: RuleFact, rule_stems: set[str], weights: dict[str, float]
) -> tuple[int, int] | None:
    """Where a sentence states the rule: an alias with another of its words, or most of
    the rule's telling words."""
    words = _stemmed_tokens(sentence.text)  # once per piece, not once per rule
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
    weights = _stem_weights(kb)
    for policy in kb.policies:
        distances = [
            abs(sentence.start + m.start() - at)
            for m in alias_pattern(policy.topic_phrases).finditer(sentence.text)
        ]
        if distances:
            found.append((min(distances), policy, True))
            continue
        statement = stems(" ".join([policy.statement, policy.title, policy.policy]))
        statement -= GENERIC_STEMS
        shared = words & statement
        weight = sum(weights.get(w, 1.0) for w in shared)
        total = sum(weights.get(w, 1.0) for w in statement) or 1.0
        if len(shared) >= 3 and (len(shared) >= 4 or weight >= 0.3 * total):
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
    customer = {
        (d.duration.low, d.duration.unit)
        for d in durations_in(customer_message or "", elapsed=True)
    }
    for mention in durations_in(text):
        sentence = sentence_at(text, mention.start)
        if (mention.duration.low, mention.duration.unit) in customer:
            continue  # the customer's own time ('four days ago'), repeated
        scope = _scope(text, sentence, mention.start, mention.end)
        local = _local(text, sentence, mention.start, mention.end)
        if RESPONSE_WORDS.search(scope) and kb.slas:
            if COMMITMENT.search(local) or not SUPPORT_TARGET.search(scope):
                continue  # "I'll reply within the hour" is a promise, not the target
            claim = _sla_claim(text, sentence, mention, kb, customer_plan)
            if claim:
                claims.append(claim)
                continue
        claim = _policy_claim(text, sentence, mention, kb, customer_plan, billing_cycle)
        claim = claim or _stated_duration_claim(text, sentence, mention, kb)
        if claim:
            claims.append(claim)
    return claims


@per_kb
def _stated_durations(kb: KnowledgeBase) -> tuple:
    """Durations written into the KB's statements and documented steps ('Allow up to 1
    hour for the first full sync'): (fact, the sentence, its stems, its durations)."""
    found = []
    for fact in kb.facts:
        if isinstance(fact, (PolicyFact, SlaFact)):
            continue  # these carry their durations as data
        for source in (fact.statement, *getattr(fact, "steps", ())):
            for part in _clause_pieces(source, commas=True):
                mentions = durations_in(part.text)
                if mentions:
                    words = frozenset(stems(part.text) - GENERIC_STEMS)
                    found.append((fact, part.text, words, tuple(m.duration for m in mentions)))
    return tuple(found)


def _stated_duration_claim(text, sentence, mention: DurationMention, kb) -> Claim | None:
    """A duration in a sentence that says what a KB sentence with a duration says (not one
    that describes something: 'contacts who haven't opened in 90 days')."""
    lead = _local(text, sentence, mention.start, mention.end)
    lead = lead[: max(0, mention.start - sentence.start - sentence.text.find(lead))]
    if says_no(lead) or re.search(r"\b(?:who|that|which|whose)\b", lead, re.I):
        return None
    words = stems(sentence.text) - GENERIC_STEMS
    weights = _stem_weights(kb)
    best = None
    for fact, _source, source_words, durations in _stated_durations(kb):
        shared = words & source_words
        total = sum(weights.get(w, 1.0) for w in source_words) or 1.0
        share = sum(weights.get(w, 1.0) for w in shared) / total
        if len(shared) >= 2 and share >= 0.6 and (best is None or share > best[0]):
            best = (share, fact, durations)
    if best is None:
        return None
    _, fact, durations = best
    if any(d.agrees_with(mention.duration) for d in durations):
        return _claim("policy", text, mention.start, mention.end, SUPPORTED, fact, "as stated")
    if not any(_comparable(d, mention.duration) for d in durations):
        return None
    detail = f"{mention.duration} vs {_join(str(d) for d in durations)}"
    return _claim("policy", text, mention.start, mention.end, CONTRADICTED, fact, detail)


def _policy_claim(text, sentence, mention: DurationMention, kb, customer_plan, billing_cycle):
    candidates = _policy_candidates(text, sentence, kb, mention.start)
    if not candidates:
        return None
    local = mention.start - sentence.start
    groups = [g for g in plan_groups(sentence.text, kb) if not g.every]
    group = _nearest_group(groups, sentence.text, local, mention.end - sentence.start, 80)
    carried = context_plans(text, sentence, kb)
    plan = (
        group.plans[0].plan
        if group and len(group.plans) == 1
        else (carried[0].plan if len(carried) == 1 else customer_plan)
    )
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
    if _another_policy_says(sentence, mention, kb, {policy.id}, named=named):
        return None
    applicable = _durations_for(policy, plan, cycle)
    if not applicable:
        return None
    if not named and not any(_comparable(d, mention.duration) for d in applicable):
        return None  # a look-alike sentence about a different kind of time
    detail = f"{mention.duration} vs {policy.policy}: {_join(str(d) for d in applicable)}"
    return _claim("policy", text, mention.start, mention.end, CONTRADICTED, policy, detail)


def _another_policy_says(
    sentence: Sentence, mention: DurationMention, kb, skip: set, *, named: bool = False
) -> bool:
    """A policy with exactly this duration whose words the sentence shares ('stays read-only
    for 90 days' after cancelling) — the sentence is more likely about it. When the sentence
    names its policy ('a compliance review … up to 5 business days'), another policy must
    share at least as many of its words."""
    words = stems(sentence.text) - GENERIC_STEMS

    def shared(policy) -> int:
        text = " ".join([policy.statement, policy.title, policy.policy, *policy.aliases])
        return len(words & (stems(text) - GENERIC_STEMS))

    least = max((shared(p) for p in kb.policies if p.id in skip), default=0) if named else 2
    for policy in kb.policies:
        if policy.id in skip or not any(d.agrees_with(mention.duration) for d in policy.durations):
            continue
        if shared(policy) >= max(2, least):
            return True
    return False


_SIBLINGS = ({"hours", "business_hours", "minutes"}, {"days", "business_days", "weeks", "months"})


def _comparable(fact: Duration, claimed: Duration) -> bool:
    """Same scale, or a sibling unit with the same number ('48 business hours' for 48 hours)."""
    if fact.in_unit(claimed.unit) is not None:
        return True
    return any(fact.unit in group and claimed.unit in group for group in _SIBLINGS)


COMMITMENT = re.compile(
    r"\b(?:I(?:'ll| will| can|'m going to| am going to| aim to| promise to)|let me)\b", re.I
)
SUPPORT_TARGET = re.compile(
    r"\b(?:first[- ]response|response time|reply time|target|support|we|our team|you'll hear|"
    r"you will hear|hear back|get back to you|accounts get|customers get|plan gets|includes)\b",
    re.IGNORECASE,
)


def _sla_claim(text, sentence, mention: DurationMention, kb, customer_plan) -> Claim | None:
    local = mention.start - sentence.start
    groups = [g for g in plan_groups(sentence.text, kb) if not g.every]
    group = _nearest_group(groups, sentence.text, local, mention.end - sentence.start, 120)
    carried = [p.plan for p in context_plans(text, sentence, kb)]
    plans = (
        [p.plan for p in group.plans]
        if group
        else (carried or ([customer_plan] if customer_plan else []))
    )
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
