"""Validating a scenario draft exactly as `load_content` validates a scenario file.

The draft is put in a content bundle beside the live knowledge-base facts and run through
the loader's own `validate_bundle` (the JSON schema, then the references: plan names, fact
ids, indicator and span substrings); only the draft's own problems are returned, each
mapped to the editor field it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from exercises.models import KnowledgeFact, Scenario
from grading.content.files import ContentBundle, SourceItem
from grading.content.validation import validate_bundle

from .editor import field_for_error
from .models import ScenarioDraft


@dataclass(frozen=True)
class Problem:
    field: str  # the editor's field name, "" for the draft as a whole
    where: str  # the content field, as the loader names it
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def _fact_items() -> list[SourceItem]:
    facts = KnowledgeFact.objects.filter(retired_at__isnull=True).order_by("slug")
    return [SourceItem(kind="fact", path="knowledge base", data=f.as_content()) for f in facts]


def scenario_problems(*, draft: ScenarioDraft, data: dict | None = None) -> list[Problem]:
    """Everything that stops the draft from being published (empty: it may be)."""
    data = draft.data if data is None else data
    path = draft.source_path
    bundle = ContentBundle(root=Path("browser"))
    bundle.items["fact"] = _fact_items()
    bundle.items["scenario"] = [
        SourceItem(kind="scenario", path=path, data=data, extra={"type_dir": draft.type})
    ]
    problems = [
        Problem(field_for_error(draft.type, error.field), error.field, error.message)
        for error in validate_bundle(bundle)
        if error.path == path
    ]
    slug = data.get("id") if isinstance(data, dict) else None
    taken = Scenario.objects.filter(slug=slug).exclude(source_path=path).first() if slug else None
    if taken is not None:
        problems.append(
            Problem("slug", "id", f"the id {slug!r} is taken by the scenario “{taken.title}”")
        )
    if draft.scenario_id and slug != draft.scenario.slug:
        problems.append(
            Problem("slug", "id", f"published as {draft.scenario.slug!r}: the id cannot change")
        )
    if draft.exercise is None:
        problems.append(Problem("exercise", "", "choose the exercise to publish it into"))
    elif draft.exercise.type != draft.type:
        problems.append(Problem("exercise", "", f"the exercise is of type {draft.exercise.type!r}"))
    return problems
