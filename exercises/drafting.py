"""Which AI drafts an exercise type asks for, the prompt sent, and the authored fallbacks."""

import re

from .answers import PLAN_FIELDS

# Variants requested per exercise type; the first is the one the reply usually starts from.
DRAFT_VARIANTS: dict[str, list[str]] = {
    "tone": ["default"],
    "empathy": ["default"],
    "escalation": ["default"],
    "context": ["with_context", "without_context"],
    "audit": [],
    "rca": [],
}
WITHOUT_CONTEXT_PROMPT = "Reply to the customer's latest message."

# Words that show a prompt asks for the tone a state needs (urgent → reassuring and
# action-focused; frustrated → empathetic and solution-oriented; confused → patient and
# educational; satisfied → appreciative and relationship-building).
TONE_WORDS = {
    "urgent": ("urgent", "reassur", "action", "quick", "fast", "immediate", "priorit", "asap"),
    "frustrated": ("frustrat", "empath", "apolog", "sorry", "solution", "acknowledg", "upset"),
    "confused": ("confus", "patient", "educat", "step by step", "step-by-step", "explain", "plain"),
    "satisfied": ("satisf", "apprecia", "thank", "grateful", "relationship", "warm", "positive"),
}
EMPATHY_WORDS = (
    "empath", "acknowledg", "feel", "understand", "validat", "reassur", "stress", "worr",
    "frustrat", "sorry", "apolog", "compassion", "warm", "human",
)  # fmt: skip


def supports_drafts(exercise_type: str) -> bool:
    return bool(DRAFT_VARIANTS.get(exercise_type))


def primary_variant(exercise_type: str) -> str | None:
    variants = DRAFT_VARIANTS.get(exercise_type) or []
    return variants[0] if variants else None


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _past_tickets(ticket_ids: list[str], scenario_data: dict | None) -> str:
    """The past tickets the agent picked, as the CRM shows them (id, subject, summary,
    outcome); only their ids when the scenario has no such ticket."""
    profile = (scenario_data or {}).get("profile")
    tickets = profile.get("past_tickets") if isinstance(profile, dict) else None
    by_id = {t.get("id"): t for t in tickets or [] if isinstance(t, dict)}
    lines = []
    for ticket_id in ticket_ids:
        ticket = by_id.get(ticket_id)
        if ticket is None:
            lines.append(f"- {ticket_id}")
            continue
        details = " ".join(
            _text(ticket.get(key)) for key in ("summary", "outcome") if _text(ticket.get(key))
        )
        lines.append(f"- {ticket_id} · {_text(ticket.get('subject'))}: {details}".rstrip(": "))
    return "\n".join(lines)


def draft_prompts(
    *, exercise_type: str, answer: dict, scenario_data: dict | None = None
) -> dict[str, str]:
    """The prompt sent for each variant, built from what the agent wrote; {} if not ready.

    For the context exercise the "with context" prompt carries the agent's own summary and
    the past tickets they picked, in full: the model sees the context the agent chose.
    """
    if exercise_type in ("tone", "empathy"):
        prompt = _text(answer.get("prompt"))
        return {"default": prompt} if prompt else {}
    if exercise_type == "context":
        prompt = _text(answer.get("prompt"))
        if not prompt:
            return {}
        summary = _text(answer.get("summary"))
        history = [item for item in answer.get("relevant_history") or [] if isinstance(item, str)]
        parts = []
        if summary:
            parts.append(f"Thread summary:\n{summary}")
        if history:
            parts.append("Relevant past tickets:\n" + _past_tickets(history, scenario_data))
        parts.append(prompt)
        return {"with_context": "\n\n".join(parts), "without_context": WITHOUT_CONTEXT_PROMPT}
    if exercise_type == "escalation":
        sentiment = answer.get("sentiment") if isinstance(answer.get("sentiment"), dict) else {}
        plan = answer.get("plan") if isinstance(answer.get("plan"), dict) else {}
        lines = [
            f"{label}: {_text(plan.get(key))}" for key, label in PLAN_FIELDS if _text(plan.get(key))
        ]
        if not lines:
            return {}
        intro = "Write a de-escalating reply following this plan."
        emotion = _text(sentiment.get("primary_emotion"))
        if emotion:
            intro += f" The customer is {emotion}."
        strategy = _text(sentiment.get("strategy"))
        if strategy:
            intro += f" Strategy: {strategy}"
        return {"default": "\n".join([intro, *lines])}
    return {}


def _mentions(prompt: str, words) -> bool:
    lowered = prompt.lower()
    return any(word and re.search(r"\b" + re.escape(word), lowered) for word in words)


def authored_draft(*, exercise_type: str, scenario_data: dict, variant: str, prompt: str):
    """(key, text) of the authored draft to serve without an LLM, or None if there is none.

    Tone and empathy scenarios have a generic and a better draft: the better one is served
    when the prompt asks for the tone (or empathy) the customer needs, so the page can
    show the agent what their prompt changed.
    """
    drafts = scenario_data.get("drafts") or {}
    if exercise_type == "tone":
        state = (scenario_data.get("gold") or {}).get("state", "")
        calibrated = _mentions(prompt, (state, *TONE_WORDS.get(state, ())))
        key = "calibrated" if calibrated and drafts.get("calibrated") else "generic"
    elif exercise_type == "empathy":
        dimension = (scenario_data.get("dimension") or "").replace("_", " ")
        empathetic = _mentions(prompt, (*EMPATHY_WORDS, dimension))
        key = "empathetic" if empathetic and drafts.get("empathetic") else "generic"
    elif exercise_type == "context":
        key = variant
    elif exercise_type == "escalation":
        key = "generic"
    else:
        return None
    text = drafts.get(key)
    return (key, text) if text else None
