"""Escalation: the sentiment analysis and the de-escalation plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grading.detectors.text import content_words, stem, word_count

from .context import Context, _dict, _keyword_hits, _list, _text
from .reply import _body_sentences
from .results import Raw
from .vocabulary import DATE_WORDS, TIME_OF_DAY

NEAR_EMOTIONS = {
    frozenset(p)
    for p in (
        ("angry", "frustrated"),
        ("frustrated", "disappointed"),
        ("anxious", "confused"),
        ("anxious", "frustrated"),
    )
}


def score_sentiment_analysis(ctx: Context) -> Raw:
    gold, given = _dict(ctx.scenario.get("gold")), _dict(ctx.answer.get("sentiment"))
    if not given:
        return Raw(0, 4, "No sentiment analysis submitted.")
    emotion = _text(given.get("primary_emotion")).strip().lower()
    exact = emotion == gold.get("primary_emotion")
    near = exact or frozenset((emotion, _text(gold.get("primary_emotion")))) in NEAR_EMOTIONS
    severity_gap = _severity_gap(given.get("severity"), gold.get("severity"))
    risk_ok = _text(given.get("relationship_risk")).lower() == gold.get("relationship_risk")
    concerns = _list(gold.get("key_concerns"))
    covered, _ = _keyword_hits(_text(given.get("key_concerns")), concerns)
    coverage = len(covered) / len(concerns) if concerns else 1.0
    strategy = word_count(_text(given.get("strategy"))) >= 5
    note = (
        f"Emotion '{emotion or '-'}' vs '{gold.get('primary_emotion')}', severity off by "
        f"{severity_gap}, "
        f"risk {'right' if risk_ok else 'wrong'}, {len(covered)}/{len(concerns)} key concerns."
    )
    if exact and severity_gap <= 1 and risk_ok and coverage >= 0.99 and strategy:
        return Raw(4, 4, note)
    if exact and severity_gap <= 2 and risk_ok and coverage >= 0.5:
        return Raw(3, 4, note)
    if exact and severity_gap <= 2:
        return Raw(2, 4, note)
    if near or severity_gap <= 2:
        return Raw(1, 4, note)
    return Raw(0, 4, note)


def _severity_gap(given: Any, gold: Any) -> int:
    try:
        return abs(int(given) - int(gold))
    except (TypeError, ValueError):
        return 10


def score_deescalation_plan(ctx: Context) -> Raw:
    plan = _dict(ctx.answer.get("plan"))
    names = ("acknowledge_first", "lead_solution", "avoid", "follow_up", "key_message")
    filled = [n for n in names if word_count(_text(plan.get(n))) >= 3]
    if not filled:
        return Raw(0, 3, "No de-escalation plan.")
    specifics = {stem(w) for w in content_words(ctx.message + " " + ctx.thread_text)}
    specific = [
        n for n in filled if {stem(w) for w in content_words(_text(plan.get(n)))} & specifics
    ]
    dated = bool(
        DATE_WORDS.search(_text(plan.get("follow_up")))
        or TIME_OF_DAY.search(_text(plan.get("follow_up")))
    )
    ra = ctx.reply_analysis
    executed = bool(ra.follow_up) and _first_marker_sentence_empathy(ctx) <= 2
    note = (
        f"{len(filled)}/5 parts filled, {len(specific)} specific to this customer; "
        f"follow-up {'dated' if dated else 'undated'}; reply "
        f"{'carries it out' if executed else 'does not fully follow it'}."
    )
    if len(filled) == 5 and len(specific) >= 3 and dated and executed:
        return Raw(3, 3, note)
    if len(filled) == 5 and len(specific) >= 2:
        return Raw(2, 3, note)
    return Raw(1, 3, note)


def _first_marker_sentence_empathy(ctx: Context) -> int:
    ra = ctx.reply_analysis
    starts = [s.start for s in (*ra.empathy["acknowledge_feeling"], *ra.empathy["apology"])]
    if not starts:
        return 99
    body = _body_sentences(ctx.reply)
    return next((i for i, s in enumerate(body, 1) if s.start <= min(starts) < s.end + 1), 99)


SCORERS: dict[str, Callable[[Context], Raw]] = {
    "sentiment_analysis": score_sentiment_analysis,
    "deescalation_plan": score_deescalation_plan,
}
