"""Knowledge-base facts as frozen dataclasses, with the lookups the claim checker needs.

The format is docs/knowledge-base.md: plans, add-ons, quotas, features, policies, yes/no
rules, things not offered, support targets, navigation paths and troubleshooting articles,
plus the company (name, product names, help site) from `company.yaml`. Nothing here knows
any particular company.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

CATEGORIES = (
    "plan",
    "addon",
    "quota",
    "feature",
    "policy",
    "rule",
    "not_offered",
    "sla",
    "process",
    "troubleshooting",
)
UNITS = (
    "minutes",
    "hours",
    "business_hours",
    "days",
    "business_days",
    "weeks",
    "months",
    "years",
)
# Units convert only within their scale: a business day is not a day, a month is not 30 days.
_SCALE = {
    "minutes": ("clock", 1),
    "hours": ("clock", 60),
    "days": ("clock", 1440),
    "weeks": ("clock", 10080),
    "business_hours": ("business_hours", 1),
    "business_days": ("business_days", 1),
    "months": ("calendar", 1),
    "years": ("calendar", 12),
}
_UNIT_WORDS = {
    "minutes": ("minute", "minutes"),
    "hours": ("hour", "hours"),
    "business_hours": ("business hour", "business hours"),
    "days": ("day", "days"),
    "business_days": ("business day", "business days"),
    "weeks": ("week", "weeks"),
    "months": ("month", "months"),
    "years": ("year", "years"),
}
PRICE_BASES = ("per_seat", "per_account")
BILLING_CYCLES = ("monthly", "annual")
CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


class KnowledgeBaseError(ValueError):
    """A fact file or fact that does not follow the content format (names file and field)."""


def _number_text(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


@dataclass(frozen=True)
class Duration:
    """An amount of time in one unit, exact (low == high) or a range ('5 to 10 business days')."""

    low: float
    high: float
    unit: str

    @classmethod
    def exact(cls, value: float, unit: str) -> Duration:
        return cls(float(value), float(value), unit)

    @classmethod
    def parse(cls, raw: Any) -> Duration:
        """{value, unit}, {min, max, unit} or a bare number of days (the old `days: N`)."""
        if isinstance(raw, bool):
            raise ValueError("a duration is {value, unit} or {min, max, unit}")
        if isinstance(raw, int | float):
            return cls.exact(raw, "days")
        if not isinstance(raw, Mapping):
            raise ValueError("a duration is {value, unit} or {min, max, unit}")
        unit = str(raw.get("unit") or "")
        if unit not in UNITS:
            raise ValueError(f"unit {unit!r} is not one of {', '.join(UNITS)}")
        if raw.get("value") is not None:
            return cls.exact(float(raw["value"]), unit)
        if raw.get("min") is None or raw.get("max") is None:
            raise ValueError("a duration needs `value`, or `min` and `max`")
        low, high = float(raw["min"]), float(raw["max"])
        if low > high:
            raise ValueError("a duration's `min` is above its `max`")
        return cls(low, high, unit)

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    @property
    def value(self) -> float:
        return self.high

    def in_unit(self, unit: str) -> tuple[float, float] | None:
        """The bounds expressed in `unit`, or None when the units do not convert."""
        mine, theirs = _SCALE[self.unit], _SCALE.get(unit)
        if theirs is None or mine[0] != theirs[0]:
            return None
        factor = mine[1] / theirs[1]
        return self.low * factor, self.high * factor

    def agrees_with(self, claimed: Duration) -> bool:
        """Whether a claimed duration states this one: same scale, and inside (or equal)."""
        bounds = claimed.in_unit(self.unit)
        if bounds is None:
            return False
        low, high = bounds
        if claimed.is_range:
            return abs(low - self.low) < 1e-6 and abs(high - self.high) < 1e-6
        return self.low - 1e-6 <= low <= self.high + 1e-6

    @property
    def days(self) -> int | None:
        """The old integer-days view, for exact durations counted in calendar days."""
        if self.unit != "days" or self.is_range:
            return None
        return int(self.value)

    @property
    def text(self) -> str:
        one, many = _UNIT_WORDS[self.unit]
        if self.is_range:
            return f"{_number_text(self.low)}\u2013{_number_text(self.high)} {many}"
        return f"{_number_text(self.value)} {one if self.value == 1 else many}"

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Company:
    """Who the knowledge base describes: `company.yaml`."""

    name: str
    product: str = ""
    product_names: tuple[str, ...] = ()
    help_site: str = ""
    currency: str = "USD"

    @classmethod
    def from_mapping(cls, raw: Mapping, *, origin: str = "company.yaml") -> Company:
        if not isinstance(raw, Mapping):
            raise KnowledgeBaseError(f"{origin}: expected a mapping of fields")
        if not str(raw.get("name") or "").strip():
            raise KnowledgeBaseError(f"{origin}: field 'name' is required")
        return cls(
            name=str(raw["name"]).strip(),
            product=str(raw.get("product") or "").strip(),
            product_names=_strings(raw.get("product_names")),
            help_site=str(raw.get("help_site") or "").strip().rstrip("/"),
            currency=str(raw.get("currency") or "USD").strip().upper(),
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The company name and its product names: what customers call it."""
        return (self.name, *(n for n in self.product_names if n != self.name))

    @property
    def help_host(self) -> str:
        site = self.help_site.split("://", 1)[-1]
        return site.split("/", 1)[0].lower()

    @property
    def currency_symbol(self) -> str:
        return CURRENCY_SYMBOLS.get(self.currency, "$")

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "product": self.product,
            "product_names": list(self.product_names),
            "help_site": self.help_site,
            "currency": self.currency,
        }


