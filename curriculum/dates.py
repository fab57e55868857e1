"""Time zones and the one way dates are shown: "7 Dec 2026, 14:05 CET", in the reader's zone.

Every instant is stored in UTC. A person's zone (`User.time_zone`, an IANA name; blank means
the site's TIME_ZONE) is activated for each of their requests by
`curriculum.middleware.UserTimeZoneMiddleware`, and an email is rendered in its recipient's
zone (`curriculum.mail`). Pages and emails show dates only through `format_when` (the
template filter `{% load dates %}{{ value|when }}`), so there is one format family:

    datetime  7 Dec 2026, 14:05 CET    (the default: an instant, its zone named)
    date      7 Dec 2026               (the day it is in the reader's zone)
    time      14:05 CET                (a time later the same day, e.g. a lock's end)

CSV exports are for machines and stay ISO 8601 in UTC (their headers say so).
"""

import zoneinfo
from datetime import date, datetime, timedelta, tzinfo
from functools import cache

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

STYLES = ("datetime", "date", "time")


def zone_get(name: str) -> zoneinfo.ZoneInfo:
    """The zone called `name` (an IANA name such as "Europe/Berlin").

    Raises ValidationError for anything zoneinfo does not know (or a path-like name)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Choose a time zone.", code="required")
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        raise ValidationError(
            "%(name)s is not a time zone we know: choose one from the list, such as "
            "Europe/Berlin or America/New_York.",
            code="invalid_time_zone",
            params={"name": name[:64]},
        ) from None


def validate_time_zone(value: str) -> None:
    """Model and form validator: blank (the site's zone) or an IANA zone name."""
    if value:
        zone_get(value)


def zone_name_or_blank(value: str | None) -> str:
    """`value` if it names a zone, else "" (the site's zone): for a browser's guess, which
    must never stop a sign-up."""
    value = (value or "").strip()[:64]
    try:
        validate_time_zone(value)
    except ValidationError:
        return ""
    return value


def site_zone() -> zoneinfo.ZoneInfo:
    """The site's zone (settings.TIME_ZONE, read at call time)."""
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def user_zone(user) -> zoneinfo.ZoneInfo:
    """The zone `user` reads dates in: their own, else the site's.

    A stored name that no longer resolves (a zone removed from the time zone database)
    falls back to the site's zone instead of failing the request."""
    name = getattr(user, "time_zone", "") or ""
    if name:
        try:
            return zone_get(name)
        except ValidationError:
            pass
    return site_zone()


@cache
def zone_choices() -> list[tuple[str, str | list[tuple[str, str]]]]:
    """Every IANA zone, grouped by region for a <select> ("America" → "America/New York",
    the whole name, as a closed <select> shows only the option); "UTC" on its own. Links
    kept for compatibility ("US/Eastern", "Etc/GMT+5") are left out."""
    regions: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        region, _, place = name.partition("/")
        if not place or region in {"Etc", "US", "Brazil", "Canada", "Chile", "Mexico"}:
            continue
        regions.setdefault(region, []).append((name, name.replace("_", " ")))
    return [("UTC", "UTC"), *sorted(regions.items())]


def zone_label(moment: datetime) -> str:
    """The zone's short name at `moment` ("CET", "EST", "UTC"); zones whose database gives
    only an offset ("+03") are named by it, "UTC+03"."""
    abbreviation = moment.tzname() or ""
    if abbreviation and abbreviation[0] not in "+-":
        return abbreviation
    offset = moment.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(int(offset.total_seconds())) // 60
    hours, minutes = divmod(minutes, 60)
    return f"UTC{sign}{hours:02d}" + (f":{minutes:02d}" if minutes else "")


def format_when(value, style: str = "datetime", *, zone: tzinfo | None = None) -> str:
    """`value` as people read it: "7 Dec 2026, 14:05 CET" (see the module docstring).

    `zone` defaults to the active one (the reader's, set per request or per email). A
    naive datetime is taken to be in the site's zone; a `date` is shown as a day whatever
    the style; None and "" become "". Raises ValueError for an unknown style."""
    if style not in STYLES:
        raise ValueError(f"Unknown date style {style!r}: use one of {', '.join(STYLES)}")
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime):
        if isinstance(value, date):
            return f"{value.day} {value:%b %Y}"
        return str(value)
    if timezone.is_naive(value):
        value = timezone.make_aware(value, site_zone())
    local = timezone.localtime(value, zone or timezone.get_current_timezone())
    day = f"{local.day} {local:%b %Y}"
    clock = f"{local:%H:%M} {zone_label(local)}"
    if style == "date":
        return day
    if style == "time":
        return clock
    return f"{day}, {clock}"
