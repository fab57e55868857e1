"""Accuracy audit: planted errors found, corrections sourced, the checklist."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz

from grading.detectors.claims import CONTRADICTED, Claim, check_claims
from grading.detectors.knowledge_base import KnowledgeBase

from .context import Context, _dict, _evidence, _list, _mentions_fact, _quote, _text
from .reply import _is_kb_link
from .results import Raw

CHECKLIST = (
    "technical_accuracy",
    "feature_availability",
    "pricing_accuracy",
    "policy_compliance",
    "completeness",
    "context_appropriateness",
)
CHECK_FOR_ERROR = {
    "invented_feature": "feature_availability",
    "wrong_price": "pricing_accuracy",
    "wrong_policy": "policy_compliance",
    "outdated_process": "technical_accuracy",
    "fake_troubleshooting": "technical_accuracy",
    "irrelevant_answer": "context_appropriateness",
}


def _locate(span: str, text: str) -> tuple[int, int] | None:
    """Where an agent's quoted span sits in the draft (exactly, or by fuzzy alignment)."""
    span = span.strip().strip("\"'“”")
    if not span:
        return None
    at = text.lower().find(span.lower())
    if at >= 0:
        return at, at + len(span)
    result = fuzz.partial_ratio_alignment(span.lower(), text.lower(), score_cutoff=80)
    if result:
        return result.dest_start, result.dest_end
    return _window_match(span, text)


def _window_match(span: str, text: str) -> tuple[int, int] | None:
    """Best run of draft words resembling the span (for paraphrased quotes like 'seat/month')."""
    tokens = list(re.finditer(r"\S+", text))
    size = len(span.split())
    best, best_score = None, 75.0
    for width in range(max(1, size - 2), size + 3):
        for i in range(0, len(tokens) - width + 1):
            start, end = tokens[i].start(), tokens[i + width - 1].end()
            score = fuzz.ratio(span.lower(), text[start:end].lower())
            if score > best_score:
                best, best_score = (start, end), score
    return best


def _overlap_match(a: tuple[int, int], b: tuple[int, int]) -> bool:
    inter = min(a[1], b[1]) - max(a[0], b[0])
    if inter <= 0:
        return False
    return inter >= 0.5 * (b[1] - b[0]) or inter >= 0.5 * (a[1] - a[0])


@dataclass(frozen=True)
class AuditMatch:
    gold: list[dict]
    findings: list[dict]
    pairs: list[tuple[int, int]]  # (finding index, gold index)
    unlocated: list[int]
    # Findings repeating an earlier one (the same passage and type): neither a second find
    # nor a false alarm.
    repeats: tuple[int, ...] = ()

    @property
    def false_alarms(self) -> list[int]:
        matched = {f for f, _ in self.pairs} | set(self.repeats)
        return [i for i in range(len(self.findings)) if i not in matched]

    @property
    def found(self) -> set[int]:
        return {g for _, g in self.pairs}

    @property
    def wrong_types(self) -> list[tuple[int, int]]:
        return [
            (f, g)
            for f, g in self.pairs
            if self.findings[f].get("type") != self.gold[g].get("type")
        ]


def match_findings(ctx: Context) -> AuditMatch:
    draft = _text(ctx.scenario.get("draft"))
    gold = [_dict(e) for e in _list(ctx.scenario.get("errors"))]
    findings = [_dict(f) for f in _list(ctx.answer.get("findings"))]
    gold_spans = [_locate(_text(g.get("span")), draft) for g in gold]
    pairs, unlocated, used, repeats, seen = [], [], set(), [], set()
    for i, finding in enumerate(findings):
        where = _locate(_text(finding.get("span")), draft)
        if where is None:
            unlocated.append(i)
            continue
        if (where, finding.get("type")) in seen:
            repeats.append(i)
            continue
        seen.add((where, finding.get("type")))
        for j, gspan in enumerate(gold_spans):
            if j not in used and gspan and _overlap_match(where, gspan):
                pairs.append((i, j))
                used.add(j)
                break
    return AuditMatch(gold, findings, pairs, unlocated, tuple(repeats))


def score_errors_found(ctx: Context) -> Raw:
    audit = match_findings(ctx)
    n, tp = len(audit.gold), len(audit.found)
    fp, wrong = len(audit.false_alarms), len(audit.wrong_types)
    missed = [audit.gold[j] for j in range(n) if j not in audit.found]
    note = f"Found {tp}/{n} planted errors, {fp} false alarm(s), {wrong} with the wrong type."
    if missed:
        note += f" Missed: {_quote(_text(missed[0].get('span')))} ({missed[0].get('type')})."
    if n == 0:
        points = 4 if fp == 0 else 2 if fp == 1 else 0
        return Raw(
            points,
            4,
            "Clean draft. " + ("No false alarms." if fp == 0 else f"{fp} false alarm(s)."),
        )
    if tp == 0:
        return Raw(0, 4, note)
    if tp == n and fp == 0 and wrong == 0:
        points = 4
    elif (tp == n and fp + wrong <= 1) or (tp == n - 1 and n >= 2 and fp == 0 and wrong == 0):
        points = 3
    elif tp / n >= 0.5:
        points = 2
    else:
        points = 1
    if fp > tp:
        points = max(0, points - 1)
    return Raw(points, 4, note)


