"""Loading validated content into the database in one transaction.

Re-loading unchanged files changes nothing; an edited item gets the next version (and,
for rubrics and scenarios, a new immutable snapshot); items gone from the files are
retired, never deleted.
"""

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from curriculum.markdown import render_markdown
from curriculum.models import Exercise, Lesson, Module
from exercises.models import (
    CompanyProfile,
    ExerciseScenario,
    KnowledgeFact,
    Scenario,
    ScenarioVersion,
)

from ..models import Criterion, ExampleSubmission, Level, Rubric, RubricVersion
from ..offline import expand_rubric
from .files import ContentBundle, ContentError, read_content
from .validation import validate_bundle


class ContentValidationError(Exception):
    """The content has problems; nothing was loaded."""

    def __init__(self, errors: list[ContentError]):
        self.errors = errors
        super().__init__(f"{len(errors)} problem(s) in the content; nothing was loaded")


@dataclass
class LoadReport:
    counts: dict[str, Counter] = field(default_factory=dict)

    def count(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1

    def total(self, outcome: str) -> int:
        return sum(counter[outcome] for counter in self.counts.values())

    @property
    def changed(self) -> bool:
        return any(self.total(outcome) for outcome in ("created", "updated", "retired"))


def content_hash(data) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# Lessons, module summaries and exercise instructions say `{{ company }}` (and
# `{{ product }}`) where they mean the company the content describes: the method is the
# same for any company, the name comes from company.yaml when the Markdown is rendered.
COMPANY_PLACEHOLDERS = {"{{ company }}": "name", "{{ product }}": "product"}


def company_words(company: dict | None, *texts: str) -> dict:
    """What the placeholders in `texts` stand for (empty when they use none): part of the
    item's hash, so a lesson that names the company is rendered again when it changes."""
    used = {key for key in COMPANY_PLACEHOLDERS if any(key in (t or "") for t in texts)}
    return {
        key: str((company or {}).get(COMPANY_PLACEHOLDERS[key]) or "the company")
        for key in sorted(used)
    }


def render_with_company(text: str, words: dict) -> str:
    for key, value in words.items():
        text = text.replace(key, value)
    return render_markdown(text)


def with_company(data: dict, words: dict) -> dict:
    """The item as hashed: its data, plus the company words it uses (if any)."""
    return {**data, "company_words": words} if words else data


def _company_of(bundle: ContentBundle) -> dict | None:
    return next((item.data for item in bundle.of("company")), None)


def content_check_directory(*, path: Path | str) -> tuple[ContentBundle, list[ContentError]]:
    """Read and validate a content directory without writing anything."""
    bundle = read_content(path)
    return bundle, validate_bundle(bundle)


def content_load_directory(*, path: Path | str) -> LoadReport:
    """Validate everything under `path`, then load it; raises ContentValidationError."""
    bundle, errors = content_check_directory(path=path)
    if errors:
        raise ContentValidationError(errors)
    return content_load(bundle=bundle)


# Content authored or edited in the browser (authoring/) carries this prefix in
# `source_path`: the files neither overwrite nor retire it (docs/authoring.md).
BROWSER_SOURCE_PREFIX = "browser:"


def _upsert(model, *, slug: str, digest: str, path: str, fields: dict, report, kind: str):
    """Create or update one item by slug; returns (object, content_changed)."""
    obj = model.objects.filter(slug=slug).first()
    if obj is not None and obj.source_path.startswith(BROWSER_SOURCE_PREFIX):
        report.count(kind, "kept (edited in the browser)")
        return obj, False
    if obj is None:
        obj = model.objects.create(
            slug=slug, content_hash=digest, source_path=path, version=1, **fields
        )
        report.count(kind, "created")
        return obj, True
    changed = obj.content_hash != digest
    if not changed and obj.retired_at is None and obj.source_path == path:
        report.count(kind, "unchanged")
        return obj, False
    for name, value in fields.items():
        setattr(obj, name, value)
    if changed:
        obj.version += 1
        obj.content_hash = digest
    obj.retired_at = None
    obj.source_path = path
    obj.save(
        update_fields=[
            *fields,
            "version",
            "content_hash",
            "retired_at",
            "source_path",
            "updated_at",
        ]
    )
    report.count(kind, "updated" if changed else "restored")
    return obj, changed


def _retire(model, seen: set[str], report: LoadReport, kind: str, keep=None) -> None:
    """Retire the items of `model` the files no longer have, except those authored in the
    browser (`source_path` `browser:…`) and those `keep`, a Q, picks."""
    missing = (
        model.objects.filter(retired_at__isnull=True)
        .exclude(slug__in=seen)
        .exclude(source_path__startswith=BROWSER_SOURCE_PREFIX)
    )
    if keep is not None:
        missing = missing.exclude(keep)
    retired = missing.update(retired_at=timezone.now())
    for _ in range(retired):
        report.count(kind, "retired")


@transaction.atomic(durable=True)
def content_load(*, bundle: ContentBundle) -> LoadReport:
    """Write a validated bundle. Call `content_load_directory` unless already validated."""
    return content_write(bundle=bundle)


def content_write(*, bundle: ContentBundle) -> LoadReport:
    """The writes of `content_load`, inside the caller's transaction (a service that
    publishes content and changes its own rows in the same transaction)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("content_write runs inside a transaction; call content_load")
    report = LoadReport()
    _load_company(bundle, report)
    _load_facts(bundle, report)
    rubric_versions = _load_rubrics(bundle, report)
    modules = _load_modules(bundle, report)
    _load_lessons(bundle, modules, report)
    scenarios = _load_scenarios(bundle, report)
    exercises = _load_exercises(bundle, modules, scenarios, report)
    _load_examples(bundle, exercises, scenarios, rubric_versions, report)
    return report


COMPANY_SLUG = "company"


def _load_company(bundle: ContentBundle, report: LoadReport) -> None:
    for item in bundle.of("company"):
        _upsert(
            CompanyProfile,
            slug=COMPANY_SLUG,
            digest=content_hash(item.data),
            path=item.path,
            fields={"name": item.data["name"], "data": item.data},
            report=report,
            kind="company",
        )


def _load_facts(bundle: ContentBundle, report: LoadReport) -> None:
    seen = set()
    for item in bundle.of("fact"):
        data = item.data
        seen.add(data["id"])
        _upsert(
            KnowledgeFact,
            slug=data["id"],
            digest=content_hash(data),
            path=item.path,
            fields={
                "category": data["category"],
                "title": data["title"],
                "statement": data["statement"],
                "source_url": data["source_url"],
                "data": data.get("data", {}),
            },
            report=report,
            kind="fact",
        )
    _retire(KnowledgeFact, seen, report, "fact")


def _load_rubrics(bundle: ContentBundle, report: LoadReport) -> dict[str, RubricVersion]:
    raw = {item.id: item.data for item in bundle.of("rubric")}
    versions = {}
    for item in bundle.of("rubric"):
        expanded = expand_rubric(item.data, raw)
        rubric, changed = _upsert(
            Rubric,
            slug=item.id,
            digest=content_hash(expanded),
            path=item.path,
            fields={"title": expanded["title"]},
            report=report,
            kind="rubric",
        )
        if changed or rubric.current_version is None:
            rubric.current_version = _create_rubric_version(rubric, expanded)
            rubric.save(update_fields=["current_version"])
        versions[item.id] = rubric.current_version
    _retire(Rubric, set(raw), report, "rubric")
    return versions


def _create_rubric_version(rubric: Rubric, expanded: dict) -> RubricVersion:
    version = RubricVersion.objects.create(
        rubric=rubric,
        number=rubric.version,
        content_hash=rubric.content_hash,
        title=expanded["title"],
        description=expanded.get("description", ""),
        description_html=render_markdown(expanded.get("description", "")),
        snapshot=expanded,
    )
    rubric_criteria_write(version, expanded)
    return version


def rubric_criteria_write(version: RubricVersion, expanded: dict) -> None:
    """A rubric version's criteria and levels from its expanded rubric (the loader's and the
    browser's rubric editor's one writer)."""
    for order, spec in enumerate(expanded["criteria"]):
        points = [level["points"] for level in spec["levels"]]
        criterion = Criterion.objects.create(
            rubric_version=version,
            key=spec["id"],
            order=order,
            title=spec["title"],
            description=spec.get("description", ""),
            weight=spec.get("weight", 1),
            allow_na=spec.get("allow_na", False),
            critical=spec.get("critical", False),
            critical_cap=spec.get("critical_cap"),
            min_points=min(points),
            max_points=max(points),
        )
        Level.objects.bulk_create(
            Level(
                criterion=criterion,
                points=level["points"],
                title=level["title"],
                description=level.get("description", ""),
            )
            for level in spec["levels"]
        )


def _load_modules(bundle: ContentBundle, report: LoadReport) -> dict[str, Module]:
    modules = {}
    company = _company_of(bundle)
    for item in bundle.of("module"):
        data = item.data
        words = company_words(company, data.get("summary", ""))
        module, _ = _upsert(
            Module,
            slug=data["id"],
            digest=content_hash(with_company(data, words)),
            path=item.path,
            fields={
                "title": data["title"],
                "order": data.get("order", 0),
                "summary": data.get("summary", ""),
                "summary_html": render_with_company(data.get("summary", ""), words),
                "skills": data.get("skills", []),
            },
            report=report,
            kind="module",
        )
        modules[item.extra["module_dir"]] = module
    _retire(Module, {m.slug for m in modules.values()}, report, "module")
    return modules


def _load_lessons(bundle: ContentBundle, modules: dict[str, Module], report: LoadReport) -> None:
    seen = set()
    company = _company_of(bundle)
    for item in bundle.of("lesson"):
        data, body = item.data, item.extra["body"]
        seen.add(data["id"])
        words = company_words(company, body)
        hashed = with_company({**data, "body": body, "module": item.extra["module_dir"]}, words)
        _upsert(
            Lesson,
            slug=data["id"],
            digest=content_hash(hashed),
            path=item.path,
            fields={
                "module": modules[item.extra["module_dir"]],
                "title": data["title"],
                "order": data.get("order", 0),
                "minutes": data.get("minutes", 5),
                "body": body,
                "body_html": render_with_company(body, words),
            },
            report=report,
            kind="lesson",
        )
    _retire(Lesson, seen, report, "lesson")


def scenario_fields(data: dict) -> dict:
    """A scenario's columns from its content (the loader's and the scenario editor's)."""
    customer = data.get("customer") or {}
    return {
        "type": data["type"],
        "title": data["title"],
        "customer_name": customer.get("name", ""),
        "customer_plan": customer.get("plan", ""),
        "message": data.get("message", ""),
        "data": data,
    }


