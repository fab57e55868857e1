"""The answer formats of docs/content-spec.md: choices, validation and the exact shape stored.

A workspace holds a partial answer in the same nested shape (plus audit finding offsets);
`answer_errors` says what is missing or wrong, field by field, and `answer_clean` turns a
valid answer into exactly the format the graders read. Error keys are the form field
names: nested fields are joined with "__" (e.g. "sentiment__severity").
"""

from text_analysis import vocabulary
from text_analysis.words import word_count

MAX_FIELD_CHARS = 20_000
MAX_LIST_ITEMS = 50

STATES = vocabulary.STATES
TONE_FITS = [("yes", "Yes, it fits"), ("partly", "Partly"), ("no", "No")]
FINDING_TYPES = vocabulary.FINDING_TYPES
CHECKLIST = vocabulary.CHECKLIST
DIMENSIONS = vocabulary.DIMENSIONS
EMOTIONS = vocabulary.EMOTIONS
RISKS = vocabulary.RISKS
AUDIENCES = vocabulary.AUDIENCES
PLAN_FIELDS = [
    ("acknowledge_first", "What to acknowledge first"),
    ("lead_solution", "The solution to lead with"),
    ("avoid", "What to avoid"),
    ("follow_up", "The follow-up to commit to"),
    ("key_message", "The key message"),
]
REPORT_SECTIONS = vocabulary.RCA_SECTIONS
RCA_REPORT_WORD_TARGET = 500

REQUIRED = "This step is required."


def _keys(choices) -> set[str]:
    return {key for key, _ in choices}


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _strings(value) -> list[str]:
    if not isinstance(value, list):
        return []
    return [item.strip() for item in value if isinstance(item, str) and item.strip()]


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def form_choices() -> dict:
    """The choices the answer forms offer (the workspace and the authoring preview)."""
    return {
        "states": STATES,
        "tone_fits": TONE_FITS,
        "finding_types": FINDING_TYPES,
        "checklist": CHECKLIST,
        "dimensions": DIMENSIONS,
        "emotions": EMOTIONS,
        "risks": RISKS,
        "audiences": AUDIENCES,
        "plan_fields": PLAN_FIELDS,
        "report_sections": REPORT_SECTIONS,
        "ratings": ["1", "2", "3", "4", "5"],
        "severities": [str(n) for n in range(1, 11)],
    }


def empty_answer(exercise_type: str) -> dict:
    """A blank answer of the type's shape (what a new workspace starts with)."""
    return {
        "tone": lambda: {
            "identified_state": "",
            "indicators": [],
            "prompt": "",
            "draft_tone_fits": "",
            "reply": "",
        },
        "audit": lambda: {"findings": [], "reply": "", "checklist": []},
        "context": lambda: {"summary": "", "relevant_history": [], "prompt": "", "reply": ""},
        "empathy": lambda: {
            "dimension": "",
            "prompt": "",
            "draft_empathy_rating": None,
            "reply": "",
        },
        "escalation": lambda: {
            "sentiment": {
                "primary_emotion": "",
                "severity": None,
                "key_concerns": [],
                "relationship_risk": "",
                "strategy": "",
            },
            "plan": {key: "" for key, _ in PLAN_FIELDS},
            "reply": "",
        },
        "rca": lambda: {"classification": {}, "report": {key: "" for key, _ in REPORT_SECTIONS}},
    }[exercise_type]()


def reply_of(exercise_type: str, answer: dict) -> str | None:
    """The customer reply the agent edited (compared with the AI draft); None for RCA."""
    if exercise_type == "rca":
        return None
    return _text(answer.get("reply"))


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, []).append(message)

    def require_text(self, field: str, value) -> str:
        text = _text(value).strip()
        if not text:
            self.add(field, REQUIRED)
        elif len(text) > MAX_FIELD_CHARS:
            self.add(field, f"Keep this under {MAX_FIELD_CHARS:,} characters.")
        return text

    def require_choice(self, field: str, value, choices, message: str) -> None:
        if value in ("", None):
            self.add(field, message)
        elif value not in _keys(choices):
            self.add(field, "Pick one of the options.")


def _check_reply(errors: _Errors, answer: dict, reply_max_words: int) -> None:
    reply = errors.require_text("reply", answer.get("reply"))
    if reply:
        words = word_count(reply)
        cap = reply_max_words * 2
        if words > cap:
            errors.add(
                "reply",
                f"Your reply has {words} words; the limit for this exercise is "
                f"{reply_max_words} words, and replies over {cap} words cannot be submitted. "
                "Cut it down: customers read replies on their phones.",
            )


def answer_errors(
    *,
    exercise_type: str,
    answer: dict,
    scenario_data: dict,
    reply_max_words: int,
    known_fact_ids: set[str],
) -> dict[str, list[str]]:
    """Every problem that blocks submitting `answer`, keyed by form field name."""
    errors = _Errors()
    if not isinstance(answer, dict):
        return {"form": ["The answer could not be read; reload the page."]}
    check = _CHECKS[exercise_type]
    check(errors, answer, scenario_data, reply_max_words, known_fact_ids)
    return dict(errors)


