"""Reads of the authoring pages: drafts, choices for the editor, the agent's preview, the
dry-run grade, and the rubric pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404

from curriculum.access import require_view
from curriculum.models import Exercise
from exercises import forms as workspace_forms
from exercises.models import KnowledgeFact, Submission
from grading import offline
from grading.models import Grade, Rubric, RubricVersion
from grading.selectors import knowledge_base_current

from .models import RegradeMark, RubricChange, ScenarioDraft

REGRADE_LIST_LIMIT = 200


def draft_list() -> QuerySet[ScenarioDraft]:
    return ScenarioDraft.objects.select_related(
        "exercise", "scenario", "published_version", "created_by"
    ).order_by("status", "-updated_at")


def draft_get_for_trainer(*, user, draft_id: int) -> ScenarioDraft:
    draft = get_object_or_404(
        ScenarioDraft.objects.select_related("exercise", "scenario", "published_version"),
        pk=draft_id,
    )
    require_view(user, draft)
    return draft


def exercise_choices(*, scenario_type: str | None = None) -> list[Exercise]:
    exercises = Exercise.objects.filter(retired_at__isnull=True).select_related("module")
    if scenario_type:
        exercises = exercises.filter(type=scenario_type)
    return list(exercises.order_by("module__order", "order", "title"))


def fact_choices() -> list[KnowledgeFact]:
    return list(
        KnowledgeFact.objects.filter(retired_at__isnull=True)
        .only("slug", "title", "category", "data")
        .order_by("category", "slug")
    )


def plan_names(facts: list[KnowledgeFact]) -> list[str]:
    return [str(f.data["plan"]) for f in facts if f.category == "plan" and f.data.get("plan")]


@dataclass
class DryRunRow:
    key: str
    title: str
    points: int | None
    max_points: int
    rationale: str


@dataclass
class DryRun:
    total: float
    rows: list[DryRunRow]
    flags: tuple[str, ...]
    rubric_label: str


def draft_rubric(draft: ScenarioDraft) -> RubricVersion | None:
    if draft.exercise is None:
        return None
    rubric = Rubric.objects.select_related("current_version").filter(
        slug=draft.exercise.rubric_slug
    )
    found = rubric.first()
    return found.current_version if found else None


def dry_run_answer(*, draft: ScenarioDraft, post) -> dict:
    """The trainer's answer, read as the workspace reads an agent's."""
    post = post.copy()
    if draft.type == "audit":
        post["findings"] = _findings_json(post.get("findings_lines", ""))
    return workspace_forms.answer_from_post(
        exercise_type=draft.type, data=post, scenario_data=draft.data
    )


def _findings_json(text: str) -> str:
    import json

    findings = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if parts and parts[0]:
            parts += [""] * (4 - len(parts))
            findings.append(
                {"span": parts[0], "type": parts[1], "correction": parts[2], "fact_id": parts[3]}
            )
    return json.dumps(findings)


def dry_run_grade(*, draft: ScenarioDraft, answer: dict) -> DryRun | None:
    """The offline grader's verdict on a trainer-typed answer to the draft, against the
    exercise's current rubric and the live knowledge base. Nothing is stored."""
    version = draft_rubric(draft)
    if version is None:
        return None
    verdict = offline.grade_answer(
        exercise_type=draft.type,
        scenario=draft.data,
        answer=answer,
        rubric=version.snapshot,
        kb=knowledge_base_current(),
        reply_max_words=draft.exercise.setting("reply_max_words"),
    )
    rows = []
    for spec in version.snapshot["criteria"]:
        score = verdict.criteria.get(spec["id"])
        rows.append(
            DryRunRow(
                key=spec["id"],
                title=spec.get("title", spec["id"]),
                points=score.points if score else None,
                max_points=max(level["points"] for level in spec["levels"]),
                rationale=score.rationale if score else "The offline grader has no scorer.",
            )
        )
    return DryRun(
        total=verdict.total,
        rows=rows,
        flags=tuple(verdict.flags),
        rubric_label=f"{version.rubric.slug} v{version.number}",
    )


# ---- rubrics ------------------------------------------------------------------------------


def rubric_list() -> QuerySet[Rubric]:
    return (
        Rubric.objects.select_related("current_version")
        .annotate(version_count=Count("versions", distinct=True))
        .order_by("retired_at", "slug")
    )


def rubric_get(*, user, slug: str) -> Rubric:
    rubric = get_object_or_404(Rubric.objects.select_related("current_version"), slug=slug)
    require_view(user, rubric)
    return rubric


@dataclass
class RubricPage:
    rubric: Rubric
    versions: list[RubricVersion]
    changes: list[RubricChange]
    used: bool
    older_graded: list[Submission]
    older_graded_total: int
    marks: list[RegradeMark]
    exercises: list[Exercise]


def rubric_page(*, rubric: Rubric) -> RubricPage:
    from .services import rubric_is_used

    current = rubric.current_version
    older = Submission.objects.filter(
        Exists(
            Grade.objects.filter(submission=OuterRef("pk"), rubric_version__rubric=rubric).exclude(
                rubric_version=current
            )
        )
    ).filter(~Q(grades__rubric_version=current))
    older = older.select_related("user", "exercise", "scenario").distinct().order_by("-created_at")
    return RubricPage(
        rubric=rubric,
        versions=list(rubric.versions.order_by("-number")),
        changes=list(
            rubric.changes.select_related("changed_by", "from_version", "to_version")[:50]
        ),
        used=rubric_is_used(version=current),
        older_graded=list(older[:REGRADE_LIST_LIMIT]),
        older_graded_total=older.count(),
        marks=list(
            RegradeMark.objects.filter(to_version__rubric=rubric)
            .select_related("submission__user", "from_version", "to_version")
            .annotate(
                regraded=Exists(
                    Grade.objects.filter(
                        submission=OuterRef("submission"), rubric_version=OuterRef("to_version")
                    )
                )
            )[:REGRADE_LIST_LIMIT]
        ),
        exercises=list(Exercise.objects.filter(rubric_slug=rubric.slug).order_by("title")),
    )
