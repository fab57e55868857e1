"""Labelled JSON Lines sets run through the graders, for `manage.py evaluate_grading`.

Reads messages, drafts, replies and trainer-graded exports (formats in
docs/evaluation-data.md), calls each grader's public function on every record, and hands
the pairs to `grading.evaluation` for the figures. Bad lines are reported by file and line
number and skipped, as in the batch commands.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import yaml

from curriculum.json_input import json_loads_limited

from . import evaluation as figures
from .batch import (
    BadLine,
    BatchLimits,
    BatchSummary,
    Library,
    MemoryLLMCache,
    analyze_record,
    audit_record,
    grade_reply_record,
    grade_submission_record,
    read_lines,
    require_text,
    run_jsonl,
)
from .detectors.claims import FINDING_TYPES
from .detectors.knowledge_base import KnowledgeBase
from .detectors.messages import STATES
from .offline import REPLY_QUALITY_RUBRIC

KINDS = ("messages", "drafts", "replies", "graded")
ERROR_TYPES = tuple(t for t in FINDING_TYPES if t != "unsupported_claim")
GRADED_GRADERS = ("auto", "offline", "llm")  # score dicts a trainer-graded export may carry
NAME_PREFIXES = {
    "messages": ("message",),
    "drafts": ("draft",),
    "replies": ("repl",),
    "graded": ("graded", "grades", "trainer", "submission"),
}


class EvaluationSetError(ValueError):
    """A path that cannot be read as a labelled set (missing, empty, unknown kind)."""


# ---- finding the files -------------------------------------------------------------------


def kind_of(path: Path) -> str:
    """Which set a file holds: by its name, else by the fields of its first record."""
    name = path.name.lower()
    for kind, prefixes in NAME_PREFIXES.items():
        if name.startswith(prefixes):
            return kind
    with path.open("rb") as source:  # bytes, within the batch limits: bad lines are skipped
        for _, line, problem in read_lines(source, BatchLimits.from_settings()):
            if problem or not line.strip():
                continue
            try:
                record = json_loads_limited(line)
            except ValueError:
                break
            if isinstance(record, dict):
                if "grades" in record and "auto" in record:
                    return "graded"
                for kind, field in (("replies", "reply"), ("drafts", "draft")):
                    if field in record:
                        return kind
                if "message" in record:
                    return "messages"
            break
    raise EvaluationSetError(
        f"{path}: cannot tell which set this is; name it messages.jsonl, drafts.jsonl, "
        "replies.jsonl or graded.jsonl"
    )


def labelled_files(paths: Iterable[str]) -> list[tuple[str, Path]]:
    """(kind, file) for every path: a file, or a directory's *.jsonl files."""
    found = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = sorted(path.glob("*.jsonl"))
            if not files:
                raise EvaluationSetError(f"{raw}: no .jsonl files in this directory")
        elif path.is_file():
            files = [path]
        else:
            raise EvaluationSetError(f"{raw}: no such file or directory")
        found.extend((kind_of(file), file) for file in files)
    return found


# ---- what the knowledge base offers a keyword stuffer -------------------------------------


def help_site_of(kb: KnowledgeBase, kb_path: str | Path) -> str | None:
    """The help site's address: from the knowledge base when it carries the company, else
    from company.yaml in the content directory (or above a knowledge_base/ directory)."""
    company = getattr(kb, "company", None)
    site = getattr(company, "help_site", None) or (
        company.get("help_site") if isinstance(company, dict) else None
    )
    if site:
        return str(site)
    root = Path(kb_path)
    for candidate in (root / "company.yaml", root.parent / "company.yaml"):
        if candidate.is_file():
            data = yaml.safe_load(candidate.read_text(encoding="utf-8")) or {}
            if isinstance(data, dict) and data.get("help_site"):
                return str(data["help_site"])
    return None


