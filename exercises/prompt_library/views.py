"""The agent's view of the prompt-template library: read the current versions, propose a
change or a new template. Trainers' pages are grading's (grading/prompt_library/)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from curriculum.access import agent_required
from exercises.errors import PromptTemplateError
from text_analysis import vocabulary

from . import selectors, services
from .models import PROMPT_EXERCISE_TYPES, PromptTemplate

FORM_FIELDS = ("name", "exercise_type", "customer_state", "body", "change_note")


def type_choices() -> list[tuple[str, str]]:
    labels = dict(PromptTemplate._meta.get_field("exercise_type").choices)
    return [(key, labels[key]) for key in PROMPT_EXERCISE_TYPES]


def library_context(*, user, new_values=None, version_values=None, errors=None) -> dict:
    """What the library pages (agent and trainer) share."""
    return {
        "entries": selectors.prompt_library(user=user),
        "placeholders": services.PLACEHOLDERS,
        "type_choices": type_choices(),
        "state_choices": vocabulary.STATES,
        "new_values": new_values or {},
        "version_values": version_values or {},
        "errors": errors or {},
    }


@agent_required
@require_GET
def library(request):
    return render(
        request, "exercises/prompt_library/library.html", library_context(user=request.user)
    )


def _form_error(request, exc, *, new_values=None, version_values=None):
    """400 with the page again and what was typed (nothing lost)."""
    context = library_context(
        user=request.user,
        new_values=new_values,
        version_values=version_values,
        errors={exc.field or "form": str(exc)},
    )
    return render(request, "exercises/prompt_library/library.html", context, status=400)


@agent_required
@require_POST
def propose_template(request):
    values = {name: request.POST.get(name, "") for name in FORM_FIELDS}
    try:
        services.prompt_template_create(user=request.user, **values)
    except PromptTemplateError as exc:
        return _form_error(request, exc, new_values=values)
    messages.success(request, "Your template is proposed; a trainer will review it.")
    return redirect("exercises:prompt-library")


@agent_required
@require_POST
def propose_version(request, template_id):
    template = selectors.prompt_template_get(user=request.user, template_id=template_id)
    values = {
        "template_id": template.pk,
        "body": request.POST.get("body", ""),
        "change_note": request.POST.get("change_note", ""),
    }
    try:
        services.prompt_template_version_add(
            user=request.user,
            template_id=template.pk,
            body=values["body"],
            change_note=values["change_note"],
        )
    except PromptTemplateError as exc:
        return _form_error(request, exc, version_values=values)
    messages.success(request, f"Your change to “{template.name}” is proposed to the trainers.")
    return redirect("exercises:prompt-library")