def _correction_right(finding: dict, gold: dict, kb: KnowledgeBase) -> bool:
    correction = _text(finding.get("correction"))
    if len(correction.strip()) < 3:
        return False
    fact = kb.get(gold.get("fact_id"))
    if fact and _mentions_fact(correction, fact):
        return True
    if fact and any(c.status == CONTRADICTED for c in check_claims(correction, kb)):
        return False
    return fuzz.token_set_ratio(correction, _text(gold.get("correction"))) >= 55


def score_corrections_sourced(ctx: Context) -> Raw:
    audit = match_findings(ctx)
    links = [s for s in ctx.reply_analysis.source_links if _is_kb_link(s.text, ctx.kb)]
    link_note = f"reply links {_quote(links[0].text)}" if links else "reply has no help-centre link"
    if not audit.gold and audit.false_alarms:
        n = len(audit.false_alarms)
        return Raw(0, 3, f"Clean draft, yet {n} correct statement(s) were 'corrected'.")
    if not audit.gold:
        points = 3 if links else 2
        return Raw(
            points,
            3,
            f"Clean draft, nothing to correct; {link_note}.",
            _evidence("reply", links, "source"),
        )
    if not audit.pairs:
        return Raw(0, 3, "No planted error was found, so nothing was corrected.")
    right = [
        (f, g)
        for f, g in audit.pairs
        if _correction_right(audit.findings[f], audit.gold[g], ctx.kb)
    ]
    sourced = [
        (f, g) for f, g in right if audit.findings[f].get("fact_id") == audit.gold[g].get("fact_id")
    ]
    note = (
        f"{len(right)}/{len(audit.pairs)} corrections right, {len(sourced)} cite the "
        f"right fact; {link_note}."
    )
    if len(right) < len(audit.pairs) / 2:
        return Raw(0, 3, note)
    if not sourced:
        return Raw(1, 3, note)
    if len(right) == len(audit.pairs) and len(sourced) == len(right) and links:
        return Raw(3, 3, note, _evidence("reply", links, "source"))
    return Raw(2, 3, note)


def score_verification_checklist(ctx: Context) -> Raw:
    checked = {str(c) for c in _list(ctx.answer.get("checklist"))} & set(CHECKLIST)
    if not checked:
        return Raw(0, 2, "Verification checklist not used.")
    audit = match_findings(ctx)
    needed = {CHECK_FOR_ERROR.get(_text(g.get("type")), "") for g in audit.gold} - {""}
    reply_claims = [c for c in ctx.reply_claims if c.status == CONTRADICTED]
    dishonest = sorted(
        CHECK_FOR_ERROR.get(_text(audit.gold[j].get("type")), "")
        for j in range(len(audit.gold))
        if j not in audit.found and _left_in_reply(audit.gold[j], ctx, reply_claims)
    )
    dishonest = [d for d in dishonest if d in checked]
    if dishonest:
        return Raw(
            0, 2, f"'{dishonest[0]}' is ticked but the error it covers is still in the reply."
        )
    if audit.false_alarms and len(audit.false_alarms) >= max(1, len(audit.found)):
        return Raw(
            0,
            2,
            f"Checks ticked, but {len(audit.false_alarms)} finding(s) flag statements that are "
            "correct: the verification did not hold.",
        )
    missing_needed = sorted(needed - checked)
    if checked == set(CHECKLIST):
        return Raw(2, 2, "All six checks ticked and borne out by the reply.")
    note = f"{len(checked)}/6 checks ticked"
    note += f"; needed but skipped: {', '.join(missing_needed)}." if missing_needed else "."
    return Raw(1, 2, note)


def _left_in_reply(gold: dict, ctx: Context, contradicted: list[Claim]) -> bool:
    span = _text(gold.get("span"))
    if span and span.lower() in ctx.reply.lower():
        return True
    return any(c.fact_id and c.fact_id == gold.get("fact_id") for c in contradicted)


SCORERS: dict[str, Callable[[Context], Raw]] = {
    "errors_found": score_errors_found,
    "corrections_sourced": score_corrections_sourced,
    "verification_checklist": score_verification_checklist,
}
