"""The agent's home, the workspace (save, AI drafts, submit) and submissions. Thin views."""

import contextlib
import uuid
from datetime import timedelta

from django.contrib import messages
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from curriculum.access import agent_required, trainer_required
from curriculum.markdown import render_markdown
from curriculum.selectors import cohort_get_for_trainer
from text_analysis.passages import passage_report

from . import answers, assignments, drafting, forms, presenters, selectors, services
from .errors import (
    AssignmentValidationError,
    DraftUnavailableError,
    PromptTemplateError,
    SubmissionLimitError,
    SubmissionTokenReusedError,
    SubmissionValidationError,
    WorkspaceConflictError,
)
from .models import DraftRequest
from .prompt_library import selectors as prompt_selectors
from .prompt_library import services as prompt_services
from .prompt_library.models import PROMPT_EXERCISE_TYPES

CONFLICT_MESSAGE = (
    "This exercise was saved more recently in another tab or window. Your changes here are "
    "still on this page and in this browser; nothing was overwritten."
)

SUBMIT_CONFLICT_MESSAGE = (
    "Not submitted: this exercise was saved more recently in another tab or window, and "
    "this page is older. No attempt was used. This page still shows what you typed here; "
    "check it against your newer work (reload to see that), then submit the version you "
    "want."
)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@agent_required
def exercise_detail(request, exercise_slug):
    exercise = selectors.exercise_get(slug=exercise_slug)
    progress = selectors.exercise_progress(user=request.user, exercise=exercise)
    context = {
        "exercise": exercise,
        "progress": progress,
        "max_submissions": exercise.setting("max_submissions"),
    }
    return render(request, "exercises/exercise_detail.html", context)


def _open(request, exercise_slug, scenario_slug):
    exercise = selectors.exercise_get(slug=exercise_slug)
    scenario = selectors.scenario_get_for_exercise(exercise=exercise, slug=scenario_slug)
    workspace = services.workspace_open(user=request.user, exercise=exercise, scenario=scenario)
    return exercise, scenario, workspace


def _workspace_url(exercise, scenario, anchor: str = "") -> str:
    url = reverse("exercises:workspace", args=[exercise.slug, scenario.slug])
    return f"{url}#{anchor}" if anchor else url


def _draft_panel_html(request, *, exercise, variant: str, draft: DraftRequest | None) -> str:
    return render_to_string(
        "exercises/partials/draft_panel.html",
        {
            "draft": draft,
            "variant": variant,
            "exercise": exercise,
            "llm_configured": services.llm_configured(),
        },
        request=request,
    )


def _render_workspace(
    request,
    exercise,
    scenario,
    workspace,
    *,
    answer=None,
    errors=None,
    notice="",
    client_token=None,
    status=200,
):
    page = selectors.workspace_page(
        user=request.user, exercise=exercise, scenario=scenario, workspace=workspace
    )
    answer = workspace.answer if answer is None else answer
    errors = errors or {}
    values = forms.form_values(exercise_type=exercise.type, answer=answer)
    if not values.get("draft_used") and workspace.draft_used_id:
        values["draft_used"] = workspace.draft_used_id
    primary = page.primary_draft
    if (
        "reply" in values
        and not (values.get("reply") or "").strip()
        and primary is not None
        and primary.status == DraftRequest.Status.DONE
    ):
        # Without JavaScript the reply starts from the latest draft, ready to edit.
        values["reply"], values["draft_used"] = primary.text, primary.pk
    classification = answer.get("classification") if isinstance(answer, dict) else None

    def fields(prefix, choices):
        return [
            {
                "name": f"{prefix}__{key}",
                "label": label,
                "value": values.get(f"{prefix}__{key}", ""),
                "errors": errors.get(f"{prefix}__{key}"),
            }
            for key, label in choices
        ]

    context = {
        "page": page,
        "exercise": exercise,
        "scenario": scenario,
        "data": scenario.data,
        "workspace": workspace,
        "values": values,
        "findings": (answer.get("findings") or []) if exercise.type == "audit" else [],
        "rca_details": [
            {
                **detail,
                "value": (classification or {}).get(detail["id"], ""),
                "error": errors.get(f"classification__{detail['id']}"),
            }
            for detail in scenario.data.get("technical_details", [])
        ],
        "rca_context_html": mark_safe(  # noqa: S308 - render_markdown output is sanitised
            render_markdown(scenario.data.get("customer_context", ""))
        ),
        "plan_fields": fields("plan", answers.PLAN_FIELDS),
        "report_fields": fields("report", answers.REPORT_SECTIONS),
        "errors": errors,
        "notice": notice,
        "client_token": client_token or uuid.uuid4(),
        "llm_configured": services.llm_configured(),
        "reply_max_words": exercise.setting("reply_max_words"),
        "reply_cap_words": exercise.setting("reply_max_words") * 2,
        "rca_word_target": answers.RCA_REPORT_WORD_TARGET,
        "choices": answers.form_choices(),
        "prompt_templates": (
            prompt_selectors.prompt_template_choices(exercise_type=exercise.type)
            if exercise.type in PROMPT_EXERCISE_TYPES
            else []
        ),
        "draft_panels": {
            variant: _draft_panel_html(
                request, exercise=exercise, variant=variant, draft=page.drafts.get(variant)
            )
            for variant in drafting.DRAFT_VARIANTS[exercise.type]
        },
    }
    return render(request, "exercises/workspace.html", context, status=status)


