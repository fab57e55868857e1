"""Pages of the calibration loop. In the trainer console: the calibration inbox, flagging
from the review page, the discussion of a revealed session (comments, agreed scores,
escalation, the lead's decision, publishing), concluding and exporting a session. For
agents: the examples gallery. Thin: parse, call a service or selector, render."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from curriculum.access import require_view, trainer_required
from curriculum.csv_export import csv_response

from ..console import selectors as console_selectors
from ..console import trainer_calibration
from . import selectors, services
from .errors import CalibrationLoopError, CalibrationValidationError
from .models import ExampleKind, PublishedExample
from .selectors import FormState

# ---- inbox and flags ----------------------------------------------------------------------


@trainer_required
def calibration_inbox(request):
    cohorts = console_selectors.cohort_list_for_console(user=request.user)
    cohort = None
    if request.GET.get("cohort"):
        cohort = console_selectors.cohort_get_for_console(
            user=request.user, slug=request.GET["cohort"]
        )
    flags = selectors.calibration_inbox(user=request.user, cohort=cohort)
    context = {
        "flags": flags,
        "cohorts": cohorts,
        "cohort": cohort,
        "escalations": selectors.calibration_escalations_waiting(user=request.user),
    }
    return render(request, "grading/calibration/inbox.html", context)


@trainer_required
@require_POST
def calibration_flag(request, submission_id):
    submission = console_selectors.submission_get_for_review(
        user=request.user, submission_id=submission_id
    )
    try:
        services.calibration_flag_create(
            trainer=request.user,
            submission_id=submission.pk,
            kind=request.POST.get("kind", ""),
            criterion_key=request.POST.get("criterion", ""),
            note=request.POST.get("note", ""),
        )
    except CalibrationValidationError as exc:
        # Back to the review page with what was typed kept in the form.
        from ..console.views import _render_review

        return _render_review(
            request,
            submission,
            status=400,
            extra={"flag_errors": exc.errors, "flag_values": request.POST},
        )
    except CalibrationLoopError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Flagged for calibration: it waits in the calibration inbox.")
    return redirect("grading:console-review", submission_id=submission.pk)


@trainer_required
@require_POST
def calibration_flag_dismiss(request, flag_id):
    try:
        services.calibration_flag_dismiss(trainer=request.user, flag_id=flag_id)
    except CalibrationLoopError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Flag removed from the inbox.")
    return redirect("grading:console-calibration-inbox")


# ---- the session's discussion -------------------------------------------------------------


def render_session(request, session, *, values=None, errors=None, state=None, status=200):
    """The trainer calibration session page: the blind form, the waiting note, or the
    spread with the discussion."""
    page = trainer_calibration.trainer_calibration_page(
        session=session, user=request.user, values=values, errors=errors
    )
    if page.revealed:
        selectors.calibration_session_decorate(
            page, session=session, user=request.user, state=state
        )
    context = {"session": session, "page": page, "errors": errors or {}}
    return render(
        request, "grading/console/trainer_calibration_session.html", context, status=status
    )


def _item_action(request, session_id, item_id, action, call, success):
    session = console_selectors.trainer_calibration_session_get(
        user=request.user, session_id=session_id
    )
    if not session.items.filter(pk=item_id).exists():
        raise Http404("No such item in this session.")
    try:
        call()
    except CalibrationValidationError as exc:
        values = {
            key.split("__", 1)[1]: value
            for key, value in request.POST.items()
            if key.startswith(("agreed__", "decided__"))
        }
        values.update({k: v for k, v in request.POST.items() if "__" not in k})
        values["passages"] = request.POST.getlist("passages")
        state = FormState(item_id=item_id, action=action, values=values, errors=exc.errors)
        return render_session(request, session, state=state, status=400)
    except CalibrationLoopError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect(f"{_session_url(session.pk)}#item-{item_id}")


def _session_url(session_id):
    from django.urls import reverse

    return reverse("grading:console-trainer-calibration", args=[session_id])


def _scores(post, prefix):
    return {k.removeprefix(prefix): v for k, v in post.items() if k.startswith(prefix)}


@trainer_required
@require_POST
def calibration_comment(request, session_id, item_id):
    return _item_action(
        request,
        session_id,
        item_id,
        "comment",
        lambda: services.calibration_comment_add(
            trainer=request.user, item_id=item_id, body=request.POST.get("body", "")
        ),
        "Comment added.",
    )


@trainer_required
@require_POST
def calibration_agree(request, session_id, item_id):
    return _item_action(
        request,
        session_id,
        item_id,
        "agree",
        lambda: services.calibration_agreement_record(
            trainer=request.user, item_id=item_id, scores=_scores(request.POST, "agreed__")
        ),
        "Agreed scores recorded.",
    )


@trainer_required
@require_POST
def calibration_escalate(request, session_id, item_id):
    return _item_action(
        request,
        session_id,
        item_id,
        "escalate",
        lambda: services.calibration_escalate(
            trainer=request.user,
            item_id=item_id,
            lead_id=request.POST.get("lead", ""),
            reason=request.POST.get("reason", ""),
        ),
        "Sent to the lead trainer for a decision.",
    )


@trainer_required
@require_POST
def calibration_decide(request, session_id, item_id):
    return _item_action(
        request,
        session_id,
        item_id,
        "decide",
        lambda: services.calibration_escalation_decide(
            lead=request.user,
            item_id=item_id,
            scores=_scores(request.POST, "decided__"),
            note=request.POST.get("decision_note", ""),
        ),
        "Your decision is recorded; these scores stand.",
    )


@trainer_required
@require_POST
def calibration_publish(request, session_id, item_id):
    return _item_action(
        request,
        session_id,
        item_id,
        "publish",
        lambda: services.calibration_example_publish(
            trainer=request.user,
            item_id=item_id,
            kind=request.POST.get("kind", ""),
            criterion_key=request.POST.get("criterion", ""),
            title=request.POST.get("title", ""),
            commentary=request.POST.get("commentary", ""),
            passages=request.POST.getlist("passages"),
        ),
        "Published: in the gallery, the reviewers' practice set and the AI grader's examples.",
    )


@trainer_required
@require_POST
def calibration_conclude(request, session_id):
    session = console_selectors.trainer_calibration_session_get(
        user=request.user, session_id=session_id
    )
    try:
        services.trainer_calibration_conclude(trainer=request.user, session_id=session.pk)
    except CalibrationLoopError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Session concluded; its outcome is kept.")
    return redirect("grading:console-trainer-calibration", session_id=session.pk)


@trainer_required
def calibration_export(request, session_id):
    session = console_selectors.trainer_calibration_session_get(
        user=request.user, session_id=session_id
    )
    return csv_response(
        f"calibration-session-{session.pk}.csv",
        selectors.EXPORT_HEADER,
        selectors.calibration_session_export(session=session),
    )


@trainer_required
@require_POST
def calibration_withdraw(request, published_id):
    published = get_object_or_404(PublishedExample.objects.select_related("item"), pk=published_id)
    services.calibration_example_withdraw(trainer=request.user, published_id=published.pk)
    messages.success(request, "Example withdrawn from the gallery and the practice set.")
    return redirect("grading:console-trainer-calibration", session_id=published.item.session_id)


# ---- the gallery --------------------------------------------------------------------------


def _int(value):
    return int(value) if str(value or "").isdigit() else None


def gallery(request):
    filters = selectors.GalleryFilters(
        module=_int(request.GET.get("module")),
        exercise=_int(request.GET.get("exercise")),
        criterion=request.GET.get("criterion", "").strip()[:80],
        kind=request.GET.get("kind", "") if request.GET.get("kind") in ExampleKind.values else "",
        q=request.GET.get("q", "").strip()[:200],
    )
    entries, total = selectors.gallery_examples(filters=filters)
    modules, criteria = selectors.gallery_filter_choices()
    context = {
        "entries": entries,
        "total": total,
        "filters": filters,
        "modules": modules,
        "criteria": criteria,
        "kinds": ExampleKind.choices,
    }
    return render(request, "grading/calibration/gallery.html", context)


def gallery_example(request, published_id):
    try:
        entry = selectors.gallery_example_get(published_id=published_id)
    except PublishedExample.DoesNotExist:
        raise Http404("No such example.") from None
    require_view(request.user, entry.published)
    return render(request, "grading/calibration/gallery_example.html", {"entry": entry})
