"""JSON Lines batch processing shared by the batch commands: bad lines are reported, skipped."""

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from .detectors.claims import audit_draft
from .detectors.knowledge_base import KnowledgeBase
from .detectors.messages import analyze_message
from .offline import REPLY_QUALITY_RUBRIC, Verdict, expand_rubric, grade_answer, grade_reply


class BadLine(ValueError):
    """A line that cannot be processed; the message says why."""


@dataclass
class BatchSummary:
    processed: int = 0
    skipped: int = 0


def open_input(path: str) -> IO[str]:
    return sys.stdin if path == "-" else Path(path).open(encoding="utf-8")


def open_output(path: str) -> IO[str]:
    return Path(path).open("w", encoding="utf-8")


def run_jsonl(
    lines: IO[str], out: IO[str], err: IO[str], handle: Callable[[dict], dict]
) -> BatchSummary:
    """Apply `handle` to every JSON object line; report bad lines on `err` and go on."""
    summary = BatchSummary()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise BadLine("expected a JSON object")
            result = handle(record)
        except json.JSONDecodeError as exc:
            err.write(f"line {number}: not valid JSON ({exc.msg})\n")
            summary.skipped += 1
            continue
        except (BadLine, KeyError, TypeError, ValueError) as exc:
            reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
            err.write(f"line {number}: {reason}\n")
            summary.skipped += 1
            continue
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
        summary.processed += 1
    return summary


def require_text(record: dict, name: str, *, optional: bool = False) -> str | None:
    value = record.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or (not optional and not value.strip()):
        raise BadLine(f"field {name!r} must be a non-empty string")
    return value


def analyze_record(record: dict) -> dict:
    record_id = record["id"]
    analysis = analyze_message(require_text(record, "message"))
    return {
        "id": record_id,
        "state": analysis.state,
        "secondary_state": analysis.secondary_state,
        "severity": analysis.severity,
        "relationship_risk": analysis.relationship_risk,
        "indicators": [
            {"kind": s.kind, "text": s.text, "start": s.start, "end": s.end}
            for s in analysis.indicators
        ],
    }


def audit_record(record: dict, kb: KnowledgeBase) -> dict:
    findings = audit_draft(
        require_text(record, "draft"),
        kb,
        customer_plan=require_text(record, "customer_plan", optional=True),
        customer_message=require_text(record, "customer_message", optional=True),
        billing_cycle=require_text(record, "billing_cycle", optional=True),
    )
    return {"id": record["id"], "findings": [finding.as_dict() for finding in findings]}


def verdict_json(record_id: Any, verdict: Verdict, rubric: dict) -> dict:
    criteria = {}
    points = maximum = 0
    for criterion in rubric["criteria"]:
        score = verdict.criteria.get(criterion["id"])
        top = max(level["points"] for level in criterion["levels"])
        value = score.points if score else None
        criteria[criterion["id"]] = {
            "score": value,
            "max": top,
            "rationale": score.rationale if score else "not scored",
        }
        if value is not None:
            points += value
            maximum += top
    return {
        "id": record_id,
        "grader": verdict.grader,
        "criteria": criteria,
        "points": points,
        "max_points": maximum,
        "overall": round(verdict.total, 4),
    }


class MemoryLLMCache:
    """Within one batch run, identical inputs are graded once."""

    def __init__(self):
        self._results: dict[str, Any] = {}

    def get(self, key: str):
        return self._results.get(key)

    def set(self, key: str, result, model_name: str) -> None:
        self._results[key] = result


def grade_reply_record(
    record: dict,
    kb: KnowledgeBase,
    *,
    grader: str,
    cache=None,
    rubric: dict | None = None,
    examples=None,
) -> dict:
    """One reply on the six reply-quality criteria. With grader "llm", `rubric` is the
    reply-quality rubric as described to the model (reply_rubric_described) and `examples`
    the trainer-graded examples to show it."""
    message = require_text(record, "customer_message")
    reply = require_text(record, "reply")
    name = require_text(record, "customer_name", optional=True)
    plan = require_text(record, "customer_plan", optional=True)
    state = require_text(record, "customer_state", optional=True)
    verdict = grade_reply(
        customer_message=message,
        reply=reply,
        kb=kb,
        customer_name=name,
        customer_plan=plan,
        customer_state=state,
    )
    if grader == "llm":
        # The customer's state is a label, like a scenario's gold: the offline grader may
        # use it, the model reads the message itself.
        scenario = {"message": message, "customer": {"name": name, "plan": plan}}
        return _llm_reply_json(
            record["id"],
            scenario=scenario,
            answer={"reply": reply},
            rubric=rubric or reply_rubric_described(None),
            kb=kb,
            offline=verdict,
            cache=cache,
            examples=examples or [],
        )
    return verdict_json(record["id"], verdict, REPLY_QUALITY_RUBRIC)


