"""The trainers' prompt-template page: author, add versions, review proposals, and see
how each version did. Thin: parse, call exercises' services, render."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from curriculum.access import trainer_required
from exercises.errors import PromptTemplateError
from exercises.prompt_library import selectors as library_selectors
from exercises.prompt_library import services as library_services
from exercises.prompt_library.views import FORM_FIELDS, library_context

from . import selectors


def _page(request, *, status=200, review_values=None, **form_state):
    context = library_context(user=request.user, **form_state)
    context.update(
        stats=selectors.prompt_version_stats(),
        baseline=selectors.prompt_baseline_by_type(),
        proposals=library_selectors.prompt_proposals_pending(),
        sessions=selectors.calibration_sessions_for_templates(user=request.user),
        review_values=review_values or {},
    )
    for entry in context["entries"]:
        entry.rows = [
            (version, context["stats"].get(version.pk, selectors.EMPTY))
            for version in entry.versions
        ]
        entry.baseline = context["baseline"].get(entry.template.exercise_type)
    return render(request, "grading/prompt_library/trainer_library.html", context, status=status)


@trainer_required
@require_GET
def library(request):
    return _page(request)


def _session_id(request) -> int | None:
    """The chosen motivating session, if it is one of the trainer's; raises otherwise."""
    raw = request.POST.get("calibration_session", "")
    if not raw:
        return None
    allowed = {s.pk for s in selectors.calibration_sessions_for_templates(user=request.user)}
    if not raw.isdigit() or int(raw) not in allowed:
        raise PromptTemplateError(
            "Pick one of your cohorts' calibration sessions, or none.", field="calibration_session"
        )
    return int(raw)


def _form_error(request, exc, **form_state):
    return _page(request, status=400, errors={exc.field or "form": str(exc)}, **form_state)


@trainer_required
@require_POST
def template_create(request):
    values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
    values["calibration_session"] = request.POST.get("calibration_session", "")
    try:
        version = library_services.prompt_template_create(
            user=request.user,
            calibration_session_id=_session_id(request),
            **{name: values[name] for name in FORM_FIELDS},
        )
    except PromptTemplateError as exc:
        return _form_error(request, exc, new_values=values)
    messages.success(request, f"“{version.template.name}” is in the library, version 1.")
    return redirect("grading:prompt-library")


@trainer_required
@require_POST
def version_add(request, template_id):
    template = library_selectors.prompt_template_get(user=request.user, template_id=template_id)
    values = {
        "template_id": template.pk,
        "body": request.POST.get("body", ""),
        "change_note": request.POST.get("change_note", ""),
        "calibration_session": request.POST.get("calibration_session", ""),
    }
    try:
        version = library_services.prompt_template_version_add(
            user=request.user,
            template_id=template.pk,
            body=values["body"],
            change_note=values["change_note"],
            calibration_session_id=_session_id(request),
        )
    except PromptTemplateError as exc:
        return _form_error(request, exc, version_values=values)
    messages.success(
        request, f"Version {version.number} of “{template.name}” is now the one agents insert."
    )
    return redirect("grading:prompt-library")


@trainer_required
@require_POST
def proposal_review(request, version_id):
    decision = request.POST.get("decision", "")
    note = request.POST.get("note", "")
    try:
        if decision not in ("approve", "reject"):
            raise PromptTemplateError("Approve or reject the proposal.")
        version = library_services.prompt_template_version_review(
            user=request.user, version_id=version_id, approve=decision == "approve", note=note
        )
    except PromptTemplateError as exc:
        return _form_error(request, exc, review_values={"version_id": version_id, "note": note})
    verb = "approved" if decision == "approve" else "rejected"
    messages.success(request, f"Version {version.number} of “{version.template.name}” {verb}.")
    return redirect("grading:prompt-library")