@dataclass(frozen=True, kw_only=True)
class Fact:
    id: str
    category: str
    title: str
    statement: str
    source_url: str
    details: str = ""

    @property
    def name(self) -> str:
        """The subject's own name (plan, feature, policy, task, problem…)."""
        return self.title

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
    aliases: tuple[str, ...] = ()
    price_basis: str = "per_seat"
    seats_included: int | None = None
    extra_seats: str | None = None

    @property
    def name(self) -> str:
        return self.plan

    @property
    def per_seat(self) -> bool:
        return self.price_basis == "per_seat"

    @property
    def monthly_equivalent(self) -> float | None:
        """The annual price as a per-month figure ('$10/month billed annually')."""
        return None if self.annual_price is None else self.annual_price / 12

    @property
    def seats_purchasable(self) -> bool:
        if self.extra_seats is not None:
            return self.extra_seats == "purchasable"
        return self.per_seat


@dataclass(frozen=True, kw_only=True)
class AddonFact(Fact):
    addon: str
    price: float | None
    per: str = ""
    period: str = "month"
    aliases: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.addon

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.addon, *self.aliases)


@dataclass(frozen=True, kw_only=True)
class QuotaFact(Fact):
    quota: str
    unit: str = ""
    aliases: tuple[str, ...] = ()
    by_plan: tuple[tuple[str, float | None], ...] = ()
    limit: float | None = None
    resets: str = "never"
    rollover: bool | None = None
    overage_price: float | None = None
    overage_per: str = ""
    when_exceeded: str = ""

    @property
    def name(self) -> str:
        return self.quota

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.quota, *self.aliases)

    @property
    def plan_limits(self) -> dict[str, float | None]:
        return dict(self.by_plan)

    def limit_for(self, plan_name: str | None) -> tuple[bool, float | None]:
        """(known, amount) for a plan; amount None means unlimited."""
        if not self.by_plan:
            return True, self.limit
        key = _plan_key(plan_name)
        for plan, amount in self.by_plan:
            if _plan_key(plan) == key:
                return True, amount
        return False, None


@dataclass(frozen=True, kw_only=True)
class FeatureFact(Fact):
    feature: str
    aliases: tuple[str, ...] = ()
    plans: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.feature

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.feature, *self.aliases)


