"""Reads of the prompt-template library: what the workspace offers and the library page."""

from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404

from curriculum.access import is_trainer, require_view
from curriculum.models import User

from .models import PromptTemplate, PromptTemplateVersion

APPROVED = PromptTemplateVersion.Status.APPROVED


@dataclass
class TemplateEntry:
    """A template with its current (latest approved) version and the versions the viewer
    may see, newest first."""

    template: PromptTemplate
    current: PromptTemplateVersion | None
    versions: list[PromptTemplateVersion] = field(default_factory=list)


def prompt_template_choices(*, exercise_type: str) -> list[PromptTemplateVersion]:
    """The current version of every template of an exercise type (one query), for the
    workspace's template picker; templates for a state first by state, then by name."""
    seen: set[int] = set()
    current = []
    versions = (
        PromptTemplateVersion.objects.filter(status=APPROVED, template__exercise_type=exercise_type)
        .select_related("template")
        .order_by("template__customer_state", "template__name", "template_id", "-number")
    )
    for version in versions:
        if version.template_id not in seen:
            seen.add(version.template_id)
            current.append(version)
    return current


def _visible(user: User, version: PromptTemplateVersion) -> bool:
    return is_trainer(user) or version.status == APPROVED or version.author_id == user.pk


def prompt_library(*, user: User) -> list[TemplateEntry]:
    """Every template with its current version and the versions `user` may see (two
    queries): trainers see all, agents the approved ones and their own proposals. A template
    with no approved version is listed only to those who see one of its versions."""
    templates = PromptTemplate.objects.prefetch_related(
        Prefetch(
            "versions",
            queryset=PromptTemplateVersion.objects.select_related(
                "author", "reviewed_by", "calibration_session"
            ).order_by("-number"),
        )
    ).order_by("exercise_type", "customer_state", "name")
    entries = []
    for template in templates:
        versions = [v for v in template.versions.all() if _visible(user, v)]
        if not versions:
            continue
        current = next((v for v in versions if v.status == APPROVED), None)
        entries.append(TemplateEntry(template=template, current=current, versions=versions))
    return entries


def prompt_proposals_pending() -> list[PromptTemplateVersion]:
    """Proposals waiting for a trainer, oldest first (one query)."""
    return list(
        PromptTemplateVersion.objects.filter(status=PromptTemplateVersion.Status.PROPOSED)
        .select_related("template", "author")
        .order_by("created_at", "pk")
    )


def prompt_template_get(*, user: User, template_id: int) -> PromptTemplate:
    """The template `user` may read (the access chokepoint): 404 if missing, 403 if not."""
    template = get_object_or_404(PromptTemplate, pk=template_id)
    require_view(user, template)
    return template
