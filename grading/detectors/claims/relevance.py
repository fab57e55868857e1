"""Whether a draft answers what the customer asked: the facts a message asks about, the
facts each draft sentence is about, and the sentence that answers something else."""

from __future__ import annotations

import re

from grading.detectors.knowledge_base import Fact, KnowledgeBase, SlaFact, TroubleshootingFact
from grading.detectors.text import Sentence, sentences, word_count

from .base import (
    GENERIC_STEMS,
    Finding,
    PhraseIndex,
    _stem_frequency,
    _stem_weights,
    alias_pattern,
    per_kb,
    stem_word,
    stems,
)
from .paths import _path_key, find_paths
from .steps import _said_nearby, recommended_steps, step_aligns

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


@per_kb
def _subject_index(kb: KnowledgeBase) -> PhraseIndex:
    return PhraseIndex((fact.id, subject_phrases(fact)) for fact in kb.facts)


@per_kb
def _topic_index(kb: KnowledgeBase) -> PhraseIndex:
    return PhraseIndex((fact.id, fact.topic_phrases) for fact in kb.facts)


def topic_spans(text: str, kb: KnowledgeBase) -> dict[str, list[tuple[int, int]]]:
    found: dict[str, list[tuple[int, int]]] = {}
    for fact_id, match in _subject_index(kb).finditer(text or ""):
        found.setdefault(fact_id, []).append((match.start(), match.end()))
    return found


def topics_in(text: str, kb: KnowledgeBase) -> dict[str, list[tuple[int, int]]]:
    """Fact ids whose subject (feature, policy, task, problem…) the text mentions, with where."""
    found: dict[str, list[tuple[int, int]]] = {}
    for fact_id, match in _topic_index(kb).finditer(text or ""):
        found.setdefault(fact_id, []).append((match.start(), match.end()))
    return found


@per_kb
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
    weights = _stem_weights(kb)
    for fact in kb.facts:
        if any(_said_nearby(text, p, weights, window=6) for p in subject_phrases(fact)):
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
        step_aligns(step.text, documented, _stem_weights(kb))
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


WHERE_ASKED = re.compile(
    r"\b(?:where (?:do|can|is|are|would|should)|how (?:do|can|would|should) (?:i|we)|"
    r"how to|what do i click)\b",
    re.IGNORECASE,
)


def _path_of_another_task(message, draft, kb, asked_facts, topical) -> Sentence | None:
    """Asked where to do a task, the draft gives the menu path of a different task and never
    the asked task's own (current or retired): 'invoices? Reports > Campaigns > Export CSV'."""
    tasks = [f for f in asked_facts if f.category == "process"]
    if not tasks or not WHERE_ASKED.search(message):
        return None
    given = {_path_key(path) for path, _, _ in find_paths(draft, kb)}
    own = {_path_key(p) for f in tasks for p in (f.current_path, *f.outdated_paths)}
    if given & own:
        return None
    asked = {f.id for f in asked_facts}
    elsewhere = [
        s
        for s, topics in topical
        if any(
            kb.get(t) is not None and kb.get(t).category == "process" and t not in asked
            for t in topics
        )
    ]
    if not elsewhere:
        return None
    # the wrong answer starts where the draft first turns to what was not asked
    return next(s for s, topics in topical if not (topics & asked) or s is elsewhere[0])


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
    sentence = _path_of_another_task(customer_message, draft, kb, asked_facts, topical)
    if sentence is not None:
        uncovered = [f for f in asked_facts if f.category == "process"] or uncovered
    elif asked_facts and len(uncovered) == len(asked_facts):
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
        names = {stem_word(w) for n in kb.company_names for w in n.split()}
        engaged = (stems(draft) & message_words) - names
        if not (fact_words & message_words) and len(engaged) <= 1:
            sentence = topical[0][0]  # nothing the draft is about, and few of their words
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
