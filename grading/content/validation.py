"""Validating a content bundle: the JSON schema per item, then ids and cross-references.

Every problem is collected (file, field, line, message); nothing stops at the first one.
"""

import datetime
import json
import re
from functools import cache
from pathlib import Path

from django.conf import settings
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from ..offline import expand_rubric
from .files import ContentBundle, ContentError, SourceItem

SCHEMA_PATH = Path("fixtures") / "schema" / "content.schema.json"
SCHEMA_DEFS = {
    "company": ("company",),
    "fact": ("fact", "kb_fact"),
    "rubric": ("rubric",),
    "module": ("module",),
    "lesson": ("lesson_front_matter", "lesson"),
    "exercise": ("exercise",),
    "scenario": ("scenario",),
    "example": ("example",),
}
REPLY_RUBRIC = "reply-quality"


@cache
def load_schema() -> dict:
    return json.loads((Path(settings.BASE_DIR) / SCHEMA_PATH).read_text(encoding="utf-8"))


@cache
def validator_for(kind: str) -> Draft202012Validator:
    schema = load_schema()
    defs = schema["$defs"]
    for name in SCHEMA_DEFS[kind]:
        if name in defs:
            return Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": defs})
    if kind == "fact":
        items = defs["kb_file"]["properties"]["facts"]["items"]
        return Draft202012Validator({**items, "$defs": defs})
    raise LookupError(f"{SCHEMA_PATH} has no $defs entry for {kind}")


def _schema_errors(item: SourceItem) -> list[ContentError]:
    found = []
    for error in sorted(validator_for(item.kind).iter_errors(item.data), key=str):
        error = _most_specific(error)
        parts = list(error.absolute_path)
        message = _yaml_value_hint(error) or error.message
        message = message if len(message) < 300 else message[:297] + "..."
        found.append(item.error(parts, message))
    return found


def _wants_text(error: ValidationError) -> bool:
    if error.validator == "type":
        expected = error.validator_value
        return expected == "string" or (isinstance(expected, list) and "string" in expected)
    if error.validator == "enum":
        return any(isinstance(v, str) for v in error.validator_value)
    return False


def _yaml_value_hint(error: ValidationError) -> str | None:
    """Where text is expected, what YAML made of an unquoted value, in words: a date or
    time (2026-09-15), a yes/no (true/false), instead of a Python value."""
    value = error.instance
    if not _wants_text(error):
        return None
    if isinstance(value, datetime.datetime | datetime.date):
        return (
            f"YAML reads an unquoted {value.isoformat()} as a date: quote this date "
            f'("{value.isoformat()}") to keep it as text'
        )
    if isinstance(value, bool):
        return (
            "YAML reads an unquoted yes/no/true/false/on/off as true or false: quote the "
            'value (e.g. "yes")'
        )
    return None


def _most_specific(error: ValidationError) -> ValidationError:
    """For 'not valid under any of the given schemas', the sub-error that says why.

    A duration is `{value, unit}` or `{min, max, unit}` (a oneOf); an unknown unit should
    read "'fortnights' is not one of [...]" at `data.duration.unit`, not "not valid under
    any of the given schemas" at `data.duration`. When no branch goes deeper, the message
    lists what each allowed form missed.
    """
    while error.context:
        branches = list(error.context)
        deepest = max(branches, key=lambda e: (len(e.absolute_path), e.validator != "required"))
        if len(deepest.absolute_path) > len(error.absolute_path):
            error = deepest
            continue
        reasons = sorted({e.message for e in branches})
        error.message = "expected one of the allowed forms: " + "; or ".join(reasons[:3])
        break
    return error


def validate_bundle(bundle: ContentBundle) -> list[ContentError]:
    """All problems in the bundle: parse errors, schema errors, then cross-references."""
    errors = list(bundle.errors)
    valid: dict[str, list[SourceItem]] = {}
    # Items reported broken above, by kind and id (a module by its folder): what refers to
    # them says so instead of calling them unknown, so one mistake is not reported N times.
    broken: dict[str, dict[str, str]] = {kind: {} for kind in bundle.items}
    for kind, files in bundle.unreadable.items():
        for rel, name in files:
            broken[kind].setdefault(name, rel)
    for kind, items in bundle.items.items():
        valid[kind] = []
        for item in items:
            item_errors = _schema_errors(item)
            errors.extend(item_errors)
            if not item_errors:
                valid[kind].append(item)
            else:
                name = item.extra.get("module_dir") if kind == "module" else item.id
                if isinstance(name, str):
                    broken[kind].setdefault(name, item.path)
    errors.extend(_duplicate_ids(bundle))
    reference_errors = _cross_reference_errors(valid, broken, bundle)
    errors.extend(reference_errors)
    if not errors:
        # The content checks itself only once it is whole: a checker run over a broken
        # knowledge base would report its gaps again as wrong drafts.
        errors.extend(self_check_errors(valid))
    return errors


