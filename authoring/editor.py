"""The scenario editor's fields per exercise type: from the form to the scenario's data and
back, and the validation errors of the content loader mapped onto those fields.

The fields are those of docs/content-spec.md; nested lists (a thread, planted errors, key
facts…) are edited as YAML in a text box with a worked example, everything else as plain
inputs. Input only: publishing and validation are in services.py and validation.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

from text_analysis import vocabulary

INDICATOR_KINDS = (
    ("urgency_words", "Urgency words"),
    ("all_caps", "All caps"),
    ("exclamations", "Exclamations"),
    ("multiple_questions", "Several questions"),
    ("contradictory_requests", "Contradictory requests"),
    ("positive_language", "Positive language"),
)
MAX_FIELD_CHARS = 50_000


@dataclass(frozen=True)
class Field:
    path: tuple[str, ...]
    label: str
    widget: str  # text, textarea, select, int, yaml, indicators, datetime
    help: str = ""
    choices: tuple = ()
    example: str = ""

    @property
    def name(self) -> str:
        return "__".join(self.path)


def _choices(pairs) -> tuple:
    return (("", "—"), *pairs)


DRAFT_HELP = "An AI draft the workspace serves when no language model is configured."
THREAD = Field(
    ("thread",),
    "Earlier messages (oldest first)",
    "yaml",
    "author is customer or agent; sent_at an ISO date-time with a time zone.",
    example=(
        "- author: customer\n  name: Maren Halvorsen\n  sent_at: '2026-11-02T09:10:00Z'\n"
        "  body: My connection drops every evening.\n"
    ),
)
KEYED_EXAMPLE = "- id: router-restarted\n  text: The router was restarted twice\n  keywords: [restart, restarted]\n"  # noqa: E501

TYPE_FIELDS: dict[str, tuple[Field, ...]] = {
    "tone": (
        Field(("gold", "state"), "Customer's state", "select", choices=_choices(vocabulary.STATES)),
        Field(
            ("gold", "secondary_state"),
            "Secondary state",
            "select",
            "Optional.",
            _choices(vocabulary.STATES),
        ),
        Field(("gold", "severity"), "Severity (1 to 10)", "int"),
        Field(
            ("gold", "indicators"),
            "Emotional indicators",
            "indicators",
            "One per line: kind: exact words of the message. Kinds: "
            + ", ".join(k for k, _ in INDICATOR_KINDS),
            example="all_caps: CHARGED TWICE\nexclamations: !!!",
        ),
        Field(("drafts", "generic"), "Generic AI draft", "textarea", DRAFT_HELP),
        Field(("drafts", "calibrated"), "Calibrated AI draft (gold)", "textarea", DRAFT_HELP),
    ),
    "audit": (
        Field(
            ("draft",),
            "The AI draft to audit",
            "textarea",
            "Select text in it and press “Mark as a planted error” to add an entry below.",
        ),
        Field(
            ("errors",),
            "Planted errors",
            "yaml",
            "span: exact words of the draft (once); type: "
            + ", ".join(k for k, _ in vocabulary.FINDING_TYPES)
            + "; fact_id: the knowledge-base fact that proves it (null only for "
            "irrelevant_answer); correction: what is true. An empty list ([]) is a clean draft.",
            example=(
                "- id: wrong-price\n  type: wrong_price\n  span: costs $20 a month\n"
                "  fact_id: plan-basic\n  correction: Basic costs $30 a month\n"
            ),
        ),
    ),
    "context": (
        THREAD,
        Field(
            ("profile",),
            "Customer profile and past tickets",
            "yaml",
            "relevant: true marks the past tickets an agent should bring into the prompt.",
            example=(
                "plan: Basic\ntenure_months: 14\nlifetime_csat: 4.2\nengagement: Calls yearly\n"
                "past_tickets:\n  - id: t-101\n    subject: Slow evenings\n    summary: Router "
                "restarted\n    outcome: Not fixed\n    relevant: true\n"
            ),
        ),
        Field(("key_facts",), "Key facts a summary must cover", "yaml", example=KEYED_EXAMPLE),
        Field(
            ("tried_fixes",),
            "Fixes already tried (must not be repeated)",
            "yaml",
            example=KEYED_EXAMPLE,
        ),
        Field(("policy_fact",), "The policy that applies (a fact id)", "fact"),
        Field(("drafts", "without_context"), "AI draft without context", "textarea", DRAFT_HELP),
        Field(("drafts", "with_context"), "AI draft with context (gold)", "textarea", DRAFT_HELP),
    ),
    "empathy": (
        Field(
            ("dimension",), "Emotional dimension", "select", choices=_choices(vocabulary.DIMENSIONS)
        ),
        Field(("gold", "state"), "Customer's state", "select", choices=_choices(vocabulary.STATES)),
        Field(("gold", "severity"), "Severity (1 to 10)", "int"),
        Field(("drafts", "generic"), "Generic AI draft", "textarea", DRAFT_HELP),
        Field(("drafts", "empathetic"), "Empathetic AI draft (gold)", "textarea", DRAFT_HELP),
    ),
    "escalation": (
        THREAD,
        Field(
            ("gold", "primary_emotion"),
            "Primary emotion",
            "select",
            choices=_choices(vocabulary.EMOTIONS),
        ),
        Field(("gold", "severity"), "Severity (1 to 10)", "int"),
        Field(
            ("gold", "relationship_risk"),
            "Relationship risk",
            "select",
            choices=_choices(vocabulary.RISKS),
        ),
        Field(("gold", "key_concerns"), "Key concerns", "yaml", example=KEYED_EXAMPLE),
        Field(("drafts", "generic"), "Generic AI draft", "textarea", DRAFT_HELP),
    ),
    "rca": (
        Field(("incident", "title"), "Incident title", "text"),
        Field(("incident", "started_at"), "Started at", "text", "e.g. 2026-11-02T09:00:00Z"),
        Field(("incident", "resolved_at"), "Resolved at", "text", "e.g. 2026-11-02T13:30:00Z"),
        Field(("incident", "summary"), "Incident summary", "textarea"),
        Field(
            ("technical_details",),
            "Technical details",
            "yaml",
            "audience: customer (belongs in the report) or internal (does not).",
            example="- id: dns-change\n  text: A DNS change was rolled out\n  audience: internal\n",
        ),
        Field(("customer_context",), "The customer and how it hit them (Markdown)", "textarea"),
    ),
}
# Which keys a type's scenario holds besides the common ones (what the schema allows).
TYPE_KEYS = {kind: {f.path[0] for f in fields} for kind, fields in TYPE_FIELDS.items()}
COMMON_KEYS = ("id", "type", "title", "customer", "message", "kb_facts")


def _get(data: dict, path: tuple[str, ...]):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _set(data: dict, path: tuple[str, ...], value) -> None:
    for key in path[:-1]:
        data = data.setdefault(key, {})
    data[path[-1]] = value


def _dump(value) -> str:
    if value in (None, "", [], {}):
        return "" if value in (None, "") else yaml.safe_dump(value).strip()
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=1000)


def form_values(*, scenario_type: str, data: dict) -> dict[str, str]:
    """Flat form values for the editor from a draft's data."""
    customer = data.get("customer") or {}
    values = {
        "title": data.get("title", ""),
        "slug": data.get("id", ""),
        "customer__name": customer.get("name", ""),
        "customer__company": customer.get("company", ""),
        "customer__plan": customer.get("plan", ""),
        "message": data.get("message", ""),
    }
    for spec in TYPE_FIELDS[scenario_type]:
        value = _get(data, spec.path)
        if spec.widget == "yaml":
            values[spec.name] = _dump(value)
        elif spec.widget == "indicators":
            values[spec.name] = "\n".join(
                f"{i.get('kind', '')}: {i.get('text', '')}"
                for i in value or []
                if isinstance(i, dict)
            )
        else:
            values[spec.name] = "" if value is None else str(value)
    return values


