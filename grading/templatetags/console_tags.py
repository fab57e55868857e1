"""Template tags of the trainer console: server-drawn bar charts, and the agent's mastery
section that other apps' pages include (`{% load console_tags %}{% agent_mastery %}`)."""

from django import template

register = template.Library()

BAR_HEIGHT = 28
CHART_LEFT = 260
CHART_WIDTH = 300


@register.inclusion_tag("grading/console/_bars.html")
def console_bars(bars, title, chart_id, threshold=None):
    """A horizontal bar chart as inline SVG; `threshold` (0..1) draws a marker line."""
    return {
        "bars": bars,
        "chart_title": title,
        "chart_id": chart_id,
        "height": max(len(bars), 1) * BAR_HEIGHT,
        "threshold_x": CHART_LEFT + round(CHART_WIDTH * threshold) if threshold else None,
    }


@register.inclusion_tag("grading/console/mastery_section.html", takes_context=True)
def agent_mastery(context):
    """The signed-in agent's mastery per module and what stands in the way."""
    from grading.console.progress import _threshold, mastery_for_agent
    from grading.console.services import submission_cohort

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"mastery": [], "threshold": 0}
    return {
        "mastery": mastery_for_agent(user=user),
        "threshold": _threshold(submission_cohort(user_id=user.pk)),
    }


@register.inclusion_tag("grading/console/queue_summary.html", takes_context=True)
def trainer_queue_summary(context):
    """On the trainer home: how much waits in the review queue."""
    from grading.console.selectors import queue_summary_for_trainer

    request = context.get("request")
    return {"summary": queue_summary_for_trainer(user=request.user)}
