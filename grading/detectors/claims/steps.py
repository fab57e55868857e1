"""Troubleshooting: the steps a text recommends, judged against the documented steps only."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz

from grading.detectors.knowledge_base import KnowledgeBase, TroubleshootingFact
from grading.detectors.text import sentences

from .base import (
    GENERIC_STEMS,
    SUPPORTED,
    UNSUPPORTED,
    Claim,
    _claim,
    _ordered_stems,
    _stem_frequency,
    _stem_weights,
    _trim,
    alias_pattern,
    correction_for,
    per_kb,
    stem_word,
    stems,
)
from .paths import PATH_SEP, _outdated_keys, _path_key, documented_paths, find_paths

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
    whitelist allowlist delay re-import reimport re-upload reupload keep flush generate
    republish rebuild rotate renew log sign
    """.split()  # noqa: SIM905 - a word list reads better as text
)
NOT_A_FIX = re.compile(
    r"^(?:call|contact|email|message|chat with|reach|reply|write to|let|tell|ask|send|share|"
    r"forward|give)\s+(?:us|our|me|support|"
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
    r"will need to|may need to|might need to)|i(?:'d| would) (?:recommend|suggest)(?: that you)?|"
    r"we recommend(?: that you)?|try to|make sure to|be sure to|remember to|"
    r"the (?:quickest|easiest|best|simplest|fastest|usual) (?:fix|way|solution|thing to do|"
    r"option|step) (?:here )?is to|(?:one|another) (?:option|fix|thing to try) is to|"
    r"it (?:often |usually )?helps to)[,:]?\s+)+",
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


def recommended_steps(text: str, verbs: frozenset[str] = STEP_VERBS) -> list[Step]:
    """Steps a text tells the reader to take: list items and imperative clauses starting
    with one of `verbs`."""
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
        listed_gerund = part[4] and _gerund_of_step(verb)  # "- Switching your From address…"
        if verb not in verbs and not (try_form and verb.endswith("ing")) and not listed_gerund:
            continue
        if part[5]:
            continue  # "Clean your list: remove contacts who…": a heading for the step after it
        if NOT_A_FIX.match(body) or NOUN_SUBJECT.match(body[first.end() :]):
            continue  # 'Reconnect fixes it' names a fix; it does not tell the reader to act
        if AGENT_SUBJECT.match(text[unit[0] : unit[1]]):
            continue  # "I'll check the log, then run Sync now with you": the agent's to-do
        start, end = _trim(text, part[0] + offset, part[1])
        while end > start and text[end - 1] in ".!":
            end -= 1
        if len(stems(_core(text[start:end])) - GENERIC_STEMS) >= 2:  # 'switch it' is too vague
            found.append(Step(text[start:end], start, end, unit))
    return found


NOUN_SUBJECT = re.compile(
    r"\s+(?:is|are|was|were|fixes|helps|works|solves|resolves|usually|often|will|should|"
    r"can|may|might|does|tends|keeps|needs|only|also)\b",
    re.IGNORECASE,
)
AGENT_SUBJECT = re.compile(
    r"\s*(?:[-*\u2022]\s*|\d+[.)]\s*)?(?:I'll|I will|I'm|I am|I've|I have|I can|we'll|we will|"
    r"we're|we are|we've|we have|we can|let me|our team|my team)\b",
    re.IGNORECASE,
)


def _gerund_of_step(word: str) -> bool:
    if not word.endswith("ing") or len(word) < 6:
        return False
    base = word[:-3]
    candidates = {base, base + "e"}
    if len(base) > 2 and base[-1] == base[-2]:
        candidates.add(base[:-1])  # 'stopping' -> 'stop'
    return bool(candidates & STEP_VERBS)


def _step_parts(text: str) -> list[tuple[int, int, int, int, bool, bool]]:
    """List items, sentences, and the clauses after 'If …,' / ', then' / ':' in them:
    (start, end, unit start, unit end, in a list item, a heading: the clause ends in a colon
    and another clause follows it in the same unit)."""
    parts: list[tuple[int, int, int, int, bool, bool]] = []
    for sentence in sentences(text):
        items = list(ITEM_START.finditer(sentence.text))
        pieces = []  # (start, end, a list item)
        if items:
            if items[0].start() > 0:
                pieces.append((0, items[0].start(), False))
            for index, item in enumerate(items):
                stop = items[index + 1].start() if index + 1 < len(items) else len(sentence.text)
                pieces.append((item.end(), stop, True))
        else:
            pieces.append((0, len(sentence.text), False))
        for left, right, listed in pieces:
            unit = (sentence.start + left, sentence.start + right)
            clauses = _clauses(sentence.start + left, sentence.text[left:right])
            for index, (start, end) in enumerate(clauses):
                heading = index + 1 < len(clauses) and text[start:end].rstrip().endswith(":")
                parts.append((start, end, *unit, listed, heading))
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


# How a step is done, not what it is: left out when steps are compared.
MANNER = frozenset(
    stem_word(w)
    for w in (
        "exactly", "carefully", "simply", "again", "properly", "correctly", "manually",
        "quickly", "enter", "type", "put", "fill",
    )
)  # fmt: skip


def step_aligns(step: str, documented: str, weights: dict[str, float] | None = None) -> bool:
    """Whether a recommended step says the same as a documented one: most of its words,
    about the same object, not the opposite action; or, in other words, the documented
    step's two most telling words ('ask her to enter the billing postcode' for 'ask the
    client to confirm the billing postcode matches their card')."""
    core = re.sub(PATH_SEP.join([r"[A-Z][^>]*?"] * 2) + r"[^,.;]*", " ", _core(step))
    wanted = set(_ordered_stems(_core(step))) - {"try", "pleas", "just"} - MANNER
    doc = set(_ordered_stems(documented))
    if not wanted or _against(step, documented):
        return False
    shared = wanted & doc
    if fuzz.partial_ratio(_core(step).lower(), documented.lower()) >= 90 and len(_core(step)) >= 12:
        return _classes_agree(step, documented)
    if len(shared) < min(2, len(wanted)):
        return False
    object_words = set(_ordered_stems(core)) - {stem_word(step.split()[0])} - MANNER
    coverage = len(shared) / len(wanted)
    if coverage >= 0.6 and _classes_agree(step, documented):
        object_shared = object_words & doc
        return not object_words or len(object_shared) / len(object_words) > 0.5
    if _same_specific_action(step, documented, shared):
        return True
    if weights and len(wanted) <= 10 and _classes_agree(step, documented):
        telling = sorted(doc - GENERIC_STEMS, key=lambda w: -weights.get(w, 0.0))[:2]
        return len(telling) == 2 and set(telling) <= wanted
    return False


NEGATION = re.compile(
    r"(?:,\s*|\s)(?:not|never|instead of|rather than)\s|^\s*(?:avoid|never|don't|do not|stop)\s",
    re.IGNORECASE,
)


def _against(step: str, documented: str) -> bool:
    """A step that recommends what the documented step says not to do: 'switch your From
    address to a Gmail address' for 'send from an address on your own domain, not a free
    mailbox such as Gmail'; 'use bit.ly links' for 'avoid link shorteners such as bit.ly'."""
    cut = NEGATION.search(documented)
    if cut is None or NEGATION.search(_core(step)):
        return False  # the step says no to it as well
    negated = set(_ordered_stems(documented[cut.start() :])) - GENERIC_STEMS
    negated -= set(_ordered_stems(documented[: cut.start()]))
    return bool(negated & set(_ordered_stems(_core(step))))


# verbs that say little about which step it is: 'check X' and 'check Y' are different steps
BROAD_VERBS = frozenset(
    stem_word(w)
    for w in (
        "check", "make", "ensure", "try", "go", "use", "click", "open", "set", "select",
        "choose", "confirm", "verify", "update", "change", "add", "remove", "delete", "keep",
        "contact", "send", "ask", "tell", "wait", "allow", "enable", "disable", "turn",
    )
)  # fmt: skip


def _same_specific_action(step: str, documented: str, shared: set[str]) -> bool:
    """The same specific verb on the same kind of thing, with this case's details added:
    'split contacts_export.csv into two files of 12,000 rows' for 'split files larger than
    50 MB into smaller files'."""
    mine, theirs = step.split(), documented.split()
    if not mine or not theirs:
        return False
    verb = stem_word(mine[0].lower())
    return (
        verb == stem_word(theirs[0].lower())
        and verb not in BROAD_VERBS
        and len(shared - {verb} - GENERIC_STEMS) >= 1
    )


def _classes_agree(step: str, documented: str) -> bool:
    mine, theirs = _verb_class(step), _verb_class(documented)
    return not (mine and theirs and mine != theirs)


def _problems_in(text: str, kb: KnowledgeBase) -> list[TroubleshootingFact]:
    """Documented problems a text reports: a name or alias, or most of one's words close
    together ('the import keeps failing' for 'Contact import fails')."""
    weights = _stem_weights(kb)
    found = []
    for fact in kb.troubleshooting:
        if alias_pattern(fact.topic_phrases).search(text or ""):
            found.append(fact)
            continue
        if any(_said_nearby(text, phrase, weights) for phrase in fact.topic_phrases):
            found.append(fact)
            continue
        if _rare_word_said(text, fact, kb):
            found.append(fact)
    return found


def _rare_word_said(text: str, fact: TroubleshootingFact, kb: KnowledgeBase) -> bool:
    """A problem named by one word no other fact uses ('landing in spam' for 'Emails going
    to spam')."""
    frequency = _stem_frequency(kb)
    words = stems(text)
    for phrase in fact.topic_phrases:
        telling = stems(phrase) - GENERIC_STEMS
        if len(telling) == 1:
            word = next(iter(telling))
            if len(word) >= 4 and frequency.get(word, 0) <= 1 and word in words:
                return True
    return False


@lru_cache(maxsize=4096)
def _token_stems(text: str) -> tuple[frozenset[str], tuple[tuple[str, ...], ...]]:
    """A text's word stems sentence by sentence (and all of them), computed once per text:
    every phrase of every fact is looked for in the same reply and message."""
    per_sentence = tuple(
        tuple(stem_word(w) for w in re.findall(r"[\w'-]+", sentence.text))
        for sentence in sentences(text)
    )
    return frozenset(w for tokens in per_sentence for w in tokens), per_sentence


def _said_nearby(
    text: str, phrase: str, weights: dict[str, float] | None = None, window: int = 14
) -> bool:
    """A phrase's telling words within a few words of each other in one sentence; of three
    or more, one may be missing when the rest carry most of the phrase's weight ('the CSV
    keeps failing' says 'CSV upload failed'; 'send the invoices' is not 'recurring invoice
    not sent', whose rare word is missing)."""
    wanted = stems(phrase) - GENERIC_STEMS
    if len(wanted) < 2:
        return False
    every, per_sentence = _token_stems(text)
    if len(wanted & every) < len(wanted) - (1 if len(wanted) >= 3 else 0):
        return False  # too few of its words anywhere in the text: no sentence can say it
    weights = weights or {}
    total = sum(weights.get(w, 1.0) for w in wanted)
    for tokens in per_sentence:
        for index in range(len(tokens)):
            present = wanted & set(tokens[index : index + window])
            if present == wanted:
                return True
            weight = sum(weights.get(w, 1.0) for w in present)
            if len(wanted) >= 3 and len(present) == len(wanted) - 1 and weight >= 0.6 * total:
                return True
    return False


def check_troubleshooting(
    text: str, kb: KnowledgeBase, customer_message: str | None = None
) -> list[Claim]:
    """Steps recommended for a documented problem: each aligns with a documented step, or
    it is unsupported (there is no list of known fakes: any other step is not the fix)."""
    # the problems the customer reports, and those the text itself names
    problems = [f for f in kb.troubleshooting if alias_pattern(f.topic_phrases).search(text)]
    if customer_message and customer_message.strip():
        reported = _problems_in(customer_message, kb)
        problems = reported + [f for f in problems if f not in reported]
    documented = [(fact, step) for fact in kb.troubleshooting for step in fact.steps]
    weights = _stem_weights(kb)
    recommended = recommended_steps(text, step_verbs(kb))
    if not problems:
        problems = _problems_followed(recommended, documented, weights)
    if not problems:
        return []
    known_paths = set(documented_paths(kb)) | set(_outdated_keys(kb))
    claims = []
    for step in recommended:
        paths = find_paths(text[step.unit[0] : step.unit[1]], kb)
        if any(
            _path_key(p) in known_paths or _is_prefix_of_known(_path_key(p), known_paths)
            for p, _, _ in paths
        ):
            continue  # a navigation instruction: the path checker judges it
        match = next(((f, d) for f, d in documented if step_aligns(step.text, d, weights)), None)
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


# an imperative's verb: the step's first word, followed by what it acts on
KB_STEP_VERB = re.compile(
    r"(?!(?:if|when|once|after|before|only|for|in|on|at|from|with|without|while|unless|"
    r"this|that|these|those|there|it|you|we|they|the|a|an|each|every|all|any)\b)"
    r"[A-Za-z][a-z'-]+(?=\s+(?:the|your|a|an|each|every|all|any|it|them)\b)",
    re.IGNORECASE,
)


@per_kb
def step_verbs(kb: KnowledgeBase) -> frozenset[str]:
    """The verbs steps start with: the common ones, and those the knowledge base's own
    documented steps start with ('Print the PDF at 100% scale')."""
    own = {
        first.group(0).lower()
        for fact in kb.troubleshooting
        for step in fact.steps
        if (first := KB_STEP_VERB.match(step.strip()))
    }
    return STEP_VERBS | frozenset(own)


def _problems_followed(
    recommended: list[Step], documented: list[tuple[TroubleshootingFact, str]], weights
) -> list[TroubleshootingFact]:
    """The documented problems whose fix a text walks through: two or more of its steps
    said, in whatever words the customer described the problem. The text's other steps
    are then steps for that problem too."""
    followed: dict[str, list] = {}
    for step in recommended:
        for fact, documented_step in documented:
            if step_aligns(step.text, documented_step, weights):
                followed.setdefault(fact.id, [fact, set()])[1].add(documented_step)
    return [fact for fact, said in followed.values() if len(said) >= 2]


def _is_prefix_of_known(key: str, known: set[str]) -> bool:
    return any(k.startswith(key + " >") for k in known)


def _statement_says(step: str, fact: TroubleshootingFact) -> bool:
    return any(
        step_aligns(step, part)
        for part in re.split(r"[.;:]\s+|,\s+(?:and\s+)?", fact.statement)
        if len(part) > 10
    )
