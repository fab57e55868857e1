"""Template tags that show grading on pages of other apps (no Python import needed there)."""

from django import template

from grading.selectors import feedback_for_submission

register = template.Library()


@register.inclusion_tag("grading/submission_feedback.html", takes_context=True)
def submission_feedback(context, submission):
    request = context.get("request")
    viewer = getattr(request, "user", None)
    feedback = feedback_for_submission(submission=submission, viewer=viewer)
    return {"submission": submission, "feedback": feedback}
