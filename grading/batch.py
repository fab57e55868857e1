"""JSON Lines batch processing shared by the batch commands: bad lines are reported, skipped."""

import json
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from curriculum.json_input import JSONInputError, json_loads_limited

from .content.files import readable_size
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


@dataclass(frozen=True)
class BatchLimits:
    """Bytes a batch input may take: per line (longer lines are skipped) and per file (the
    rest of the input is not read). Defaults: settings BATCH_MAX_LINE_BYTES and
    BATCH_MAX_FILE_BYTES."""

    line_bytes: int
    file_bytes: int

    @classmethod
    def from_settings(cls, *, line_bytes: int | None = None, file_bytes: int | None = None):
        from django.conf import settings

        return cls(
            line_bytes=line_bytes or settings.BATCH_MAX_LINE_BYTES,
            file_bytes=file_bytes or settings.BATCH_MAX_FILE_BYTES,
        )


def open_input(path: str) -> IO[bytes]:
    """The input as bytes: each line is decoded on its own, so one bad byte costs one line."""
    return sys.stdin.buffer if path == "-" else Path(path).open("rb")


def open_output(path: str) -> IO[str]:
    return Path(path).open("w", encoding="utf-8")


_CHUNK = 1 << 16


def read_lines(
    source: IO[bytes], limits: BatchLimits
) -> Iterator[tuple[int, str | None, str | None]]:
    """(number, text, None) per line, or (number, None, why) for a line that is too long or
    not UTF-8. A line over the limit is skipped unread (in chunks, never whole in memory);
    past the file limit one last (number, None, why) ends the input."""
    number = read = 0
    while True:
        raw = source.readline(limits.line_bytes + 1)
        if not raw:
            return
        number += 1
        read += len(raw)
        if len(raw) > limits.line_bytes and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n") and read <= limits.file_bytes:
                raw = source.readline(_CHUNK)  # skip the rest of this line
                read += len(raw)
            if read > limits.file_bytes:
                yield number, None, _past_file_limit(number, limits)
                return
            yield (
                number,
                None,
                (
                    f"longer than the {readable_size(limits.line_bytes)} limit per line "
                    "(--max-line-bytes, BATCH_MAX_LINE_BYTES); skipped"
                ),
            )
            continue
        if read > limits.file_bytes:
            yield number, None, _past_file_limit(number, limits)
            return
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a byte order mark some editors write
        try:
            yield number, raw.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            yield (
                number,
                None,
                (
                    f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at byte {exc.start + 1} of the "
                    "line); save the file as UTF-8"
                ),
            )


def _past_file_limit(number: int, limits: BatchLimits) -> str:
    return (
        f"the input is larger than the {readable_size(limits.file_bytes)} limit per file "
        f"(--max-file-bytes, BATCH_MAX_FILE_BYTES); this line and the rest were not read"
    )


def run_jsonl(
    source: IO[bytes],
    out: IO[str],
    err: IO[str],
    handle: Callable[[dict], dict],
    *,
    limits: BatchLimits | None = None,
) -> BatchSummary:
    """Apply `handle` to every JSON object line; report bad lines on `err` and go on."""
    summary = BatchSummary()
    for number, line, problem in read_lines(source, limits or BatchLimits.from_settings()):
        if problem:
            err.write(f"line {number}: {problem}\n")
            summary.skipped += 1
            continue
        if not line.strip():
            continue
        try:
            record = json_loads_limited(line)
            if not isinstance(record, dict):
                raise BadLine("expected a JSON object")
            check_id(record)
            result = handle(record)
        except json.JSONDecodeError as exc:
            err.write(f"line {number}: not valid JSON ({exc.msg})\n")
            summary.skipped += 1
            continue
        except JSONInputError as exc:
            err.write(f"line {number}: {exc}\n")
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


def check_id(record: dict) -> None:
    """Every line carries an `id` that is a string or a whole number (it is echoed back)."""
    if "id" not in record:
        raise BadLine("missing field 'id'")
    value = record["id"]
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise BadLine(f"field 'id' must be a string or a whole number, not {_json_kind(value)}")
    if isinstance(value, str) and not value.strip():
        raise BadLine("field 'id' must not be empty")


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    return {dict: "an object", list: "an array", float: "a decimal number"}.get(
        type(value), type(value).__name__
    )


def require_text(record: dict, name: str, *, optional: bool = False) -> str | None:
    value = record.get(name)
    if value is None and optional:
        return None
    if name not in record and not optional:
        raise BadLine(f"field {name!r} is missing")
    if not isinstance(value, str):
        raise BadLine(f"field {name!r} must be a string, not {_json_kind(value)}")
    if not optional and not value.strip():
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
    plan = require_text(record, "customer_plan", optional=True)
    check_plan(plan, kb)
    findings = audit_draft(
        require_text(record, "draft"),
        kb,
        customer_plan=plan,
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
    check_plan(plan, kb)
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


def check_answer(answer: Any, exercise_type: str) -> None:
    """An answer's fields have the types the content schema gives a `<type>` answer (the
    same schema the examples in content files are checked against). Missing fields are
    allowed (they score the lowest level), and so are fields the schema does not know."""
    from jsonschema import Draft202012Validator

    from .content.validation import load_schema

    if not isinstance(answer, dict):
        raise BadLine(f"field 'answer' must be an object, not {_json_kind(answer)}")
    defs = load_schema()["$defs"]
    shape = defs.get(f"answer_{exercise_type}")
    if shape is None:
        return
    known = shape.get("properties", {})
    if answer and not set(answer) & set(known):
        raise BadLine(
            f"field 'answer' has none of the fields of a {exercise_type} answer "
            f"({', '.join(known)})"
        )
    schema = {"$defs": defs, "type": "object", "properties": known}
    problems = sorted(Draft202012Validator(schema).iter_errors(answer), key=lambda e: e.path)
    if problems:
        error = problems[0]
        where = ".".join(str(part) for part in ("answer", *error.absolute_path))
        message = error.message if len(error.message) < 200 else error.message[:197] + "..."
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise BadLine(f"field {where!r}: {message}{more}")


def check_plan(plan: str | None, kb: KnowledgeBase) -> None:
    """A customer plan the knowledge base knows (by name or alias), when it lists plans."""
    if plan is None or not kb.plan_names or kb.plan(plan) is not None:
        return
    raise BadLine(
        f"unknown plan {plan!r} in field 'customer_plan'; the knowledge base has "
        + ", ".join(kb.plan_names)
    )


def grade_submission_record(record: dict, library: Library, *, grader: str, cache=None) -> dict:
    exercise = library.exercises.get(require_text(record, "exercise"))
    if exercise is None:
        raise BadLine(f"unknown exercise {record['exercise']!r}")
    scenario = library.scenarios.get(require_text(record, "scenario"))
    if scenario is None:
        raise BadLine(f"unknown scenario {record['scenario']!r}")
    if scenario.get("type") != exercise["type"]:
        raise BadLine(f"scenario {record['scenario']!r} is not a {exercise['type']} scenario")
    answer = record["answer"]
    check_answer(answer, exercise["type"])
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
