"""Tone calibration: the state, its indicators and the calibrated prompt."""

from __future__ import annotations

import re
from collections.abc import Callable

from rapidfuzz import fuzz

from grading.detectors.messages import STATES
from grading.detectors.replies import TONES_FOR_STATE
from grading.detectors.text import normalise, regex

from .context import Context, _dict, _list, _mentions_fact, _quote, _text
from .results import Raw
from .vocabulary import TONE_WORDS

STATE_WORDS = {
    "urgent": (
        "urgent",
        "urgency",
        "deadline",
        "time-critical",
        "time critical",
        "time pressure",
        "hurry",
        "asap",
        "time-sensitive",
        "cut-off",
        "today",
    ),
    "frustrated": (
        "frustrated",
        "frustration",
        "annoyed",
        "angry",
        "upset",
        "fed up",
        "irritated",
        "sarcastic",
        "sarcasm",
        "exasperated",
        "disappointed",
    ),
    "confused": (
        "confused",
        "confusion",
        "unsure",
        "lost",
        "doesn't understand",
        "uncertain",
        "puzzled",
        "new to",
        "overwhelmed",
    ),
    "satisfied": ("satisfied", "happy", "pleased", "delighted", "positive", "grateful", "thrilled"),
}
GENERIC_TONE_WORDS = (
    "empathetic",
    "friendly",
    "polite",
    "professional",
    "warm",
    "kind",
    "nice",
    "helpful",
    "calm",
    "apologetic",
    "tone",
)
LEAD_AVOID = regex(
    r"lead with",
    r"start with",
    r"open with",
    r"begin with",
    r"first",
    r"avoid",
    r"(?:don't|do not|never)",
    r"no (?:jargon|exclamation)",
)
CONSTRAINT_WORDS = regex(
    r"\d+ words?",
    r"under \d+",
    r"short",
    r"brief",
    r"concise",
    r"bullet\w*",
    r"numbered",
    r"paragraphs?",
    r"format",
    r"length",
    r"sentences?",
    r"plan",
    r"price",
    r"path",
    r"link",
    r"source",
)


def _state_named(text: str) -> str | None:
    lowered = text.lower()
    hits = [(lowered.find(s), s) for s in STATES if s in lowered]
    return min(hits)[1] if hits else None


def score_state_identification(ctx: Context) -> Raw:
    gold = _dict(ctx.scenario.get("gold"))
    named = _state_named(_text(ctx.answer.get("identified_state")))
    if not named:
        return Raw(0, 3, "No emotional state identified.")
    if named == gold.get("secondary_state"):
        return Raw(
            1, 3, f"Named '{named}', the secondary state; the primary is '{gold.get('state')}'."
        )
    if named != gold.get("state"):
        return Raw(0, 3, f"Named '{named}'; the customer is '{gold.get('state')}'.")
    secondary = gold.get("secondary_state")
    noticed = secondary and _mentions_state(ctx, secondary)
    if secondary and not noticed:
        return Raw(
            2,
            3,
            (
                f"Primary state '{named}' is right; the secondary state '{secondary}' is not "
                "mentioned."
            ),
        )
    extra = f", and the secondary '{secondary}' is noticed" if secondary else ""
    return Raw(3, 3, f"Primary state '{named}' is right{extra}.")


def _mentions_state(ctx: Context, state: str) -> bool:
    text = " ".join(
        _text(ctx.answer.get(k)) for k in ("identified_state", "prompt", "indicators")
    ).lower()
    return any(w in text for w in STATE_WORDS.get(state, (state,)))


KIND_WORDS = {
    "all_caps": ("caps", "capital", "shout", "upper"),
    "exclamations": ("exclamation", "!"),
    "multiple_questions": ("questions", "question marks"),
    "contradictory_requests": ("contradict", "conflicting", "mixed request"),
    "positive_language": ("positive", "sarcas", "thanks", "polite", "praise"),
    "urgency_words": ("urgen", "deadline", "time pressure"),
}


