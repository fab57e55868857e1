"""Writing the database's content back to the file format `load_content` reads.

`content_export(path=...)` writes the active (not retired) items to the files they came
from (`source_path`); loading the result changes nothing: every item keeps its content
hash, so no version goes up (the round trip `manage.py export_content DIR` then
`load_content --path DIR`). Where the files could have left an optional field out or
written its default (a module without `skills:`, an exercise with `settings: {}`), the
exporter writes the form whose hash is the stored one.
"""

import itertools
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml
from django.conf import settings

from curriculum.models import Exercise, Lesson, Module
from exercises.models import CompanyProfile, KnowledgeFact, Scenario

from ..models import ExampleSubmission, Rubric
from .loading import company_words, content_hash, with_company


class ContentExportError(Exception):
    """The database's content cannot be written (no company file to copy)."""


@dataclass
class ExportReport:
    files: int = 0
    items: int = 0
    mismatched: list[str] | None = None  # items whose stored hash no written form gives


class _Dumper(yaml.SafeDumper):
    """Text of several lines as a `|` block, as people write it."""


def _represent_text(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value.strip("\n") or value.endswith("\n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _represent_text)


def dump_yaml(data) -> str:
    """Content as YAML the loader reads back to the same values."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


_dump = dump_yaml


def _first_matching(required: dict, optional: dict, digest: str, hash_of) -> tuple[dict, bool]:
    """`required` plus the subset of `optional` whose hash (by `hash_of`) is `digest`;
    with none matching, everything (and False)."""
    keys = list(optional)
    for size in range(len(keys), -1, -1):
        for subset in itertools.combinations(keys, size):
            data = {**required, **{k: optional[k] for k in keys if k in subset}}
            if hash_of(data) == digest:
                return data, True
    return {**required, **optional}, False


def company_data() -> dict | None:
    """The company as last loaded (company.yaml's mapping), or None before any load."""
    loaded = CompanyProfile.objects.filter(retired_at__isnull=True).first()
    return dict(loaded.data) if loaded is not None else None


def company_text(*, source: Path | str | None = None) -> str:
    """company.yaml as last loaded; before any load, the content directory's file."""
    data = company_data() if source is None else None
    if data is not None:
        return dump_yaml(data)
    path = Path(source or settings.CONTENT_DIR) / "company.yaml"
    if not path.is_file():
        raise ContentExportError(f"{path}: no company file to export")
    return path.read_text(encoding="utf-8")


def fact_file_for(category: str, source_path: str = "") -> str:
    """The knowledge-base file a fact is written to: its own, else one per category."""
    return source_path or f"knowledge_base/{category}.yaml"


def fact_files(report: ExportReport | None = None) -> dict[str, list[dict]]:
    """The active facts grouped by the file they belong in, as content mappings."""
    files: dict[str, list[dict]] = defaultdict(list)
    for fact in KnowledgeFact.objects.filter(retired_at__isnull=True).order_by("source_path", "pk"):
        data = fact.as_content()
        if report is not None:
            _check(report, f"fact {fact.slug}", content_hash(data) == fact.content_hash)
        files[fact_file_for(fact.category, fact.source_path)].append(data)
    return files


def content_export(*, path: Path | str, company_source: Path | str | None = None) -> ExportReport:
    """Write every active content item under `path` (created if missing)."""
    root = Path(path)
    root.mkdir(parents=True, exist_ok=True)
    report = ExportReport(mismatched=[])
    written: dict[str, str] = {"company.yaml": company_text(source=company_source)}
    for rel, facts in fact_files(report).items():
        written[rel] = _dump({"facts": facts})
        report.items += len(facts)
    written.update(_rubric_files(report))
    modules = {
        m.pk: m for m in Module.objects.filter(retired_at__isnull=True).order_by("order", "slug")
    }
    for module in modules.values():
        written[module.source_path] = _dump(_module_data(module, report))
        report.items += 1
    for lesson in Lesson.objects.filter(retired_at__isnull=True, module__in=modules.values()):
        written[lesson.source_path] = _lesson_text(lesson, report)
        report.items += 1
    exercises = (
        Exercise.objects.filter(retired_at__isnull=True, module__in=modules.values())
        .select_related("module")
        .prefetch_related("scenario_links__scenario")
    )
    for exercise in exercises:
        written[exercise.source_path] = _dump(_exercise_data(exercise, report))
        report.items += 1
    for scenario in Scenario.objects.filter(retired_at__isnull=True):
        matched = content_hash(scenario.data) == scenario.content_hash
        _check(report, f"scenario {scenario.slug}", matched)
        written[scenario.source_path] = _dump(scenario.data)
        report.items += 1
    examples = ExampleSubmission.objects.filter(retired_at__isnull=True).select_related(
        "exercise", "scenario"
    )
    for example in examples:
        written[example.source_path] = _dump(_example_data(example, report))
        report.items += 1
    for rel, text in written.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    report.files = len(written)
    return report


def _check(report: ExportReport, label: str, matched: bool) -> None:
    if not matched:
        report.mismatched.append(label)


def _rubric_files(report: ExportReport) -> dict[str, str]:
    rubrics = list(
        Rubric.objects.filter(retired_at__isnull=True, current_version__isnull=False)
        .select_related("current_version")
        .order_by("slug")
    )
    snapshots = {r.slug: r.current_version.snapshot for r in rubrics}
    files = {}
    for rubric in rubrics:
        raw = dict(snapshots[rubric.slug])
        parent = snapshots.get(raw.get("extends") or "")
        if parent is not None:
            # The snapshot is expanded: the parent's criteria come first; the file has its own.
            inherited = {c["id"] for c in parent.get("criteria", [])}
            raw["criteria"] = [c for c in raw["criteria"] if c["id"] not in inherited]
        matched = content_hash(snapshots[rubric.slug]) == rubric.content_hash
        _check(report, f"rubric {rubric.slug}", matched)
        files[rubric.source_path or f"rubrics/{rubric.slug}.yaml"] = _dump(raw)
        report.items += 1
    return files


def _module_data(module: Module, report: ExportReport) -> dict:
    words = company_words(company_data(), module.summary)
    data, matched = _first_matching(
        {"id": module.slug, "title": module.title},
        {"order": module.order, "summary": module.summary, "skills": module.skills},
        module.content_hash,
        lambda data: content_hash(with_company(data, words)),
    )
    _check(report, f"module {module.slug}", matched)
    # keep the files' field order
    return {k: data[k] for k in ("id", "title", "order", "summary", "skills") if k in data}


def _module_dir(source_path: str) -> str:
    return Path(source_path).parts[1] if source_path.startswith("modules/") else ""


def _lesson_text(lesson: Lesson, report: ExportReport) -> str:
    folder = _module_dir(lesson.source_path)
    words = company_words(company_data(), lesson.body)

    def hash_of(front: dict) -> str:
        return content_hash(with_company({**front, "body": lesson.body, "module": folder}, words))

    front, matched = _first_matching(
        {"id": lesson.slug, "title": lesson.title},
        {"order": lesson.order, "minutes": lesson.minutes},
        lesson.content_hash,
        hash_of,
    )
    _check(report, f"lesson {lesson.slug}", matched)
    return f"---\n{_dump(front)}---\n{lesson.body}"


EXERCISE_FIELDS = ("id", "title", "order", "type", "rubric", "scenarios", "instructions", "steps")


def _exercise_data(exercise: Exercise, report: ExportReport) -> dict:
    folder = _module_dir(exercise.source_path)
    links = sorted(exercise.scenario_links.all(), key=lambda link: link.order)
    words = company_words(company_data(), exercise.instructions)

    def hash_of(data: dict) -> str:
        return content_hash(with_company({**data, "module": folder}, words))

    data, matched = _first_matching(
        {
            "id": exercise.slug,
            "title": exercise.title,
            "type": exercise.type,
            "rubric": exercise.rubric_slug,
        },
        {
            "order": exercise.order,
            "scenarios": [link.scenario.slug for link in links],
            "instructions": exercise.instructions,
            "steps": exercise.steps,
            "settings": exercise.settings,
        },
        exercise.content_hash,
        hash_of,
    )
    _check(report, f"exercise {exercise.slug}", matched)
    return {k: data[k] for k in (*EXERCISE_FIELDS, "settings") if k in data}


def _example_data(example: ExampleSubmission, report: ExportReport) -> dict:
    data = {
        "id": example.slug,
        "exercise": example.exercise.slug,
        "scenario": example.scenario.slug,
        "answer": example.answer,
        "trainer_grade": example.trainer_grade,
    }
    _check(report, f"example {example.slug}", content_hash(data) == example.content_hash)
    return data
