"""Template tags of the progress pages: server-drawn bar charts, and the agent's mastery
section on their home (`{% load progress_charts %}{% agent_mastery %}`)."""

from django import template

from reporting.progress import agent_standing

register = template.Library()

BAR_HEIGHT = 28
CHART_LEFT = 260
CHART_WIDTH = 300


@register.inclusion_tag("reporting/_bars.html")
def console_bars(bars, title, chart_id, threshold=None):
    """A horizontal bar chart as inline SVG; `threshold` (0..1) draws a marker line. A
    description and a table of the numbers come with it (the chart's text alternative)."""
    return {
        "bars": bars,
        "chart_title": title,
        "chart_id": chart_id,
        "height": max(len(bars), 1) * BAR_HEIGHT,
        "threshold_x": CHART_LEFT + round(CHART_WIDTH * threshold) if threshold else None,
        "description": bars_description(bars, threshold),
        "has_detail": any(getattr(bar, "detail", "") for bar in bars),
    }


def bars_description(bars, threshold=None) -> str:
    """One sentence a screen reader can start with: how many bars, the highest and lowest,
    and how many are under the threshold."""
    if not bars:
        return "No data."
    high = max(bars, key=lambda bar: bar.percent)
    low = min(bars, key=lambda bar: bar.percent)
    parts = [f"{len(bars)} bar{'' if len(bars) == 1 else 's'}"]
    if len(bars) > 1:
        parts.append(f"highest {high.label} at {high.percent}%")
        parts.append(f"lowest {low.label} at {low.percent}%")
    else:
        parts.append(f"{high.label} at {high.percent}%")
    if threshold:
        below = sum(1 for bar in bars if bar.warn)
        parts.append(
            f"{below} below the mastery threshold of {round(threshold * 100)}% (marked ▼)"
            if below
            else f"none below the mastery threshold of {round(threshold * 100)}%"
        )
    return "; ".join(parts) + ". The table below lists every value."


@register.inclusion_tag("reporting/mastery_section.html", takes_context=True)
def agent_mastery(context):
    """The signed-in agent's mastery per module and what stands in the way."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"mastery": [], "threshold": 0, "standing": None}
    standing = agent_standing(user=user)
    return {"mastery": standing.mastery, "threshold": standing.threshold, "standing": standing}
