"""Template tags of the trainer console: how much waits in the review queue (on the
trainer home)."""

from django import template

from grading.console.selectors import queue_summary_for_trainer

register = template.Library()


@register.inclusion_tag("grading/console/queue_summary.html", takes_context=True)
def trainer_queue_summary(context):
    """On the trainer home: how much waits in the review queue."""
    request = context.get("request")
    return {"summary": queue_summary_for_trainer(user=request.user)}
