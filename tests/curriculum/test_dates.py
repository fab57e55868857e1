"""The one date format (curriculum.dates, `|when`) and time zone validation."""

import re
import zoneinfo
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import timezone

from curriculum.dates import (
    format_when,
    user_zone,
    validate_time_zone,
    zone_choices,
    zone_get,
    zone_label,
    zone_name_or_blank,
)
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]
BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")
WINTER = datetime(2026, 12, 7, 13, 5, tzinfo=UTC)
SUMMER = datetime(2026, 7, 7, 13, 5, tzinfo=UTC)


# ---- the format ----------------------------------------------------------------------------


def test_an_instant_is_shown_in_the_given_zone_with_the_zone_named():
    assert format_when(WINTER, zone=BERLIN) == "7 Dec 2026, 14:05 CET"
    assert format_when(WINTER, zone=NEW_YORK) == "7 Dec 2026, 08:05 EST"
    assert format_when(WINTER, zone=zoneinfo.ZoneInfo("UTC")) == "7 Dec 2026, 13:05 UTC"


def test_summer_time_is_named_as_such():
    assert format_when(SUMMER, zone=BERLIN) == "7 Jul 2026, 15:05 CEST"
    assert format_when(SUMMER, zone=NEW_YORK) == "7 Jul 2026, 09:05 EDT"


def test_the_day_can_differ_between_zones():
    late = datetime(2026, 12, 7, 23, 30, tzinfo=UTC)
    assert format_when(late, "date", zone=BERLIN) == "8 Dec 2026"
    assert format_when(late, "date", zone=NEW_YORK) == "7 Dec 2026"


def test_the_time_style_keeps_the_zone():
    assert format_when(WINTER, "time", zone=BERLIN) == "14:05 CET"


def test_without_a_zone_the_active_one_is_used():
    with timezone.override(NEW_YORK):
        assert format_when(WINTER) == "7 Dec 2026, 08:05 EST"


def test_zones_known_only_by_their_offset_are_named_by_it():
    assert format_when(WINTER, zone=zoneinfo.ZoneInfo("Asia/Dubai")).endswith("17:05 UTC+04")
    assert format_when(WINTER, zone=zoneinfo.ZoneInfo("America/Sao_Paulo")).endswith("10:05 UTC-03")
    assert format_when(WINTER, zone=zoneinfo.ZoneInfo("Asia/Kathmandu")).endswith("18:50 UTC+05:45")


def test_zone_label_never_gives_a_bare_offset():
    for name in ("Asia/Dubai", "America/Sao_Paulo", "Asia/Kolkata", "Europe/Istanbul"):
        label = zone_label(WINTER.astimezone(zoneinfo.ZoneInfo(name)))
        assert not label.startswith(("+", "-")), (name, label)


def test_a_naive_datetime_is_read_in_the_site_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    with timezone.override(NEW_YORK):
        assert format_when(datetime(2026, 12, 7, 14, 5)) == "7 Dec 2026, 08:05 EST"  # noqa: DTZ001


def test_a_date_is_shown_as_a_day_whatever_the_style():
    assert format_when(date(2026, 3, 1)) == "1 Mar 2026"
    assert format_when(date(2026, 3, 1), "time") == "1 Mar 2026"


def test_nothing_becomes_an_empty_string_and_text_stays_text():
    assert format_when(None) == ""
    assert format_when("") == ""
    assert format_when("yesterday morning") == "yesterday morning"


def test_an_unknown_style_is_a_programming_error():
    with pytest.raises(ValueError, match="Unknown date style"):
        format_when(WINTER, "long")


# ---- the template filter -------------------------------------------------------------------


def render(source: str, **context) -> str:
    return Template("{% load dates %}" + source).render(Context(context))


def test_the_filter_uses_the_readers_zone():
    with timezone.override(BERLIN):
        assert render("{{ v|when }}", v=WINTER) == "7 Dec 2026, 14:05 CET"
        assert render('{{ v|when:"date" }}', v=WINTER) == "7 Dec 2026"
        assert render('{{ v|when:"time" }}', v=WINTER) == "14:05 CET"
    with timezone.override(NEW_YORK):
        assert render("{{ v|when }}", v=WINTER) == "7 Dec 2026, 08:05 EST"


def test_the_filter_passes_empty_values_to_default():
    assert render('{{ v|when|default:"ongoing" }}', v=None) == "ongoing"


def test_the_filter_escapes_text_it_cannot_read():
    assert render("{{ v|when }}", v="<b>soon</b>") == "&lt;b&gt;soon&lt;/b&gt;"