def _duplicate_ids(bundle: ContentBundle) -> list[ContentError]:
    found = []
    for kind, items in bundle.items.items():
        first_seen: dict[str, SourceItem] = {}
        for item in items:
            if not isinstance(item.id, str):
                continue
            if item.id in first_seen:
                other = first_seen[item.id]
                found.append(
                    item.error(["id"], f"duplicate {kind} id {item.id!r} (also in {other.path})")
                )
            else:
                first_seen[item.id] = item
    return found


class _References:
    """Lookups the cross-reference checks share."""

    def __init__(
        self,
        valid: dict[str, list[SourceItem]],
        broken: dict[str, dict[str, str]] | None = None,
        bundle: ContentBundle | None = None,
    ):
        self.broken = broken or {}
        self.broken_plans = {
            str(i.data["data"]["plan"]): i.path
            for i in (bundle.of("fact") if bundle else [])
            if isinstance(i.data, dict)
            and isinstance(i.data.get("data"), dict)
            and i.data.get("category") == "plan"
            and i.data["data"].get("plan")
            and i.id in self.broken.get("fact", {})
        }
        self.unreadable_fact_files = [
            rel for rel, _ in (bundle.unreadable["fact"] if bundle else [])
        ]
        self.facts = {i.id: i.data for i in valid["fact"]}
        self.plans = {
            f["data"]["plan"]
            for f in self.facts.values()
            if f.get("category") == "plan" and "plan" in f.get("data", {})
        }
        self.rubrics = {i.id: i.data for i in valid["rubric"]}
        self.modules = {i.extra["module_dir"]: i.data for i in valid["module"]}
        self.scenarios = {i.id: i.data for i in valid["scenario"]}
        self.exercises = {i.id: i.data for i in valid["exercise"]}

    def missing(self, kind: str, ref, label: str) -> str:
        """Why a reference does not resolve: unknown, or the item has errors above."""
        path = self.broken.get(kind, {}).get(ref) if isinstance(ref, str) else None
        if path:
            return f"refers to {label} {ref!r} ({path}), which has errors above"
        if kind == "fact" and self.unreadable_fact_files:
            files = ", ".join(self.unreadable_fact_files)
            return f"unknown {label} {ref!r} (it may be in {files}, which has errors above)"
        return f"unknown {label} {ref!r}"

    def missing_plan(self, plan) -> str:
        if plan in self.broken_plans:
            return f"refers to plan {plan!r} ({self.broken_plans[plan]}), which has errors above"
        if self.unreadable_fact_files:
            files = ", ".join(self.unreadable_fact_files)
            return f"unknown plan {plan!r} (it may be in {files}, which has errors above)"
        return f"unknown plan {plan!r} (plans: {sorted(self.plans)})"


def _cross_reference_errors(
    valid: dict[str, list[SourceItem]],
    broken: dict[str, dict[str, str]] | None = None,
    bundle: ContentBundle | None = None,
) -> list[ContentError]:
    refs = _References(valid, broken, bundle)
    errors: list[ContentError] = []
    help_site = next((i.data.get("help_site", "") for i in valid["company"]), "")
    for item in valid["fact"]:
        errors.extend(_fact_errors(item, refs, help_site))
    for item in valid["rubric"]:
        errors.extend(_rubric_errors(item, refs))
    for item in valid["lesson"] + valid["exercise"]:
        folder = item.extra["module_dir"]
        if folder in refs.broken.get("module", {}):
            message = f"the module.yaml of folder {folder} has errors above"
            errors.append(item.error([], message))
        elif folder not in refs.modules:
            errors.append(item.error([], f"folder {folder} has no module.yaml"))
    for item in valid["exercise"]:
        errors.extend(_exercise_errors(item, refs))
    for item in valid["scenario"]:
        errors.extend(_scenario_errors(item, refs))
    for item in valid["example"]:
        errors.extend(_example_errors(item, refs))
    return errors