def _check_tone(errors, answer, scenario_data, reply_max_words, known_fact_ids) -> None:
    errors.require_choice(
        "identified_state",
        answer.get("identified_state"),
        STATES,
        "Name the customer's emotional state.",
    )
    indicators = _strings(answer.get("indicators"))
    if not indicators:
        errors.add("indicators", "Quote at least one indicator from the customer's message.")
    elif len(indicators) > MAX_LIST_ITEMS:
        errors.add("indicators", f"List at most {MAX_LIST_ITEMS} indicators.")
    errors.require_text("prompt", answer.get("prompt"))
    errors.require_choice(
        "draft_tone_fits",
        answer.get("draft_tone_fits"),
        TONE_FITS,
        "Say whether the draft's tone fits.",
    )
    _check_reply(errors, answer, reply_max_words)


def _finding_errors(finding, draft: str, known_fact_ids: set[str]) -> list[str]:
    if not isinstance(finding, dict):
        return ["a finding could not be read"]
    problems = []
    span = _text(finding.get("span")).strip()
    if not span:
        problems.append("select the wrong passage in the draft")
    elif " ".join(span.split()) not in " ".join(draft.split()):
        problems.append(f"“{span[:60]}” is not a passage of the draft; select it in the draft")
    kind = finding.get("type")
    if kind not in _keys(FINDING_TYPES):
        problems.append("choose the error type")
    if not _text(finding.get("correction")).strip():
        problems.append("write the correction")
    fact_id = finding.get("fact_id") or None
    if fact_id is None and kind != "irrelevant_answer":
        problems.append("cite the knowledge-base fact that proves it")
    elif fact_id is not None and fact_id not in known_fact_ids:
        problems.append(f"“{fact_id}” is not a knowledge-base fact")
    return problems


def _finding_key(finding) -> tuple[str, str] | None:
    if not isinstance(finding, dict):
        return None
    span = " ".join(_text(finding.get("span")).split()).casefold()
    return (span, _text(finding.get("type"))) if span else None


def finding_repeats(findings: list, finding) -> int | None:
    """The number (from 1) of the finding in `findings` with the same passage and type as
    `finding` (whitespace and case aside); None when it is new."""
    key = _finding_key(finding)
    if key is None:
        return None
    return next(
        (number for number, f in enumerate(findings, start=1) if _finding_key(f) == key), None
    )


def _check_audit(errors, answer, scenario_data, reply_max_words, known_fact_ids) -> None:
    findings = answer.get("findings")
    if not isinstance(findings, list):
        errors.add("findings", "The findings could not be read; reload the page.")
    else:
        if len(findings) > MAX_LIST_ITEMS:
            errors.add("findings", f"Record at most {MAX_LIST_ITEMS} findings.")
        draft = _text(scenario_data.get("draft"))
        for number, finding in enumerate(findings, start=1):
            for problem in _finding_errors(finding, draft, known_fact_ids):
                errors.add("findings", f"Finding {number}: {problem}.")
            earlier = finding_repeats(findings[: number - 1], finding)
            if earlier is not None:
                errors.add(
                    "findings",
                    f"Finding {number} repeats finding {earlier} (the same passage and type): "
                    "remove one of them.",
                )
    checklist = answer.get("checklist")
    if not isinstance(checklist, list) or not set(checklist) <= _keys(CHECKLIST):
        errors.add("checklist", "Tick items of the verification checklist only.")
    _check_reply(errors, answer, reply_max_words)


def _check_context(errors, answer, scenario_data, reply_max_words, known_fact_ids) -> None:
    errors.require_text("summary", answer.get("summary"))
    tickets = {
        ticket.get("id") for ticket in (scenario_data.get("profile") or {}).get("past_tickets", [])
    }
    history = answer.get("relevant_history")
    if not isinstance(history, list) or not set(history) <= tickets:
        errors.add("relevant_history", "Pick tickets from the customer's history only.")
    errors.require_text("prompt", answer.get("prompt"))
    _check_reply(errors, answer, reply_max_words)


def _check_empathy(errors, answer, scenario_data, reply_max_words, known_fact_ids) -> None:
    errors.require_choice(
        "dimension", answer.get("dimension"), DIMENSIONS, "Name the emotional dimension."
    )
    errors.require_text("prompt", answer.get("prompt"))
    rating = _int(answer.get("draft_empathy_rating"))
    if rating is None:
        errors.add("draft_empathy_rating", "Rate the draft's empathy from 1 to 5.")
    elif not 1 <= rating <= 5:
        errors.add("draft_empathy_rating", "The rating goes from 1 to 5.")
    _check_reply(errors, answer, reply_max_words)


