"""Parsing one ticket row (a CSV line or a JSON item) into clean values, or a reason why not."""

import datetime as dt
import functools
import re
from dataclasses import dataclass

from django.utils import timezone

from .models import AIUsage, Category

REQUIRED_FIELDS = (
    "ticket_id",
    "agent_email",
    "closed_at",
    "category",
    "handle_time_seconds",
    "first_response_seconds",
    "resolution_seconds",
    "ai_usage",
)
OPTIONAL_FIELDS = ("csat", "draft_edit_ratio", "draft_to_send_seconds")
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS

# Column names help desks use for the same thing (compared lower-cased, spaces as "_").
HEADER_ALIASES = {
    "ticket": "ticket_id",
    "id": "ticket_id",
    "agent": "agent_email",
    "email": "agent_email",
    "assignee_email": "agent_email",
    "closed": "closed_at",
    "closed_date": "closed_at",
    "solved_at": "closed_at",
    "handle_time": "handle_time_seconds",
    "aht_seconds": "handle_time_seconds",
    "first_response_time": "first_response_seconds",
    "first_response_time_seconds": "first_response_seconds",
    "resolution_time": "resolution_seconds",
    "resolution_time_seconds": "resolution_seconds",
    "csat_score": "csat",
    "ai": "ai_usage",
    "drafting": "ai_usage",
    "edit_ratio": "draft_edit_ratio",
    "draft_edit_size": "draft_edit_ratio",
    "draft_to_send": "draft_to_send_seconds",
}
AI_USAGE_ALIASES = {
    "full_ai": AIUsage.FULL_AI,
    "fully_ai_drafted": AIUsage.FULL_AI,
    "ai_drafted": AIUsage.FULL_AI,
    "ai": AIUsage.FULL_AI,
    "ai_assisted": AIUsage.AI_ASSISTED,
    "assisted": AIUsage.AI_ASSISTED,
    "human": AIUsage.HUMAN,
    "human_drafted": AIUsage.HUMAN,
    "none": AIUsage.HUMAN,
}
CATEGORY_ALIASES = {choice.value: choice for choice in Category} | {
    "escalated": Category.ESCALATION
}
MAX_SECONDS = 60 * 60 * 24 * 365
FUTURE_SKEW = dt.timedelta(days=1)


# Reasons decided against the database (the agent, their cohorts, the existing ticket, the
# rest of the import), in one place for the row-by-row path (services.ticket_rows_upsert)
# and the set-based one on PostgreSQL (bulk.py builds its SQL from these same templates).
REPEATED_TICKET = (
    "ticket_id: {ticket_id} is repeated in this import (first at line {first_line}); "
    "only the first row is imported"
)
NO_SUCH_AGENT = "agent_email: no user with the email {agent_email}"
NOT_YOUR_AGENT = "agent_email: {agent_email} is not an agent of your cohorts"
TICKET_OF_OUTSIDER = "ticket_id: this ticket belongs to an agent outside your cohorts"


class RowError(ValueError):
    """A row that cannot be imported; the message is the reason shown in the report."""


@dataclass(frozen=True)
class TicketRow:
    ticket_id: str
    agent_email: str
    closed_at: dt.datetime
    category: str
    handle_time_seconds: int
    first_response_seconds: int
    resolution_seconds: int
    csat: int | None
    ai_usage: str
    draft_edit_ratio: float | None
    draft_to_send_seconds: int | None


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    # Cached: a file repeats the same few categories and AI-usage spellings on every row.
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def header_map(headers: list[str]) -> dict[str, str]:
    """Map the file's column names to field names; raise RowError naming missing columns."""
    mapping = {}
    for header in headers:
        key = _key(header or "")
        field = key if key in FIELDS else HEADER_ALIASES.get(key)
        if field and field not in mapping.values():
            mapping[header] = field
    missing = [field for field in REQUIRED_FIELDS if field not in mapping.values()]
    if missing:
        raise RowError(f"missing column(s): {', '.join(missing)}")
    return mapping


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def _seconds(name: str, value) -> int:
    """Whole seconds, or [h:]mm:ss."""
    if isinstance(value, bool):
        raise RowError(f"{name}: not a number of seconds")
    text = str(value).strip()
    try:
        if ":" in text:
            parts = [int(part) for part in text.split(":")]
            if len(parts) > 3 or any(part < 0 for part in parts):
                raise ValueError
            seconds = 0
            for part in parts:
                seconds = seconds * 60 + part
        else:
            number = float(text)
            if number != number or number < 0:  # NaN or negative
                raise ValueError
            seconds = round(number)
    except ValueError:
        raise RowError(f"{name}: {text!r} is not a number of seconds") from None
    if seconds > MAX_SECONDS:
        raise RowError(f"{name}: {seconds} seconds is more than a year")
    return seconds