def reply_rubric_described(described: dict | None) -> dict:
    """The built-in reply-quality rubric (the offline grader's ids and points) with the
    titles and level descriptions of a content rubric, which the model needs to grade by."""
    by_id = {c.get("id"): c for c in (described or {}).get("criteria") or []}
    criteria = []
    for criterion in REPLY_QUALITY_RUBRIC["criteria"]:
        text = by_id.get(criterion["id"]) or {}
        levels = {lv.get("points"): lv for lv in text.get("levels") or []}
        criteria.append(
            {
                **criterion,
                "title": text.get("title") or criterion["id"].replace("_", " "),
                "description": text.get("description", ""),
                "levels": [
                    {
                        **level,
                        "title": (levels.get(level["points"]) or {}).get("title", ""),
                        "description": (levels.get(level["points"]) or {}).get("description", ""),
                    }
                    for level in criterion["levels"]
                ],
            }
        )
    return {**REPLY_QUALITY_RUBRIC, "criteria": criteria}


def _llm_reply_json(
    record_id, *, scenario, answer, rubric, kb, offline: Verdict, cache, examples
) -> dict:
    """The LLM's grade; when it fails for good or is void (a quote not in the reply), the
    offline grade stands and the line says why a trainer should look. Transient failures
    skip the line, so a rerun grades it."""
    from .llm.errors import LLMPermanentError, LLMTransientError, LLMUnsupportedQuoteError
    from .llm.grader import grade_with_llm_data

    try:
        graded = grade_with_llm_data(
            exercise_type="reply",
            scenario=scenario,
            answer=answer,
            rubric=rubric,
            kb=kb,
            evidence=offline,
            customer_plan=(scenario.get("customer") or {}).get("plan"),
            cache=cache,
            examples=examples,
        )
    except LLMTransientError as exc:
        raise BadLine(f"LLM grading failed: {exc}") from exc
    except LLMPermanentError as exc:
        result = verdict_json(record_id, offline, rubric)
        reason = "llm_void" if isinstance(exc, LLMUnsupportedQuoteError) else "llm_failed"
        result["flag"] = {"reason": reason, "detail": str(exc)}
        return result
    result = verdict_json(record_id, graded.verdict, rubric)
    result["model"] = graded.model_name
    if graded.notes:
        result["notes"] = graded.notes
    return result


def _llm_verdict(exercise_type, scenario, answer, rubric, kb, evidence, cache) -> Verdict:
    from .llm.errors import LLMError
    from .llm.grader import grade_with_llm_data

    try:
        graded = grade_with_llm_data(
            exercise_type=exercise_type,
            scenario=scenario,
            answer=answer,
            rubric=rubric,
            kb=kb,
            evidence=evidence,
            customer_plan=(scenario.get("customer") or {}).get("plan"),
            cache=cache,
        )
    except LLMError as exc:
        raise BadLine(f"LLM grading failed: {exc}") from exc
    return graded.verdict


@dataclass
class Library:
    """A content directory prepared for grading: expanded rubrics, scenarios, exercises, KB."""

    kb: KnowledgeBase
    rubrics: dict[str, dict]
    exercises: dict[str, dict]
    scenarios: dict[str, dict]


def library_from_bundle(bundle) -> Library:
    raw_rubrics = {item.id: item.data for item in bundle.of("rubric")}
    return Library(
        kb=KnowledgeBase.from_facts(
            [item.data for item in bundle.of("fact")],
            company=next((item.data for item in bundle.of("company")), None),
        ),
        rubrics={key: expand_rubric(data, raw_rubrics) for key, data in raw_rubrics.items()},
        exercises={item.id: item.data for item in bundle.of("exercise")},
        scenarios={item.id: item.data for item in bundle.of("scenario")},
    )


def grade_submission_record(record: dict, library: Library, *, grader: str, cache=None) -> dict:
    exercise = library.exercises.get(record["exercise"])
    if exercise is None:
        raise BadLine(f"unknown exercise {record['exercise']!r}")
    scenario = library.scenarios.get(record["scenario"])
    if scenario is None:
        raise BadLine(f"unknown scenario {record['scenario']!r}")
    if scenario.get("type") != exercise["type"]:
        raise BadLine(f"scenario {record['scenario']!r} is not a {exercise['type']} scenario")
    answer = record["answer"]
    if not isinstance(answer, dict):
        raise BadLine("field 'answer' must be an object")
    rubric = library.rubrics[exercise["rubric"]]
    max_words = (exercise.get("settings") or {}).get("reply_max_words", 250)
    verdict = grade_answer(
        exercise_type=exercise["type"],
        scenario=scenario,
        answer=answer,
        rubric=rubric,
        kb=library.kb,
        reply_max_words=max_words,
    )
    if grader == "llm":
        verdict = _llm_verdict(
            exercise["type"], scenario, answer, rubric, library.kb, verdict, cache
        )
    result = verdict_json(record["id"], verdict, rubric)
    result["exercise"] = exercise["id"]
    result["rubric"] = rubric["id"]
    return result
