"""Context management: summary, history, repeated fixes and the prompt's context."""

from __future__ import annotations

import re
from collections.abc import Callable

from rapidfuzz import fuzz

from grading.detectors.text import Span, phrase_pattern, regex, sentences, word_count

from .context import Context, _dict, _evidence, _keyword_hits, _list, _mentions_fact, _quote, _text
from .reply import _answered
from .results import Raw
from .vocabulary import TONE_WORDS

ACKNOWLEDGED_FIX = regex(
    r"already",
    r"you(?:'ve| have)? tried",
    r"you tried",
    r"(?:didn't|did not|"
    r"doesn't|does not|won't|will not) (?:work|help|fix)",
    r"no need to",
    r"(?:don't|do not|won't) need to",
    r"instead of",
    r"rather than",
    r"skip",
    r"earlier (?:advice|reply|suggestion)",
    r"(?:was|were) wrong",
    r"not (?:the|a) (?:fix|solution)",
    r"(?:don't|do not|no point)",
)


def score_summary_coverage(ctx: Context) -> Raw:
    summary = _text(ctx.answer.get("summary"))
    facts = _list(ctx.scenario.get("key_facts"))
    if not summary.strip():
        return Raw(0, 3, "No summary written.")
    covered, missing = _keyword_hits(summary, facts)
    share = len(covered) / len(facts) if facts else 1.0
    note = f"Covers {len(covered)}/{len(facts)} key facts."
    if missing:
        note += f" Missing: {', '.join(_quote(_text(m.get('text')), 50) for m in missing[:3])}."
    concise = word_count(summary) <= 200
    if share >= 0.99 and concise:
        return Raw(3, 3, note)
    if share >= 0.6:
        return Raw(2, 3, note + ("" if concise else " Too long to act on quickly."))
    return Raw(1 if covered else 0, 3, note)


def score_history_selection(ctx: Context) -> Raw:
    tickets = [_dict(t) for t in _list(_dict(ctx.scenario.get("profile")).get("past_tickets"))]
    relevant = {_text(t.get("id")) for t in tickets if t.get("relevant")}
    chosen = {_text(i) for i in _list(ctx.answer.get("relevant_history"))}
    right, extra, missed = chosen & relevant, chosen - relevant, relevant - chosen
    note = f"Selected {len(right)}/{len(relevant)} relevant ticket(s) and {len(extra)} irrelevant."
    if chosen == relevant:
        return Raw(3, 3, note)
    if not right:
        return Raw(0, 3, note if chosen else "No past tickets selected.")
    if len(extra) + len(missed) == 1:
        return Raw(2, 3, note)
    return Raw(1, 3, note)


def score_no_repeated_fix(ctx: Context) -> Raw:
    reply = ctx._scored_reply
    if not reply.strip():
        return Raw(0, 2, "No reply was submitted.")
    repeated, acknowledged = [], []
    for fix in (_dict(f) for f in _list(ctx.scenario.get("tried_fixes"))):
        pattern = phrase_pattern([_text(k) for k in _list(fix.get("keywords"))], inflect=True)
        for sentence in sentences(reply):
            hit = pattern.search(sentence.text)
            if not hit:
                continue
            span = Span(_text(fix.get("id")), sentence.text, sentence.start, sentence.end)
            (acknowledged if ACKNOWLEDGED_FIX.search(sentence.text) else repeated).append(span)
    if repeated:
        return Raw(
            0,
            2,
            f"Suggests a fix the customer already tried: {_quote(repeated[0].text)}.",
            _evidence("reply", repeated, "repeated fix"),
        )
    if acknowledged:
        return Raw(
            2,
            2,
            (
                f"Acknowledges what was already tried ({_quote(acknowledged[0].text)}) and does "
                "not repeat it."
            ),
            _evidence("reply", acknowledged, "acknowledged"),
        )
    if re.search(r"\b(?:you(?:'ve| have)? (?:already )?tried|already tried)\b", reply, re.I):
        return Raw(2, 2, "Acknowledges what was already tried and does not repeat it.")
    return Raw(
        1, 2, "No failed fix is repeated, but the reply does not show we know what was tried."
    )


def score_prompt_context(ctx: Context) -> Raw:
    prompt = _text(ctx.answer.get("prompt"))
    if not prompt.strip():
        return Raw(0, 3, "No prompt written.")
    parts = _context_parts(ctx, prompt)
    raw_dump = _is_raw_dump(ctx, prompt)
    note = (
        "Prompt includes: "
        + (", ".join(parts) if parts else "nothing beyond the latest message")
        + "."
    )
    if raw_dump and "do-not-suggest list" not in parts:
        return Raw(1, 3, note + " Pastes the thread without saying what matters.")
    if {"summary", "do-not-suggest list", "policy"} <= set(parts) and len(parts) >= 4:
        return Raw(3, 3, note)
    if "summary" in parts and ("history" in parts or len(parts) >= 3):
        return Raw(2, 3, note)
    return Raw(1 if parts else 0, 3, note)


def _context_parts(ctx: Context, prompt: str) -> list[str]:
    parts = []
    covered, _ = _keyword_hits(prompt, _list(ctx.scenario.get("key_facts")))
    if covered and len(covered) >= max(1, len(_list(ctx.scenario.get("key_facts"))) // 3):
        parts.append("summary")
    profile = _dict(ctx.scenario.get("profile"))
    tickets = [_dict(t) for t in _list(profile.get("past_tickets")) if t.get("relevant")]
    if any(
        _text(t.get("id")).lower() in prompt.lower()
        or _answered(_text(t.get("subject")), prompt, has_steps=False)
        for t in tickets
    ):
        parts.append("history")
    tried, _ = _keyword_hits(prompt, _list(ctx.scenario.get("tried_fixes")))
    if tried and re.search(
        r"\b(?:don't|do not|never|avoid|not suggest|already tried|no (?:need|point))\b",
        prompt,
        re.I,
    ):
        parts.append("do-not-suggest list")
    fact = ctx.kb.get(_text(ctx.scenario.get("policy_fact")))
    if fact and _mentions_fact(prompt, fact):
        parts.append("policy")
    if any(w in prompt.lower() for words in TONE_WORDS.values() for w in words):
        parts.append("tone")
    if ctx.plan and re.search(rf"\b{re.escape(ctx.plan)}\b", prompt):
        parts.append("plan")
    return parts


def _is_raw_dump(ctx: Context, prompt: str) -> bool:
    bodies = [_text(_dict(m).get("body")) for m in _list(ctx.scenario.get("thread"))]
    pasted = [
        b for b in bodies if len(b) >= 60 and fuzz.partial_ratio(b.lower(), prompt.lower()) >= 90
    ]
    return len(pasted) >= 2


SCORERS: dict[str, Callable[[Context], Raw]] = {
    "summary_coverage": score_summary_coverage,
    "history_selection": score_history_selection,
    "no_repeated_fix": score_no_repeated_fix,
    "prompt_context": score_prompt_context,
}
