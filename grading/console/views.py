"""Trainer console pages: the review queue, the review form, releases, cohort grading
settings and trainer calibration sessions (progress, its CSV exports and grader quality are
reporting: reporting/views.py). Thin: parse, call a service or selector, render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from curriculum.access import trainer_required

from . import forms, selectors, services, trainer_calibration
from .errors import (
    ConsoleNotAllowedError,
    QueueItemLockedError,
    ReviewValidationError,
    TrainerCalibrationError,
)


@trainer_required
def console_home(request):
    cohorts = selectors.cohort_list_for_console(user=request.user)
    return render(request, "grading/console/home.html", {"cohorts": cohorts})


# ---- queue and review --------------------------------------------------------------------


@trainer_required
def queue(request):
    cohorts = selectors.cohort_list_for_console(user=request.user)
    cohort = None
    if request.GET.get("cohort"):
        cohort = selectors.cohort_get_for_console(user=request.user, slug=request.GET["cohort"])
    kind = selectors.QueueKind.clean(request.GET.get("kind"))
    paginator = Paginator(
        selectors.queue_submissions(user=request.user, cohort=cohort, kind=kind),
        selectors.QUEUE_PAGE_SIZE,
    )
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "rows": selectors.queue_rows(page.object_list, user=request.user),
        "page": page,
        "summary": selectors.queue_summary_for_trainer(user=request.user, cohort=cohort),
        "kinds": selectors.QueueKind.CHOICES,
        "kind": kind,
        "cohorts": cohorts,
        "cohort": cohort,
    }
    return render(request, "grading/console/queue.html", context)


@trainer_required
@require_POST
def queue_open(request, submission_id):
    submission = selectors.submission_get_for_review(user=request.user, submission_id=submission_id)
    try:
        services.queue_item_open(trainer=request.user, submission_id=submission.pk)
    except QueueItemLockedError as exc:
        messages.warning(request, str(exc))
    return redirect("grading:console-review", submission_id=submission.pk)


@trainer_required
@require_POST
def queue_unlock(request, submission_id):
    submission = selectors.submission_get_for_review(user=request.user, submission_id=submission_id)
    services.queue_item_unlock(trainer=request.user, submission_id=submission.pk)
    messages.info(request, "The item is back in the queue.")
    return redirect("grading:console-queue")


def _render_review(request, submission, *, data=None, errors=None, status=200, extra=None):
    page = selectors.review_page(submission=submission, user=request.user, data=data, errors=errors)
    context = {
        "page": page,
        "disputes": selectors.disputes_for_submission(submission=submission),
        "calibration_flags": selectors.calibration_flags_for_submission(submission=submission),
        **(extra or {}),
    }
    return render(request, "grading/console/review.html", context, status=status)


@trainer_required
@require_POST
def dispute_decide(request, submission_id, review_id):
    """Uphold or dismiss an author's dispute of a peer review, with a note to the agent."""
    from ..peer.errors import PeerReviewError, PeerReviewValidationError
    from ..peer.services import peer_dispute_decide

    submission = selectors.submission_get_for_review(user=request.user, submission_id=submission_id)
    if not submission.peer_reviews.filter(pk=review_id).exists():
        raise Http404("No such review of this submission.")
    try:
        decision = peer_dispute_decide(
            trainer=request.user,
            review_id=review_id,
            outcome=request.POST.get("outcome", ""),
            note=request.POST.get("note", ""),
        )
    except PeerReviewValidationError as exc:
        errors = {key: " ".join(messages_) for key, messages_ in exc.errors.items()}
        extra = {"dispute_errors": errors, "dispute_values": request.POST, "dispute_id": review_id}
        return _render_review(request, submission, status=400, extra=extra)
    except PeerReviewError as exc:
        messages.error(request, str(exc))
    else:
        if decision.outcome == decision.Outcome.UPHELD:
            messages.success(request, "Dispute upheld: the review no longer counts; grade updated.")
        else:
            messages.success(request, "Dispute dismissed: the review stands.")
    return redirect("grading:console-review", submission_id=submission.pk)


