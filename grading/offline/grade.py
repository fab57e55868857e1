"""Rubric plumbing: scorers by criterion, snapping to levels, totals and the graders."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from grading import rubrics
from grading.detectors.knowledge_base import KnowledgeBase
from grading.detectors.replies import find_grader_directed

from . import audit, context_management, empathy, escalation, rca, reply, tone
from .context import Context, _dict, _list, _text
from .rca import _report_text
from .results import CriterionVerdict, Raw, Verdict
from .vocabulary import DEFAULT_REPLY_MAX_WORDS

NO_SCORER = "no offline scorer"

SCORERS: dict[str, Callable[[Context], Raw]] = {
    **reply.SCORERS,
    **tone.SCORERS,
    **audit.SCORERS,
    **context_management.SCORERS,
    **empathy.SCORERS,
    **escalation.SCORERS,
    **rca.SCORERS,
}


def _level_points(criterion: Mapping) -> list[int]:
    return rubrics.level_points(criterion)


def snap(raw: Raw, criterion: Mapping) -> int | None:
    """Map a scorer's points on its own 0..top scale onto the rubric's own level points."""
    if raw.points is None:
        return None if criterion.get("allow_na") else _level_points(criterion)[-1]
    return rubrics.snap_fraction(raw.points / raw.top if raw.top else 0.0, criterion)


def total_of(criteria: list[Mapping], scores: dict[str, CriterionVerdict]) -> float:
    """Weighted mean of each scored criterion's fraction of its range, with critical caps."""
    return rubrics.weighted_total(
        criteria, {cid: score.points for cid, score in scores.items() if score is not None}
    )


def expand_rubric(rubric: Mapping, rubrics_by_id: Mapping[str, Mapping]) -> dict:
    """Resolve `extends`: the parent's criteria first, then the rubric's own."""
    expanded = dict(rubric)
    parent_id = rubric.get("extends")
    if parent_id and parent_id in rubrics_by_id:
        parent = expand_rubric(rubrics_by_id[parent_id], rubrics_by_id)
        own_ids = {_text(c.get("id")) for c in _list(rubric.get("criteria"))}
        inherited = [
            c for c in _list(parent.get("criteria")) if _text(_dict(c).get("id")) not in own_ids
        ]
        expanded["criteria"] = [*inherited, *_list(rubric.get("criteria"))]
    return expanded


def _score_one(criterion: Mapping, ctx: Context) -> CriterionVerdict:
    cid = _text(criterion.get("id"))
    scorer = SCORERS.get(cid)
    if scorer is None:
        return CriterionVerdict(None, NO_SCORER)
    if cid in reply.SCORERS and ctx.not_prose:
        lowest = _level_points(criterion)[0]
        return CriterionVerdict(lowest, f"Not scored as a reply: {ctx.not_prose}.")
    raw = scorer(ctx)
    return CriterionVerdict(snap(raw, criterion), raw.rationale, raw.evidence)


def _flags(ctx: Context) -> tuple[str, ...]:
    flags = []
    texts = [
        ctx.reply,
        _text(ctx.answer.get("prompt")),
        _text(ctx.answer.get("summary")),
        _report_text(ctx),
    ]
    if any(find_grader_directed(t) for t in texts if t):
        flags.append("grader_directed_text")
    if ctx.reply and ctx.reply_analysis.stuffing:
        flags.append("padding_or_stuffing")
    if ctx.not_prose:
        flags.append("not_prose")
    if ctx.reply and ctx.reply_analysis.over_limit:
        flags.append("over_word_limit")
    return tuple(flags)


def grade_answer(
    *,
    exercise_type: str,
    scenario: Mapping,
    answer: Mapping | None,
    rubric: Mapping,
    kb: KnowledgeBase,
    reply_max_words: int = DEFAULT_REPLY_MAX_WORDS,
) -> Verdict:
    """Grade one submitted answer on every criterion of an (expanded) rubric, offline.

    Deterministic: the same inputs always give the same verdict. Missing answer fields score
    the lowest level with a rationale saying what is missing; unknown criteria score None.
    """
    ctx = Context(
        exercise_type=exercise_type,
        scenario=_dict(scenario),
        answer=_dict(answer),
        kb=kb,
        reply_max_words=reply_max_words or DEFAULT_REPLY_MAX_WORDS,
    )
    criteria = [_dict(c) for c in _list(rubric.get("criteria"))]
    scores = {_text(c.get("id")): _score_one(c, ctx) for c in criteria}
    return Verdict(
        criteria=scores,
        total=total_of(criteria, scores),
        flags=_flags(ctx),
        rubric_id=_text(rubric.get("id")) or None,
        kb_version=kb.version,
    )


def _reply_quality_rubric() -> dict:
    def criterion(cid: str, *, critical_at: int | None = None, allow_na: bool = False) -> dict:
        return {
            "id": cid,
            "weight": 1,
            "allow_na": allow_na,
            "critical": critical_at is not None,
            "critical_cap": 0.5 if critical_at is not None else None,
            "critical_at": critical_at,
            "levels": [{"points": p} for p in range(4)],
        }

    # Misinforming (any contradicted claim) or not answering outweighs warmth.
    return {
        "id": "reply-quality",
        "criteria": [
            criterion("tone_match"),
            criterion("empathy"),
            criterion("accuracy", critical_at=1),
            criterion("completeness", critical_at=0),
            criterion("next_steps", allow_na=True),
            criterion("personalization"),
        ],
    }


REPLY_QUALITY_RUBRIC = _reply_quality_rubric()


def grade_reply(
    *,
    customer_message: str,
    reply: str,
    kb: KnowledgeBase,
    customer_name: str | None = None,
    customer_plan: str | None = None,
    customer_state: str | None = None,
    max_words: int = DEFAULT_REPLY_MAX_WORDS,
) -> Verdict:
    """Grade a reply on the six reply-quality criteria (the built-in reply-quality rubric)."""
    ctx = Context(
        exercise_type="reply",
        scenario={
            "message": customer_message or "",
            "customer": {"name": customer_name, "plan": customer_plan},
        },
        answer={"reply": reply or ""},
        kb=kb,
        reply_max_words=max_words,
        customer_state=customer_state,
    )
    criteria = REPLY_QUALITY_RUBRIC["criteria"]
    scores = {c["id"]: _score_one(c, ctx) for c in criteria}
    return Verdict(
        scores,
        total_of(criteria, scores),
        _flags(ctx),
        rubric_id="reply-quality",
        kb_version=kb.version,
    )
