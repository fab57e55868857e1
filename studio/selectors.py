"""Reads of the studio: the knowledge base as trainers edit it (published facts, drafts)."""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from curriculum.access import require_change
from exercises.models import KnowledgeFact

from .models import DraftFact


@dataclass(frozen=True)
class CategoryGroup:
    category: str
    label: str
    facts: list[KnowledgeFact]


def published_facts_by_category() -> list[CategoryGroup]:
    """The active facts, grouped by category in the model's order (one query)."""
    facts = list(
        KnowledgeFact.objects.filter(retired_at__isnull=True)
        .only("slug", "category", "title", "statement", "source_url", "version")
        .order_by("category", "slug")
    )
    groups = []
    for value, label in KnowledgeFact.Category.choices:
        found = [f for f in facts if f.category == value]
        if found:
            groups.append(CategoryGroup(value, label, found))
    return groups


def draft_list() -> QuerySet[DraftFact]:
    return DraftFact.objects.order_by("status", "category", "slug").defer("source_excerpt")


def draft_get_for_change(*, user, draft_id: int) -> DraftFact:
    """The draft a trainer may change; 404 / 403 otherwise."""
    draft = get_object_or_404(DraftFact, pk=draft_id)
    require_change(user, draft)
    return draft


def plan_names(facts: list[dict]) -> list[str]:
    return [
        str(f["data"]["plan"])
        for f in facts
        if f.get("category") == "plan" and isinstance(f.get("data"), dict) and f["data"].get("plan")
    ]
