"""Authoring pages for trainers: tickets to scenarios (with the redaction review), the
scenario editor with the agent's preview and a dry-run grade, and the rubric editor.
Thin: parse, call a service or selector, render."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from curriculum.access import require_change, trainer_required
from curriculum.markdown import render_markdown
from curriculum.models import Exercise, ExerciseType
from exercises import answers

from . import editor, forms, review, selectors, services
from .tickets import TicketParseError, parse_export, parse_pasted_thread


@trainer_required
def home(request):
    return render(
        request,
        "authoring/home.html",
        {
            "drafts": list(selectors.draft_list()[:200]),
            "types": ExerciseType.choices,
            "exercises": selectors.exercise_choices(),
        },
    )


# ---- tickets → drafts ---------------------------------------------------------------------


def _exercise_or_none(value, scenario_type: str | None = None):
    if not str(value or "").isdigit():
        return None
    exercise = Exercise.objects.filter(pk=int(value), retired_at__isnull=True).first()
    if exercise is not None and scenario_type and exercise.type != scenario_type:
        return None
    return exercise


def _review_page(request, *, tickets_json, tickets, post, status=200, notice=""):
    extra_terms = review.extra_terms_from(post.get("extra_terms", ""))
    undone = review.undone_from_post(post)
    results = review.redact_all(tickets, extra_terms=extra_terms, undone=undone)
    scenario_type = post.get("scenario_type") or "tone"
    return render(
        request,
        "authoring/ticket_review.html",
        {
            "pages": review.review_pages(tickets, results),
            "tickets_json": tickets_json,
            "digest": review.review_digest(tickets_json, extra_terms),
            "extra_terms": post.get("extra_terms", ""),
            "scenario_type": scenario_type,
            "types": ExerciseType.choices,
            "exercises": selectors.exercise_choices(),
            "exercise_id": post.get("exercise", ""),
            "notice": notice,
        },
        status=status,
    )


# Error reports never carry the original ticket text (it travels in these fields).
@sensitive_post_parameters("thread", "tickets_json", "extra_terms")
@trainer_required
def ticket_import(request):
    """Paste or upload (GET: the form; POST: parse, redact and show the review)."""
    form = forms.TicketImportForm(request.POST or None, request.FILES or None)
    context = {"form": form, "exercises": selectors.exercise_choices()}
    if request.method != "POST" or not form.is_valid():
        return render(
            request, "authoring/ticket_import.html", context, status=400 if form.errors else 200
        )
    try:
        upload = form.cleaned_data.get("export")
        if upload:
            tickets = parse_export(name=upload.name, content=upload.read())
        else:
            tickets = [parse_pasted_thread(form.cleaned_data["thread"])]
    except TicketParseError as exc:
        form.add_error(None, f"The ticket could not be read: {exc}.")
        return render(request, "authoring/ticket_import.html", context, status=400)
    return _review_page(
        request, tickets_json=review.tickets_to_json(tickets), tickets=tickets, post=request.POST
    )


@sensitive_post_parameters("tickets_json", "extra_terms")
@trainer_required
@require_POST
def ticket_confirm(request):
    """Update the review (extra terms, undos) or confirm it and store the drafts."""
    tickets_json = request.POST.get("tickets_json", "")
    try:
        tickets = review.tickets_from_json(tickets_json)
    except TicketParseError as exc:
        messages.error(request, f"{exc}.")
        return redirect("authoring:ticket-import")
    extra_terms = review.extra_terms_from(request.POST.get("extra_terms", ""))
    scenario_type = request.POST.get("scenario_type", "")
    seen = request.POST.get("digest") == review.review_digest(tickets_json, extra_terms)
    if request.POST.get("action") != "confirm" or not seen:
        notice = "" if seen or request.POST.get("action") != "confirm" else (
            "The terms to redact changed since this list was shown: check it again, then confirm."
        )  # fmt: skip
        return _review_page(
            request, tickets_json=tickets_json, tickets=tickets, post=request.POST, notice=notice
        )
    if scenario_type not in ExerciseType.values:
        return _review_page(
            request,
            tickets_json=tickets_json,
            tickets=tickets,
            post=request.POST,
            status=400,
            notice="Choose the exercise type of the scenario.",
        )
    results = review.redact_all(
        tickets, extra_terms=extra_terms, undone=review.undone_from_post(request.POST)
    )
    drafts = services.scenario_drafts_from_tickets(
        user=request.user,
        results=results,
        scenario_type=scenario_type,
        exercise=_exercise_or_none(request.POST.get("exercise"), scenario_type),
    )
    messages.success(
        request,
        f"{len(drafts)} draft scenario(s) created from the redacted ticket(s). "
        "The original text was not stored.",
    )
    return redirect("authoring:draft-edit", drafts[0].pk)


# ---- the scenario editor ------------------------------------------------------------------


@trainer_required
@require_POST
def draft_create(request):
    scenario_type = request.POST.get("scenario_type", "")
    if scenario_type not in ExerciseType.values:
        messages.error(request, "Choose the exercise type of the new scenario.")
        return redirect("authoring:home")
    draft = services.scenario_draft_create(
        user=request.user,
        scenario_type=scenario_type,
        title=request.POST.get("title", ""),
        exercise=_exercise_or_none(request.POST.get("exercise"), scenario_type),
    )
    return redirect("authoring:draft-edit", draft.pk)


def _editor_page(request, draft, *, values=None, parse_errors=None, problems=None, status=200):
    facts = selectors.fact_choices()
    data = draft.data
    values = values or editor.form_values(scenario_type=draft.type, data=data)
    parse_errors = parse_errors or {}
    if problems is None:
        problems = services.scenario_problems(draft=draft)
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        by_field.setdefault(problem.field, []).append(str(problem))
    for name, message in parse_errors.items():
        by_field.setdefault(name, []).insert(0, message)
    fields = [
        {
            "spec": spec,
            "name": spec.name,
            "value": values.get(spec.name, ""),
            "errors": by_field.get(spec.name, []),
        }
        for spec in editor.TYPE_FIELDS[draft.type]
    ]
    chosen_facts = values.get("kb_facts_list")
    if chosen_facts is None:
        chosen_facts = list(data.get("kb_facts") or [])
    return render(
        request,
        "authoring/draft_edit.html",
        {
            "draft": draft,
            "values": values,
            "fields": fields,
            "errors": by_field,
            "general_errors": by_field.get("", []),
            "problem_count": len(problems) + len(parse_errors),
            "facts": facts,
            "chosen_facts": set(chosen_facts),
            "plans": selectors.plan_names(facts),
            "exercises": selectors.exercise_choices(scenario_type=draft.type),
            "redaction_counts": _redaction_counts(draft),
        },
        status=status,
    )


def _redaction_counts(draft) -> list[tuple[str, int]]:
    from .redaction import KIND_LABELS

    counts: dict[str, int] = {}
    for item in draft.redactions:
        if not item.get("undone"):
            label = KIND_LABELS.get(item.get("kind"), item.get("kind"))
            counts[label] = counts.get(label, 0) + 1
    return sorted(counts.items())


@trainer_required
def draft_edit(request, pk):
    draft = selectors.draft_get_for_trainer(user=request.user, draft_id=pk)
    if request.method != "POST":
        return _editor_page(request, draft)
    require_change(request.user, draft)
    facts = [f.slug for f in selectors.fact_choices()]
    data, parse_errors = editor.data_from_post(
        scenario_type=draft.type, post=request.POST, facts=facts
    )
    exercise = _exercise_or_none(request.POST.get("exercise"))
    if parse_errors:
        values = dict(request.POST.items())
        values["kb_facts_list"] = request.POST.getlist("kb_facts")
        draft.exercise = exercise
        problems = services.scenario_problems(draft=draft, data=draft.data)
        messages.error(request, "Some fields could not be read; nothing was saved. Fix them below.")
        return _editor_page(
            request, draft, values=values, parse_errors=parse_errors, problems=problems, status=400
        )
    draft = services.scenario_draft_update(draft_id=draft.pk, data=data, exercise=exercise)
    if request.POST.get("action") == "publish":
        try:
            version = services.scenario_draft_publish(draft_id=draft.pk)
        except services.DraftInvalidError as exc:
            messages.error(request, f"Saved, not published: {exc}.")
            draft.refresh_from_db()
            return _editor_page(request, draft, problems=exc.problems, status=400)
        messages.success(
            request,
            f"Published “{draft.title}” as version {version.number} in {draft.exercise.title}.",
        )
        return redirect("authoring:draft-edit", draft.pk)
    messages.success(request, "Draft saved.")
    if request.POST.get("action") == "preview":
        return redirect("authoring:draft-preview", draft.pk)
    return redirect("authoring:draft-edit", draft.pk)


@trainer_required
def draft_preview(request, pk):
    """The scenario as an agent sees it, and a dry-run grade of a trainer-typed answer."""
    draft = selectors.draft_get_for_trainer(user=request.user, draft_id=pk)
    data = draft.data
    customer = data.get("customer") or {}
    result = None
    answer = {}
    if request.method == "POST":
        answer = selectors.dry_run_answer(draft=draft, post=request.POST)
        result = selectors.dry_run_grade(draft=draft, answer=answer)
    return render(
        request,
        "authoring/draft_preview.html",
        {
            "draft": draft,
            "exercise": {"type": draft.type},
            "scenario": {
                "customer_name": customer.get("name", ""),
                "customer_plan": customer.get("plan", ""),
                "message": data.get("message", ""),
                "title": data.get("title", ""),
            },
            "data": data,
            "rca_context_html": render_markdown(str(data.get("customer_context") or "")),
            "post": request.POST,
            "result": result,
            "has_rubric": selectors.draft_rubric(draft) is not None,
            "choices": answers.form_choices(),
        },
    )


# ---- rubrics ------------------------------------------------------------------------------


@trainer_required
def rubric_list(request):
    return render(request, "authoring/rubric_list.html", {"rubrics": list(selectors.rubric_list())})


def _rubric_page(request, rubric, *, rows=None, spec=None, problems=(), status=200):
    page = selectors.rubric_page(rubric=rubric)
    snapshot = rubric.current_version.snapshot
    return render(
        request,
        "authoring/rubric_edit.html",
        {
            "page": page,
            "rubric": rubric,
            "title": (spec or snapshot).get("title", ""),
            "description": (spec or snapshot).get("description", ""),
            "rows": rows if rows is not None else forms.rubric_form_rows(snapshot),
            "problems": problems,
        },
        status=status,
    )


@trainer_required
def rubric_edit(request, slug):
    rubric = selectors.rubric_get(user=request.user, slug=slug)
    if request.method != "POST":
        return _rubric_page(request, rubric)
    require_change(request.user, rubric)
    spec, problems, rows = forms.rubric_spec_from_post(
        request.POST, rubric.current_version.snapshot
    )
    if not problems:
        try:
            change = services.rubric_edit(rubric_id=rubric.pk, spec=spec, user=request.user)
        except services.RubricEditError as exc:
            problems = exc.problems
        else:
            if change is None:
                messages.info(request, "Nothing changed.")
            elif change.kind == change.Kind.NEW_REVISION:
                messages.success(
                    request,
                    f"Scoring changed after grading: revision {change.to_version.number} created. "
                    "Past grades keep revision "
                    f"{change.from_version.number}; mark submissions below to re-grade them.",
                )
            else:
                messages.success(request, f"Saved in place ({change.get_kind_display().lower()}).")
            return redirect("authoring:rubric-edit", rubric.slug)
    return _rubric_page(request, rubric, rows=rows, spec=spec, problems=problems, status=400)


@trainer_required
@require_POST
def rubric_archive(request, slug):
    rubric = selectors.rubric_get(user=request.user, slug=slug)
    require_change(request.user, rubric)
    archive = request.POST.get("action") != "restore"
    try:
        services.rubric_archive(rubric_id=rubric.pk, user=request.user, archive=archive)
    except services.RubricEditError as exc:
        messages.error(request, f"Not archived: {exc}.")
    else:
        messages.success(request, "Rubric archived." if archive else "Rubric restored.")
    return redirect("authoring:rubric-edit", rubric.slug)


@trainer_required
@require_POST
def rubric_regrade(request, slug):
    rubric = selectors.rubric_get(user=request.user, slug=slug)
    require_change(request.user, rubric)
    ids = [int(v) for v in request.POST.getlist("submission") if v.isdigit()]
    if not ids:
        messages.error(request, "Tick the submissions to re-grade.")
        return redirect("authoring:rubric-edit", rubric.slug)
    marks = services.regrade_mark(rubric_id=rubric.pk, submission_ids=ids, user=request.user)
    messages.success(
        request,
        f"{len(marks)} submission(s) marked and queued for re-grading under revision "
        f"{rubric.current_version.number}; their previous grades are kept with the mark.",
    )
    return redirect("authoring:rubric-edit", rubric.slug)