@dataclass(frozen=True, kw_only=True)
class PolicyFact(Fact):
    policy: str
    aliases: tuple[str, ...] = ()
    duration: Duration | None = None
    by_plan: tuple[tuple[str, Duration], ...] = ()
    by_billing_cycle: tuple[tuple[str, Duration], ...] = ()

    @property
    def name(self) -> str:
        return self.policy

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.policy, *self.aliases)

    @property
    def days(self) -> int | None:
        """The old view: the single duration in calendar days, when it is one."""
        return self.duration.days if self.duration else None

    @property
    def durations(self) -> list[Duration]:
        """Every duration the policy states (the one, or one per plan or billing cycle)."""
        found = [self.duration] if self.duration else []
        return found + [d for _, d in self.by_plan] + [d for _, d in self.by_billing_cycle]

    def duration_for(
        self, plan_name: str | None = None, billing_cycle: str | None = None
    ) -> Duration | None:
        """The duration that applies to a plan and billing cycle, when the KB says."""
        if self.by_plan and plan_name:
            key = _plan_key(plan_name)
            found = next((d for p, d in self.by_plan if _plan_key(p) == key), None)
            if found:
                return found
        if self.by_billing_cycle and billing_cycle:
            cycle = billing_cycle_key(billing_cycle)
            found = next((d for c, d in self.by_billing_cycle if c == cycle), None)
            if found:
                return found
        return self.duration


@dataclass(frozen=True, kw_only=True)
class RuleFact(Fact):
    rule: str
    value: bool
    aliases: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.rule

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.rule, *self.aliases)


@dataclass(frozen=True, kw_only=True)
class NotOfferedFact(Fact):
    thing: str
    aliases: tuple[str, ...] = ()
    alternative: str = ""

    @property
    def name(self) -> str:
        return self.thing

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.thing, *self.aliases)


@dataclass(frozen=True, kw_only=True)
class SlaFact(Fact):
    plan: str
    first_response: Duration | None = None
    channels: tuple[str, ...] = ()
    hours: str = ""

    @property
    def name(self) -> str:
        return self.plan

    @property
    def first_response_hours(self) -> float | None:
        """The old view: the target in clock hours, when it is in clock time."""
        if self.first_response is None:
            return None
        bounds = self.first_response.in_unit("hours")
        return bounds[1] if bounds else None


@dataclass(frozen=True, kw_only=True)
class ProcessFact(Fact):
    task: str
    current_path: str
    aliases: tuple[str, ...] = ()
    outdated_paths: tuple[str, ...] = ()
    changed_on: str = ""

    @property
    def name(self) -> str:
        return self.task

    @property
    def topic_phrases(self) -> tuple[str, ...]:
        return (self.task, *self.aliases)


@dataclass(frozen=True, kw_only=True)
class TroubleshootingFact(Fact):
    problem: str
    aliases: tuple[str, ...] = ()
    steps: tuple[str, ...] = ()
    # Read from old content only; the claim checker never uses it (any step that is not
    # documented is unsupported, so a list of known fakes adds nothing).
    invalid_steps: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.problem

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
    if isinstance(value, bool):
        raise ValueError("expected a number, not true/false")
    return None if value is None else float(value)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        raise ValueError("expected a whole number, not true/false")
    return None if value is None else int(value)