@agent_required
@never_cache  # Back after submitting reloads it: a fresh submit token and revision.
def workspace(request, exercise_slug, scenario_slug):
    exercise, scenario, workspace = _open(request, exercise_slug, scenario_slug)
    return _render_workspace(request, exercise, scenario, workspace)


def _parse(request, exercise, scenario):
    return forms.workspace_post_parse(
        exercise_type=exercise.type, data=request.POST, scenario_data=scenario.data
    )


def _save(request, workspace, post):
    return services.workspace_save(
        user=request.user,
        workspace_id=workspace.pk,
        answer=post.answer,
        revision=post.revision if post.revision is not None else -1,
        draft_used_id=post.draft_used_id,
    )


def _conflict(request, exercise, scenario, exc, post):
    """409: the JSON client shows a notice; the plain form re-renders with what was typed."""
    current = exc.workspace
    if _wants_json(request):
        return JsonResponse(
            {
                "error": "conflict",
                "message": CONFLICT_MESSAGE,
                "revision": current.revision,
                "saved_at": current.updated_at.isoformat(),
                "answer": current.answer,
            },
            status=409,
        )
    # Re-render this tab's answer with the newer revision: saving again is then a
    # deliberate overwrite the agent chose after seeing the notice.
    return _render_workspace(
        request,
        exercise,
        scenario,
        current,
        answer=post.answer,
        notice=CONFLICT_MESSAGE + " Save again to replace the newer version with this one.",
        client_token=post.client_token,
        status=409,
    )


def _bad_input(request, exercise, scenario, workspace, message: str):
    if _wants_json(request):
        return JsonResponse({"error": "invalid", "message": message}, status=400)
    messages.error(request, message)
    return redirect(_workspace_url(exercise, scenario))


def _too_large(request, exercise, scenario, workspace, exc: forms.AnswerTooLargeError):
    """400: the JSON client keeps the typing; the plain form shows it again to shorten."""
    if _wants_json(request):
        return JsonResponse({"error": "invalid", "message": str(exc)}, status=400)
    return _render_workspace(
        request, exercise, scenario, workspace, answer=exc.answer, notice=str(exc), status=400
    )


@agent_required
@require_POST
def workspace_save(request, exercise_slug, scenario_slug):
    exercise, scenario, workspace = _open(request, exercise_slug, scenario_slug)
    try:
        post = _parse(request, exercise, scenario)
    except forms.AnswerTooLargeError as exc:
        return _too_large(request, exercise, scenario, workspace, exc)
    try:
        workspace = _save(request, workspace, post)
    except WorkspaceConflictError as exc:
        return _conflict(request, exercise, scenario, exc, post)
    if _wants_json(request):
        return JsonResponse(
            {"revision": workspace.revision, "saved_at": workspace.updated_at.isoformat()}
        )
    finding_edit = request.POST.get("action") == "add_finding" or request.POST.get("remove_finding")
    anchor = "step-findings" if finding_edit else ""
    if post.finding_refused:
        messages.error(request, post.finding_refused)
    messages.success(request, "Your work is saved.")
    return redirect(_workspace_url(exercise, scenario, anchor))


@agent_required
@require_POST
def workspace_insert_template(request, exercise_slug, scenario_slug):
    """Save what the agent typed, then append the chosen template to their prompt."""
    exercise, scenario, workspace = _open(request, exercise_slug, scenario_slug)
    try:
        post = _parse(request, exercise, scenario)
    except forms.AnswerTooLargeError as exc:
        return _too_large(request, exercise, scenario, workspace, exc)
    raw_id = request.POST.get("prompt_template", "")
    try:
        workspace = _save(request, workspace, post)
        workspace, prompt = prompt_services.prompt_template_insert(
            user=request.user,
            workspace_id=workspace.pk,
            version_id=int(raw_id) if raw_id.isdigit() else 0,
            revision=workspace.revision,
        )
    except WorkspaceConflictError as exc:
        return _conflict(request, exercise, scenario, exc, post)
    except PromptTemplateError as exc:
        if _wants_json(request):
            return JsonResponse(
                {"error": "invalid", "message": str(exc), "revision": workspace.revision},
                status=400,
            )
        return _bad_input(request, exercise, scenario, workspace, f"{exc} Your work is saved.")
    if _wants_json(request):
        return JsonResponse(
            {
                "revision": workspace.revision,
                "saved_at": workspace.updated_at.isoformat(),
                "prompt": prompt,
            }
        )
    messages.success(request, "Template inserted into your prompt. Edit it to fit this customer.")
    return redirect(_workspace_url(exercise, scenario, "step-prompt"))