def _fact_plan_names(data: dict) -> list[tuple[list, str]]:
    """(field path, plan name) for every plan a fact's data names."""
    category, body = data.get("category"), data.get("data") or {}
    found: list[tuple[list, str]] = []
    if category in ("feature", "addon"):
        found += [(["data", "plans", i], p) for i, p in enumerate(body.get("plans") or [])]
    if category in ("quota", "policy"):
        found += [(["data", "by_plan", p], p) for p in body.get("by_plan") or {}]
    if category == "sla":
        found.append((["data", "plan"], body["plan"]))
    return found


def _fact_errors(item: SourceItem, refs: _References, help_site: str) -> list[ContentError]:
    """What the schema cannot see in one fact: plan names, ranges, the help site."""
    data, body = item.data, item.data.get("data") or {}
    errors = [
        item.error(parts, refs.missing_plan(name))
        for parts, name in _fact_plan_names(data)
        if name not in refs.plans
    ]
    for parts, duration in _fact_durations(body):
        if "min" in duration and duration["min"] > duration["max"]:
            errors.append(item.error(["data", *parts], "a range's min is above its max"))
    if "days" in body and ("duration" in body or "by_plan" in body):
        errors.append(item.error(["data", "days"], "give the duration once: `duration` only"))
    if "first_response" in body and "first_response_hours" in body:
        errors.append(item.error(["data", "first_response_hours"], "give `first_response` only"))
    seats, limit = body.get("seats_included"), body.get("seat_limit")
    is_plan = data.get("category") == "plan"
    if is_plan and seats is not None and limit is not None and seats > limit:
        errors.append(item.error(["data", "seats_included"], "more than the seat limit"))
    purchasable = body.get("extra_seats") == "purchasable"
    if is_plan and purchasable and None not in (seats, limit) and seats >= limit:
        errors.append(item.error(["data", "extra_seats"], "no seat can be added: included = limit"))
    url = data.get("source_url", "")
    if help_site and not _under(url, help_site):
        errors.append(item.error(["source_url"], f"{url!r} is not under the help site {help_site}"))
    return errors


def _fact_durations(body: dict) -> list[tuple[list, dict]]:
    found = []
    for name in ("duration", "first_response"):
        if isinstance(body.get(name), dict):
            found.append(([name], body[name]))
    for name in ("by_plan", "by_billing_cycle"):
        for key, value in (body.get(name) or {}).items():
            if isinstance(value, dict):
                found.append(([name, key], value))
    return found


def _under(url: str, site: str) -> bool:
    def host(u: str) -> str:
        return u.split("://", 1)[-1].split("/", 1)[0].lower()

    path = site.split("://", 1)[-1].partition("/")[2].strip("/")
    rest = url.split("://", 1)[-1].partition("/")[2]
    return host(url) == host(site) and (not path or rest.startswith(path))


def _rubric_errors(item: SourceItem, refs: _References) -> list[ContentError]:
    errors = []
    parent = item.data.get("extends")
    if parent and parent not in refs.rubrics:
        errors.append(item.error(["extends"], refs.missing("rubric", parent, "rubric")))
    if parent and refs.rubrics.get(parent, {}).get("extends"):
        errors.append(item.error(["extends"], f"rubric {parent!r} itself extends another"))
    keys = set()
    for index, criterion in enumerate(item.data.get("criteria", [])):
        if criterion["id"] in keys:
            errors.append(item.error(["criteria", index, "id"], "duplicate criterion id"))
        keys.add(criterion["id"])
        points = [level["points"] for level in criterion["levels"]]
        if points != sorted(set(points)):
            errors.append(
                item.error(["criteria", index, "levels"], "level points must be unique, ascending")
            )
        if criterion.get("critical") and criterion.get("critical_cap") is None:
            errors.append(
                item.error(["criteria", index, "critical_cap"], "a critical criterion needs a cap")
            )
    parent_keys = {c["id"] for c in refs.rubrics.get(parent or "", {}).get("criteria", [])}
    for key in sorted(keys & parent_keys):
        errors.append(item.error(["criteria"], f"criterion {key!r} is already in {parent!r}"))
    return errors