@trainer_required
def review(request, submission_id):
    submission = selectors.submission_get_for_review(user=request.user, submission_id=submission_id)
    if request.method != "POST":
        return _render_review(request, submission)
    data = forms.parse_review(request.POST)
    try:
        services.trainer_review_submit(trainer=request.user, submission_id=submission.pk, data=data)
    except ReviewValidationError as exc:
        return _render_review(request, submission, data=data, errors=exc.errors, status=400)
    except QueueItemLockedError as exc:
        messages.error(request, str(exc))
        return _render_review(request, submission, data=data, status=409)
    messages.success(request, "Grade saved; the item left the queue.")
    return redirect("grading:console-review", submission_id=submission.pk)


@trainer_required
@require_POST
def release(request, submission_id):
    submission = selectors.submission_get_for_review(user=request.user, submission_id=submission_id)
    services.grade_release(trainer=request.user, submission_id=submission.pk)
    messages.success(request, "The agent can now see this grade.")
    return redirect("grading:console-review", submission_id=submission.pk)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


RELEASE_RETURN_PAGES = {"progress": "grading:console-progress", "held": "grading:console-held"}


@trainer_required
@require_POST
def release_exercise(request, slug):
    """Release every held grade of one exercise, after a confirmation page (a form posted
    without `confirm=yes` shows what would be released). Goes back to the page it came
    from with the same exercise chosen."""
    cohort = selectors.cohort_get_for_console(user=request.user, slug=slug)
    back = request.POST.get("back")
    back = back if back in RELEASE_RETURN_PAGES else "progress"
    back_url = reverse(RELEASE_RETURN_PAGES[back], kwargs={"slug": cohort.slug})
    exercise_id = _int_or_none(request.POST.get("exercise"))
    if exercise_id is None:
        messages.error(request, "Choose an exercise.")
        return redirect(back_url)
    if request.POST.get("confirm") != "yes":
        by_exercise = selectors.held_grades_by_exercise(cohort=cohort)
        held = next((h for h in by_exercise if h.exercise_id == exercise_id), None)
        context = {"cohort": cohort, "held": held, "back": back, "back_url": back_url,
                   "exercise_id": exercise_id}  # fmt: skip
        return render(request, "grading/console/release_confirm.html", context)
    count = services.grade_release_exercise(
        trainer=request.user, cohort=cohort, exercise_id=exercise_id
    )
    messages.success(request, f"Released {count} grade{'s' if count != 1 else ''}.")
    return redirect(f"{back_url}?{urlencode({'exercise': exercise_id})}")


@trainer_required
def held_grades(request, slug):
    """What waits for release in a cohort that releases grades by hand, per exercise."""
    cohort = selectors.cohort_get_for_console(user=request.user, slug=slug)
    exercise_id = _int_or_none(request.GET.get("exercise"))
    by_exercise = selectors.held_grades_by_exercise(cohort=cohort)
    shown = exercise_id if any(h.exercise_id == exercise_id for h in by_exercise) else None
    paginator = Paginator(
        selectors.held_grades_submissions(cohort=cohort, exercise_id=shown),
        selectors.HELD_PAGE_SIZE,
    )
    context = {
        "cohort": cohort,
        "by_exercise": by_exercise,
        "exercise_id": shown,
        "page": paginator.get_page(request.GET.get("page")),
        "release_mode": selectors.release_mode_of(cohort=cohort),
    }
    return render(request, "grading/console/held.html", context)


# ---- cohort settings ---------------------------------------------------------------------


@trainer_required
def cohort_settings(request, slug):
    cohort = selectors.cohort_get_for_console(user=request.user, slug=slug)
    current = services.cohort_settings_get(cohort=cohort)
    form = forms.CohortGradingSettingsForm.for_settings(
        current, data=request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and form.is_valid():
        services.cohort_settings_update(
            user=request.user,
            cohort=cohort,
            release_mode=form.cleaned_data["release_mode"],
            audit_rate=form.cleaned_data["audit_percent"] / 100,
            mastery_threshold=form.cleaned_data["mastery_percent"] / 100,
            review_share=(
                None
                if form.cleaned_data["review_percent"] is None
                else form.cleaned_data["review_percent"] / 100
            ),
        )
        messages.success(request, "Grading settings saved.")
        return redirect("grading:console-settings", slug=cohort.slug)
    status = 400 if request.method == "POST" else 200
    context = {"cohort": cohort, "form": form}
    return render(request, "grading/console/settings.html", context, status=status)


@trainer_required
@require_POST
def regrade_llm(request, slug):
    """Re-run LLM grading for the cohort's submissions without an LLM grade (all of them, or
    only those flagged "LLM grading failed")."""
    from ..services import GradingNotConfiguredError, grading_llm_rerun, submissions_for_llm_rerun

    cohort = selectors.cohort_get_for_console(user=request.user, slug=slug)
    flagged = request.POST.get("scope") == "flagged"
    try:
        queued = grading_llm_rerun(
            submission_ids=submissions_for_llm_rerun(cohort_id=cohort.pk, flagged=flagged)
        )
    except GradingNotConfiguredError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"AI grading queued again for {len(queued)} submission{'s' if len(queued) != 1 else ''}"
            "; their offline grades show as provisional until it lands.",
        )
    return redirect("grading:console-settings", slug=cohort.slug)


