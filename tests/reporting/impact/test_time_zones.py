"""The impact pages count the team's days in the site's zone (TIME_ZONE), whoever reads or
uploads: two leaders in different zones see the same numbers."""

import datetime as dt
import zoneinfo

from django.utils import timezone

from reporting.impact.rows import parse_row
from reporting.impact.selectors import Window

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
ROW = {
    "ticket_id": "T-1",
    "agent_email": "ana@example.com",
    "closed_at": "2025-06-01T10:00:00",
    "category": "simple",
    "handle_time_seconds": "300",
    "first_response_seconds": "60",
    "resolution_seconds": "600",
    "ai_usage": "human",
}


def test_a_time_without_an_offset_is_read_in_the_site_zone_not_the_uploaders(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    now = dt.datetime(2025, 6, 30, tzinfo=dt.UTC)
    with timezone.override(TOKYO):
        row = parse_row(ROW, now=now)
    assert row.closed_at == dt.datetime(2025, 6, 1, 8, tzinfo=dt.UTC)  # 10:00 CEST


def test_a_dashboard_day_is_the_site_zones_day_whoever_reads(settings):
    settings.TIME_ZONE = "America/New_York"
    window = Window(dt.date(2025, 6, 1), dt.date(2025, 6, 1))
    with timezone.override(TOKYO):
        start, end = window.bounds()
    assert start == dt.datetime(2025, 6, 1, 4, tzinfo=dt.UTC)  # midnight EDT
    assert end - start == dt.timedelta(days=1)