def _indicator_matches(agent: str, gold: dict, message: str) -> bool:
    a, g = normalise(agent).strip(" '\"."), normalise(_text(gold.get("text"))).strip(" '\".")
    if not a or not g:
        return False
    if a in g or g in a:
        return True
    if len(a) >= 4 and fuzz.partial_ratio(a, g) >= 85:
        return True
    kind = gold.get("kind", "")
    return (
        any(w in a for w in KIND_WORDS.get(kind, ()))
        and len(a) < 40
        and g not in normalise(message)[:0]
    )


def score_indicator_spotting(ctx: Context) -> Raw:
    gold = [_dict(i) for i in _list(_dict(ctx.scenario.get("gold")).get("indicators"))]
    agent = [_text(i) for i in _list(ctx.answer.get("indicators")) if _text(i).strip()]
    if not agent:
        return Raw(0, 3, "No indicators listed.")
    message = normalise(ctx.message)
    matched_gold = [g for g in gold if any(_indicator_matches(a, g, ctx.message) for a in agent)]
    relevant = [a for a in agent if any(_indicator_matches(a, g, ctx.message) for g in gold)]
    invented = [
        a for a in agent if a not in relevant and fuzz.partial_ratio(normalise(a), message) < 80
    ]
    recall = len(matched_gold) / len(gold) if gold else 1.0
    precision = len(relevant) / len(agent)
    subtle = [g for g in matched_gold if g.get("kind") not in ("all_caps", "exclamations")]
    note = f"Found {len(matched_gold)} of the {len(gold)} indicators in the message."
    unmatched = len(agent) - len(relevant)
    if unmatched == 1:
        note += " One cue you listed is not one of them."
    elif unmatched:
        note += f" {unmatched} cues you listed are not among them."
    if invented:
        note += f" Not in the message: {_quote(invented[0])}."
    if not matched_gold:
        return Raw(0, 3, note)
    if recall >= 0.99 and precision >= 0.75 and not invented:
        return Raw(3, 3, note)
    if recall >= 0.5 and subtle:
        return Raw(2, 3, note)
    return Raw(1, 3, note)


def score_prompt_calibration(ctx: Context) -> Raw:
    prompt = _text(ctx.answer.get("prompt"))
    if not prompt.strip():
        return Raw(0, 3, "No prompt written.")
    lowered = prompt.lower()
    state = ctx.target_state
    names_state = any(w in lowered for w in STATE_WORDS.get(state, ()))
    tones = [t for t in TONES_FOR_STATE.get(state, ()) if any(w in lowered for w in TONE_WORDS[t])]
    generic_tone = any(w in lowered for w in GENERIC_TONE_WORDS)
    lead_avoid = bool(LEAD_AVOID.search(prompt))
    facts = _prompt_facts(ctx, prompt)
    found = []
    if names_state:
        found.append(f"names the state ({state})")
    if tones:
        found.append(f"asks for {', '.join(t.replace('_', '-') for t in tones)}")
    if lead_avoid:
        found.append("says what to lead with or avoid")
    if facts:
        found.append(f"gives facts/constraints ({', '.join(facts[:3])})")
    note = "Prompt " + ("; ".join(found) if found else "is generic") + "."
    if names_state and tones and lead_avoid and facts:
        return Raw(3, 3, note)
    if names_state and tones:
        return Raw(2, 3, note)
    if tones or generic_tone or names_state:
        return Raw(1, 3, note)
    return Raw(0, 3, note)


def _prompt_facts(ctx: Context, prompt: str) -> list[str]:
    found = []
    if ctx.plan and re.search(rf"\b{re.escape(ctx.plan)}\b", prompt, re.I):
        found.append(f"plan {ctx.plan}")
    for fact_id in _list(ctx.scenario.get("kb_facts")):
        fact = ctx.kb.get(fact_id)
        if fact and _mentions_fact(prompt, fact):
            found.append(fact_id)
    found += [m.group(0) for m in CONSTRAINT_WORDS.finditer(prompt) if m.group(0) not in ("plan",)][
        :2
    ]
    if ctx.customer_name and ctx.customer_name.split()[0].lower() in prompt.lower():
        found.append("customer name")
    return found


SCORERS: dict[str, Callable[[Context], Raw]] = {
    "state_identification": score_state_identification,
    "indicator_spotting": score_indicator_spotting,
    "prompt_calibration": score_prompt_calibration,
}
