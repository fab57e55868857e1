"""Knowledge-base facts as frozen dataclasses, with the lookups the claim checker needs."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

CATEGORIES = ("plan", "feature", "policy", "sla", "process", "troubleshooting")


class KnowledgeBaseError(ValueError):
    """A fact file or fact that does not follow the content format (names file and field)."""


@dataclass(frozen=True, kw_only=True)
class Fact:
    id: str
    category: str
    title: str
    statement: str
    source_url: str

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        """Phrases that show a text is about this fact's subject."""
        return ()


@dataclass(frozen=True, kw_only=True)
class PlanFact(Fact):
    plan: str
    monthly_price: float | None
    annual_price: float | None
    seat_limit: int | None


@dataclass(frozen=True, kw_only=True)
class FeatureFact(Fact):
    feature: str
    aliases: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.feature, *self.aliases)


@dataclass(frozen=True, kw_only=True)
class PolicyFact(Fact):
    policy: str
    days: int | None
    aliases: tuple[str, ...] = ()
    details: str = ""

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.policy, *self.aliases)


@dataclass(frozen=True, kw_only=True)
class SlaFact(Fact):
    plan: str
    first_response_hours: float | None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ProcessFact(Fact):
    task: str
    current_path: str
    aliases: tuple[str, ...] = ()
    outdated_paths: tuple[str, ...] = ()
    changed_on: str = ""

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.task, *self.aliases)


@dataclass(frozen=True, kw_only=True)
class TroubleshootingFact(Fact):
    problem: str
    aliases: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    invalid_steps: tuple[str, ...] = ()

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.problem, *self.aliases)


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _plan(common: dict, data: Mapping) -> Fact:
    return PlanFact(
        **common,
        plan=str(data["plan"]),
        monthly_price=_number(data.get("monthly_price")),
        annual_price=_number(data.get("annual_price")),
        seat_limit=_int(data.get("seat_limit")),
    )


def _feature(common: dict, data: Mapping) -> Fact:
    return FeatureFact(
        **common,
        feature=str(data["feature"]),
        aliases=_strings(data.get("aliases")),
        plans=_strings(data.get("plans")),
    )


def _policy(common: dict, data: Mapping) -> Fact:
    return PolicyFact(
        **common,
        policy=str(data["policy"]),
        days=_int(data.get("days")),
        aliases=_strings(data.get("aliases")),
        details=str(data.get("details") or ""),
    )


def _sla(common: dict, data: Mapping) -> Fact:
    return SlaFact(
        **common,
        plan=str(data["plan"]),
        first_response_hours=_number(data.get("first_response_hours")),
        channels=_strings(data.get("channels")),
    )


def _process(common: dict, data: Mapping) -> Fact:
    changed = data.get("changed_on")
    return ProcessFact(
        **common,
        task=str(data["task"]),
        current_path=str(data["current_path"]),
        aliases=_strings(data.get("aliases")),
        outdated_paths=_strings(data.get("outdated_paths")),
        changed_on=changed.isoformat() if isinstance(changed, dt.date) else str(changed or ""),
    )


def _troubleshooting(common: dict, data: Mapping) -> Fact:
    return TroubleshootingFact(
        **common,
        problem=str(data["problem"]),
        aliases=_strings(data.get("aliases")),
        steps=_strings(data.get("steps")),
        invalid_steps=_strings(data.get("invalid_steps")),
    )


_BUILDERS = {
    "plan": _plan,
    "feature": _feature,
    "policy": _policy,
    "sla": _sla,
    "process": _process,
    "troubleshooting": _troubleshooting,
}


def fact_from_dict(raw: Mapping, *, origin: str = "facts") -> Fact:
    """Build one typed fact from its content dict; errors name the origin and the field."""
    fact_id = raw.get("id", "?") if isinstance(raw, Mapping) else "?"
    where = f"{origin}: fact {fact_id!r}"
    if not isinstance(raw, Mapping):
        raise KnowledgeBaseError(f"{where}: a fact must be a mapping")
    category = raw.get("category")
    if category not in _BUILDERS:
        raise KnowledgeBaseError(f"{where}: field 'category' must be one of {CATEGORIES}")
    for name in ("id", "title", "statement"):
        if not raw.get(name):
            raise KnowledgeBaseError(f"{where}: field {name!r} is required")
    data = raw.get("data") or {}
    if not isinstance(data, Mapping):
        raise KnowledgeBaseError(f"{where}: field 'data' must be a mapping")
    common = {
        "id": str(raw["id"]),
        "category": category,
        "title": str(raw["title"]),
        "statement": str(raw["statement"]).strip(),
        "source_url": str(raw.get("source_url") or ""),
    }
    try:
        return _BUILDERS[category](common, data)
    except KeyError as exc:
        raise KnowledgeBaseError(f"{where}: field 'data.{exc.args[0]}' is required") from exc
    except (TypeError, ValueError) as exc:
        raise KnowledgeBaseError(f"{where}: field 'data' is malformed ({exc})") from exc


