"""AI drafts for the agent's workspace: the scenario as context, the agent's prompt as the ask.

Answers exercises' `draft_requested` signal (see grading/receivers.py) only when an LLM is
configured. One call, explicit timeout, no SDK retries: the Celery task retries transient
errors once. Failures are raised as exercises' DraftGenerationError with a message fit to
show the agent.
"""

import json
from dataclasses import dataclass

from django.conf import settings

from exercises.errors import DraftGenerationError

from .client import chat_completion
from .errors import LLMError, LLMTransientError

TEMPERATURE = 0.3
MAX_COMPLETION_TOKENS = 900

SYSTEM_PROMPT = """You are drafting a reply for a customer-support agent, who will review and \
edit it before it is sent. Write only the reply to the customer: no preamble, no notes to \
the agent. Use only the facts given below for prices, plans, features, policies and menu \
paths; if something is not covered, say the agent will check rather than inventing it. \
Follow the agent's instructions about tone, content and format."""


@dataclass(frozen=True)
class DraftResult:
    text: str
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None


def _thread(scenario_data: dict) -> str:
    lines = []
    for message in scenario_data.get("thread") or []:
        who = "Support" if message.get("author") == "agent" else "Customer"
        lines.append(f"[{message.get('sent_at', '')}] {who} ({message.get('name', '')}):")
        lines.append(str(message.get("body", "")).strip())
    return "\n".join(lines)


def _profile(profile) -> dict:
    """The CRM profile as the help desk would show it: without the authored answer key
    (`relevant` on past tickets), which is for grading the agent's selection."""
    if not isinstance(profile, dict):
        return profile
    tickets = profile.get("past_tickets")
    if not isinstance(tickets, list):
        return profile
    return {
        **profile,
        "past_tickets": [
            {k: v for k, v in t.items() if k != "relevant"} if isinstance(t, dict) else t
            for t in tickets
        ],
    }


def _profile_basics(profile) -> dict:
    """The CRM profile's account facts (plan, tenure, CSAT, engagement) without its ticket
    history: in the context exercise the agent picks which past tickets matter."""
    if not isinstance(profile, dict):
        return {}
    return {k: v for k, v in profile.items() if k != "past_tickets"}


def build_messages(*, scenario_data: dict, prompt: str, variant: str, facts: list[dict]):
    """System prompt with the ticket (message, thread, profile, KB facts); user turn = prompt.

    The context exercise's two variants show agents what their context does to a draft:
    `with_context` gets the account facts but not the thread or ticket history, because the
    agent's prompt carries their own summary and the past tickets they picked;
    `without_context` gets neither. Every other exercise gets the whole ticket.
    """
    customer = scenario_data.get("customer") or {}
    parts = [SYSTEM_PROMPT, ""]
    parts.append(
        "Customer: "
        + ", ".join(str(customer[key]) for key in ("name", "company") if customer.get(key))
        + (f" (plan: {customer['plan']})" if customer.get("plan") else "")
    )
    whole_ticket = variant not in ("with_context", "without_context")
    if whole_ticket and scenario_data.get("thread"):
        parts += ["", "Earlier messages in this ticket:", _thread(scenario_data)]
    parts += ["", "The customer's latest message:", str(scenario_data.get("message", "")).strip()]
    profile = None
    if whole_ticket and scenario_data.get("profile"):
        profile = _profile(scenario_data["profile"])
    elif variant == "with_context":
        profile = _profile_basics(scenario_data.get("profile")) or None
    if profile:
        parts += ["", "Customer profile (CRM):", json.dumps(profile, ensure_ascii=False, indent=1)]
    if variant != "without_context" and scenario_data.get("customer_context"):
        parts += ["", "About the customer:", str(scenario_data["customer_context"]).strip()]
    if facts:
        parts += ["", "Knowledge base facts (the truth; cite the source link you rely on):"]
        parts += [
            f"- {fact.get('title', '')}: {fact.get('statement', '')} ({fact.get('source_url', '')})"
            for fact in facts
        ]
    return [
        {"role": "system", "content": "\n".join(parts)},
        {"role": "user", "content": prompt},
    ]


def generate_draft(*, scenario_data: dict, prompt: str, variant: str, facts: list[dict]):
    """One AI draft for the agent's prompt; raises DraftGenerationError (transient or not)."""
    model = settings.LLM_MODEL
    try:
        completion = chat_completion(
            model=model,
            messages=build_messages(
                scenario_data=scenario_data, prompt=prompt, variant=variant, facts=facts
            ),
            temperature=TEMPERATURE,
            max_tokens=MAX_COMPLETION_TOKENS,
        )
    except LLMError as exc:
        transient = isinstance(exc, LLMTransientError)
        message = (
            "The language model did not answer in time or is busy"
            if transient
            else "The language model could not write a draft"
        )
        raise DraftGenerationError(f"{message} ({exc}).", transient=transient) from exc
    text = (completion.choices[0].message.content or "").strip() if completion.choices else ""
    if not text:
        raise DraftGenerationError("The language model returned an empty draft.")
    usage = completion.usage
    return DraftResult(
        text=text,
        model=completion.model or model,
        prompt_tokens=getattr(usage, "prompt_tokens", None),
        completion_tokens=getattr(usage, "completion_tokens", None),
    )
