"""The context every offline scorer reads, and the small helpers they share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from grading.detectors.claims import Claim, check_claims
from grading.detectors.knowledge_base import KnowledgeBase
from grading.detectors.messages import STATES, analyze_message
from grading.detectors.replies import ReplyAnalysis, analyze_reply, prose_problem
from grading.detectors.text import Span, phrase_pattern, word_count

from .results import Evidence
from .vocabulary import DEFAULT_REPLY_MAX_WORDS, EMOTION_STATE, URL_ONLY


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "\n".join(_text(v) for v in value)
    if isinstance(value, Mapping):
        return "\n".join(_text(v) for v in value.values())
    return str(value)


def _dict(value: Any) -> dict:
    return dict(value) if isinstance(value, Mapping) else {}


def _list(value: Any) -> list:
    return list(value) if isinstance(value, list | tuple) else []


@dataclass
class Context:
    """The scenario, the answer and the lazily computed detector results."""

    exercise_type: str
    scenario: dict
    answer: dict
    kb: KnowledgeBase
    reply_max_words: int = DEFAULT_REPLY_MAX_WORDS
    customer_state: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def reply(self) -> str:
        return _text(self.answer.get("reply"))

    @property
    def message(self) -> str:
        return _text(self.scenario.get("message"))

    @property
    def customer(self) -> dict:
        return _dict(self.scenario.get("customer"))

    @property
    def customer_name(self) -> str | None:
        return self.customer.get("name")

    @property
    def plan(self) -> str | None:
        return self.customer.get("plan") or _dict(self.scenario.get("profile")).get("plan")

    @cached_property
    def thread_text(self) -> str:
        bodies = [
            _text(m.get("body"))
            for m in _list(self.scenario.get("thread"))
            if isinstance(m, Mapping)
        ]
        customer_bodies = [
            _text(m.get("body"))
            for m in _list(self.scenario.get("thread"))
            if isinstance(m, Mapping) and m.get("author") == "customer"
        ]
        return "\n".join(customer_bodies or bodies)

    @cached_property
    def target_state(self) -> str:
        if self.customer_state in STATES:
            return self.customer_state
        gold = _dict(self.scenario.get("gold"))
        if gold.get("state") in STATES:
            return gold["state"]
        if gold.get("primary_emotion") in EMOTION_STATE:
            return EMOTION_STATE[gold["primary_emotion"]]
        return analyze_message(self.message or self.thread_text).state

    @cached_property
    def reply_analysis(self) -> ReplyAnalysis:
        return analyze_reply(
            self.reply,
            customer_name=self.customer_name,
            customer_message="\n".join(t for t in (self.message, self.thread_text) if t),
            target_state=self.target_state,
            max_words=self.reply_max_words,
        )

    @cached_property
    def reply_claims(self) -> list[Claim]:
        return check_claims(self._scored_reply, self.kb, customer_plan=self.plan)

    @cached_property
    def not_prose(self) -> str | None:
        """Why the reply is not prose a customer could read (None when it is)."""
        if not self.reply.strip():
            return None
        problem = prose_problem(self.reply)
        if problem is None and self._scored_reply != self.reply:
            # padding or stock text around a non-reply does not make it one
            without = prose_problem(self._scored_reply)
            problem = f"without its padding and stock phrases, {without}" if without else None
        if problem is None and word_count(URL_ONLY.sub(" ", self._scored_reply)) < 4:
            problem = "all of it is padding, keyword lists, links or text aimed at the grader"
        return problem

    @cached_property
    def _scored_reply(self) -> str:
        """The reply with text aimed at the grader, padding and keyword lists blanked out
        (same length, same offsets): what is scored is what the customer would read as prose."""
        text = self.reply
        for span in self.reply_analysis.ignored:
            text = text[: span.start] + " " * (span.end - span.start) + text[span.end :]
        return text


def _quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return f"'{text[: limit - 1]}…'" if len(text) > limit else f"'{text}'"


def _quotes(spans: list[Span] | tuple[Span, ...], limit: int = 3) -> str:
    return ", ".join(_quote(s.text, 50) for s in list(spans)[:limit])


def _evidence(field_name: str, spans, note: str, limit: int = 4) -> tuple[Evidence, ...]:
    return tuple(Evidence(field_name, s.start, s.end, note) for s in list(spans)[:limit])


def _mentions_fact(text: str, fact) -> bool:
    values = [str(v) for v in _fact_values(fact)]
    return any(v and re.search(rf"(?<![\w.]){re.escape(v)}(?![\w])", text, re.I) for v in values)


def _fact_values(fact) -> list:
    values = []
    for name in ("monthly_price", "annual_price", "days", "first_response_hours", "current_path"):
        value = getattr(fact, name, None)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if value not in (None, 0, ""):
            values.append(value)
    return values


def _keyword_hits(text: str, items: list) -> tuple[list[dict], list[dict]]:
    covered, missing = [], []
    for item in (_dict(i) for i in items):
        keywords = [_text(k) for k in _list(item.get("keywords")) if _text(k).strip()]
        pattern = phrase_pattern(keywords, inflect=True)
        (covered if keywords and pattern.search(text) else missing).append(item)
    return covered, missing
