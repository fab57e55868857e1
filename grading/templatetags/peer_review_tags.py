"""The peer reviews of a submission as a fragment: `{% load peer_review_tags %}` then
`{% peer_review_feedback submission %}` (the submission page gets the same fragment as a
section, through grading.receivers)."""

from django import template

from grading.peer.forms import HELPFULNESS_CHOICES
from grading.peer.selectors import peer_feedback_for_submission

register = template.Library()


@register.inclusion_tag("grading/peer/summary.html", takes_context=True)
def peer_review_feedback(context, submission):
    """The peer reviews of a submission for the viewing user: nothing when the exercise has
    no peer review; progress while reviews come in; then the summary per criterion with the
    reviews and inline comments (reviewers shown as numbers to the author)."""
    request = context["request"]
    return {
        "submission": submission,
        "feedback": peer_feedback_for_submission(submission=submission, viewer=request.user),
        "csrf_token": context.get("csrf_token"),
        "request": request,
        "helpfulness_choices": HELPFULNESS_CHOICES,
    }
