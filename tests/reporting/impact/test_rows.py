"""Parsing one ticket row: accepted spellings and the reasons rows are refused."""

import datetime as dt

import pytest

from reporting.impact.rows import RowError, header_map, parse_row

NOW = dt.datetime(2025, 6, 30, 12, tzinfo=dt.UTC)
GOOD = {
    "ticket_id": "T-1",
    "agent_email": "Ana@Example.com",
    "closed_at": "2025-06-01T10:00:00Z",
    "category": "Simple",
    "handle_time_seconds": "0:07:30",
    "first_response_seconds": "300",
    "resolution_seconds": "3600",
    "csat": "5",
    "ai_usage": "AI-assisted",
    "draft_edit_ratio": "35%",
    "draft_to_send_seconds": "95",
}


def test_a_good_row_is_normalised():
    row = parse_row(GOOD, now=NOW)
    assert row.agent_email == "ana@example.com"
    assert row.category == "simple"
    assert row.handle_time_seconds == 450
    assert row.ai_usage == "ai_assisted"
    assert row.draft_edit_ratio == pytest.approx(0.35)
    assert row.closed_at == dt.datetime(2025, 6, 1, 10, tzinfo=dt.UTC)


def test_human_drafted_rows_drop_draft_fields():
    row = parse_row(GOOD | {"ai_usage": "human-drafted"}, now=NOW)
    assert row.draft_edit_ratio is None and row.draft_to_send_seconds is None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("ticket_id", "", "ticket_id is empty"),
        ("agent_email", "nobody", "not an email address"),
        ("closed_at", "yesterday", "not an ISO 8601"),
        ("closed_at", "2031-01-01", "in the future"),
        ("category", "urgent", "category: 'urgent' is not one of"),
        ("handle_time_seconds", "-5", "not a number of seconds"),
        ("csat", "7", "not a whole number from 1 to 5"),
        ("csat", "4.5", "not a whole number from 1 to 5"),
        ("ai_usage", "robots", "ai_usage: 'robots' is not one of"),
        ("draft_edit_ratio", "1.5", "outside 0..1"),
    ],
)
def test_bad_values_are_rejected_with_the_reason(field, value, reason):
    with pytest.raises(RowError, match=reason):
        parse_row(GOOD | {field: value}, now=NOW)


def test_header_aliases_and_missing_columns():
    mapping = header_map(["Ticket", "Agent", "Closed At", "Category", "Handle Time",
                          "First Response Time", "Resolution Time", "AI", "CSAT"])  # fmt: skip
    assert mapping["Agent"] == "agent_email" and mapping["AI"] == "ai_usage"
    with pytest.raises(RowError, match=r"missing column.*ai_usage"):
        header_map(["ticket_id", "agent_email", "closed_at", "category", "handle_time_seconds",
                    "first_response_seconds", "resolution_seconds"])  # fmt: skip
