"""The one date filter: `{% load dates %}{{ value|when }}` → "7 Dec 2026, 14:05 CET".

Styles: `|when` (date, time and zone), `|when:"date"` (the day), `|when:"time"` (time and
zone). In the active zone: the reader's on pages, the recipient's in emails
(curriculum.dates). `{% current_zone %}` names the active zone ("Europe/Berlin, CET") for
notes such as "times are in …" beside a date input."""

from django import template
from django.utils import timezone

from curriculum.dates import format_when, zone_label

register = template.Library()


@register.filter(expects_localtime=False, is_safe=False)
def when(value, style: str = "datetime") -> str:
    """An instant (or a date) in the reader's zone, with the zone named."""
    return format_when(value, style)


@register.simple_tag
def current_zone() -> str:
    """The active zone's IANA name and its current short name: "Europe/Berlin, CET"."""
    name = timezone.get_current_timezone_name()
    label = zone_label(timezone.localtime())
    return name if label == name else f"{name}, {label}"
