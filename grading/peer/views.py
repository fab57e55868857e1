"""Peer-review pages: the agent's queue, the review form, reviewer calibration, the author's
responses and the trainer's cohort page. Thin: parse, call a service or selector, render."""

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from curriculum.access import agent_required, trainer_required
from curriculum.selectors import cohort_list_for_trainer
from text_analysis.passages import passage_report

from . import forms, selectors, services
from .errors import (
    PeerReviewClosedError,
    PeerReviewNotAllowedError,
    PeerReviewValidationError,
    ReviewerCalibrationRequiredError,
)


@agent_required
def peer_home(request):
    statuses, accuracy = selectors.peer_home_for_agent(user=request.user)
    context = {"statuses": statuses, "accuracy": accuracy, "nothing_left": services.NOTHING_LEFT}
    return render(request, "grading/peer/home.html", context)


@agent_required
@require_POST
def peer_next(request, exercise_slug):
    exercise = selectors.exercise_get_for_peer(slug=exercise_slug)
    try:
        review = services.peer_review_next(reviewer=request.user, exercise=exercise)
    except ReviewerCalibrationRequiredError as exc:
        messages.info(request, str(exc))
        return redirect("grading:peer-reviewer-calibration", exercise_slug=exercise.slug)
    except PeerReviewNotAllowedError as exc:
        messages.error(request, str(exc))
        return redirect("grading:peer-home")
    if review is None:
        messages.info(request, services.NOTHING_LEFT)
        return redirect("grading:peer-home")
    return redirect("grading:peer-review", review_id=review.pk)


def _render_review(request, review, *, values=None, errors=None, status=200):
    page = selectors.review_page(review=review)
    values = values or services.ReviewInput()
    errors = errors or {}
    context = {
        "page": page,
        "review": review,
        "values": values,
        "criteria_rows": [
            (c, f"score__{c.key}", (values.scores.get(c.key) or "").strip()) for c in page.criteria
        ],
        "question_rows": [(key, q, getattr(values, key)) for key, q in page.questions],
        # Each comment with its errors key; a refused one comes back with its passage editable.
        "inline_rows": [
            (item, services.inline_error_key(index), services.inline_error_key(index) in errors)
            for index, item in enumerate(values.inline)
            if (item.quote or "").strip() or (item.body or "").strip()
        ],
        "errors": errors,
        "is_self": review.kind == review.Kind.SELF,
    }
    return render(request, "grading/peer/review_form.html", context, status=status)


@agent_required
def peer_review(request, review_id):
    review = selectors.peer_review_get_for_reviewer(user=request.user, review_id=review_id)
    if request.method != "POST":
        if review.status not in (review.Status.IN_PROGRESS, review.Status.EXPIRED):
            messages.info(request, "You have already handed in this review.")
            return redirect("grading:peer-home")
        return _render_review(request, review)
    data = forms.parse_review(request.POST)
    try:
        services.peer_review_submit(review_id=review.pk, reviewer=request.user, data=data)
    except PeerReviewValidationError as exc:
        return _render_review(request, review, values=data, errors=exc.errors, status=400)
    except (PeerReviewClosedError, PeerReviewNotAllowedError) as exc:
        messages.warning(request, str(exc))
        return redirect("grading:peer-home")
    if review.kind == review.Kind.SELF:
        messages.success(request, "Self-assessment saved. Now review your colleagues' work.")
    else:
        messages.success(request, "Review handed in. Thank you!")
    return redirect("grading:peer-home")


@agent_required
@require_POST
def peer_review_passage(request, review_id):
    """JSON: where the passage the reviewer typed is in the chosen part of the work (the
    keyboard way to anchor an inline comment, beside selecting it)."""
    review = selectors.peer_review_get_for_reviewer(user=request.user, review_id=review_id)
    field = selectors.review_field(review=review, path=request.POST.get("field", ""))
    if field is None:
        return JsonResponse(
            {"found": False, "message": "Choose the part the passage is in."}, status=400
        )
    where = f"the {field.label[0].lower()}{field.label[1:]}"
    return JsonResponse(passage_report(request.POST.get("text", ""), field.text, where=where))


