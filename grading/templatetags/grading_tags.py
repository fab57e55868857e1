"""Template tags that show grading on pages of other apps (no Python import needed there)."""

from django import template

from grading.selectors import feedback_for_submission

register = template.Library()


@register.inclusion_tag("grading/submission_feedback.html")
def submission_feedback(submission):
    return {"submission": submission, "feedback": feedback_for_submission(submission=submission)}
