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
    """A horizontal bar chart as inline SVG; `threshold` (0..1) draws a marker line."""
    return {
        "bars": bars,
        "chart_title": title,
        "chart_id": chart_id,
        "height": max(len(bars), 1) * BAR_HEIGHT,
        "threshold_x": CHART_LEFT + round(CHART_WIDTH * threshold) if threshold else None,
    }


@register.inclusion_tag("reporting/mastery_section.html", takes_context=True)
def agent_mastery(context):
    """The signed-in agent's mastery per module and what stands in the way."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"mastery": [], "threshold": 0, "standing": None}
    standing = agent_standing(user=user)
    return {"mastery": standing.mastery, "threshold": standing.threshold, "standing": standing}