def kb_phrases(kb: KnowledgeBase) -> list[str]:
    """Every name and alias the knowledge base knows a subject by."""
    phrases: list[str] = []
    for fact in kb.facts:
        for name in ("plan", "feature", "policy", "task", "topic"):
            value = getattr(fact, name, None)
            if isinstance(value, str):
                phrases.append(value)
        phrases.extend(p for p in getattr(fact, "topic_phrases", ()) or () if isinstance(p, str))
        phrases.append(fact.title)
    return phrases


# ---- record checks -----------------------------------------------------------------------


def _points(value: Any, name: str) -> int | None:
    if value is None or value == "na":  # not scored, or not applicable: pairs with nothing
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise BadLine(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _score_dict(record: dict, field: str, *, optional: bool = False) -> dict[str, int | None]:
    value = record.get(field)
    if value is None and optional:
        return {}
    if not isinstance(value, dict) or (not value and not optional):
        raise BadLine(f"field {field!r} must be an object of criterion -> points")
    return {str(key): _points(points, f"{field}.{key}") for key, points in value.items()}


def _choice(record: dict, field: str, allowed: Sequence[str], *, optional: bool = False):
    value = record.get(field)
    if value is None and optional:
        return None
    if value not in allowed:
        raise BadLine(f"field {field!r} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def reply_ranges() -> dict[str, tuple[int, int]]:
    ranges = {}
    for criterion in REPLY_QUALITY_RUBRIC["criteria"]:
        points = [level["points"] for level in criterion["levels"]]
        ranges[criterion["id"]] = (min(points), max(points))
    return ranges


# ---- the run -----------------------------------------------------------------------------


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


class _Prefixed:
    """Bad-line messages name their file as well as their line."""

    def __init__(self, stream: IO[str], prefix: str):
        self.stream, self.prefix = stream, prefix

    def write(self, text: str) -> int:
        return self.stream.write(self.prefix + text)

    def flush(self) -> None:
        self.stream.flush()


class Evaluation:
    """Collects graded pairs file by file; `report()` turns them into the figures."""

    def __init__(
        self,
        *,
        kb: KnowledgeBase,
        help_site: str | None = None,
        graders: Sequence[str] = ("offline",),
        robustness: bool = True,
        progress: Callable[[str], None] | None = None,
        library: Library | None = None,
    ):
        self.kb = kb
        self.library = library  # set: trainer-graded answers are graded again, now
        self.help_site = help_site
        self.graders = tuple(graders)
        self.robustness = robustness
        self.progress = progress
        self.cache = MemoryLLMCache()
        self.phrases = kb_phrases(kb)
        self.ranges = reply_ranges()
        self.sources: dict[str, list[str]] = {}
        self.skipped = 0
        self.messages: list[dict] = []
        self.drafts: list[figures.DraftOutcome] = []
        self.replies: list[dict] = []
        self.graded: list[dict] = []
        self.graded_ranges: dict[str, tuple[int, int]] = {}

    # one file

    def run_file(self, kind: str, path: Path, *, err: IO[str], details: IO[str] | None = None):
        handle = {
            "messages": self._message,
            "drafts": self._draft,
            "replies": self._reply,
            "graded": self._graded,
        }[kind]
        every = 5 if kind == "replies" else 50
        started, done = time.monotonic(), 0

        def counted(record: dict) -> dict:
            nonlocal done
            result = handle(record)
            done += 1
            if self.progress and done % every == 0:
                self.progress(f"{path}: {done} {kind} ({time.monotonic() - started:.0f}s)")
            return result

        with path.open("rb") as lines:
            summary: BatchSummary = run_jsonl(
                lines, details or _Discard(), _Prefixed(err, f"{path}: "), counted
            )
        self.sources.setdefault(kind, []).append(str(path))
        self.skipped += summary.skipped
        return summary

    # one record of each kind: check everything first, then record the outcome

    def _message(self, record: dict) -> dict:
        state = _choice(record, "state", STATES)
        severity = _points(record.get("severity"), "severity")
        if severity is not None and not 1 <= severity <= 10:
            raise BadLine(f"severity must be 1-10, not {severity}")
        misleading = record.get("misleading_cues", False)
        if not isinstance(misleading, bool):
            raise BadLine("field 'misleading_cues' must be true or false")
        analysis = analyze_record(record)
        row = {
            "id": record["id"],
            "state": state,
            "predicted_state": analysis["state"],
            "severity": severity,
            "predicted_severity": analysis["severity"],
            "misleading_cues": misleading,
        }
        self.messages.append(row)
        return row

    def _draft(self, record: dict) -> dict:
        draft = require_text(record, "draft")
        raw_errors = record.get("errors")
        if not isinstance(raw_errors, list):
            raise BadLine("field 'errors' must be a list ([] for a clean draft)")
        errors = []
        for number, error in enumerate(raw_errors, start=1):
            if not isinstance(error, dict):
                raise BadLine(f"error {number} must be an object")
            kind = _choice(error, "type", ERROR_TYPES)
            span = error.get("span")
            if not isinstance(span, str) or not span.strip():
                raise BadLine(f"error {number}: field 'span' must be a non-empty string")
            places = figures.locate_spans(draft, span)
            if not places:
                raise BadLine(f"error {number}: span {span[:60]!r} is not in the draft")
            errors.append(figures.LabelledError(kind, places))
        findings = [
            figures.FoundError(f["type"], f["start"], f["end"])
            for f in audit_record(record, self.kb)["findings"]
        ]
        outcome = figures.DraftOutcome(tuple(errors), tuple(findings))
        self.drafts.append(outcome)
        found, correct = figures.match_draft(outcome, typed=True)
        return {
            "id": record["id"],
            "errors": [{**e, "found": hit} for e, hit in zip(raw_errors, found, strict=True)],
            "findings": [
                {"type": f.type, "span": draft[f.start : f.end], "correct": hit}
                for f, hit in zip(findings, correct, strict=True)
            ],
        }

    def _grade(self, record: dict, grader: str) -> dict | None:
        """The grader's verdict as JSON; None when the LLM failed or its grade was void."""
        try:
            result = grade_reply_record(record, self.kb, grader=grader, cache=self.cache)
        except BadLine:
            if grader == "offline":
                raise
            return None
        return result if result.get("grader", grader) == grader else None

    def _reply(self, record: dict) -> dict:
        grades = _score_dict(record, "grades")
        for key, points in grades.items():
            if key not in self.ranges:
                raise BadLine(f"grades: unknown criterion {key!r}")
            low, high = self.ranges[key]
            if points is not None and not low <= points <= high:
                raise BadLine(f"grades.{key} must be {low}-{high}, not {points}")
        reply = require_text(record, "reply")
        require_text(record, "customer_message")
        index = len(self.replies)
        row: dict[str, Any] = {"id": record["id"], "grades": grades}
        keywords = figures.stuffing_keywords(
            self.phrases, customer_message=record["customer_message"]
        )
        variants = (
            figures.gaming_variants(reply, keywords=keywords, help_site=self.help_site, index=index)
            if self.robustness
            else []
        )
        for grader in self.graders:
            plain = self._grade(record, grader)
            if plain is None:
                row[grader] = None
                continue
            row[grader] = {
                "scores": {k: c["score"] for k, c in plain["criteria"].items()},
                "overall": plain["overall"],
                "variants": {},
            }
            for kind, text in variants:
                graded = self._grade({**record, "reply": text}, grader)
                if graded is not None:
                    row[grader]["variants"][kind] = graded["overall"]
        self.replies.append(row)
        return row

    def _regrade(self, record: dict, grader: str) -> dict | None:
        """A trainer-graded answer graded again by today's grader (None: the LLM failed)."""
        try:
            verdict = grade_submission_record(record, self.library, grader=grader, cache=self.cache)
        except BadLine:
            if grader == "offline":
                raise
            return None
        return {key: c["score"] for key, c in verdict["criteria"].items()}

    def _graded(self, record: dict) -> dict:
        grades = _score_dict(record, "grades")
        scores = {name: _score_dict(record, name, optional=True) for name in GRADED_GRADERS}
        declared = record.get("range") or {}
        if not isinstance(declared, dict):
            raise BadLine("field 'range' must be an object of criterion -> [low, high]")
        ranges = {}
        for key, bounds in declared.items():
            if not (isinstance(bounds, list) and len(bounds) == 2):
                raise BadLine(f"range.{key} must be [low, high]")
            low, high = (_points(b, f"range.{key}") for b in bounds)
            if low is None or high is None or low >= high:
                raise BadLine(f"range.{key} must be [low, high] with low < high")
            ranges[key] = (low, high)
        for name, values in (("grades", grades), *scores.items()):
            for key, points in values.items():
                if points is not None and key in ranges:
                    low, high = ranges[key]
                    if not low <= points <= high:
                        raise BadLine(f"{name}.{key} must be {low}-{high}, not {points}")
        if self.library is not None:
            for grader in self.graders:
                regraded = self._regrade(record, grader)
                if regraded is not None:
                    scores[f"regraded_{grader}"] = regraded
        for key in grades:
            seen = [v.get(key) for v in (grades, *scores.values()) if v.get(key) is not None]
            low, high = ranges.get(key, (0, 1))
            low, high = min([low, *seen]), max([high, *seen])  # today's grader may differ
            known = self.graded_ranges.get(key, (low, high))
            self.graded_ranges[key] = (min(low, known[0]), max(high, known[1]))
        row = {"id": record["id"], "grades": grades, **scores}
        self.graded.append(row)
        return row

    # the figures

    def report(self) -> dict:
        report: dict[str, Any] = {"sources": self.sources, "skipped_lines": self.skipped}
        if self.messages:
            report["messages"] = self._message_figures()
        if self.drafts:
            report["drafts"] = figures.span_report(self.drafts, types=ERROR_TYPES)
        if self.replies:
            report["replies"] = self._reply_figures()
        if self.graded:
            report["graded"] = self._graded_figures()
        return report

    def _message_figures(self) -> dict:
        rows = self.messages
        states = figures.classification_report(
            [r["state"] for r in rows], [r["predicted_state"] for r in rows], labels=STATES
        )
        tricky = [r for r in rows if r["misleading_cues"]]
        tricky_correct = sum(r["state"] == r["predicted_state"] for r in tricky)
        rated = [r for r in rows if r["severity"] is not None]
        return {
            "n": states["n"],
            "correct": states["correct"],
            "accuracy": states["accuracy"],
            "macro_f1": states["macro_f1"],
            "per_state": states["per_label"],
            "misleading_cues": {
                "n": len(tricky),
                "correct": tricky_correct,
                "accuracy": tricky_correct / len(tricky) if tricky else None,
            },
            "severity": {
                "n": len(rated),
                "mae": figures.mean_absolute_error(
                    [r["severity"] for r in rated], [r["predicted_severity"] for r in rated]
                ),
            },
            "confusion": states["confusion"],
        }

    def _reply_figures(self) -> dict:
        graders, robustness = {}, {}
        for grader in self.graders:
            done = [r for r in self.replies if r.get(grader) is not None]
            graders[grader] = {
                "n": len(done),
                "failed": len(self.replies) - len(done),
                **figures.criterion_agreement(
                    [r["grades"] for r in done],
                    [r[grader]["scores"] for r in done],
                    ranges=self.ranges,
                ),
            }
            if self.robustness:
                robustness[grader] = figures.robustness_report(
                    (kind, r[grader]["overall"], score)
                    for r in done
                    for kind, score in r[grader]["variants"].items()
                )
        result: dict[str, Any] = {"n": len(self.replies), "graders": graders}
        if self.robustness:
            result["robustness"] = robustness
        return result

    def _graded_figures(self) -> dict:
        graders = {}
        names = [*GRADED_GRADERS, *(f"regraded_{g}" for g in self.graders if self.library)]
        for name in names:
            rows = [r for r in self.graded if r.get(name)]
            if rows:
                graders[name] = {
                    "n": len(rows),
                    **figures.criterion_agreement(
                        [r["grades"] for r in rows],
                        [r[name] for r in rows],
                        ranges=self.graded_ranges,
                    ),
                }
        return {"n": len(self.graded), "graders": graders}