def _yaml_value(text: str):
    try:
        return yaml.safe_load(text) if text.strip() else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ValueError(
            f"{where}{problem}. Indent nested lines with spaces, start list items with "
            "“- ”, and quote text that contains a colon followed by a space."
        ) from None


def data_from_post(*, scenario_type: str, post, facts: list[str]) -> tuple[dict, dict]:
    """The scenario's data from the editor form, and the fields that could not be read
    (YAML that does not parse, a number that is not one). Unreadable fields keep what
    was typed in the form; they are not saved."""
    errors: dict[str, str] = {}
    text = lambda name: (post.get(name) or "")[:MAX_FIELD_CHARS]  # noqa: E731
    data: dict = {
        "id": text("slug").strip(),
        "type": scenario_type,
        "title": text("title").strip(),
        "customer": {
            "name": text("customer__name").strip(),
            "company": text("customer__company").strip(),
            "plan": text("customer__plan").strip(),
        },
        "message": text("message").replace("\r\n", "\n"),
    }
    chosen = [slug for slug in post.getlist("kb_facts") if slug in facts]
    if chosen:
        data["kb_facts"] = chosen
    for spec in TYPE_FIELDS[scenario_type]:
        raw = text(spec.name).replace("\r\n", "\n")
        if spec.widget == "yaml":
            try:
                value = _yaml_value(raw)
            except ValueError as exc:
                errors[spec.name] = str(exc)
                continue
            if value is None and spec.path[0] in ("errors", "tried_fixes"):
                value = []
        elif spec.widget == "int":
            value = int(raw.strip()) if raw.strip().lstrip("-").isdigit() else None
            if raw.strip() and value is None:
                errors[spec.name] = "Enter a whole number."
                continue
        elif spec.widget == "indicators":
            value = []
            for number, line in enumerate(raw.splitlines(), start=1):
                if not line.strip():
                    continue
                kind, sep, words = line.partition(":")
                if not sep or not words.strip():
                    errors[spec.name] = f"line {number}: write “kind: exact words”"
                    break
                value.append({"kind": kind.strip(), "text": words.strip()})
        else:
            value = raw.strip() or None
        if value is not None or spec.path == ("gold", "secondary_state"):
            _set(data, spec.path, value)
    return data, errors