def _canonical(raw: Mapping) -> Any:
    return json.loads(json.dumps(raw, sort_keys=True, default=str))


@dataclass(frozen=True)
class KnowledgeBase:
    """An immutable set of facts with lookups by id, category, plan name and topic."""

    facts: tuple[Fact, ...]
    version: str = field(default="")

    @classmethod
    def from_facts(cls, raw_facts: Iterable[Mapping], *, origin: str = "facts") -> KnowledgeBase:
        raw_list = list(raw_facts or [])
        facts = tuple(fact_from_dict(raw, origin=origin) for raw in raw_list)
        seen: set[str] = set()
        for fact in facts:
            if fact.id in seen:
                raise KnowledgeBaseError(f"{origin}: fact {fact.id!r} is defined twice")
            seen.add(fact.id)
        canonical = sorted((_canonical(r) for r in raw_list), key=lambda r: str(r.get("id")))
        digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()
        return cls(facts=facts, version=digest[:16])

    @classmethod
    def from_directory(cls, path: str | Path) -> KnowledgeBase:
        """Read `knowledge_base/*.yaml` under a content dir, or the yaml files in `path` itself."""
        root = Path(path)
        folder = root / "knowledge_base" if (root / "knowledge_base").is_dir() else root
        if not folder.is_dir():
            raise KnowledgeBaseError(f"{root}: not a directory")
        raw: list[Mapping] = []
        for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            raw.extend(_read_fact_file(file))
        return cls.from_facts(raw, origin=str(folder))

    def get(self, fact_id: str | None) -> Fact | None:
        return self._by_id.get(fact_id or "")

    def of(self, category: str) -> list[Fact]:
        return [f for f in self.facts if f.category == category]

    @cached_property
    def plans(self) -> list[PlanFact]:
        return [f for f in self.facts if isinstance(f, PlanFact)]

    @cached_property
    def features(self) -> list[FeatureFact]:
        return [f for f in self.facts if isinstance(f, FeatureFact)]

    @cached_property
    def policies(self) -> list[PolicyFact]:
        return [f for f in self.facts if isinstance(f, PolicyFact)]

    @cached_property
    def slas(self) -> list[SlaFact]:
        return [f for f in self.facts if isinstance(f, SlaFact)]

    @cached_property
    def processes(self) -> list[ProcessFact]:
        return [f for f in self.facts if isinstance(f, ProcessFact)]

    @cached_property
    def troubleshooting(self) -> list[TroubleshootingFact]:
        return [f for f in self.facts if isinstance(f, TroubleshootingFact)]

    @property
    def plan_names(self) -> list[str]:
        return [p.plan for p in self.plans]

    def plan(self, name: str | None) -> PlanFact | None:
        """The plan fact for a plan name, ignoring case and a trailing 'plan'."""
        key = _plan_key(name)
        return next((p for p in self.plans if _plan_key(p.plan) == key), None) if key else None

    def sla_for(self, plan_name: str | None) -> SlaFact | None:
        key = _plan_key(plan_name)
        return next((s for s in self.slas if _plan_key(s.plan) == key), None) if key else None

    def feature_on_plan(self, feature: FeatureFact, plan_name: str | None) -> bool:
        key = _plan_key(plan_name)
        return any(_plan_key(p) == key for p in feature.plans)

    @cached_property
    def _by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    def __len__(self) -> int:
        return len(self.facts)


def _plan_key(name: str | None) -> str:
    key = (name or "").strip().lower()
    return key[:-5].strip() if key.endswith(" plan") else key


def _read_fact_file(file: Path) -> list[Mapping]:
    try:
        content = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{file}: not valid YAML ({exc})") from exc
    facts = content.get("facts") if isinstance(content, Mapping) else content
    if not isinstance(facts, list):
        raise KnowledgeBaseError(f"{file}: field 'facts' must be a list")
    return facts