def _check_escalation(errors, answer, scenario_data, reply_max_words, known_fact_ids) -> None:
    sentiment = answer.get("sentiment") if isinstance(answer.get("sentiment"), dict) else {}
    errors.require_choice(
        "sentiment__primary_emotion",
        sentiment.get("primary_emotion"),
        EMOTIONS,
        "Name the primary emotion.",
    )
    severity = _int(sentiment.get("severity"))
    if severity is None:
        errors.add("sentiment__severity", "Rate the severity from 1 to 10.")
    elif not 1 <= severity <= 10:
        errors.add("sentiment__severity", "Severity goes from 1 to 10.")
    concerns = _strings(sentiment.get("key_concerns"))
    if not concerns:
        errors.add("sentiment__key_concerns", "List the customer's key concerns, one per line.")
    elif len(concerns) > MAX_LIST_ITEMS:
        errors.add("sentiment__key_concerns", f"List at most {MAX_LIST_ITEMS} concerns.")
    errors.require_choice(
        "sentiment__relationship_risk",
        sentiment.get("relationship_risk"),
        RISKS,
        "Rate the relationship risk.",
    )
    errors.require_text("sentiment__strategy", sentiment.get("strategy"))
    plan = answer.get("plan") if isinstance(answer.get("plan"), dict) else {}
    for key, _label in PLAN_FIELDS:
        errors.require_text(f"plan__{key}", plan.get(key))
    _check_reply(errors, answer, reply_max_words)


def _check_rca(errors, answer, scenario_data, reply_max_words, known_fact_ids) -> None:
    classification = answer.get("classification")
    classification = classification if isinstance(classification, dict) else {}
    for detail in scenario_data.get("technical_details", []):
        value = classification.get(detail["id"])
        if value not in _keys(AUDIENCES):
            errors.add(
                f"classification__{detail['id']}",
                "Decide whether this detail is for the customer or internal only.",
            )
    report = answer.get("report") if isinstance(answer.get("report"), dict) else {}
    for key, _label in REPORT_SECTIONS:
        errors.require_text(f"report__{key}", report.get(key))


_CHECKS = {
    "tone": _check_tone,
    "audit": _check_audit,
    "context": _check_context,
    "empathy": _check_empathy,
    "escalation": _check_escalation,
    "rca": _check_rca,
}


def answer_clean(*, exercise_type: str, answer: dict, scenario_data: dict) -> dict:
    """A valid answer in exactly the spec's shape (no extra keys, proper types, trimmed)."""
    text = lambda key, source=answer: _text(source.get(key)).strip()  # noqa: E731
    if exercise_type == "tone":
        return {
            "identified_state": answer["identified_state"],
            "indicators": _strings(answer.get("indicators")),
            "prompt": text("prompt"),
            "draft_tone_fits": answer["draft_tone_fits"],
            "reply": text("reply"),
        }
    if exercise_type == "audit":
        return {
            "findings": [
                {
                    "span": _text(finding.get("span")).strip(),
                    "type": finding["type"],
                    "correction": _text(finding.get("correction")).strip(),
                    "fact_id": finding.get("fact_id") or None,
                }
                for finding in answer.get("findings", [])
            ],
            "reply": text("reply"),
            "checklist": [key for key, _ in CHECKLIST if key in answer.get("checklist", [])],
        }
    if exercise_type == "context":
        chosen = set(answer.get("relevant_history", []))
        tickets = (scenario_data.get("profile") or {}).get("past_tickets", [])
        return {
            "summary": text("summary"),
            "relevant_history": [t["id"] for t in tickets if t["id"] in chosen],
            "prompt": text("prompt"),
            "reply": text("reply"),
        }
    if exercise_type == "empathy":
        return {
            "dimension": answer["dimension"],
            "prompt": text("prompt"),
            "draft_empathy_rating": _int(answer["draft_empathy_rating"]),
            "reply": text("reply"),
        }
    if exercise_type == "escalation":
        sentiment, plan = answer["sentiment"], answer["plan"]
        return {
            "sentiment": {
                "primary_emotion": sentiment["primary_emotion"],
                "severity": _int(sentiment["severity"]),
                "key_concerns": _strings(sentiment.get("key_concerns")),
                "relationship_risk": sentiment["relationship_risk"],
                "strategy": text("strategy", sentiment),
            },
            "plan": {key: text(key, plan) for key, _ in PLAN_FIELDS},
            "reply": text("reply"),
        }
    if exercise_type == "rca":
        classification = answer["classification"]
        return {
            "classification": {
                detail["id"]: classification[detail["id"]]
                for detail in scenario_data.get("technical_details", [])
            },
            "report": {key: text(key, answer["report"]) for key, _ in REPORT_SECTIONS},
        }
    raise ValueError(f"Unknown exercise type {exercise_type!r}")


def finding_offsets(*, answer: dict) -> list[dict]:
    """Where each audit finding was selected in the draft (kept beside the answer)."""
    offsets = []
    for finding in answer.get("findings", []) or []:
        start, end = _int(finding.get("start")), _int(finding.get("end"))
        offsets.append({"start": start, "end": end})
    return offsets


def checklist_complete(*, exercise_type: str, answer: dict) -> bool | None:
    """Whether every verification checklist item was ticked (audit only; None otherwise)."""
    if exercise_type != "audit":
        return None
    return _keys(CHECKLIST) <= set(answer.get("checklist") or [])


def rca_report_words(answer: dict) -> int:
    report = answer.get("report") if isinstance(answer.get("report"), dict) else {}
    return sum(word_count(_text(report.get(key))) for key, _ in REPORT_SECTIONS)