def _exercise_errors(item: SourceItem, refs: _References) -> list[ContentError]:
    data = item.data
    errors = []
    if data["rubric"] not in refs.rubrics:
        errors.append(item.error(["rubric"], refs.missing("rubric", data["rubric"], "rubric")))
    for index, slug in enumerate(data.get("scenarios", [])):
        scenario = refs.scenarios.get(slug)
        if scenario is None:
            errors.append(
                item.error(["scenarios", index], refs.missing("scenario", slug, "scenario"))
            )
        elif scenario["type"] != data["type"]:
            errors.append(
                item.error(
                    ["scenarios", index],
                    f"scenario {slug!r} is of type {scenario['type']!r}, "
                    f"the exercise is {data['type']!r}",
                )
            )
    step_ids = [step["id"] for step in data.get("steps", [])]
    if len(step_ids) != len(set(step_ids)):
        errors.append(item.error(["steps"], "step ids must be unique"))
    return errors


# Words in an audit scenario's title that tell the agent whether the draft has errors.
ANSWER_HINT = re.compile(
    r"\b(?:clean|error[- ]?free|flawless|no (?:errors?|mistakes)|nothing wrong|planted)\b",
    re.IGNORECASE,
)


def _scenario_errors(item: SourceItem, refs: _References) -> list[ContentError]:
    data = item.data
    errors = []
    if item.extra["type_dir"] != data["type"]:
        errors.append(
            item.error(["type"], f"type {data['type']!r} is in folder {item.extra['type_dir']!r}")
        )
    plan = (data.get("customer") or {}).get("plan")
    if plan and plan not in refs.plans:
        errors.append(item.error(["customer", "plan"], refs.missing_plan(plan)))
    for index, fact_id in enumerate(data.get("kb_facts", [])):
        if fact_id not in refs.facts:
            errors.append(
                item.error(
                    ["kb_facts", index], refs.missing("fact", fact_id, "knowledge-base fact")
                )
            )
    if data.get("policy_fact") and data["policy_fact"] not in refs.facts:
        message = refs.missing("fact", data["policy_fact"], "knowledge-base fact")
        errors.append(item.error(["policy_fact"], message))
    message = data.get("message", "")
    for index, indicator in enumerate((data.get("gold") or {}).get("indicators", [])):
        if indicator["text"] not in message:
            errors.append(
                item.error(
                    ["gold", "indicators", index, "text"],
                    f"{indicator['text']!r} is not found in the message",
                )
            )
    if data["type"] == "audit" and (hint := ANSWER_HINT.search(data.get("title", ""))):
        errors.append(
            item.error(
                ["title"],
                f"the title gives the answer away ({hint.group(0)!r}): agents see it before "
                "they audit the draft, so describe the customer's question instead",
            )
        )
    draft = data.get("draft", "")
    for index, planted in enumerate(data.get("errors", [])):
        span = planted["span"]
        if span not in draft:
            errors.append(
                item.error(["errors", index, "span"], f"span {span!r} is not found in the draft")
            )
        elif draft.count(span) > 1:
            errors.append(
                item.error(["errors", index, "span"], "span occurs more than once in the draft")
            )
        fact_id = planted.get("fact_id")
        if fact_id and fact_id not in refs.facts:
            message = refs.missing("fact", fact_id, "knowledge-base fact")
            errors.append(item.error(["errors", index, "fact_id"], message))
        if not fact_id and planted["type"] != "irrelevant_answer":
            errors.append(
                item.error(["errors", index, "fact_id"], "only irrelevant_answer may omit a fact")
            )
    return errors


def _example_errors(item: SourceItem, refs: _References) -> list[ContentError]:
    data = item.data
    errors = []
    exercise = refs.exercises.get(data["exercise"])
    if exercise is None:
        return [item.error(["exercise"], refs.missing("exercise", data["exercise"], "exercise"))]
    if data["scenario"] not in refs.scenarios:
        message = refs.missing("scenario", data["scenario"], "scenario")
        errors.append(item.error(["scenario"], message))
    elif data["scenario"] not in exercise.get("scenarios", []):
        errors.append(
            item.error(
                ["scenario"],
                f"scenario {data['scenario']!r} is not in exercise {data['exercise']!r}",
            )
        )
    rubric = refs.rubrics.get(exercise["rubric"])
    if rubric is None:
        return errors
    criteria = {c["id"]: c for c in expand_rubric(rubric, refs.rubrics)["criteria"]}
    graded = data["trainer_grade"].get("criteria", {})
    for key in sorted(set(criteria) - set(graded)):
        errors.append(item.error(["trainer_grade", "criteria"], f"criterion {key!r} is not graded"))
    for key, mark in graded.items():
        criterion = criteria.get(key)
        if criterion is None:
            errors.append(
                item.error(["trainer_grade", "criteria", key], f"unknown criterion {key!r}")
            )
            continue
        points = mark.get("points") if isinstance(mark, dict) else None
        allowed = {level["points"] for level in criterion["levels"]}
        if points == "na" and criterion.get("allow_na"):
            continue
        if points not in allowed:
            errors.append(
                item.error(
                    ["trainer_grade", "criteria", key, "points"],
                    f"{points!r} is not a level of {key!r} (levels: {sorted(allowed)})",
                )
            )
    return errors