@agent_required
@require_POST
def peer_review_report(request, review_id):
    review = selectors.peer_review_get_for_reviewer(user=request.user, review_id=review_id)
    try:
        services.peer_review_flag_inappropriate(
            review_id=review.pk, reviewer=request.user, reason=request.POST.get("reason", "")
        )
    except PeerReviewValidationError as exc:
        return _render_review(
            request, review, values=forms.parse_review(request.POST), errors=exc.errors, status=400
        )
    except (PeerReviewClosedError, PeerReviewNotAllowedError) as exc:
        messages.warning(request, str(exc))
        return redirect("grading:peer-home")
    messages.success(request, "Thank you. A trainer will look at this submission.")
    return redirect("grading:peer-home")


def _back_to_submission(request, review, *, failed: bool = False):
    """To the review just rated or disputed; to the top, where the message shows, on error."""
    url = reverse("grading:peer-submission", args=[review.submission_id])
    return redirect(url if failed else f"{url}#peer-review-{review.pk}")


@require_POST
def peer_review_rate(request, review_id):
    review = selectors.peer_review_get_for_author(user=request.user, review_id=review_id)
    try:
        services.peer_review_rate(
            review_id=review.pk, author=request.user, helpfulness=request.POST.get("helpfulness")
        )
    except PeerReviewValidationError as exc:
        messages.error(request, str(exc))
        return _back_to_submission(request, review, failed=True)
    messages.success(request, "Thanks for rating the review.")
    return _back_to_submission(request, review)


@require_POST
def peer_review_dispute(request, review_id):
    review = selectors.peer_review_get_for_author(user=request.user, review_id=review_id)
    try:
        services.peer_review_dispute(
            review_id=review.pk, author=request.user, reason=request.POST.get("reason", "")
        )
    except PeerReviewValidationError as exc:
        messages.error(request, str(exc))
        return _back_to_submission(request, review, failed=True)
    messages.success(request, "Your dispute has been sent to a trainer.")
    return _back_to_submission(request, review)


def peer_submission(request, submission_id):
    """The reviews of one submission (the author's, or a trainer's view of them)."""
    submission = selectors.submission_get_for_peer_page(
        user=request.user, submission_id=submission_id
    )
    return render(request, "grading/peer/submission_reviews.html", {"submission": submission})


def _int(post, name: str) -> int:
    try:
        return int(post.get(name) or 0)
    except ValueError:
        return 0


@agent_required
def reviewer_calibration(request, exercise_slug):
    exercise = selectors.exercise_get_for_peer(slug=exercise_slug)
    values, errors, result, status = {}, {}, None, 200
    if request.method == "POST":
        values = forms.parse_scores(request.POST)
        try:
            result = services.reviewer_calibration_submit(
                reviewer=request.user,
                exercise=exercise,
                example_id=_int(request.POST, "example"),
                scores=values,
            )
        except PeerReviewValidationError as exc:
            errors, status = exc.errors, 400
        except PeerReviewNotAllowedError as exc:
            messages.error(request, str(exc))
            return redirect("grading:peer-reviewer-calibration", exercise_slug=exercise.slug)
        else:
            values = {}
    page = selectors.reviewer_calibration_page(user=request.user, exercise=exercise)
    if errors:
        # Score the same example again, with what was typed.
        page = selectors.reviewer_calibration_page_for_example(
            page=page, example_id=_int(request.POST, "example")
        )
    context = {
        "page": page,
        "values": values,
        "errors": errors,
        "result": result,
        "result_rows": selectors.reviewer_calibration_result_rows(attempt=result) if result else [],
    }
    return render(request, "grading/peer/reviewer_calibration.html", context, status=status)


@trainer_required
def peer_cohort_list(request):
    cohorts = cohort_list_for_trainer(user=request.user)
    return render(request, "grading/peer/cohort_list.html", {"cohorts": cohorts})


@trainer_required
def peer_cohort(request, slug):
    cohort = selectors.cohort_get_for_trainer(user=request.user, slug=slug)
    overview = selectors.peer_cohort_overview(
        cohort=cohort,
        waiting_page=request.GET.get("page"),
        reviewers_page=request.GET.get("reviewers"),
    )
    return render(request, "grading/peer/cohort.html", {"overview": overview, "cohort": cohort})


@trainer_required
@require_POST
def peer_allocate(request, slug):
    cohort = selectors.cohort_get_for_trainer(user=request.user, slug=slug, change=True)
    try:
        services.peer_review_allocate(
            trainer=request.user,
            cohort=cohort,
            submission_id=_int(request.POST, "submission"),
            reviewer_id=_int(request.POST, "reviewer"),
        )
    except PeerReviewNotAllowedError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Review allocated.")
    return redirect("grading:peer-cohort", slug=cohort.slug)
