"""The redaction review between pasting (or uploading) tickets and storing them.

Nothing is stored until the trainer confirms: the parsed tickets travel in the review
form itself (a hidden field), with a digest of them and of the extra terms so that the
indexes of the undone redactions refer to the list the trainer saw. On confirm the
redaction runs again (it is deterministic) with the trainer's undos, and only its result
is written (services.scenario_drafts_from_tickets).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings

from .redaction import (
    KIND_LABELS,
    RedactionResult,
    Ticket,
    TicketMessage,
    field_segments,
    redact_ticket,
)
from .tickets import TicketParseError

MAX_TICKETS_JSON = 2_400_000


def tickets_to_json(tickets: list[Ticket]) -> str:
    return json.dumps([dataclasses.asdict(t) for t in tickets], ensure_ascii=False)


def tickets_from_json(text: str) -> list[Ticket]:
    if len(text) > MAX_TICKETS_JSON:
        raise TicketParseError("the tickets are too large to review at once")
    try:
        raw = json.loads(text)
        return [
            Ticket(
                **{k: v for k, v in item.items() if k != "messages"},
                messages=[TicketMessage(**m) for m in item["messages"]],
            )
            for item in raw
        ]
    except (ValueError, TypeError, KeyError, AttributeError):
        raise TicketParseError("the review form was damaged; paste the ticket again") from None


def review_digest(tickets_json: str, extra_terms: list[str]) -> str:
    payload = json.dumps([tickets_json, extra_terms, settings.SECRET_KEY[:8]])
    return hashlib.sha256(payload.encode()).hexdigest()


def extra_terms_from(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if len(line.strip()) > 1][:50]


def phone_regions() -> tuple[str, ...]:
    return tuple(getattr(settings, "AUTHORING_PHONE_REGIONS", ("US", "GB")))


def redact_all(
    tickets: list[Ticket], *, extra_terms: list[str], undone: dict[int, set[int]]
) -> list[RedactionResult]:
    return [
        redact_ticket(
            ticket, extra_terms=extra_terms, undone=undone.get(n, set()), regions=phone_regions()
        )
        for n, ticket in enumerate(tickets)
    ]


def undone_from_post(post) -> dict[int, set[int]]:
    """`undo` checkboxes are named "<ticket number>:<redaction index>"."""
    undone: dict[int, set[int]] = {}
    for value in post.getlist("undo"):
        ticket, _, index = value.partition(":")
        if ticket.isdigit() and index.isdigit():
            undone.setdefault(int(ticket), set()).add(int(index))
    return undone


@dataclass
class FieldView:
    label: str
    segments: list[tuple[str, object]]


@dataclass
class TicketReview:
    number: int
    original: Ticket
    result: RedactionResult
    fields: list[FieldView]
    rows: list[dict]


def review_pages(tickets: list[Ticket], results: list[RedactionResult]) -> list[TicketReview]:
    """What the review page shows per ticket: each field with its redactions marked, and
    one row per redaction (kind, original, replacement, undone)."""
    pages = []
    for number, (ticket, result) in enumerate(zip(tickets, results, strict=True)):
        by_field: dict[str, list] = {}
        for item in result.redactions:
            by_field.setdefault(item.field, []).append(item)
        fields = []
        for name, text in ticket.fields():
            if not text:
                continue
            fields.append(
                FieldView(
                    label=_field_label(name, ticket),
                    segments=field_segments(text, by_field.get(name, []), result.undone),
                )
            )
        rows = [
            {
                "value": f"{number}:{item.index}",
                "kind": KIND_LABELS[item.kind],
                "where": _field_label(item.field, ticket),
                "original": item.original,
                "replacement": item.replacement,
                "undone": item.index in result.undone,
            }
            for item in result.redactions
        ]
        pages.append(TicketReview(number, ticket, result, fields, rows))
    return pages


def _field_label(name: str, ticket: Ticket) -> str:
    if name.startswith("messages."):
        _, index, part = name.split(".")
        message = ticket.messages[int(index)]
        who = "customer" if message.author == "customer" else "support"
        flags = ("" if message.public else ", private") + (", AI draft" if message.ai_draft else "")
        return f"Message {int(index) + 1} ({who}{flags}){' — author' if part == 'name' else ''}"
    return {"subject": "Subject", "customer_name": "Customer", "customer_email": "Email"}[name]