def _bool(value: Any, name: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false")
    return value


def _duration(value: Any, name: str) -> Duration | None:
    if value is None:
        return None
    try:
        return Duration.parse(value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc


def _durations_by(value: Any, name: str) -> tuple[tuple[str, Duration], ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise ValueError(f"{name} must map names to durations")
    return tuple((str(k), _duration(v, f"{name}.{k}")) for k, v in value.items())


def billing_cycle_key(name: str | None) -> str | None:
    """'annually', 'yearly', 'annual plan' -> 'annual'; 'monthly' -> 'monthly'."""
    key = (name or "").strip().lower()
    if key.startswith(("annual", "year")):
        return "annual"
    if key.startswith("month"):
        return "monthly"
    return key or None


def _details(data: Mapping) -> str:
    return str(data.get("details") or "")


def _plan(common: dict, data: Mapping) -> Fact:
    basis = str(data.get("price_basis") or "per_seat")
    if basis not in PRICE_BASES:
        raise ValueError(f"price_basis must be one of {', '.join(PRICE_BASES)}")
    extra = data.get("extra_seats")
    if extra is not None and extra not in ("none", "purchasable"):
        raise ValueError("extra_seats must be none or purchasable")
    return PlanFact(
        **common,
        plan=str(data["plan"]),
        aliases=_strings(data.get("aliases")),
        price_basis=basis,
        monthly_price=_number(data.get("monthly_price")),
        annual_price=_number(data.get("annual_price")),
        seats_included=_int(data.get("seats_included")),
        seat_limit=_int(data.get("seat_limit")),
        extra_seats=extra,
    )


def _addon(common: dict, data: Mapping) -> Fact:
    return AddonFact(
        **common,
        addon=str(data["addon"]),
        aliases=_strings(data.get("aliases")),
        price=_number(data.get("price")),
        per=str(data.get("per") or ""),
        period=str(data.get("period") or "month"),
        plans=_strings(data.get("plans")),
    )


def _quota(common: dict, data: Mapping) -> Fact:
    by_plan = data.get("by_plan") or {}
    if not isinstance(by_plan, Mapping):
        raise ValueError("by_plan must map plan names to amounts")
    overage = data.get("overage") or {}
    if not isinstance(overage, Mapping):
        raise ValueError("overage must be {price, per}")
    return QuotaFact(
        **common,
        quota=str(data["quota"]),
        aliases=_strings(data.get("aliases")),
        unit=str(data.get("unit") or ""),
        by_plan=tuple((str(k), _number(v)) for k, v in by_plan.items()),
        limit=_number(data.get("limit")),
        resets=str(data.get("resets") or "never"),
        rollover=_bool(data.get("rollover"), "rollover"),
        overage_price=_number(overage.get("price")),
        overage_per=str(overage.get("per") or ""),
        when_exceeded=str(data.get("when_exceeded") or ""),
    )


def _feature(common: dict, data: Mapping) -> Fact:
    return FeatureFact(
        **common,
        feature=str(data["feature"]),
        aliases=_strings(data.get("aliases")),
        plans=_strings(data.get("plans")),
    )


def _policy(common: dict, data: Mapping) -> Fact:
    duration = data.get("duration")
    if duration is None and data.get("days") is not None:
        duration = {"value": data["days"], "unit": "days"}
    return PolicyFact(
        **common,
        policy=str(data["policy"]),
        aliases=_strings(data.get("aliases")),
        duration=_duration(duration, "duration"),
        by_plan=_durations_by(data.get("by_plan"), "by_plan"),
        by_billing_cycle=tuple(
            (billing_cycle_key(k) or k, d)
            for k, d in _durations_by(data.get("by_billing_cycle"), "by_billing_cycle")
        ),
    )


def _rule(common: dict, data: Mapping) -> Fact:
    if "value" not in data:
        raise KeyError("value")
    return RuleFact(
        **common,
        rule=str(data["rule"]),
        aliases=_strings(data.get("aliases")),
        value=bool(_bool(data["value"], "value")),
    )


def _not_offered(common: dict, data: Mapping) -> Fact:
    return NotOfferedFact(
        **common,
        thing=str(data["thing"]),
        aliases=_strings(data.get("aliases")),
        alternative=str(data.get("alternative") or ""),
    )


def _sla(common: dict, data: Mapping) -> Fact:
    first = data.get("first_response")
    if first is None and data.get("first_response_hours") is not None:
        first = {"value": data["first_response_hours"], "unit": "hours"}
    return SlaFact(
        **common,
        plan=str(data["plan"]),
        first_response=_duration(first, "first_response"),
        channels=_strings(data.get("channels")),
        hours=str(data.get("hours") or ""),
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
    "addon": _addon,
    "quota": _quota,
    "feature": _feature,
    "policy": _policy,
    "rule": _rule,
    "not_offered": _not_offered,
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
        "statement": " ".join(str(raw["statement"]).split()),
        "source_url": str(raw.get("source_url") or ""),
        "details": _details(data),
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
    """An immutable set of facts and the company they describe, with lookups."""

    facts: tuple[Fact, ...]
    version: str = field(default="")
    company: Company | None = field(default=None)

    @classmethod
    def from_facts(
        cls,
        raw_facts: Iterable[Mapping],
        *,
        origin: str = "facts",
        company: Company | Mapping | None = None,
    ) -> KnowledgeBase:
        """Typed facts from content dicts; `company` is company.yaml's mapping (optional)."""
        raw_list = list(raw_facts or [])
        # One order for one version: the compiled form is shared by every KB of a version
        # (the files' and the database's), and its tables follow the facts' order.
        facts = tuple(
            sorted((fact_from_dict(raw, origin=origin) for raw in raw_list), key=lambda f: f.id)
        )
        seen: set[str] = set()
        for fact in facts:
            if fact.id in seen:
                raise KnowledgeBaseError(f"{origin}: fact {fact.id!r} is defined twice")
            seen.add(fact.id)
        if company is not None and not isinstance(company, Company):
            company = Company.from_mapping(company, origin=f"{origin}: company")
        canonical: Any = sorted((_canonical(r) for r in raw_list), key=lambda r: str(r.get("id")))
        if company is not None:
            canonical = {"company": company.as_dict(), "facts": canonical}
        digest = hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()
        return cls(facts=facts, version=digest[:16], company=company)

    @classmethod
    def from_directory(cls, path: str | Path) -> KnowledgeBase:
        """Read a content dir (company.yaml and knowledge_base/*.yaml) or a KB folder itself.

        Given the `knowledge_base` folder, the company.yaml beside it is read too.
        """
        root = Path(path)
        folder = root / "knowledge_base" if (root / "knowledge_base").is_dir() else root
        if not folder.is_dir():
            raise KnowledgeBaseError(f"{root}: not a directory")
        raw: list[Mapping] = []
        for file in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            raw.extend(_read_fact_file(file))
        company = read_company(root) or (read_company(root.parent) if folder == root else None)
        return cls.from_facts(raw, origin=str(folder), company=company)

    def get(self, fact_id: str | None) -> Fact | None:
        return self._by_id.get(fact_id or "")

    def of(self, category: str) -> list[Fact]:
        return [f for f in self.facts if f.category == category]

    def _typed(self, kind: type) -> list:
        return [f for f in self.facts if isinstance(f, kind)]

    @cached_property
    def plans(self) -> list[PlanFact]:
        """Cheapest first (by monthly, else annual price; unpriced plans last), whatever
        order the facts came in."""
        return sorted(self._typed(PlanFact), key=_price_order)

    @cached_property
    def addons(self) -> list[AddonFact]:
        return self._typed(AddonFact)

    @cached_property
    def quotas(self) -> list[QuotaFact]:
        return self._typed(QuotaFact)

    @cached_property
    def features(self) -> list[FeatureFact]:
        return self._typed(FeatureFact)

    @cached_property
    def policies(self) -> list[PolicyFact]:
        return self._typed(PolicyFact)

    @cached_property
    def rules(self) -> list[RuleFact]:
        return self._typed(RuleFact)

    @cached_property
    def not_offered(self) -> list[NotOfferedFact]:
        return self._typed(NotOfferedFact)

    @cached_property
    def slas(self) -> list[SlaFact]:
        return self._typed(SlaFact)

    @cached_property
    def processes(self) -> list[ProcessFact]:
        return self._typed(ProcessFact)

    @cached_property
    def troubleshooting(self) -> list[TroubleshootingFact]:
        return self._typed(TroubleshootingFact)

    @property
    def plan_names(self) -> list[str]:
        return [p.plan for p in self.plans]

    @property
    def company_names(self) -> tuple[str, ...]:
        """The company's and its products' names (empty when company.yaml was not read)."""
        return self.company.names if self.company else ()

    @property
    def currency_symbol(self) -> str:
        return self.company.currency_symbol if self.company else "$"

    def plan(self, name: str | None) -> PlanFact | None:
        """The plan fact for a plan name or alias, ignoring case and a trailing 'plan'."""
        key = _plan_key(name)
        if not key:
            return None
        for plan in self.plans:
            if key in {_plan_key(p) for p in (plan.plan, *plan.aliases)}:
                return plan
        return None

    def sla_for(self, plan_name: str | None) -> SlaFact | None:
        plan = self.plan(plan_name)
        key = _plan_key(plan.plan if plan else plan_name)
        return next((s for s in self.slas if _plan_key(s.plan) == key), None) if key else None

    def feature_on_plan(self, feature: FeatureFact | AddonFact, plan_name: str | None) -> bool:
        plan = self.plan(plan_name)
        key = _plan_key(plan.plan if plan else plan_name)
        if isinstance(feature, AddonFact) and not feature.plans:
            return True
        return any(_plan_key(p) == key for p in feature.plans)

    @cached_property
    def _by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    def __len__(self) -> int:
        return len(self.facts)


_MISSING = object()


class CompiledKnowledgeBase:
    """What the claim checker derives from one knowledge-base version (stems, phrase
    indexes, price and quantity tables, paths, steps), computed once and shared by every
    KnowledgeBase object with that version: the pipeline rebuilds the KB from the database
    for each grade, and the derived tables cost far more than the facts."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.memo: dict = {}
        self._texts: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, compute):
        """The memoised value of `key`, computed (once per version) by `compute()`."""
        try:
            return self.memo[key]
        except KeyError:
            pass
        value = compute()
        with self._lock:
            return self.memo.setdefault(key, value)

    def answer_for_text(self, key, compute):
        """The memoised answer about one text (a reply's claims): a bounded LRU, so the
        offline grade, the LLM grade and its accuracy cap check a reply once between them."""
        with self._lock:
            found = self._texts.get(key, _MISSING)
            if found is not _MISSING:
                self._texts.move_to_end(key)
                return found
        value = compute()
        with self._lock:
            self._texts[key] = value
            while len(self._texts) > TEXT_MEMO_SIZE:
                self._texts.popitem(last=False)
        return value


COMPILED_CACHE_SIZE = 8
TEXT_MEMO_SIZE = 2048
_compiled: OrderedDict[str, CompiledKnowledgeBase] = OrderedDict()
_compiled_lock = threading.Lock()


def compiled(kb: KnowledgeBase) -> CompiledKnowledgeBase:
    """The compiled form of `kb`, from a bounded LRU keyed by the KB's version (the hash of
    its facts and company): a new version compiles afresh, an old one ages out. A KB built
    without a version keeps its compiled form on the object itself."""
    if not kb.version:
        own = kb.__dict__.get("_compiled")
        if own is None:
            own = kb.__dict__.setdefault("_compiled", CompiledKnowledgeBase(""))
        return own
    with _compiled_lock:
        found = _compiled.get(kb.version)
        if found is not None:
            _compiled.move_to_end(kb.version)
            return found
        found = _compiled[kb.version] = CompiledKnowledgeBase(kb.version)
        while len(_compiled) > COMPILED_CACHE_SIZE:
            _compiled.popitem(last=False)
        return found


def compiled_cache_clear() -> None:
    with _compiled_lock:
        _compiled.clear()


def _plan_key(name: str | None) -> str:
    key = " ".join((name or "").strip().lower().split())
    return key[:-5].strip() if key.endswith(" plan") else key


def _price_order(plan: PlanFact) -> tuple:
    monthly, annual = plan.monthly_price, plan.annual_price
    price = monthly if monthly is not None else (annual / 12 if annual is not None else None)
    return (price is None, price or 0, plan.id)


def read_company(root: Path) -> Company | None:
    """company.yaml in a content directory, or None when there is none."""
    file = root / "company.yaml"
    if not file.is_file():
        return None
    content = _read_yaml(file)
    return Company.from_mapping(content or {}, origin=str(file))


def _read_yaml(file: Path):
    """A YAML file's data, or KnowledgeBaseError naming the file (and line) in plain words:
    over the content size limit, not UTF-8, not valid YAML."""
    from grading.content.files import UnreadableFileError, read_content_text, yaml_problem_in_words

    try:
        return yaml.safe_load(read_content_text(file))
    except UnreadableFileError as exc:
        where = f"{file}:{exc.line}" if exc.line else str(file)
        raise KnowledgeBaseError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file}:{mark.line + 1}" if mark else str(file)
        problem = yaml_problem_in_words(getattr(exc, "problem", None) or str(exc))
        raise KnowledgeBaseError(f"{where}: not valid YAML: {problem}") from exc


def _read_fact_file(file: Path) -> list[Mapping]:
    content = _read_yaml(file) or {}
    facts = content.get("facts") if isinstance(content, Mapping) else content
    if not isinstance(facts, list):
        raise KnowledgeBaseError(f"{file}: field 'facts' must be a list")
    return facts