def _load_scenarios(bundle: ContentBundle, report: LoadReport) -> dict[str, Scenario]:
    scenarios = {}
    for item in bundle.of("scenario"):
        data = item.data
        scenario, changed = _upsert(
            Scenario,
            slug=data["id"],
            digest=content_hash(data),
            path=item.path,
            fields=scenario_fields(data),
            report=report,
            kind="scenario",
        )
        if changed:
            ScenarioVersion.objects.create(
                scenario=scenario,
                number=scenario.version,
                content_hash=scenario.content_hash,
                data=data,
            )
        scenarios[data["id"]] = scenario
    _retire(Scenario, set(scenarios), report, "scenario")
    return scenarios


def _load_exercises(bundle, modules, scenarios, report: LoadReport) -> dict[str, Exercise]:
    exercises = {}
    company = _company_of(bundle)
    for item in bundle.of("exercise"):
        data = item.data
        words = company_words(company, data.get("instructions", ""))
        exercise, _ = _upsert(
            Exercise,
            slug=data["id"],
            digest=content_hash(with_company({**data, "module": item.extra["module_dir"]}, words)),
            path=item.path,
            fields={
                "module": modules[item.extra["module_dir"]],
                "title": data["title"],
                "order": data.get("order", 0),
                "type": data["type"],
                "rubric_slug": data["rubric"],
                "instructions": data.get("instructions", ""),
                "instructions_html": render_with_company(data.get("instructions", ""), words),
                "steps": data.get("steps", []),
                "settings": data.get("settings", {}),
            },
            report=report,
            kind="exercise",
        )
        _link_scenarios(exercise, [scenarios[slug] for slug in data.get("scenarios", [])])
        exercises[data["id"]] = exercise
    _retire(Exercise, set(exercises), report, "exercise")
    return exercises


