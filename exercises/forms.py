"""Parsing the workspace form into an answer (and back into form values). Input only.

The form's field names are the answer's keys, nested ones joined with "__"
("sentiment__severity", "classification__<detail id>"). Parsing is lenient: what the
agent typed is kept even when it is not valid yet (validation happens on submit).
"""

import json
import uuid
from dataclasses import dataclass

from django import forms as djforms
from django.http import QueryDict
from django.utils import timezone

from text_analysis.passages import passage_find

from . import answers

MAX_ANSWER_BYTES = 200_000
FINDING_FIELDS = ("span", "type", "correction", "fact_id")


class AnswerTooLargeError(ValueError):
    """The answer is over MAX_ANSWER_BYTES; `answer` is what was typed, to show it again."""

    def __init__(self, message: str, *, answer: dict):
        self.answer = answer
        super().__init__(message)


@dataclass
class WorkspacePost:
    answer: dict
    revision: int | None
    client_token: uuid.UUID | None
    draft_used_id: int | None
    # Why the finding of "Add finding" (the form without JavaScript) was not added.
    finding_refused: str = ""


def _int_or_raw(value: str):
    value = (value or "").strip()
    return int(value) if value.isdigit() else (value or None)


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _positive_int(value) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() else None


def _finding(raw) -> dict | None:
    if not isinstance(raw, dict):
        return None
    finding = {key: raw.get(key) if isinstance(raw.get(key), str) else "" for key in FINDING_FIELDS}
    finding["fact_id"] = finding["fact_id"] or None
    for key in ("start", "end"):
        value = raw.get(key)
        finding[key] = value if isinstance(value, int) and not isinstance(value, bool) else None
    return finding


def _findings(data: QueryDict, draft: str) -> tuple[list[dict], str]:
    """The findings, with "Remove" and "Add finding" of the form without JavaScript applied;
    and why the new finding was refused ("" when it was added or none was asked for). A
    typed passage is found in the draft even when it is not word for word."""
    try:
        raw = json.loads(data.get("findings") or "[]")
    except ValueError:
        raw = []
    findings = [f for f in (_finding(item) for item in raw if isinstance(raw, list)) if f]
    removed = _positive_int(data.get("remove_finding"))
    if removed is not None and removed < len(findings):
        findings.pop(removed)
    typed = (data.get("new_finding_span") or "").strip()
    if data.get("action") != "add_finding" or not typed:
        return findings, ""
    start, end = (
        _positive_int(data.get("new_finding_start")),
        _positive_int(data.get("new_finding_end")),
    )
    if start is None or end is None or draft[start:end].strip() != typed:
        found = passage_find(typed, draft)
        if found is not None:
            typed, start, end = found.text, found.start, found.end
        else:
            start = end = None
    finding = {
        "span": typed,
        "type": data.get("new_finding_type", ""),
        "correction": data.get("new_finding_correction", ""),
        "fact_id": data.get("new_finding_fact_id") or None,
        "start": start,
        "end": end,
    }
    earlier = answers.finding_repeats(findings, finding)
    if earlier is not None:
        return findings, (
            f"That passage is already finding {earlier} with the same type, so it was not "
            "added twice. Pick another passage or type, or edit the correction there."
        )
    findings.append(finding)
    return findings, ""