def field_for_error(scenario_type: str, error_field: str) -> str:
    """The form field an error of the content validator belongs to ("" for the form)."""
    parts = [p for p in re.split(r"[.\[\]]", error_field) if p and not p.isdigit()]
    names = {"title": "title", "id": "slug", "message": "message", "kb_facts": "kb_facts"}
    if parts and parts[0] == "customer":
        return "customer__" + parts[1] if len(parts) > 1 else ""
    if parts and parts[0] in names:
        return names[parts[0]]
    best = ""
    for spec in TYPE_FIELDS.get(scenario_type, ()):
        if tuple(parts[: len(spec.path)]) == spec.path and len(spec.name) > len(best):
            best = spec.name
    return best


def skeleton(scenario_type: str) -> dict:
    """The type's fields, empty, so that a new draft shows every field the type needs."""
    data: dict = {}
    for spec in TYPE_FIELDS[scenario_type]:
        if spec.widget == "int":
            _set(data, spec.path, 5)
        elif spec.widget == "indicators" or spec.path[0] in ("errors", "tried_fixes"):
            _set(data, spec.path, [])
        elif spec.path == ("gold", "secondary_state"):
            _set(data, spec.path, None)
        elif spec.widget == "yaml":
            continue
        else:
            _set(data, spec.path, "")
    if scenario_type == "context":
        data["profile"] = {
            "plan": "",
            "tenure_months": 0,
            "lifetime_csat": 4.0,
            "engagement": "",
            "past_tickets": [],
        }
    return data
