"""What exists and on which plans: features, add-ons, things not offered, invented
named features, support channels."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from grading.detectors.knowledge_base import (
    AddonFact,
    FeatureFact,
    KnowledgeBase,
    NotOfferedFact,
    compiled,
)
from grading.detectors.text import Sentence, overlaps, sentence_at

from .base import (
    ASSERTIVE,
    AVAILABILITY,
    CONTRADICTED,
    GENERIC_STEMS,
    HEDGE,
    STRONG_BOUNDARY,
    SUPPORTED,
    UNSUPPORTED,
    Claim,
    PhraseIndex,
    PlanGroup,
    _claim,
    _join,
    _local,
    _nearest_group,
    _scope,
    _span_scope,
    alias_pattern,
    context_plans,
    denies,
    negated,
    per_kb,
    plan_groups,
    plan_mentions,
    stem_word,
    stems,
)

# ---- features, add-ons and things not offered ---------------------------------------------


def check_features(
    text: str, kb: KnowledgeBase, customer_plan: str | None, customer_message: str | None = None
) -> list[Claim]:
    """Features and add-ons claimed on plans, and things not offered claimed as available.
    Where names overlap, the longest wins ('text-message reminders' is not 'reminders')."""
    mentions: list = [(kb.get(fact_id), m) for fact_id, m in _offer_index(kb).finditer(text or "")]
    for fact in kb.not_offered:
        for match in _loose_mentions(text, fact.topic_phrases):
            if not any(
                overlaps(match.start(), match.end(), m.start(), m.end()) for _, m in mentions
            ):
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


@per_kb
def _offer_index(kb: KnowledgeBase) -> PhraseIndex:
    """Features, add-ons and things not offered, each by its phrases, compiled once."""
    facts = [*kb.features, *kb.addons, *kb.not_offered]
    return PhraseIndex((fact.id, fact.topic_phrases) for fact in facts)


@dataclass(frozen=True)
class _Mention:
    """A phrase found by its words rather than verbatim (has the regex match's methods)."""

    begin: int
    finish: int
    words: str

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.finish

    def group(self, _index: int = 0) -> str:
        return self.words


def _loose_mentions(text: str, phrases: Iterable[str], window: int = 4) -> list[_Mention]:
    """Every telling word of a phrase within a few words ('schedule Instagram posts' for
    'Instagram scheduling')."""
    found = []
    tokens = _stemmed_tokens(text)
    for phrase in phrases:
        wanted = stems(phrase) - GENERIC_STEMS
        if len(wanted) < 2:
            continue
        for index in range(len(tokens)):
            chunk = tokens[index : index + window]
            if chunk[0][2] in wanted and wanted <= {t[2] for t in chunk}:
                last = max(t[1] for t in chunk if t[2] in wanted)
                found.append(_Mention(chunk[0][0], last, text[chunk[0][0] : last]))
    return found


@lru_cache(maxsize=4096)
def _stemmed_tokens(text: str) -> tuple[tuple[int, int, str], ...]:
    """A text's words with their offsets and stems, once per text (every not-offered
    thing is looked for in the same reply)."""
    return tuple((m.start(), m.end(), stem_word(m.group(0))) for m in re.finditer(r"[\w'-]+", text))


def negative_aliases(feature: FeatureFact, kb: KnowledgeBase) -> list[str]:
    """Aliases the fact's own statement says do not exist ('there is no SMS option')."""
    return list(_negative_aliases(kb, feature.id))


@per_kb
def _negative_aliases(kb: KnowledgeBase, fact_id: str) -> tuple[str, ...]:
    feature = kb.get(fact_id)
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
    return tuple(found)


THIRD_PARTY = re.compile(
    r"\s+(?:provider|broker|partner|vendor|company|agency|carrier|app|tool|platform|"
    r"service)s?\b",
    re.IGNORECASE,
)


def _not_offered_claim(
    text: str, sentence: Sentence, match, fact, kind: str = "not_offered"
) -> Claim | None:
    scope = _scope(text, sentence, match.start(), match.end())
    local = _local(text, sentence, match.start(), match.end())
    if negated(local):
        return _claim(kind, text, match.start(), match.end(), SUPPORTED, fact, "denied")
    before = text[sentence.start : match.start()]
    if HEDGE.search(scope) or re.search(
        r"\b(?:into|from|to|alongside|separate)\s+\S*\s*$", before, re.I
    ):
        return None
    if THIRD_PARTY.match(text, match.end()) and re.search(
        r"\b(?:a|an|another|any|other|third-party|separate|external)\s+$", before, re.I
    ):
        return None  # 'a freight broker', 'a separate SMS provider': someone else's service
    said = alias_pattern(fact.topic_phrases).sub(" ", local.replace(match.group(0), " "))
    # ('text' in 'text messages' asserts nothing)
    if not ASSERTIVE.search(said):
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
    end = local + len(match.group(0))
    group = _nearest_group(groups, sentence.text, local, end, 140)
    if group and not group.every and not _linked(sentence, local, end, group):
        group = None  # 'the people on your Pro plan would need extra seats' is not 'Pro has'
    group = (
        group
        or _group_referring_back(sentence, groups, end)
        or _group_before_colon(sentence, groups, local)
    )
    said_in = sentence
    if group is None and not plan_groups(sentence.text, kb):
        said_in, group = _group_in_next_sentence(text, sentence, kb)
    spans = [(match.start(), match.end())]
    if group:
        spans.append((said_in.start + group.start, said_in.start + group.end))
    scope = _span_scope(text, sentence, spans)
    between = _between(text, spans)
    is_negated = denies(between) or denies(_local(text, sentence, match.start(), match.end()))
    if HEDGE.search(_scope(text, sentence, match.start(), match.end())) and not group:
        return None
    if group:
        plans = list(group.plans)
        explicit = True
    else:
        carried = context_plans(text, sentence, kb)
        plan = carried[0] if len(carried) == 1 else kb.plan(customer_plan)
        if plan is None or not AVAILABILITY.search(scope):
            return None
        if not carried and not re.search(r"\b(?:you|your)\b", scope, re.I):
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


LINK_AFTER = re.compile(
    r"(?:\b(?:available|included|offered|supported|part of|only|exclusively)\b.*|"
    r"\b(?:on|in|with|for|under|from|to)\s+(?:the\s+|your\s+|our\s+|a\s+)?)$",
    re.IGNORECASE,
)
LINK_BEFORE = re.compile(
    r"\b(?:includ\w*|available|offer\w*|comes? with|gets?|access|adds?|lets? you|allows?|"
    r"gives?|unlock\w*|supports?|has|have|can|enables?|customers|users|accounts)\b",
    re.IGNORECASE,
)


def _linked(sentence: Sentence, start: int, end: int, group: PlanGroup) -> bool:
    """Whether the plans are said to have the thing: 'X is included on Pro', 'X on your
    Pro plan', 'Pro also includes X', 'Pro: X' — not just named near it."""
    if group.start >= end:
        return bool(LINK_AFTER.search(sentence.text[end : group.start]))
    between = sentence.text[group.end : start]
    return len(between) <= 12 or (len(between) <= 80 and bool(LINK_BEFORE.search(between)))


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


PRONOUN_AVAILABLE = re.compile(
    r"\b(?:it|it's|it is|they|they're|they are|this|that's|that is)\b(?:(?!\b(?:it|they)\b)"
    r"[^.!?]){0,30}\b(?:available|included|offered)\s+(?:on|in|with)\b",
    re.IGNORECASE,
)


def _group_in_next_sentence(text: str, sentence: Sentence, kb: KnowledgeBase):
    """'Our migration service moves everything for you. It's $199, and it's available on
    your Essentials plan.': the next sentence says which plans by a pronoun, naming no other
    feature. (sentence, group), or (the mention's sentence, None)."""
    following = sentence_at(text, sentence.end + 1) if sentence.end < len(text) else None
    if following is None or following.start < sentence.end:
        return sentence, None
    said = PRONOUN_AVAILABLE.search(following.text)
    if said is None or any(True for _ in _offer_index(kb).finditer(following.text)):
        return sentence, None
    groups = [g for g in plan_groups(following.text, kb) if g.start >= said.end() - 4]
    return (following, groups[0]) if groups else (sentence, None)


def _group_before_colon(sentence: Sentence, groups, start: int) -> PlanGroup | None:
    """'Yes, you can do this on Free: birthday emails are one of our automations' — the
    clause before the colon names the plans the rest is about."""
    colon = sentence.text.rfind(":", 0, start)
    if colon < 0 or ":" in sentence.text[colon + 1 : start]:
        return None
    for group in groups:
        if (
            not group.every
            and re.fullmatch(r"\s*(?:plan|tier)?\s*", sentence.text[group.end : colon])
            and re.search(
                r"\b(?:on|in|with|for)\s+(?:the\s+|your\s+)?$", sentence.text[: group.start]
            )
        ):
            return group
    return None


def _only_near(sentence: Sentence, group: PlanGroup) -> bool:
    before = sentence.text[max(0, group.start - 24) : group.start]
    after = sentence.text[group.end : group.end + 8]
    return bool(
        re.search(r"\b(?:only|exclusively|just)\b(?:\s+\w+){0,2}\s*$", before, re.I)
        or re.match(r"\s*(?:plans?\s+)?(?:only|exclusively)\b", after, re.I)
    )


def _between(text: str, spans: Sequence[tuple[int, int]]) -> str:
    start, end = min(s for s, _ in spans), max(e for _, e in spans)
    return text[start:end]


UNKNOWN_KEYWORDS = (
    r"feature|tool|mode|integration|module|add-on|addon|assistant|setting|option|toggle|"
    r"filter|program|programme|service|plan|tier|wizard|bot|engine|dashboard|booster|"
    r"optimi[sz]er|scheduler|saver|shield|guard|boost|writer|generator|builder|checker|"
    r"tracker|manager|analy[sz]er|monitor|planner|score|insights|sync|app|widget|portal|hub|"
    r"studio|suite|lab|labs|cent(?:er|re)|library|autopilot|copilot|agent"
)
# Everyday product words: 'the Usage dashboard' names a page the KB already knows.
UI_KEYWORDS = frozenset(
    ("setting", "option", "toggle", "filter", "dashboard", "plan", "tier", "service", "tool",
     "feature", "integration", "module", "program", "programme", "page", "library", "app")
)  # fmt: skip


def _unknown_feature_regex(kb: KnowledgeBase) -> re.Pattern[str]:
    owners = [re.escape(n) + r"(?:'s|\u2019s)?" for n in kb.company_names]
    owner = "|".join(["our", "the", "a", "new", "built-in", *owners])
    return re.compile(
        rf"\b(?i:{owner})\s+(?i:new\s+|built-in\s+|brand-new\s+)?"
        rf"(?P<name>(?:[A-Za-z][\w-]*\s+){{0,3}}(?i:{UNKNOWN_KEYWORDS}))\b"
        rf"|\b(?:{'|'.join([*owners, '(?i:our|the|a)'])})\s+(?i:new|brand-new|latest)\s+"
        rf"(?P<bare>[A-Z][\w-]*(?:\s+[A-Z][\w-]*){{0,3}})",
    )


@per_kb
def _known_names(kb: KnowledgeBase) -> tuple:
    """What the KB names (lower-cased phrases and names), its statements, their words and
    the plan names: compiled once per KB version, not once per reply."""
    known = [
        a.lower()
        for f in kb.facts
        for a in (*f.topic_phrases, getattr(f, "name", ""))
        if a and len(a) > 3
    ]
    statements = " ".join(f.statement.lower() for f in kb.facts)
    vocabulary = set(re.findall(r"[a-z0-9]+", " ".join([statements, *known])))
    plan_words = {p.plan.lower() for p in kb.plans}
    return known, statements, vocabulary, plan_words


def _close_to_known(kb: KnowledgeBase, phrase: str) -> bool:
    """A phrase within fuzzy reach of something the KB names; the same capitalised phrases
    turn up in reply after reply, so each is compared with the KB once per version."""
    known = _known_names(kb)[0]
    return compiled(kb).answer_for_text(
        ("close_to_known", phrase), lambda: any(fuzz.partial_ratio(phrase, k) >= 90 for k in known)
    )


def check_unknown_features(text: str, kb: KnowledgeBase) -> list[Claim]:
    """Named features the knowledge base has never heard of ("<Company>'s new X mode")."""
    _, statements, vocabulary, plan_words = _known_names(kb)
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
        if phrase.lower() in statements or _close_to_known(kb, phrase.lower()):
            continue
        if len(head) >= 2 and " ".join(head).lower() in statements:
            continue
        keyword = words[-1].lower() if group == "name" else ""
        if (keyword in UI_KEYWORDS or group == "bare") and all(
            w.lower() in vocabulary for w in head
        ):
            continue  # 'the Reports page', 'the Shopify integration': things the KB names
        sentence = sentence_at(text, match.start())
        if "?" in sentence.text[-2:] or negated(
            _local(text, sentence, match.start(group), match.end(group))
        ):
            continue
        start, end = match.start(group), match.start(group) + len(phrase)
        claims.append(
            Claim("feature", text[start:end], start, end, UNSUPPORTED, None, None, "unknown")
        )
    return claims


CHANNEL_WORDS = {
    "phone": ("call us", "call our", "give us a call", "support line", "phone line", "by phone"),
    "live chat": ("chat with us", "start a chat", "live chat"),
    "chat": ("chat with us", "start a chat"),
}
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
    spoken = [*channels, *(f"{c} support" for c in channels)]
    spoken += [w for c in channels for w in CHANNEL_WORDS.get(c.lower(), ())]
    pattern = alias_pattern(spoken)
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
        said = match.group(0).lower()
        channel = next(
            (c for c in channels if c.lower() in said),
            next(
                (c for c in channels if any(w in said for w in CHANNEL_WORDS.get(c.lower(), ()))),
                None,
            ),
        )
        if channel is None:
            continue
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
