"""Grading pages: the feedback partial that the submission page polls."""

from django.shortcuts import get_object_or_404, render

from curriculum.access import require_view
from exercises.models import Submission

from .calibration.selectors import weak_criteria_with_examples
from .selectors import feedback_for_submission


def submission_feedback(request, submission_id: int):
    submission = get_object_or_404(Submission, pk=submission_id)
    require_view(request.user, submission)
    feedback = feedback_for_submission(submission=submission, viewer=request.user)
    context = {
        "submission": submission,
        "feedback": feedback,
        "weak_examples": weak_criteria_with_examples(submission=submission, feedback=feedback),
    }
    return render(request, "grading/submission_feedback.html", context)