# ---- progress ----------------------------------------------------------------------------


# ---- trainer calibration sessions -----------------------------------------------------------


@trainer_required
def trainer_calibration_list(request, slug):
    from ..calibration import selectors as calibration_selectors

    cohort = selectors.cohort_get_for_console(user=request.user, slug=slug)
    exercise_choices, criterion_choices = calibration_selectors.calibration_filter_choices(
        cohort=cohort
    )
    filter_form = forms.CalibrationCandidateFilterForm(
        data=request.GET or None,
        exercise_choices=exercise_choices,
        criterion_choices=criterion_choices,
    )
    filters = calibration_selectors.CandidateFilters()
    if filter_form.is_bound and filter_form.is_valid():
        filters = calibration_selectors.CandidateFilters(**filter_form.cleaned_data)
    candidates, matched = calibration_selectors.calibration_candidates(
        cohort=cohort, filters=filters
    )
    flags = calibration_selectors.calibration_inbox(user=request.user, cohort=cohort)
    form = forms.TrainerCalibrationSessionForm(
        data=request.POST if request.method == "POST" else None,
        submission_choices=candidates,
        trainer_choices=trainer_calibration.trainer_calibration_co_trainers(
            cohort=cohort, user=request.user
        ),
        flag_choices=[
            (
                f.pk,
                f"{f.get_kind_display()}{' · ' + f.criterion_key if f.criterion_key else ''}"
                f" · {f.submission.exercise.title} · {f.submission.user.display_name}"
                f" · {f.note[:80]}",
            )
            for f in flags
        ],
    )
    if request.method == "POST" and form.is_valid():
        try:
            session = services.trainer_calibration_session_create(
                trainer=request.user,
                cohort=cohort,
                title=form.cleaned_data["title"],
                submission_ids=form.cleaned_data["submissions"],
                co_trainer_ids=form.cleaned_data["co_trainers"],
                flag_ids=form.cleaned_data["flags"],
            )
        except (TrainerCalibrationError, ConsoleNotAllowedError) as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, "Trainer calibration session created; your co-trainers can score."
            )
            return redirect("grading:console-trainer-calibration", session_id=session.pk)
    sessions = trainer_calibration.trainer_calibration_sessions_for(
        cohort=cohort, user=request.user
    )
    status = 400 if request.method == "POST" else 200
    context = {
        "cohort": cohort,
        "form": form,
        "sessions": sessions,
        "filter_form": filter_form,
        "matched": matched,
        "shown": len(candidates),
    }
    return render(request, "grading/console/trainer_calibration_list.html", context, status=status)


@trainer_required
def trainer_calibration_session(request, session_id):
    session = selectors.trainer_calibration_session_get(user=request.user, session_id=session_id)
    errors = {}
    values = {}
    if request.method == "POST":
        values = forms.parse_trainer_calibration_scores(request.POST)
        try:
            services.trainer_calibration_scores_submit(
                trainer=request.user, session_id=session.pk, scores=values
            )
        except ReviewValidationError as exc:
            errors = exc.errors
        except TrainerCalibrationError as exc:
            messages.error(request, str(exc))
            return redirect("grading:console-trainer-calibration", session_id=session.pk)
        else:
            messages.success(request, "Scores handed in.")
            return redirect("grading:console-trainer-calibration", session_id=session.pk)
    from ..calibration.views import render_session

    return render_session(
        request, session, values=values, errors=errors, status=400 if errors else 200
    )