def _draft_json(request, draft: DraftRequest, exercise) -> dict:
    return {
        "id": draft.pk,
        "variant": draft.variant,
        "status": draft.status,
        "text": draft.text if draft.status == DraftRequest.Status.DONE else "",
        "error": draft.error,
        "status_url": reverse("exercises:draft-status", args=[draft.pk]),
        "html": _draft_panel_html(request, exercise=exercise, variant=draft.variant, draft=draft),
    }


@agent_required
@require_POST
def draft_request(request, exercise_slug, scenario_slug):
    """Save what the agent typed, then ask for the AI draft(s) of their prompt."""
    exercise, scenario, workspace = _open(request, exercise_slug, scenario_slug)
    try:
        post = _parse(request, exercise, scenario)
    except forms.AnswerTooLargeError as exc:
        return _too_large(request, exercise, scenario, workspace, exc)
    try:
        workspace = _save(request, workspace, post)
        drafts = services.draft_request_create(user=request.user, workspace_id=workspace.pk)
    except WorkspaceConflictError as exc:
        return _conflict(request, exercise, scenario, exc, post)
    except DraftUnavailableError as exc:
        if _wants_json(request):
            # The answer was saved: the client needs the new revision to keep autosaving.
            return JsonResponse(
                {"error": "unavailable", "message": str(exc), "revision": workspace.revision},
                status=400,
            )
        return _bad_input(request, exercise, scenario, workspace, str(exc))
    if _wants_json(request):
        # Eager Celery (the embedded default) has already run the task: read fresh statuses.
        fresh = DraftRequest.objects.filter(pk__in=[d.pk for d in drafts]).order_by("pk")
        return JsonResponse(
            {
                "revision": workspace.revision,
                "drafts": [_draft_json(request, d, exercise) for d in fresh],
            }
        )
    return redirect(_workspace_url(exercise, scenario, "drafts"))


@agent_required
@require_POST
def passage_find(request, exercise_slug, scenario_slug):
    """JSON: where the passage the agent typed is in the draft under audit (the keyboard
    way to pick a passage, beside selecting it)."""
    exercise = selectors.exercise_get(slug=exercise_slug)
    scenario = selectors.scenario_get_for_exercise(exercise=exercise, slug=scenario_slug)
    draft = scenario.data.get("draft") or ""
    return JsonResponse(passage_report(request.POST.get("text", ""), draft, where="the draft"))


@agent_required
@require_GET
def draft_status(request, pk):
    draft = selectors.draft_request_get_for_owner(user=request.user, draft_request_id=pk)
    exercise = draft.workspace.exercise
    return JsonResponse(_draft_json(request, draft, exercise))


@agent_required
@require_POST
def workspace_submit(request, exercise_slug, scenario_slug):
    exercise, scenario, workspace = _open(request, exercise_slug, scenario_slug)
    try:
        post = _parse(request, exercise, scenario)
    except forms.AnswerTooLargeError as exc:
        return _too_large(request, exercise, scenario, workspace, exc)
    if post.client_token is None:
        return _render_workspace(
            request,
            exercise,
            scenario,
            workspace,
            answer=post.answer,
            notice="The form was incomplete; check your answer and submit again.",
            status=400,
        )
    try:
        submission = services.submission_create(
            user=request.user,
            exercise=exercise,
            scenario=scenario,
            answer=post.answer,
            client_token=post.client_token,
            draft_used_id=post.draft_used_id,
            revision=post.revision,
        )
    except WorkspaceConflictError as exc:
        # A stale tab: nothing is submitted and no attempt is spent. The page comes back
        # with this tab's answer on the newer revision, so submitting again is a choice.
        return _render_workspace(
            request,
            exercise,
            scenario,
            exc.workspace,
            answer=post.answer,
            notice=SUBMIT_CONFLICT_MESSAGE,
            client_token=post.client_token,
            status=409,
        )
    except SubmissionValidationError as exc:
        # Keep what was typed: in the re-rendered form, and saved when this tab is current.
        with contextlib.suppress(WorkspaceConflictError):
            workspace = _save(request, workspace, post)
        return _render_workspace(
            request,
            exercise,
            scenario,
            workspace,
            answer=post.answer,
            errors=exc.errors,
            notice="Your answer is not ready to submit yet: see the messages next to the steps.",
            client_token=post.client_token,
            status=400,
        )
    except SubmissionTokenReusedError as exc:
        # A page reopened after submitting: show its edits again with a fresh token.
        return _render_workspace(
            request,
            exercise,
            scenario,
            workspace,
            answer=post.answer,
            notice=(
                f"{exc} The changes on this page are not submitted yet: check them and "
                "submit again to make them a new attempt."
            ),
            status=409,
        )
    except SubmissionLimitError as exc:
        messages.error(request, str(exc))
        return redirect(_workspace_url(exercise, scenario))
    messages.success(request, f"Submitted: attempt {submission.attempt}.")
    return redirect("exercises:submission-detail", pk=submission.pk)