def _datetime(value, *, now: dt.datetime) -> dt.datetime:
    text = str(value).strip()
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowError(f"closed_at: {text!r} is not an ISO 8601 date or date-time") from None
    if timezone.is_naive(parsed):
        # The site's zone (TIME_ZONE), never the uploader's: the same file reads the same
        # whoever uploads it and whether a worker or the web process parses it.
        parsed = timezone.make_aware(parsed, timezone.get_default_timezone())
    if parsed > now + FUTURE_SKEW:
        raise RowError(f"closed_at: {text} is in the future")
    return parsed


def _csat(value) -> int | None:
    if _blank(value):
        return None
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        raise RowError(f"csat: {text!r} is not a number from 1 to 5") from None
    if number != int(number) or not 1 <= number <= 5:
        raise RowError(f"csat: {text} is not a whole number from 1 to 5")
    return int(number)


def _ratio(value) -> float | None:
    if _blank(value):
        return None
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        number = float(text.rstrip("%"))
    except ValueError:
        raise RowError(f"draft_edit_ratio: {text!r} is not a number from 0 to 1") from None
    if percent:
        number /= 100
    if not 0 <= number <= 1:
        raise RowError(f"draft_edit_ratio: {text} is outside 0..1 (or 0%..100%)")
    return number


def _choice(name: str, value, aliases: dict) -> str:
    key = _key(str(value or ""))
    if key not in aliases:
        raise RowError(f"{name}: {value!r} is not one of {', '.join(sorted(set(aliases)))}")
    return str(aliases[key])


def parse_row(data: dict, *, now: dt.datetime) -> TicketRow:
    """Validate one row given as {field name: raw value}; raise RowError with the reason."""
    for field in REQUIRED_FIELDS:
        if _blank(data.get(field)):
            raise RowError(f"{field} is empty")
    ticket_id = str(data["ticket_id"]).strip()
    if len(ticket_id) > 64:
        raise RowError("ticket_id is longer than 64 characters")
    email = str(data["agent_email"]).strip().lower()
    if "@" not in email:
        raise RowError(f"agent_email: {email!r} is not an email address")
    ai_usage = _choice("ai_usage", data["ai_usage"], AI_USAGE_ALIASES)
    edit_ratio = _ratio(data.get("draft_edit_ratio"))
    draft_to_send = (
        None
        if _blank(data.get("draft_to_send_seconds"))
        else _seconds("draft_to_send_seconds", data["draft_to_send_seconds"])
    )
    if ai_usage == AIUsage.HUMAN:
        # No AI draft was used, so there is no draft edit or draft-to-send time to keep.
        edit_ratio = draft_to_send = None
    return TicketRow(
        ticket_id=ticket_id,
        agent_email=email,
        closed_at=_datetime(data["closed_at"], now=now),
        category=_choice("category", data["category"], CATEGORY_ALIASES),
        handle_time_seconds=_seconds("handle_time_seconds", data["handle_time_seconds"]),
        first_response_seconds=_seconds("first_response_seconds", data["first_response_seconds"]),
        resolution_seconds=_seconds("resolution_seconds", data["resolution_seconds"]),
        csat=_csat(data.get("csat")),
        ai_usage=ai_usage,
        draft_edit_ratio=edit_ratio,
        draft_to_send_seconds=draft_to_send,
    )