def answer_from_post(
    *, exercise_type: str, data: QueryDict, scenario_data: dict, findings: list | None = None
) -> dict:
    """The (possibly incomplete) answer in the spec's shape from the workspace form
    (`findings`: the audit's, when the caller already parsed them)."""
    text = lambda name: data.get(name, "")  # noqa: E731
    if exercise_type == "tone":
        answer = {
            "identified_state": text("identified_state"),
            "indicators": _lines(text("indicators")),
            "prompt": text("prompt"),
            "draft_tone_fits": text("draft_tone_fits"),
            "reply": text("reply"),
        }
    elif exercise_type == "audit":
        answer = {
            "findings": (
                findings
                if findings is not None
                else _findings(data, scenario_data.get("draft") or "")[0]
            ),
            "reply": text("reply"),
            "checklist": data.getlist("checklist"),
        }
    elif exercise_type == "context":
        answer = {
            "summary": text("summary"),
            "relevant_history": data.getlist("relevant_history"),
            "prompt": text("prompt"),
            "reply": text("reply"),
        }
    elif exercise_type == "empathy":
        answer = {
            "dimension": text("dimension"),
            "prompt": text("prompt"),
            "draft_empathy_rating": _int_or_raw(text("draft_empathy_rating")),
            "reply": text("reply"),
        }
    elif exercise_type == "escalation":
        answer = {
            "sentiment": {
                "primary_emotion": text("sentiment__primary_emotion"),
                "severity": _int_or_raw(text("sentiment__severity")),
                "key_concerns": _lines(text("sentiment__key_concerns")),
                "relationship_risk": text("sentiment__relationship_risk"),
                "strategy": text("sentiment__strategy"),
            },
            "plan": {key: text(f"plan__{key}") for key, _ in answers.PLAN_FIELDS},
            "reply": text("reply"),
        }
    elif exercise_type == "rca":
        answer = {
            "classification": {
                detail["id"]: text(f"classification__{detail['id']}")
                for detail in scenario_data.get("technical_details", [])
                if text(f"classification__{detail['id']}")
            },
            "report": {key: text(f"report__{key}") for key, _ in answers.REPORT_SECTIONS},
        }
    else:
        raise ValueError(f"Unknown exercise type {exercise_type!r}")
    if len(json.dumps(answer)) > MAX_ANSWER_BYTES:
        raise AnswerTooLargeError(
            "This answer is too long to save; shorten the longest fields.", answer=answer
        )
    return answer


def workspace_post_parse(*, exercise_type: str, data: QueryDict, scenario_data: dict):
    """The answer plus the form's bookkeeping fields (revision, client token, draft used)."""
    try:
        token = uuid.UUID(data.get("client_token", ""))
    except ValueError:
        token = None
    findings, refused = (
        _findings(data, scenario_data.get("draft") or "")
        if exercise_type == "audit"
        else (None, "")
    )
    return WorkspacePost(
        answer=answer_from_post(
            exercise_type=exercise_type, data=data, scenario_data=scenario_data, findings=findings
        ),
        revision=_positive_int(data.get("revision")),
        client_token=token,
        draft_used_id=_positive_int(data.get("draft_used")),
        finding_refused=refused,
    )


def form_values(*, exercise_type: str, answer: dict) -> dict:
    """Flat form field values for the templates, from a stored (or posted) answer."""
    answer = answer if isinstance(answer, dict) else {}
    values: dict = {}
    for key, value in answer.items():
        if isinstance(value, dict):
            for inner, inner_value in value.items():
                values[f"{key}__{inner}"] = inner_value
        else:
            values[key] = value
    for key in ("indicators", "sentiment__key_concerns"):
        if isinstance(values.get(key), list):
            values[key] = "\n".join(values[key])
    for key in ("draft_empathy_rating", "sentiment__severity"):
        values[key] = "" if values.get(key) is None else str(values[key])
    values["findings_json"] = json.dumps(answer.get("findings") or [])
    return values


# ---- assignments (the trainer console) ----------------------------------------------------


class DateTimeLocalInput(djforms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class AssignmentForm(djforms.Form):
    """A module or a scenario, and when it opens and is due: instants, typed in the trainer's
    zone (the active one, curriculum.middleware.UserTimeZoneMiddleware). A time that does not
    exist there or happens twice (a daylight-saving change) is refused by the field."""

    target = djforms.ChoiceField(label="What to assign")
    opens_at = djforms.DateTimeField(label="Opens", widget=DateTimeLocalInput())
    due_at = djforms.DateTimeField(label="Due", widget=DateTimeLocalInput())

    def __init__(self, *args, targets=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            del self.fields["target"]
        else:
            self.fields["target"].choices = [("", "Choose a module or a scenario…"), *targets]

    def clean(self):
        cleaned = super().clean()
        opens_at, due_at = cleaned.get("opens_at"), cleaned.get("due_at")
        if opens_at and due_at and due_at <= opens_at:
            self.add_error("due_at", "The due date must come after the open date.")
        elif due_at and not self.editing and due_at <= timezone.now():
            self.add_error("due_at", "The due date has already passed.")
        return cleaned
