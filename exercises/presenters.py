"""Submitted answers prepared for display: labels, sanitised Markdown and the edit diff."""

from dataclasses import dataclass, field

from django.utils.safestring import SafeString, mark_safe

from curriculum.markdown import render_markdown

from . import answers, metrics

_LABELS = {
    "tone": dict(answers.STATES) | dict(answers.TONE_FITS),
    "dimension": dict(answers.DIMENSIONS),
    "emotion": dict(answers.EMOTIONS),
    "risk": dict(answers.RISKS),
    "finding": dict(answers.FINDING_TYPES),
    "checklist": dict(answers.CHECKLIST),
    "audience": dict(answers.AUDIENCES),
}


@dataclass
class Item:
    """One answer field: `html` is render_markdown output (sanitised); else plain `text`."""

    label: str
    text: str = ""
    html: SafeString | None = None
    items: list[str] = field(default_factory=list)


def _md(label: str, value, *, line_breaks: bool = False) -> Item:
    # render_markdown sanitises with bleach, so its output is safe to mark safe.
    html = render_markdown(value or "", line_breaks=line_breaks)
    return Item(label=label, html=mark_safe(html))  # noqa: S308


def _number(value) -> str:
    return "" if value is None else str(value)


def answer_items(*, exercise_type: str, answer: dict, scenario_data: dict) -> list[Item]:
    """The submitted answer as labelled items, without the final reply (shown on its own).
    A field the answer lacks (one saved before the field existed) shows as blank, not a 500."""
    a = {**answers.empty_answer(exercise_type), **(answer or {})}
    if exercise_type == "tone":
        return [
            Item("Emotional state", _LABELS["tone"].get(a["identified_state"], "")),
            Item("Indicators", items=a["indicators"]),
            _md("Prompt", a["prompt"]),
            Item("Does the draft's tone fit?", _LABELS["tone"].get(a["draft_tone_fits"], "")),
        ]
    if exercise_type == "audit":
        findings = [
            f"“{f['span']}” ({_LABELS['finding'].get(f['type'], f['type'])}): {f['correction']}"
            + (f" [source: {f['fact_id']}]" if f.get("fact_id") else "")
            for f in a["findings"]
        ]
        checked = [_LABELS["checklist"][key] for key in a["checklist"]]
        return [
            Item(
                "Errors found",
                text="" if findings else "None: the draft was judged clean.",
                items=findings,
            ),
            Item(
                "Verification checklist", text="" if checked else "Nothing ticked.", items=checked
            ),
        ]
    if exercise_type == "context":
        tickets = {
            t["id"]: t["subject"]
            for t in (scenario_data.get("profile") or {}).get("past_tickets", [])
        }
        return [
            _md("Thread summary", a["summary"]),
            Item(
                "Relevant history",
                text="" if a["relevant_history"] else "No past ticket selected.",
                items=[f"{tid}: {tickets.get(tid, '')}" for tid in a["relevant_history"]],
            ),
            _md("Prompt", a["prompt"]),
        ]
    if exercise_type == "empathy":
        return [
            Item("Emotional dimension", _LABELS["dimension"].get(a["dimension"], "")),
            _md("Prompt", a["prompt"]),
            Item("Draft's empathy (1-5)", _number(a["draft_empathy_rating"])),
        ]
    if exercise_type == "escalation":
        s, p = a["sentiment"], a["plan"]
        return [
            Item("Primary emotion", _LABELS["emotion"].get(s["primary_emotion"], "")),
            Item("Severity (1-10)", _number(s["severity"])),
            Item("Key concerns", items=s["key_concerns"]),
            Item("Relationship risk", _LABELS["risk"].get(s["relationship_risk"], "")),
            _md("Strategy", s["strategy"]),
            *[_md(label, p[key]) for key, label in answers.PLAN_FIELDS],
        ]
    if exercise_type == "rca":
        details = {d["id"]: d["text"] for d in scenario_data.get("technical_details", [])}
        return [
            Item(
                "Technical details",
                items=[
                    f"{_LABELS['audience'][audience]}: {details.get(detail_id, detail_id)}"
                    for detail_id, audience in a["classification"].items()
                ],
            ),
            *[_md(label, a["report"][key]) for key, label in answers.REPORT_SECTIONS],
        ]
    return []


@dataclass
class SubmissionView:
    items: list[Item]
    reply_html: SafeString | None
    diff: list[metrics.DiffSegment]
    report_words: int | None
    edit_percent: str | None


def submission_view(submission) -> SubmissionView:
    exercise_type = submission.exercise.type
    answer = submission.answer
    reply = answers.reply_of(exercise_type, answer)
    return SubmissionView(
        items=answer_items(
            exercise_type=exercise_type,
            answer=answer,
            scenario_data=submission.scenario_version.data,
        ),
        reply_html=_md("Reply", reply, line_breaks=True).html if reply is not None else None,
        diff=metrics.word_diff(submission.ai_draft, reply) if submission.ai_draft else [],
        report_words=answers.rca_report_words(answer) if exercise_type == "rca" else None,
        edit_percent=(
            f"{submission.edit_distance * 100:.1f}"
            if submission.edit_distance is not None
            else None
        ),
    )
