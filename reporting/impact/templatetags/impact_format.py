"""Number formatting for the impact pages ("—" where there is no data)."""

from django import template

register = template.Library()
DASH = "—"


@register.filter
def metric(value, unit: str) -> str:
    """Format a value by unit: min, score, share, count."""
    if value is None:
        return DASH
    if unit == "min":
        return f"{value:.1f} min"
    if unit == "score":
        return f"{value:.2f}"
    if unit == "share":
        return f"{value:.0%}"
    return f"{value:.1f}"


@register.filter
def seconds_as_minutes(seconds) -> str:
    """A duration stored in seconds (a ticket's handle time...), shown in minutes."""
    return DASH if seconds is None else f"{seconds / 60:.1f} min"


@register.filter
def signed_pct(value) -> str:
    return DASH if value is None else f"{value:+.1f}%"


@register.filter
def signed_points(value) -> str:
    return DASH if value is None else f"{value:+.0f} pts"


@register.filter
def signed(value) -> str:
    return DASH if value is None else f"{value:+.2f}"


@register.filter
def pct_range(value) -> str:
    if not value:
        return DASH
    low, high = value
    return f"{low:+.0f}% to {high:+.0f}%"


@register.filter
def one_decimal(value) -> str:
    return DASH if value is None else f"{value:.1f}"
