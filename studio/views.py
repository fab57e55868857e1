"""The studio's pages for trainers: the knowledge base, its drafts, imports and publishing."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from curriculum.access import trainer_required
from exercises.models import KnowledgeFact
from grading.content.exporting import dump_yaml

from . import checks, selectors, services
from .forms import (
    DATA_TEMPLATES,
    CsvImportForm,
    FactForm,
    HelpCentreImportForm,
    TryForm,
    data_template,
)
from .imports import ImportFormatError, facts_from_csv, facts_from_help_centre
from .models import DraftFact


def _try(request, facts: list[dict]):
    """The "try a sentence" form (GET, so it works without JavaScript) and its result."""
    form = TryForm(request.GET or None, plans=selectors.plan_names(facts))
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = checks.sentence_try(
                sentence=form.cleaned_data["sentence"],
                facts=facts,
                plan=form.cleaned_data["plan"] or None,
                billing_cycle=form.cleaned_data["billing_cycle"] or None,
            )
        except checks.KnowledgeBaseError as exc:
            form.add_error(None, f"The knowledge base cannot be read: {exc}")
    return form, result


@trainer_required
def kb_index(request):
    drafts = list(selectors.draft_list())
    published = selectors.published_facts_by_category()
    facts = [f.as_content() for group in published for f in group.facts]
    try_form, result = _try(request, facts)
    context = {
        "groups": published,
        "drafts": drafts,
        "confirmed_count": sum(d.status == DraftFact.Status.CONFIRMED for d in drafts),
        "categories": KnowledgeFact.Category.choices,
        "try_form": try_form,
        "try_result": result,
        "company": checks.company_mapping(),
    }
    return render(request, "studio/kb_index.html", context)


def _save(request, form: FactForm, draft: DraftFact | None, *, replacing: str | None = None):
    """Check the typed fact as the loader would; save it (problems or not) unless it cannot
    be read at all. Returns (draft, other_errors)."""
    content = form.content()
    errors = checks.fact_errors(content, draft_id=draft.pk if draft else None, replacing=replacing)
    others = form.add_content_errors(errors)
    if not _savable(form):
        return draft, others
    draft = services.draft_fact_save(user=request.user, content=content, draft=draft)
    return draft, others


def _savable(form: FactForm) -> bool:
    """A draft needs an id, a category and a title to be stored; the rest may be wrong."""
    return not any(name in form.errors for name in ("id", "category", "title")) and bool(
        form.cleaned_data.get("id")
    )


@trainer_required
def draft_new(request, category: str):
    if category not in DATA_TEMPLATES:
        return redirect("studio:kb")
    if request.method == "POST":
        form = FactForm(request.POST)
        if form.is_valid():
            draft, others = _save(request, form, None)
            if draft is not None:
                return _after_save(request, form, draft)
            context = _form_context(form, None, category, others=others)
            return render(request, "studio/fact_form.html", context)
        return render(request, "studio/fact_form.html", _form_context(form, None, category))
    form = FactForm(initial={"category": category, "data": data_template(category)})
    return render(request, "studio/fact_form.html", _form_context(form, None, category))


def _after_save(request, form: FactForm, draft: DraftFact):
    url = reverse("studio:draft-edit", args=[draft.pk])
    if form.errors:
        messages.warning(request, "Saved as a draft with problems: fix them before confirming.")
        return redirect(url)
    if request.POST.get("action") == "confirm":
        try:
            services.draft_fact_confirm(draft=draft)
        except services.DraftInvalidError:
            messages.warning(request, "Saved, but not confirmed: the draft has problems.")
            return redirect(url)
        messages.success(request, f"{draft.title}: confirmed; publish to make it live.")
        return redirect("studio:kb")
    messages.success(request, f"{draft.title}: saved as a draft.")
    return redirect(url)


def _form_context(form, draft, category, *, others=(), try_form=None, try_result=None) -> dict:
    return {
        "form": form,
        "draft": draft,
        "category": category,
        "category_label": dict(KnowledgeFact.Category.choices).get(category, category),
        "other_errors": others,
        "try_form": try_form,
        "try_result": try_result,
        "published": (
            KnowledgeFact.objects.filter(slug=draft.slug, retired_at__isnull=True).first()
            if draft
            else None
        ),
    }


@trainer_required
def draft_edit(request, draft_id: int):
    draft = selectors.draft_get_for_change(user=request.user, draft_id=draft_id)
    published = KnowledgeFact.objects.filter(slug=draft.slug, retired_at__isnull=True).exists()
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            services.draft_fact_delete(draft=draft)
            messages.success(request, f"Draft {draft.title!r} deleted.")
            return redirect("studio:kb")
        form = FactForm(request.POST, id_locked=published, initial={"id": draft.slug})
        if form.is_valid():
            saved, others = _save(request, form, draft, replacing=draft.slug if published else None)
            if _savable(form):  # saved, with or without problems: the page says which
                return _after_save(request, form, saved)
        else:
            others = []
        return render(
            request,
            "studio/fact_form.html",
            _form_context(form, draft, draft.category, others=others),
        )
    # Bound to the stored draft, so that opening it shows what the loader says now (a draft
    # imported or saved with problems).
    form = FactForm(
        data={**draft.as_content(), "data": dump_yaml(draft.data) if draft.data else ""},
        id_locked=published,
        initial={"id": draft.slug},
    )
    others = []
    if form.is_valid():
        errors = checks.fact_errors(
            draft.as_content(), draft_id=draft.pk, replacing=draft.slug if published else None
        )
        others = form.add_content_errors(errors)
    facts = checks.facts_with_drafts([draft])
    try_form, result = _try(request, facts)
    context = _form_context(
        form, draft, draft.category, others=others, try_form=try_form, try_result=result
    )
    return render(request, "studio/fact_form.html", context)


@trainer_required
@require_POST
def draft_confirm(request, draft_id: int):
    draft = selectors.draft_get_for_change(user=request.user, draft_id=draft_id)
    try:
        services.draft_fact_confirm(draft=draft)
    except services.DraftInvalidError as exc:
        messages.error(request, f"{draft.title}: not confirmed, {len(exc.errors)} problem(s).")
        return redirect("studio:draft-edit", draft.pk)
    messages.success(request, f"{draft.title}: confirmed.")
    return redirect("studio:kb")


@trainer_required
@require_POST
def fact_edit(request, slug: str):
    fact = get_object_or_404(KnowledgeFact, slug=slug, retired_at__isnull=True)
    draft = services.draft_fact_start_edit(user=request.user, fact=fact)
    return redirect("studio:draft-edit", draft.pk)


@trainer_required
def import_csv(request):
    form = CsvImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = facts_from_csv(upload.read(), name=upload.name)
        except ImportFormatError as exc:
            form.add_error("file", str(exc))
        else:
            problems = result.problems
            if result.facts:
                created = services.drafts_import(
                    user=request.user, facts=result.facts, origin=DraftFact.Origin.CSV
                )
                messages.success(
                    request,
                    f"{len(created)} fact(s) imported as drafts to review"
                    + (f"; {len(problems)} row(s) left out (listed below)." if problems else "."),
                )
                if not problems:
                    return redirect("studio:kb")
            elif not problems:
                form.add_error("file", "The file has no rows under its header.")
    return render(request, "studio/import_csv.html", {"form": form, "problems": problems})


@trainer_required
def import_help_centre(request):
    form = HelpCentreImportForm(request.POST or None, request.FILES or None)
    problems = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data.get("json_file")
        markdown = [(f.name, f.read()) for f in form.cleaned_data.get("markdown_files") or []]
        try:
            result = facts_from_help_centre(
                markdown_files=markdown,
                json_file=(upload.name, upload.read()) if upload else None,
            )
        except ImportFormatError as exc:
            form.add_error("json_file", str(exc))
        else:
            problems = result.problems
            if result.facts:
                created = services.drafts_import(
                    user=request.user, facts=result.facts, origin=DraftFact.Origin.HELP_CENTRE
                )
                messages.success(
                    request,
                    f"{len(created)} article(s) became draft facts. Review each one: check its "
                    "kind and data, then confirm it. Nothing is live until you publish.",
                )
                if not problems:
                    return redirect("studio:kb")
            elif not problems:
                form.add_error(None, "No article with a title was found.")
    return render(request, "studio/import_help_centre.html", {"form": form, "problems": problems})


@trainer_required
@require_POST
def publish(request):
    try:
        result = services.drafts_publish(user=request.user)
    except services.PublishError as exc:
        drafts = {d.slug: d for d in DraftFact.objects.all()}
        problems = [(drafts.get(p.draft_slug), p.text) for p in exc.errors]
        return render(
            request, "studio/publish_failed.html", {"message": str(exc), "problems": problems}
        )
    messages.success(
        request,
        f"Published {len(result.published)} fact(s): {', '.join(result.published)}.",
    )
    return redirect("studio:kb")
