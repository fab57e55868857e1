"""Dates from the authored content are shown in words, not as raw ISO strings."""

from datetime import UTC, datetime

from django.template import Context, Template

from exercises.templatetags.exercise_format import iso_datetime


def test_iso_strings_become_aware_datetimes():
    assert iso_datetime("2026-11-17T14:00:00Z") == datetime(2026, 11, 17, 14, tzinfo=UTC)


def test_other_values_are_left_alone():
    assert iso_datetime("next Tuesday") == "next Tuesday"
    assert iso_datetime(None) is None


def test_filter_renders_a_readable_date():
    template = Template('{% load exercise_format %}{{ when|iso_datetime|date:"D j M Y, H:i T" }}')
    assert (
        template.render(Context({"when": "2026-11-17T14:00:00Z"})) == "Tue 17 Nov 2026, 14:00 UTC"
    )