def test_the_current_zone_tag_names_the_zone():
    with timezone.override(BERLIN):
        assert render("{% current_zone %}") in {"Europe/Berlin, CET", "Europe/Berlin, CEST"}
    with timezone.override(zoneinfo.ZoneInfo("UTC")):
        assert render("{% current_zone %}") == "UTC"


def test_the_content_thread_times_are_shown_in_the_readers_zone():
    """Scenario threads carry ISO times ("2026-11-23T08:31:00Z"): shown like every date."""
    template = Template(
        "{% load dates exercise_format %}{{ v|iso_datetime|when }}|{{ bad|iso_datetime|when }}"
    )
    with timezone.override(BERLIN):
        text = template.render(Context({"v": "2026-11-23T08:31:00Z", "bad": "Monday"}))
    assert text == "23 Nov 2026, 09:31 CET|Monday"


# ---- zone names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["Mars/Olympus_Mons", "Europe/Berln", "../../etc/passwd", "/etc/localtime", "CET+1"]
)
def test_unknown_zones_are_refused_with_a_clear_message(name):
    with pytest.raises(ValidationError) as caught:
        zone_get(name)
    assert "is not a time zone we know" in caught.value.messages[0]
    with pytest.raises(ValidationError):
        validate_time_zone(name)


def test_an_empty_zone_is_required_by_zone_get_but_allowed_by_the_validator():
    with pytest.raises(ValidationError, match="Choose a time zone"):
        zone_get("  ")
    validate_time_zone("")  # blank: the site's zone


def test_a_very_long_name_is_refused_and_cut_in_the_message():
    with pytest.raises(ValidationError) as caught:
        zone_get("Europe/" + "x" * 500)
    assert len(caught.value.messages[0]) < 200


def test_a_browser_guess_that_is_not_a_zone_becomes_blank():
    assert zone_name_or_blank("Europe/Berlin") == "Europe/Berlin"
    assert zone_name_or_blank(" America/New_York ") == "America/New_York"
    assert zone_name_or_blank("Nowhere/Else") == ""
    assert zone_name_or_blank(None) == ""
    assert zone_name_or_blank("x" * 1000) == ""


def test_the_choices_hold_the_usual_zones_once_and_no_legacy_links():
    names = []
    for value, group in zone_choices():
        if isinstance(group, str):
            names.append(value)
        else:
            names.extend(name for name, _ in group)
    assert {"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"} <= set(names)
    assert len(names) == len(set(names))
    assert not any(n.startswith(("US/", "Etc/")) for n in names)
    for name in names:
        validate_time_zone(name)


@pytest.mark.django_db
def test_the_user_model_refuses_an_unknown_zone():
    user = UserFactory.build(email="tz@example.com", time_zone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError) as caught:
        user.full_clean(exclude=["password"])
    assert "time_zone" in caught.value.message_dict


@pytest.mark.django_db
def test_a_user_without_a_zone_reads_in_the_site_zone(settings):
    settings.TIME_ZONE = "Asia/Tokyo"
    assert user_zone(UserFactory(time_zone="")).key == "Asia/Tokyo"
    assert user_zone(UserFactory(time_zone="Europe/Berlin")).key == "Europe/Berlin"
    assert user_zone(None).key == "Asia/Tokyo"


@pytest.mark.django_db
def test_a_stored_zone_that_no_longer_exists_falls_back_to_the_site_zone(settings):
    settings.TIME_ZONE = "UTC"
    user = UserFactory()
    type(user).objects.filter(pk=user.pk).update(time_zone="Gone/Removed")
    user.refresh_from_db()
    assert user_zone(user).key == "UTC"


# ---- one format family ---------------------------------------------------------------------

# Machine formats stay: an input's value, a <time datetime>, the workspace's clock data.
MACHINE_FORMATS = {"c", "Y-m-d"}


def _templates() -> list[Path]:
    found = [
        path
        for top in ("templates", "curriculum", "exercises", "grading", "reporting")
        for path in sorted((ROOT / top).rglob("*"))
        if path.suffix in {".html", ".txt"} and "templates" in path.parts
    ]
    assert len(found) > 50  # the scan sees the project's templates
    return found


def test_templates_show_dates_only_through_the_when_filter():
    offenders = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        pattern = r"(?:\|date|\{% now)(?::?\s*['\"]([^'\"]*)['\"])?"
        for match in re.finditer(pattern, text):
            if match.group(1) not in MACHINE_FORMATS:
                offenders.append(f"{path.relative_to(ROOT)}: {match.group(0)}")
        for name in ("naturaltime", "naturalday", "|timesince", "|timeuntil", "|time:"):
            if name in text:
                offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []
