"""Reading a pasted ticket thread or a help-desk export into `Ticket`s (nothing stored).

Exports: JSON (a list of tickets, or `{"tickets": [...]}`, or one ticket) with the common
fields of Zendesk, Freshdesk, Intercom and Help Scout exports — ticket `id`, `subject`,
the comments (`comments`, `conversations`, `conversation_parts`, `threads` or `messages`)
with the author's role, public/private, a timestamp, the body and an AI-draft flag where
the export has one; or CSV, one row per comment (docs/authoring.md lists the columns).
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

from .redaction import Ticket, TicketMessage

MAX_TICKETS = 20
MAX_MESSAGES = 200
MAX_BODY_CHARS = 20_000

CUSTOMER_ROLES = {"customer", "end-user", "end_user", "enduser", "requester", "user", "contact",
                  "lead", "visitor", "client"}  # fmt: skip
AGENT_ROLES = {"agent", "admin", "staff", "teammate", "support", "bot", "operator", "assistant",
               "ai", "ai_agent", "system"}  # fmt: skip
COMMENT_KEYS = ("comments", "conversations", "conversation_parts", "threads", "messages")
BODY_KEYS = ("plain_body", "body_text", "body", "html_body", "text", "content")
TIME_KEYS = ("created_at", "sent_at", "createdAt", "timestamp", "date")
TRUE_WORDS = {"1", "true", "yes", "y", "t", "x"}


class TicketParseError(ValueError):
    """The input could not be read as a ticket or an export; the message says why."""


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def _flag(value) -> bool:
    if isinstance(value, bool):
        return value
    return _text(value).lower() in TRUE_WORDS


def html_to_text(value: str) -> str:
    """Plain text from an HTML body: paragraphs and line breaks kept, tags dropped."""
    if "<" not in value:
        return value
    value = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</li>", "\n", value)
    value = re.sub(r"<[^>]+>", "", value)
    return re.sub(r"\n{3,}", "\n\n", html.unescape(value)).strip()


def _role(raw: dict, requester_id) -> str:
    author = raw.get("author") if isinstance(raw.get("author"), dict) else {}
    created_by = raw.get("createdBy") if isinstance(raw.get("createdBy"), dict) else {}
    for value in (
        raw.get("author_role"),
        raw.get("role"),
        raw.get("author_type"),
        author.get("role"),
        author.get("type"),
        created_by.get("type"),
    ):
        role = _text(value).lower()
        if role in CUSTOMER_ROLES:
            return "customer"
        if role in AGENT_ROLES:
            return "agent"
    if "incoming" in raw:  # Freshdesk: incoming means from the customer
        return "customer" if _flag(raw["incoming"]) else "agent"
    if requester_id is not None and raw.get("author_id") == requester_id:
        return "customer"
    return "agent" if raw.get("author_id") is not None else "customer"


def _message(raw: dict, requester_id) -> TicketMessage | None:
    if not isinstance(raw, dict):
        return None
    body = next((_text(raw[k]) for k in BODY_KEYS if _text(raw.get(k))), "")
    if not body:
        return None
    author = raw.get("author") if isinstance(raw.get("author"), dict) else {}
    if "public" in raw:
        public = _flag(raw["public"])
    elif "private" in raw:
        public = not _flag(raw["private"])
    else:
        public = _text(raw.get("part_type") or raw.get("type")).lower() not in {"note", "lineitem"}
    ai_draft = any(
        _flag(value)
        for value in (
            raw.get("is_ai_draft"),
            raw.get("ai_draft"),
            author.get("is_ai_answer"),
            author.get("from_ai_agent"),
            raw.get("is_ai_answer"),
        )
    )
    return TicketMessage(
        author=_role(raw, requester_id),
        name=_text(raw.get("author_name") or author.get("name") or raw.get("from_name")),
        sent_at=next((_text(raw[k]) for k in TIME_KEYS if raw.get(k)), ""),
        body=html_to_text(body)[:MAX_BODY_CHARS],
        public=public,
        ai_draft=ai_draft,
    )


def _ticket_from_json(raw: dict) -> Ticket:
    requester = raw.get("requester") or raw.get("customer") or {}
    requester = requester if isinstance(requester, dict) else {}
    requester_id = raw.get("requester_id", requester.get("id"))
    comments = next((raw[k] for k in COMMENT_KEYS if isinstance(raw.get(k), list)), [])
    if isinstance(raw.get("conversation_parts"), dict):  # Intercom nests the list
        comments = raw["conversation_parts"].get("conversation_parts") or []
    messages = [m for m in (_message(c, requester_id) for c in comments) if m]
    if not messages and _text(raw.get("description")):
        messages = [TicketMessage(author="customer", body=_text(raw["description"]))]
    return Ticket(
        ticket_id=_text(raw.get("id") or raw.get("ticket_id") or raw.get("number")),
        subject=_text(raw.get("subject") or raw.get("title")),
        messages=messages[:MAX_MESSAGES],
        customer_name=_text(requester.get("name")),
        customer_email=_text(requester.get("email")),
    )


def parse_json_export(text: str) -> list[Ticket]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TicketParseError(f"not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if isinstance(data, dict):
        data = data.get("tickets") or data.get("conversations") or [data]
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise TicketParseError("expected a list of tickets (JSON objects)")
    tickets = [_ticket_from_json(item) for item in data[:MAX_TICKETS]]
    return _non_empty(tickets, len(data))


def parse_csv_export(text: str) -> list[Ticket]:
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in (reader.fieldnames or [])}
    if "ticket_id" not in columns or not ({"body", "comment", "text"} & columns):
        raise TicketParseError(
            "a CSV export needs the columns ticket_id and body (and optionally subject, "
            "author_role, author_name, public, created_at, is_ai_draft)"
        )
    tickets: dict[str, Ticket] = {}
    for row in reader:
        row = {(k or "").strip().lower(): v for k, v in row.items()}
        ticket_id = _text(row.get("ticket_id"))
        ticket = tickets.get(ticket_id)
        if ticket is None:
            if len(tickets) >= MAX_TICKETS:
                continue
            ticket = tickets[ticket_id] = Ticket(ticket_id=ticket_id)
        ticket.subject = ticket.subject or _text(row.get("subject"))
        message = _message(
            {
                "author_role": row.get("author_role") or row.get("role"),
                "author_name": row.get("author_name"),
                "public": row.get("public", "true"),
                "created_at": row.get("created_at"),
                "body": row.get("body") or row.get("comment") or row.get("text"),
                "is_ai_draft": row.get("is_ai_draft"),
            },
            None,
        )
        if message and len(ticket.messages) < MAX_MESSAGES:
            ticket.messages.append(message)
            if message.author == "customer" and not ticket.customer_name:
                ticket.customer_name = message.name
    return _non_empty(list(tickets.values()), len(tickets))


def _non_empty(tickets: list[Ticket], total: int) -> list[Ticket]:
    tickets = [t for t in tickets if t.messages]
    if not tickets:
        raise TicketParseError("no ticket with at least one comment was found")
    return tickets


HEADER_RE = re.compile(
    r"^(?:-{2,}|#{1,3}|\*\*)?\s*(?P<name>[^()\n]{0,80}?)\s*"
    r"\((?P<role>customer|agent|requester|end-user|staff|support)(?P<flags>[^)]*)\)\s*"
    r"(?P<when>.*?)\s*(?:\*\*)?$",
    re.IGNORECASE,
)
ROLE_LINE_RE = re.compile(r"^(?P<role>customer|agent)\s*(?:\((?P<name>[^)]*)\))?:\s*(?P<rest>.*)$",
                          re.IGNORECASE)  # fmt: skip


def parse_pasted_thread(text: str) -> Ticket:
    """A pasted thread: an optional `Subject:` line, then messages each starting with a
    header `--- Name (customer) 2026-11-02 10:14` (flags after the role: `private`,
    `AI draft`), or `Customer: …` / `Agent (Name): …`. Without any header the whole text is
    one customer message."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    subject = ""
    if lines and lines[0].lower().startswith("subject:"):
        subject = lines.pop(0).split(":", 1)[1].strip()
    messages: list[TicketMessage] = []
    current: TicketMessage | None = None
    body: list[str] = []

    def close():
        if current is not None:
            current.body = "\n".join(body).strip()[:MAX_BODY_CHARS]
            if current.body:
                messages.append(current)

    for line in lines:
        header = HEADER_RE.match(line.strip()) if line.strip() else None
        role_line = ROLE_LINE_RE.match(line.strip()) if header is None else None
        if header or role_line:
            close()
            match = header or role_line
            role = match.group("role").lower()
            flags = (header.group("flags") if header else "").lower()
            current = TicketMessage(
                author="customer" if role in {"customer", "requester", "end-user"} else "agent",
                name=(match.group("name") or "").strip(),
                sent_at=header.group("when").strip() if header else "",
                public="private" not in flags and "internal" not in flags and "note" not in flags,
                ai_draft="ai" in re.findall(r"[a-z]+", flags),
            )
            body = [] if header else [role_line.group("rest")]
        else:
            if current is None:
                current = TicketMessage(author="customer")
            body.append(line)
    close()
    if not messages:
        raise TicketParseError("the thread is empty: paste at least the customer's message")
    customer = next((m.name for m in messages if m.author == "customer" and m.name), "")
    return Ticket(subject=subject, messages=messages[:MAX_MESSAGES], customer_name=customer)


def parse_export(*, name: str, content: bytes) -> list[Ticket]:
    """An uploaded export, JSON or CSV by its file name (or by its first character)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TicketParseError(
            f"not valid UTF-8 (byte {exc.start + 1}); save the export as UTF-8"
        ) from None
    if name.lower().endswith(".csv") or not text.lstrip().startswith(("[", "{")):
        return parse_csv_export(text)
    return parse_json_export(text)