def _link_scenarios(exercise: Exercise, wanted: list[Scenario]) -> None:
    existing = {link.scenario_id: link for link in exercise.scenario_links.all()}
    wanted_ids = [scenario.pk for scenario in wanted]
    ExerciseScenario.objects.filter(exercise=exercise).exclude(scenario_id__in=wanted_ids).exclude(
        scenario__source_path__startswith=BROWSER_SOURCE_PREFIX
    ).delete()
    for order, scenario_id in enumerate(wanted_ids):
        link = existing.get(scenario_id)
        if link is None:
            ExerciseScenario.objects.create(exercise=exercise, scenario_id=scenario_id, order=order)
        elif link.order != order:
            link.order = order
            link.save(update_fields=["order"])


def _load_examples(bundle, exercises, scenarios, rubric_versions, report: LoadReport) -> None:
    seen = set()
    for item in bundle.of("example"):
        data = item.data
        seen.add(data["id"])
        exercise = exercises[data["exercise"]]
        _upsert(
            ExampleSubmission,
            slug=data["id"],
            digest=content_hash(data),
            path=item.path,
            fields={
                "exercise": exercise,
                "scenario": scenarios[data["scenario"]],
                "rubric_version": rubric_versions[exercise.rubric_slug],
                "answer": data["answer"],
                "trainer_grade": data["trainer_grade"],
            },
            report=report,
            kind="example",
        )
    # Examples published from trainer calibration sessions live in the database, not in the
    # files: a load leaves them alone (withdrawing one retires it).
    _retire(ExampleSubmission, seen, report, "example", keep=Q(published_example__isnull=False))