@agent_required
def submission_list(request):
    page = selectors.submission_list_for_user(user=request.user, page=request.GET.get("page"))
    return render(request, "exercises/submission_list.html", {"page_obj": page})


def submission_detail(request, pk):
    submission = selectors.submission_get_for_viewer(user=request.user, submission_id=pk)
    context = {
        "submission": submission,
        "view": presenters.submission_view(submission),
        "is_author": submission.user_id == request.user.pk,
        "llm_configured": services.llm_configured(),
        "sections": selectors.submission_page_sections_for(
            submission=submission, viewer=request.user
        ),
    }
    return render(request, "exercises/submission_detail.html", context)


# ---- assignments (the trainer console: set from the cohort page) --------------------------


def _assignment_form_page(request, *, cohort, form, assignment=None, status=200):
    context = {"cohort": cohort, "form": form, "assignment": assignment}
    return render(request, "exercises/assignments/assignment_form.html", context, status=status)


@trainer_required
@require_http_methods(["GET", "POST"])
def assignment_create(request, slug):
    cohort = cohort_get_for_trainer(user=request.user, slug=slug)
    now = timezone.localtime().replace(second=0, microsecond=0)
    initial = {
        "target": request.GET.get("target", ""),
        "opens_at": now,
        "due_at": (now + timedelta(days=7)).replace(hour=17, minute=0),
    }
    form = forms.AssignmentForm(
        request.POST or None, initial=initial, targets=selectors.assignment_target_choices()
    )
    if request.method == "GET":
        return _assignment_form_page(request, cohort=cohort, form=form)
    if form.is_valid():
        target = selectors.assignment_target_resolve(form.cleaned_data["target"])
        try:
            assignment = assignments.assignment_create(
                cohort=cohort,
                target=assignments.Target(**target),
                opens_at=form.cleaned_data["opens_at"],
                due_at=form.cleaned_data["due_at"],
                created_by=request.user,
            )
        except AssignmentValidationError as exc:
            form.add_error(None, str(exc))
        else:
            title = assignments.assignment_title(assignment)
            messages.success(request, f"Assigned {title}. The cohort's agents are emailed.")
            return redirect("cohorts:detail", slug=cohort.slug)
    return _assignment_form_page(request, cohort=cohort, form=form, status=400)


@trainer_required
@require_http_methods(["GET", "POST"])
def assignment_edit(request, slug, assignment_id):
    assignment = selectors.assignment_get_for_trainer(
        user=request.user, slug=slug, assignment_id=assignment_id
    )
    initial = {
        "opens_at": timezone.localtime(assignment.opens_at),
        "due_at": timezone.localtime(assignment.due_at),
    }
    form = forms.AssignmentForm(request.POST or None, initial=initial, editing=True)
    page = {"cohort": assignment.cohort, "form": form, "assignment": assignment}
    if request.method == "GET":
        return _assignment_form_page(request, **page)
    if form.is_valid():
        try:
            assignments.assignment_update(
                assignment=assignment,
                opens_at=form.cleaned_data["opens_at"],
                due_at=form.cleaned_data["due_at"],
            )
        except AssignmentValidationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "The dates were changed.")
            return redirect("cohorts:detail", slug=assignment.cohort.slug)
    return _assignment_form_page(request, **page, status=400)


@trainer_required
@require_POST
def assignment_delete(request, slug, assignment_id):
    assignment = selectors.assignment_get_for_trainer(
        user=request.user, slug=slug, assignment_id=assignment_id
    )
    title = assignments.assignment_title(assignment)
    assignments.assignment_delete(assignment=assignment)
    messages.success(request, f"{title} is no longer assigned.")
    return redirect("cohorts:detail", slug=assignment.cohort.slug)