# --- The content checks itself ------------------------------------------------------------

# The authored drafts that are meant to be right, by scenario type: the claim checker must
# not contradict them (the planted errors of an audit draft are the other way round).
GOOD_DRAFTS = {
    "tone": ("calibrated",),
    "context": ("with_context",),
    "empathy": ("empathetic",),
}


def self_check_errors(valid: dict[str, list[SourceItem]]) -> list[ContentError]:
    """What the claim checker finds wrong in content meant to be right: every fact's
    statement, the good authored drafts, and the replies of examples a trainer gave full
    accuracy marks. Each is a content error naming the fact involved."""
    from ..detectors.claims import audit_draft, check_claims, finding_from_claim
    from ..detectors.knowledge_base import KnowledgeBase, KnowledgeBaseError

    company = next((item.data for item in valid["company"]), None)
    try:
        kb = KnowledgeBase.from_facts(
            [item.data for item in valid["fact"]], origin="content", company=company
        )
    except KnowledgeBaseError as exc:
        return [ContentError("knowledge_base", "", str(exc))]

    def wrong_in(text: str, *, plan: str | None = None, message: str | None = None) -> list:
        claims = check_claims(text, kb, customer_plan=plan, customer_message=message)
        return [f for c in claims if (f := finding_from_claim(c, text))]

    errors = []
    for item in valid["fact"]:
        for finding in audit_draft(item.data["statement"], kb):
            errors.append(item.error(["statement"], _finding_message(finding, kb, "statement")))
    scenarios = {item.id: item for item in valid["scenario"]}
    for item in valid["scenario"]:
        data = item.data
        plan = (data.get("customer") or {}).get("plan")
        for key in GOOD_DRAFTS.get(data["type"], ()):
            text = (data.get("drafts") or {}).get(key)
            if not isinstance(text, str):
                continue
            for finding in wrong_in(text, plan=plan, message=data.get("message")):
                message = _finding_message(finding, kb, f"the {key!r} draft")
                errors.append(item.error(["drafts", key], message))
    rubrics = {item.id: item.data for item in valid["rubric"]}
    exercises = {item.id: item.data for item in valid["exercise"]}
    for item in valid["example"]:
        data = item.data
        reply = (data.get("answer") or {}).get("reply")
        scenario = scenarios.get(data["scenario"])
        if not isinstance(reply, str) or scenario is None:
            continue
        if not _full_accuracy(data, exercises.get(data["exercise"]), rubrics):
            continue
        plan = (scenario.data.get("customer") or {}).get("plan")
        for finding in wrong_in(reply, plan=plan, message=scenario.data.get("message")):
            message = _finding_message(finding, kb, "this reply, which has full accuracy marks,")
            errors.append(item.error(["answer", "reply"], message))
    return errors


def _full_accuracy(example: dict, exercise: dict | None, rubrics: dict) -> bool:
    """Did the trainer give the example's reply the top level of `accuracy`?"""
    if exercise is None or exercise.get("rubric") not in rubrics:
        return False
    criteria = expand_rubric(rubrics[exercise["rubric"]], rubrics).get("criteria", [])
    accuracy = next((c for c in criteria if c.get("id") == "accuracy"), None)
    mark = (example.get("trainer_grade") or {}).get("criteria", {}).get("accuracy")
    if accuracy is None or not isinstance(mark, dict):
        return False
    return mark.get("points") == max(level["points"] for level in accuracy["levels"])


def _finding_message(finding, kb, what: str) -> str:
    fact = kb.get(finding.fact_id)
    about = f" (fact {fact.id!r}: {fact.statement})" if fact else ""
    kind = finding.type.replace("_", " ")
    correction = f" {finding.correction}" if finding.correction else ""
    return (
        f"the claim checker reads {finding.span!r} in {what} as a {kind}{about}.{correction} "
        "Correct the text or the fact, so that graders do not mark right answers wrong"
    )
