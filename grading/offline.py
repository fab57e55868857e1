"""The offline grader: scores every rubric criterion from detectors and known answers."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rapidfuzz import fuzz

from grading import rubrics
from grading.detectors.claims import (
    CONTRADICTED,
    SUPPORTED,
    UNSUPPORTED,
    Claim,
    check_claims,
    find_irrelevance,
    topics_in,
)
from grading.detectors.knowledge_base import KnowledgeBase
from grading.detectors.messages import STATES, analyze_message
from grading.detectors.replies import (
    JARGON,
    LIST_STEP,
    SCRIPTED,
    TONES_FOR_STATE,
    ReplyAnalysis,
    analyze_reply,
    find_grader_directed,
    prose_problem,
)
from grading.detectors.text import (
    Span,
    content_words,
    dedupe_overlaps,
    find_all,
    normalise,
    phrase_pattern,
    regex,
    sentences,
    stem,
    word_count,
)

NO_SCORER = "no offline scorer"
REPLY_CRITERIA = (
    "tone_match",
    "empathy",
    "accuracy",
    "completeness",
    "next_steps",
    "personalization",
)
DEFAULT_REPLY_MAX_WORDS = 250
RCA_SECTIONS = (
    "incident_summary",
    "root_cause",
    "immediate_response",
    "preventative_measures",
    "customer_impact",
)
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
STATE_WORDS = {
    "urgent": (
        "urgent",
        "urgency",
        "deadline",
        "time-critical",
        "time critical",
        "time pressure",
        "hurry",
        "asap",
        "time-sensitive",
        "cut-off",
        "today",
    ),
    "frustrated": (
        "frustrated",
        "frustration",
        "annoyed",
        "angry",
        "upset",
        "fed up",
        "irritated",
        "sarcastic",
        "sarcasm",
        "exasperated",
        "disappointed",
    ),
    "confused": (
        "confused",
        "confusion",
        "unsure",
        "lost",
        "doesn't understand",
        "uncertain",
        "puzzled",
        "new to",
        "overwhelmed",
    ),
    "satisfied": ("satisfied", "happy", "pleased", "delighted", "positive", "grateful", "thrilled"),
}
TONE_WORDS = {
    "reassuring": ("reassur", "calm", "confident", "in hand", "rest assured"),
    "action_focused": (
        "action",
        "immediate",
        "lead with",
        "first sentence",
        "what we are doing",
        "what we're doing",
        "concrete steps",
        "fast",
        "quick",
        "today",
    ),
    "empathetic": ("empath", "acknowledg", "apolog", "understand", "validate", "sympath"),
    "solution_oriented": ("solution", "fix", "resolve", "next step", "concrete"),
    "patient": (
        "patient",
        "step by step",
        "step-by-step",
        "simple",
        "plain language",
        "plain",
        "one step at a time",
        "gentle",
        "no jargon",
    ),
    "educational": (
        "explain",
        "teach",
        "educat",
        "walk through",
        "why",
        "how it works",
        "numbered",
    ),
    "appreciative": ("thank", "appreciat", "grateful", "gratitude"),
    "relationship_building": (
        "relationship",
        "loyal",
        "future",
        "partner",
        "long-term",
        "keep them",
        "feedback",
        "warm",
    ),
}
GENERIC_TONE_WORDS = (
    "empathetic",
    "friendly",
    "polite",
    "professional",
    "warm",
    "kind",
    "nice",
    "helpful",
    "calm",
    "apologetic",
    "tone",
)
EMOTION_STATE = {
    "angry": "frustrated",
    "frustrated": "frustrated",
    "disappointed": "frustrated",
    "anxious": "urgent",
    "confused": "confused",
}
NEAR_EMOTIONS = {
    frozenset(p)
    for p in (
        ("angry", "frustrated"),
        ("frustrated", "disappointed"),
        ("anxious", "confused"),
        ("anxious", "frustrated"),
    )
}
RELATED_DIMENSIONS = {
    frozenset(p)
    for p in (
        ("financial_stress", "time_pressure"),
        ("repeated_failure", "disappointment"),
        ("confusion", "disappointment"),
        ("repeated_failure", "time_pressure"),
    )
}
DIMENSION_WORDS = {
    "financial_stress": (
        "money",
        "cost",
        "budget",
        "financial",
        "cash",
        "afford",
        "charge",
        "bill",
        "price",
        "fee",
        "refund",
        "payroll",
        "expensive",
    ),
    "repeated_failure": (
        "again",
        "repeated",
        "third",
        "second",
        "multiple times",
        "already tried",
        "keeps",
        "still",
        "previous",
        "recurring",
        "once more",
    ),
    "time_pressure": (
        "deadline",
        "urgent",
        "time",
        "today",
        "tonight",
        "quickly",
        "hours",
        "asap",
        "cut-off",
        "by ",
    ),
    "confusion": ("confus", "unclear", "explain", "understand", "lost", "step by step", "new"),
    "disappointment": ("disappoint", "expect", "let down", "promise", "hoped", "feature"),
}
FEELING_WORDS = regex(
    r"frustrat\w*",
    r"stress\w*",
    r"worr\w*",
    r"anxi\w*",
    r"disappoint\w*",
    r"confus\w*",
    r"overwhelm\w*",
    r"upset",
    r"angry",
    r"anger",
    r"embarrass\w*",
    r"pressure",
    r"panic\w*",
    r"annoy\w*",
    r"let down",
    r"fed up",
    r"feel\w*",
    r"emotion\w*",
    r"scared",
    r"afraid",
    r"exhaust\w*",
    r"tired",
)
ACK_REQUEST = regex(
    r"acknowledg\w*",
    r"recogni[sz]\w*",
    r"validat\w*",
    r"empath\w*",
    r"apolog\w*",
    r"sympath\w*",
    r"show (?:that )?(?:we|you) understand",
)
FILLER_WARNING = regex(
    r"avoid",
    r"(?:don't|do not|never|no) (?:use |start with |open with )?"
    r"(?:stock|generic|clich\w*|filler|boilerplate|blame|template|scripted|"
    r"canned|grovel\w*|over-?apolog\w*|sorry for any inconvenience)",
    r"without (?:stock|generic|clich\w*|filler|blame|grovel\w*)",
)
SOLUTION_WORDS = regex(
    r"solution",
    r"fix",
    r"resolve",
    r"next steps?",
    r"steps",
    r"solve",
    r"what (?:we|they|you) (?:will|can) do",
    r"action",
)
LEAD_AVOID = regex(
    r"lead with",
    r"start with",
    r"open with",
    r"begin with",
    r"first",
    r"avoid",
    r"(?:don't|do not|never)",
    r"no (?:jargon|exclamation)",
)
CONSTRAINT_WORDS = regex(
    r"\d+ words?",
    r"under \d+",
    r"short",
    r"brief",
    r"concise",
    r"bullet\w*",
    r"numbered",
    r"paragraphs?",
    r"format",
    r"length",
    r"sentences?",
    r"plan",
    r"price",
    r"path",
    r"link",
    r"source",
)
ACKNOWLEDGED_FIX = regex(
    r"already",
    r"you(?:'ve| have)? tried",
    r"you tried",
    r"(?:didn't|did not|"
    r"doesn't|does not|won't|will not) (?:work|help|fix)",
    r"no need to",
    r"(?:don't|do not|won't) need to",
    r"instead of",
    r"rather than",
    r"skip",
    r"earlier (?:advice|reply|suggestion)",
    r"(?:was|were) wrong",
    r"not (?:the|a) (?:fix|solution)",
    r"(?:don't|do not|no point)",
)
HEDGES = regex(
    r"I (?:believe|think|guess|assume)",
    r"(?:should|might|may) be around",
    r"somewhere (?:in|under)",
    r"probably",
    r"not (?:100% )?sure",
    r"roughly",
    r"I'm not certain",
    r"if I remember",
)
ANTICIPATION = regex(
    r"if (?:that|this|it|the status|you still|you don't|nothing)",
    r"in case",
    r"your next (?:bill|invoice|renewal|charge)",
    r"from (?:then|now) on",
    r"going forward",
    r"(?:you'll|you will) also",
    r"(?:your|the) data (?:stays|is safe|remains)",
    r"(?:this|that) (?:won't|will not) (?:happen|affect)",
    r"to prevent",
    r"in the future",
    r"next time",
    r"also worth",
)
OWNERSHIP = regex(
    r"we made a mistake",
    r"our mistake",
    r"our fault",
    r"we(?:'re| are) sorry",
    r"we apologi[sz]e",
    r"we take (?:full )?responsibility",
    r"we got this wrong",
    r"we should have",
    r"we let you down",
    r"(?:this|that) was on us",
    r"we failed",
)
REMEDY = regex(
    r"credit\w*",
    r"refund\w*",
    r"list of",
    r"(?:named|dedicated) contact",
    r"follow(?:-| )up",
    r"we will send",
    r"we'll send",
    r"call you",
    r"compensat\w*",
    r"we(?:'ll| will) (?:contact|email|reach out)",
    r"waive\w*",
    r"free of charge",
)
TIME_OF_DAY = re.compile(r"\b\d{1,2}[:.]\d{2}\b|\b\d{1,2} ?(?:am|pm)\b", re.IGNORECASE)
TIME_ZONE = regex(r"UTC", r"GMT", r"[ECMP][SD]?T", r"BST", r"CET", r"CEST", r"AEST", r"time zone")
DATE_WORDS = regex(
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}",
    r"\d{1,2} (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*",
    r"\d{4}-\d{2}-\d{2}",
    r"by (?:the )?end of",
    r"within \d+",
    r"by (?:monday|"
    r"tuesday|wednesday|thursday|friday|\w+ \d{1,2})",
    r"next (?:week|month)",
    r"Q[1-4]",
)
CAUSAL = regex(
    r"because",
    r"due to",
    r"caused",
    r"when",
    r"after",
    r"which meant",
    r"as a result",
    r"so that",
    r"led to",
    r"triggered",
)


# ---- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """Where, in the agent's own text, a score found its reason."""

    field: str
    start: int
    end: int
    note: str


@dataclass(frozen=True)
class CriterionScore:
    """One criterion's points (a level of the criterion, or None for N/A), why, and where."""

    points: int | None
    rationale: str
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class Verdict:
    """A whole grade: per-criterion scores, the weighted total (0..1) and any flags."""

    criteria: dict[str, CriterionScore]
    total: float
    flags: tuple[str, ...] = ()
    grader: str = "offline"
    rubric_id: str | None = None
    kb_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "grader": self.grader,
            "rubric_id": self.rubric_id,
            "kb_version": self.kb_version,
            "total": self.total,
            "flags": list(self.flags),
            "criteria": {
                cid: {
                    "points": c.points,
                    "rationale": c.rationale,
                    "evidence": [e.__dict__ for e in c.evidence],
                }
                for cid, c in self.criteria.items()
            },
        }


@dataclass(frozen=True)
class Raw:
    """What a scorer returns: points on its nominal 0..top scale, or None for N/A."""

    points: int | None
    top: int
    rationale: str
    evidence: tuple[Evidence, ...] = ()


# ---- the context every scorer reads ------------------------------------------------------


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


# ---- reply quality -----------------------------------------------------------------------


def _no_reply(top: int = 3) -> Raw:
    return Raw(0, top, "No reply was submitted.")


REASSURING = regex(
    r"you (?:still )?have until",
    r"there(?:'s| is) (?:still )?(?:time|plenty of time)",
    r"you(?:'re| are) (?:well )?(?:inside|within)",
    r"let's get",
    r"(?:don't|do not|no need to) worry",
    r"good news",
    r"(?:nothing|none of (?:it|them|your \w+)) (?:is|has been|was|will be) lost",
    r"(?:is|are) (?:still )?(?:safe|there|intact)",
    r"we(?:'ll| will) get (?:this|it|you)",
    r"(?:I|we)(?:'ve| have) got (?:this|it|you)",
    r"(?:I'm|I am|we're|we are) on it",
    r"rest assured",
    r"(?:quick|easy) (?:fix|to fix)",
)
EXPLAINING = regex(
    r"because",
    r"due to",
    r"(?:this|that|which) means",
    r"so (?:that|you|anyone|neither|it|your)",
    r"(?:is|are) counted",
    r"counts? (?:as|toward|towards|once)",
    r"works? (?:like|by)",
    r"in other words",
    r"for example",
    r"the difference",
    r"when you",
    r"once (?:you|the|it)",
    r"if you",
    r"(?:is|are) (?:kept|charged|billed|included|added|removed|reset|paused)",
)
STRUCTURED = regex(
    r"in turn",
    r"step[- ]by[- ]step",
    r"here's how",
    r"(?:first|second|then|finally),",
    r"let me (?:lay|walk|break|explain)",
    r"two (?:things|questions|parts)",
)
APPRECIATING = regex(
    r"thank(?:s| you)",
    r"congratulations|congrats",
    r"(?:great|lovely|wonderful|fantastic|brilliant) (?:to hear|news)",
    r"(?:so |really )?(?:glad|thrilled|delighted|happy) (?:to hear|that|you)",
    r"made (?:our|my|the team's) (?:day|morning|week)",
    r"means a lot",
    r"kind words",
    r"(?:we|I) (?:really |truly )?appreciate",
)
RELATING = regex(
    r"(?:forwarded|passed|shared) (?:your|this|it|the)",
    r"here's to",
    r"(?:an|one) idea",
    r"(?:a )?pleasure (?:having|working)",
    r"proud",
    r"(?:grown|grow|growing) with us",
    r"keep (?:growing|going)",
    r"we(?:'d| would) love",
    r"looking forward",
    r"(?:next|coming) (?:month|release|step|milestone)",
    r"on board",
    r"staying with us",
    r"part of (?:it|your)",
    r"if you(?:'d| would) like",
    r"you could (?:also )?(?:try|build|use|set)",
    r"(?:stay|staying|stick\w*) with us",
    r"deciding to",
)
PITCH = regex(r"(?:have you considered|why not|you should consider|consider) upgrad\w*")
CONDESCENDING = regex(
    r"obviously",
    r"as (?:I|we) (?:already )?(?:said|explained|mentioned)",
    r"(?:it's|it is) (?:easy|simple)",
    r"simply (?:click|go|do|open|select)",
    r"just (?:click|do|go) (?:it|to)",
    r"clearly (?:states|stated|says)",
)


def _tone_features(ctx: Context) -> dict[str, list[Span]]:
    text, ra = ctx._scored_reply, ctx.reply_analysis
    scripted = find_all(SCRIPTED, text, "scripted")
    acknowledgement = [*ra.empathy["acknowledge_feeling"]]
    if not ra.over_apologising:
        acknowledgement += ra.empathy["apology"]
    return {
        "real_ack": [a for a in acknowledgement if not any(_overlaps(a, x) for x in scripted)],
        "scripted": scripted,
        "solution": [*_customer_steps(ctx), *find_all(EXPLICIT_COMMITMENT, text, "commitment")],
        "reassurance": [*find_all(REASSURING, text, "reassuring"), *ra.empathy["reassurance"]],
        "explanation": find_all(EXPLAINING, text, "explanation"),
        "structure": [*find_all(STRUCTURED, text, "structure"), *find_all(LIST_STEP, text, "list")],
        "appreciation": find_all(APPRECIATING, text, "appreciation"),
        "relationship": [
            *find_all(RELATING, text, "relationship"),
            *ra.tone_markers.get("relationship_building", ()),
        ],
    }


def _action_first(ctx: Context, solution: list[Span]) -> bool:
    """Does the action come within the first two sentences after the greeting?"""
    if not solution:
        return False
    body = _body_sentences(ctx._scored_reply)
    first = min(s.start for s in solution)
    return any(sentence.start <= first < sentence.end + 1 for sentence in body[:2])


def score_tone_match(ctx: Context) -> Raw:
    """3 the register the state calls for throughout; 2 its core with the supporting element
    weak; 1 the core missing but nothing hostile; 0 works against the state."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    state = ctx.target_state
    f = _tone_features(ctx)
    hostile = [*ra.defensive, *_repeated_failed_fix(ctx)]
    if state == "confused":
        hostile += find_all(CONDESCENDING, ctx._scored_reply, "condescending")
    if state == "satisfied" and ra.over_apologising:
        hostile += list(ra.empathy["apology"])
    if state == "frustrated" and ctx._scored_reply.count("!") >= 2:
        at = ctx.reply.index("!")
        hostile.append(Span("mismatch", "!", at, at + 1))
    if ra.over_apologising and not hostile:
        return Raw(1, 3, f"{ra.apology_count} apologies stand in for the answer.")
    if hostile:
        return Raw(
            0,
            3,
            f"Works against a {state} customer: {_quotes(hostile)}.",
            _evidence("reply", hostile, "tone slip"),
        )
    if state == "urgent":
        early = _action_first(ctx, f["solution"]) or bool(
            re.search(
                r"\blet's get\b",
                " ".join(s.text for s in _body_sentences(ctx._scored_reply)[:1]),
                re.I,
            )
        )
        core, support = early, bool(f["reassurance"])
        names = ("action first", "reassurance")
        if not early and f["solution"] and not ra.over_apologising:
            return Raw(2, 3, "Urgent customer: the action is there, but not first.")
    elif state == "frustrated":
        owned = bool(f["real_ack"])
        resolved = bool(f["solution"])
        if not owned:
            return Raw(
                1,
                3,
                "Frustrated customer: nothing owns the frustration (transactional or scripted).",
            )
        core = resolved
        support = bool(_situated(ctx, f["real_ack"])) and resolved
        names = ("the frustration owned with a concrete solution", "owning it for their case")
        if not resolved:
            return Raw(
                2, 3, "Frustrated customer: the frustration is owned, but no concrete solution yet."
            )
    elif state == "confused":
        lists = len([s for s in f["structure"] if s.kind == "list"]) >= 2 or any(
            s.kind == "structure" for s in f["structure"]
        )
        patient = bool(ra.tone_markers.get("patient")) or len(f["explanation"]) >= 2
        core, support = bool(f["explanation"]) or lists, lists and patient
        names = ("a patient explanation", "structured teaching")
    else:
        pitch = find_all(PITCH, ctx._scored_reply, "pitch")
        core, support = bool(f["appreciation"]) and not pitch, bool(f["relationship"])
        names = ("appreciation", "relationship")
        if pitch:
            return Raw(
                1, 3, f"Satisfied customer: thanks turned into a sales pitch ({_quotes(pitch)})."
            )
    evidence = tuple(
        e for key in f for e in _evidence("reply", f[key][:1], key) if key != "scripted"
    )
    if ra.stuffing:  # padding never helps: the rest is scored as if it were not there, minus one
        points = 3 if core and support else 2 if core else 1
        return Raw(
            max(0, points - 1),
            3,
            f"Padding, stock phrases or keyword lists ({_quotes(ra.stuffing, 2)}) cost a level.",
            evidence,
        )
    if core and support:
        return Raw(3, 3, f"{state.capitalize()} customer: {names[0]} and {names[1]}.", evidence)
    if core:
        return Raw(
            2, 3, f"{state.capitalize()} customer: {names[0]}, but {names[1]} is weak.", evidence
        )
    if state == "frustrated" and support:
        return Raw(2, 3, f"Frustrated customer: only part of {names[0]}.", evidence)
    return Raw(1, 3, f"{state.capitalize()} customer: {names[0]} is missing.", evidence)


FAILED_FIX = regex(
    r"(?:already|just) (?:tried|did|done|followed|re-?\w+)",
    r"tried (?:that|this|it|everything|twice)",
    r"(?:didn't|did not|doesn't|does not|hasn't|has not) (?:work|help|fix|change)",
    r"(?:twice|again|both times|several times|(?:two|three|\d) times)",
    r"like (?:your|the) (?:article|guide|help page|docs?) (?:says|said)",
    r"no luck",
    r"nothing changed",
)


def _repeated_failed_fix(ctx: Context) -> list[Span]:
    """Steps the reply recommends that the customer says they already tried without success."""
    message = ctx.message or ctx.thread_text
    parts = [s.text for s in sentences(message)]
    tried = [
        text
        for i, text in enumerate(parts)
        if (
            FAILED_FIX.search(text)
            or (
                i + 1 < len(parts)
                and re.search(r"\b(?:still|didn't|no luck)\b", parts[i + 1], re.I)
            )
        )
        and re.search(r"\b(?:I|we)(?:'ve| have)? (?:already )?\w+ed\b", text, re.I)
    ]
    if not tried:
        return []
    tried_words = {stem(w) for t in tried for w in content_words(t)} - COMMON_STEMS
    found = []
    for step in _customer_steps(ctx):
        step_words = {stem(w) for w in content_words(step.text)} - COMMON_STEMS
        if (
            len(step_words) >= 2
            and len(step_words & tried_words) >= 2
            and not re.search(
                r"\b(?:again|instead|already|you tried|you've tried|didn't|rather than)\b",
                step.text,
                re.I,
            )
        ):
            found.append(Span("repeated_fix", step.text, step.start, step.end))
    return found[:2]


def _body_sentences(text: str) -> list:
    """Sentences without a bare greeting line ('Hi Maria,')."""
    return [
        s
        for s in sentences(text)
        if not (re.match(r"^(hi|hello|dear|hey)\b", s.text, re.I) and word_count(s.text) <= 4)
    ]


def _first_marker_sentence(ctx: Context) -> int:
    ra = ctx.reply_analysis
    starts = [s.start for t in ra.target_tones for s in ra.tone_markers.get(t, ())]
    if not starts:
        return 99
    body = _body_sentences(ctx.reply)
    for index, sentence in enumerate(body, start=1):
        if sentence.start <= min(starts) < sentence.end + 1:
            return index
    return 99


def score_empathy(ctx: Context) -> Raw:
    """3 feeling and situation; 2 real but generic; 1 token or scripted; 0 none or dismissive."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    if ra.defensive:
        return Raw(
            0,
            3,
            f"Defensive or blaming language: {_quotes(ra.defensive)}.",
            _evidence("reply", ra.defensive, "defensive"),
        )
    feeling = [*ra.empathy["acknowledge_feeling"], *ra.empathy["reassurance"]]
    feeling += list(ra.empathy["apology"])
    feeling += find_all(VALIDATING, ctx._scored_reply, "acknowledge_feeling")
    if ctx.target_state == "satisfied":
        feeling += list(ra.tone_markers.get("appreciative", ()))
        feeling += find_all(APPRECIATING, ctx._scored_reply, "appreciative")
    feeling = sorted(dedupe_overlaps(feeling), key=lambda s: s.start)
    if not feeling:
        return Raw(0, 3, "No acknowledgement of how the customer feels.")
    scripted_spans = [
        Span("scripted", m.group(0), m.start(), m.end())
        for m in SCRIPTED.finditer(ctx._scored_reply)
    ]
    situation = _situated(ctx, feeling)
    scripted_sentences = [
        s for s in sentences(ctx._scored_reply) if any(_overlaps(s, x) for x in scripted_spans)
    ]
    real = [
        f for f in feeling if not any(s.start <= f.start < s.end + 1 for s in scripted_sentences)
    ]
    # an apology on its own is a token; it is real empathy only where it names their case
    real = [f for f in real if f.kind != "apology" or _situated(ctx, [f])]
    evidence = _evidence("reply", feeling, "acknowledgement") + _evidence(
        "reply", situation[:2], "specific situation"
    )
    if ra.over_apologising:
        others = [f for f in feeling if not any(_overlaps(f, a) for a in ra.empathy["apology"])]
        note = f"{ra.apology_count} apologies read as scripted, not as empathy."
        return Raw(1 if others else 0, 3, note, evidence)
    if real and len({stem(s.text.lower()) for s in situation}) >= 2:
        note = (
            f"Acknowledges the feeling ({_quotes(real)}) and their situation "
            f"({_quotes(situation)})."
        )
        return Raw(3, 3, note, evidence)
    if real or (scripted_spans and situation):
        note = f"A real acknowledgement ({_quotes(feeling)}), but not of their specific situation."
        return Raw(2, 3, note, evidence)
    return Raw(1, 3, f"Only a stock phrase: {_quotes(scripted_spans or feeling)}.", evidence)


VALIDATING = regex(
    r"(?:can|may|might|must) (?:feel|seem|look) (?:like )?(?:a lot|confusing|overwhelming|daunting|"
    r"tricky|worrying|stressful)",
    r"(?:isn't|is not|aren't|wasn't) (?:obvious|clear|intuitive|a nice thing)",
    r"(?:less|more) complicated than",
    r"(?:a |really |very )?common (?:question|thing|mix-up|confusion)",
    r"congratulations|congrats",
    r"(?:so |really )?(?:glad|happy|pleased|thrilled|delighted) (?:to hear|the|that|it|you)",
    r"made (?:our|the team's|my) (?:day|morning|week)",
    r"(?:lovely|great|good) (?:idea|question|news)",
    r"(?:I|we) can see why",
    r"(?:every|each) (?:hour|minute|day) counts",
    r"(?:you're|you are) right to",
    r"(?:isn't|is not|wasn't) (?:the service|good enough|what you)",
    r"happy to (?:untangle|explain|walk)",
    r"not a (?:dumb|silly|stupid|daft) question",
    r"(?:get|gets|got) mixed up",
    r"(?:is|are|can be) (?:a big job|confusing|tricky|a lot to)",
    r"(?:a )?fair question",
    r"(?:is|are) (?:safe|still there|not lost)",
)


def _overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def _situated(ctx: Context, feeling: list[Span]) -> list[Span]:
    """Specifics of the customer's case in or right after a sentence that acknowledges a feeling."""
    parts = sentences(ctx.reply)
    near: list[tuple[int, int]] = []
    for index, sentence in enumerate(parts):
        if any(sentence.start <= f.start < sentence.end + 1 for f in feeling):
            following = parts[index + 1] if index + 1 < len(parts) else sentence
            near.append((sentence.start, following.end))
    specifics = [*ctx.reply_analysis.specifics, *_impact_mentions(ctx)]
    return [s for s in specifics if any(a <= s.start < b for a, b in near)]


def _impact_mentions(ctx: Context) -> list[Span]:
    """Where the reply names the customer's deadline or stake (urgency cues from the message)."""
    analysis = analyze_message(ctx.message)
    cues = [
        i.text for i in analysis.indicators if i.kind in ("urgency_words", "contradictory_requests")
    ]
    terms = {stem(w) for w in content_words(" ".join(cues))}
    terms |= {w.lower() for w in re.findall(r"\b\d{1,2}\s?(?:am|pm)\b", ctx.message, re.I)}
    found = []
    for match in re.finditer(r"[\w']+(?:\s?(?:am|pm))?", ctx._scored_reply):
        word = match.group(0).lower()
        if word in terms or stem(word) in terms:
            found.append(Span("impact", match.group(0), match.start(), match.end()))
    return found[:3]


def _kinds(spans) -> list[str]:
    return [s.kind for s in spans]


def score_accuracy(ctx: Context) -> Raw:
    """0 two or more contradicted claims; 1 one; 2 vague, hedged or link only; 3 right and specific.

    A link is not accuracy: it neither raises nor lowers the score.
    """
    if not ctx.reply.strip():
        return _no_reply()
    claims = ctx.reply_claims + _repeated_planted_errors(ctx)
    wrong = [c for c in claims if c.status == CONTRADICTED]
    unsure = [c for c in claims if c.status == UNSUPPORTED]
    right = [c for c in claims if c.status == SUPPORTED]
    evidence = tuple(
        Evidence("reply", c.start, c.end, f"{c.status}: {c.detail}") for c in claims[:6]
    )
    if wrong:
        fixes = "; ".join(
            f"{_quote(c.text, 40)} ({c.fact_id}): {c.correction or c.detail}" for c in wrong[:3]
        )
        return Raw(
            0 if len(wrong) >= 2 else 1, 3, f"Contradicts the knowledge base: {fixes}", evidence
        )
    hedges = [m.group(0) for m in HEDGES.finditer(ctx._scored_reply)]
    hedges += [m.group(0) for m in VAGUE_FACTS.finditer(ctx._scored_reply)]
    checked = f"{len(right)} claim(s) checked against the knowledge base, none wrong"
    if hedges or unsure:
        detail = _quotes([Span("x", c.text, c.start, c.end) for c in unsure]) or ", ".join(hedges)
        return Raw(2, 3, f"{checked}; hedged, vague or unverifiable: {detail}.", evidence)
    asked = set(topics_in(ctx.message or ctx.thread_text, ctx.kb)) if _needs_facts(ctx) else set()
    stated = {c.fact_id for c in right} | set(topics_in(ctx._scored_reply, ctx.kb))
    if right and (not asked or {c.fact_id for c in right} & asked or _states_figures(ctx)):
        return Raw(3, 3, f"{checked}.", evidence)
    if right and not (asked & stated):
        return Raw(2, 3, f"{checked}, but none of them is what the customer asked about.", evidence)
    if right:
        return Raw(3, 3, f"{checked}.", evidence)
    if _needs_facts(ctx):
        return Raw(
            2,
            3,
            "Nothing contradicted, but the reply does not state the facts the question needs "
            "(a link alone is not an answer).",
            evidence,
        )
    return Raw(3, 3, "No factual claim was needed and none is wrong.", evidence)


VAGUE_FACTS = regex(
    r"a small (?:monthly |one-off )?(?:fee|charge|cost)",
    r"a few (?:team members|seats|days|hours|people|users)",
    r"(?:for )?a (?:period|while|little while) (?:of time )?(?:before|after)",
    r"(?:details|information) (?:are |is )?(?:in|on) (?:your|the) "
    r"(?:billing|account|settings) page",
    r"(?:eventually|at some point|soon enough)",
    r"(?:some|certain) (?:plans|features|limits)",
)


def _states_figures(ctx: Context) -> bool:
    """Does the reply give exact figures or paths (what a vague reply leaves out)?"""
    return bool(
        re.search(
            r"[$€£]\s?\d|\b\d+\s?(?:%|business|days?|hours?|months?|seats?|"
            r"contacts|sends|emails)\b|\w+ ?> ?\w+",
            ctx._scored_reply,
            re.I,
        )
    )


FACT_QUESTION = regex(
    r"how (?:much|long|many|soon|often)",
    r"when (?:do|does|will|can|is|are|did)",
    r"(?:what|which) (?:plan|price|cost|fee|limit|date|day|time)",
    r"(?:price|cost|charge|fee|refund|limit|quota|window)\w*",
    r"(?:is|are|does|do|can|will) (?:it|this|that|there|we|i|my|our)\b[^?]*\?",
    r"where (?:do|can|is|are)",
    r"how (?:do|can) (?:i|we)",
)


def _needs_facts(ctx: Context) -> bool:
    """Does the customer's message ask for something the knowledge base answers?"""
    message = ctx.message or ctx.thread_text
    return bool(topics_in(message, ctx.kb)) and bool(FACT_QUESTION.search(message))


def _is_kb_link(url: str, kb: KnowledgeBase) -> bool:
    url = url.rstrip("/").lower()
    sources = {f.source_url.rstrip("/").lower() for f in kb.facts if f.source_url}
    hosts = {re.sub(r"^https?://", "", s).split("/")[0] for s in sources}
    return url in sources or any(h and h in url for h in hosts)


def _repeated_planted_errors(ctx: Context) -> list[Claim]:
    """Planted draft errors the agent copied into the reply word for word."""
    found = []
    for error in _list(ctx.scenario.get("errors")):
        span = _text(_dict(error).get("span"))
        if len(span) < 12 or error.get("type") == "irrelevant_answer":
            continue
        at = ctx.reply.lower().find(span.lower())
        if at >= 0:
            detail = f"repeats the draft's {error.get('type')}"
            found.append(
                Claim(
                    "planted",
                    span,
                    at,
                    at + len(span),
                    CONTRADICTED,
                    error.get("fact_id"),
                    error.get("correction"),
                    detail,
                )
            )
    return found


def _requests(message: str) -> list[str]:
    """The questions and requests in a customer message."""
    asks = [s.text for s in sentences(message) if s.text.endswith("?")]
    asks += [
        s.text
        for s in sentences(message)
        if re.search(
            r"\b(?:can you|could you|please|I need|I want|I'd like|how do I|tell me)\b",
            s.text,
            re.I,
        )
        and not s.text.endswith("?")
    ]
    return asks or ([message] if message.strip() else [])


ACT_REQUEST = regex(r"fix\w*", r"sort\w*", r"resolve\w*", r"help", r"look (?:at|into)", r"check")
EXPLAINS = regex(
    r"because",
    r"due to",
    r"this happens",
    r"the reason",
    r"(?:that's|which is) why",
    r"happened (?:because|when)",
    r"caused",
)


def _answered(request: str, reply: str, *, has_steps: bool) -> bool:
    wanted = {stem(w) for w in content_words(request)} - {"tallyfront"}
    if len(wanted) < 2:
        return True  # 'please help asap': nothing specific to answer
    if wanted & {stem(w) for w in content_words(reply)}:
        return True
    if re.match(r"\s*why\b", request, re.I) and EXPLAINS.search(reply):
        return True
    return has_steps and bool(ACT_REQUEST.search(request))


COMMON_STEMS = frozenset(
    [
        "time",
        "work",
        "works",
        "team",
        "day",
        "days",
        "month",
        "week",
        "year",
        "help",
        "thing",
        "things",
        "account",
        "customer",
        "support",
        "email",
        "tallyfront",
        "business",
    ]
)


def _on_topic(reply: str, message: str) -> str:
    """The reply's sentences that share at least two content words with the message."""
    wanted = {stem(w) for w in content_words(message)} - COMMON_STEMS
    kept = [
        s.text
        for s in sentences(reply)
        if len(wanted & {stem(w) for w in content_words(s.text)}) >= 2
    ]
    return " ".join(kept)


ASK_KIND = (
    (
        "amount",
        regex(
            r"how much",
            r"what (?:would|will|does|do) (?:that|it|this|we|i) (?:cost|pay)",
            r"(?:price|cost|fee|charge)s?\b[^?]*\?",
            r"what is the extra",
            r"how many",
        ),
    ),
    (
        "time",
        regex(
            r"how (?:long|quickly|soon|fast)",
            r"when (?:will|would|do|does|can|is|are)",
            r"by when",
            r"what time",
            r"(?:response|reply) time",
            r"how many days",
        ),
    ),
    (
        "place",
        regex(
            r"where (?:do|can|is|are|would|should|did)",
            r"how (?:do|can|would|should) (?:i|we)",
            r"how to",
            r"what do i (?:click|do)",
        ),
    ),
    ("reason", regex(r"why", r"what (?:happened|caused|is going on|went wrong)")),
    (
        "steps",
        regex(
            r"what (?:can|should|do) (?:i|we) do",
            r"how (?:can|do) (?:i|we) (?:get|fix|stop|finish)",
        ),
    ),
)
AMOUNT = re.compile(
    r"[$€£]\s?\d|\b\d[\d,.]*\s?(?:%|per|a month|a year|/)|\b(?:free|no charge|"
    r"nothing extra|included)\b",
    re.I,
)
TIME = re.compile(
    r"\b\d+(?:[\u2013-]\d+)?\s?(?:minutes?|mins?|hours?|hrs?|business|working|days?|weeks?|"
    r"months?|years?)\b|\b(?:today|tomorrow|tonight|immediately|straight away|right away|"
    r"instantly|next (?:billing|renewal|month)|billing date|at the end of)\b|"
    r"\b\d{1,2}(?::\d\d)?\s?(?:am|pm)\b",
    re.I,
)
PLACE = re.compile(
    r"\w+ ?> ?\w+|\b(?:go to|open|click|select|under|in the \w+ (?:tab|menu|page))\b", re.I
)
REASON = re.compile(
    r"\b(?:because|due to|caused|since|so that|this happens|the reason|that's why|"
    r"which is why|means|is (?:the|a|your)|was (?:the|a)|(?:is|are|was|were) "
    r"(?:being )?\w+ed)\b",
    re.I,
)
STEPS = re.compile(
    r"\w+ ?> ?\w+|\b(?:upgrade|click|open|go to|update|remove|add|reconnect|wait|edit|"
    r"unschedule|contact|reply|send)\b",
    re.I,
)
ANSWER_FOR = {"amount": AMOUNT, "time": TIME, "place": PLACE, "reason": REASON, "steps": STEPS}
YES_NO = re.compile(
    r"\b(?:yes|no|yep|nope|not|can|can't|cannot|will|won't|does|doesn't|do|don't|"
    r"is|isn't|are|aren't|included|available|only|unfortunately)\b",
    re.I,
)


ASK_JOIN = re.compile(
    r"(?:,\s*|;\s*|\s)and (?=(?:does|do|is|are|can|could|will|would|should|how|what|where|when|"
    r"why|which|if)\b)",
    re.I,
)
PRONOUN = re.compile(r"\b(?:it|this|that|them|they|these|those)\b", re.I)


def _asks(message: str) -> list[tuple[str, str]]:
    """Each explicit question or request in a customer message: (the ask, its context).

    A sentence that joins two questions ("How do I add her, and does she need a seat?")
    gives two asks. The context adds the sentence before when the ask leans on a pronoun
    ("Can I stop it?"), so that what "it" is can be matched in the reply.
    """
    asks = []
    parts = [s.text.strip() for s in sentences(message) if s.text.strip()]
    for index, text in enumerate(parts):
        if not (("?" in text or ASK_WORDS.search(text)) and content_words(text)):
            continue
        pieces = [p.strip() for p in ASK_JOIN.split(text) if p.strip()] if "?" in text else [text]
        for piece in pieces:
            context = piece
            own = set(content_words(piece)) - COMMON_STEMS
            if index and PRONOUN.search(piece) and len(own) < 3:
                context = f"{parts[index - 1]} {piece}"
            asks.append((piece, context))
    return asks


ASK_WORDS = regex(
    r"can you",
    r"could you",
    r"please (?!be quick|hurry)",
    r"pls",
    r"i need",
    r"we need",
    r"i want",
    r"i'd like",
    r"how do i",
    r"tell me",
    r"help (?:me|us)",
    r"call me",
    r"fix (?:it|this)",
)


YES_NO_ASK = re.compile(
    r"^\W*(?:and |so |but |also )?(?:can|could|do|does|did|is|are|will|would|should|have|has)\b",
    re.I,
)
YES_NO_ANSWER = regex(
    r"yes",
    r"no",
    r"(?:you|we) (?:can|can't|cannot|will|won't|do|don't|are|aren't|have|haven't)",
    r"(?:it|that|this|they) (?:is|isn't|are|aren't|does|doesn't|will|won't|can|can't|was|wasn't)",
    r"unfortunately",
    r"(?:isn't|aren't|not) (?:available|included|possible|offered)",
)
POINTER = regex(
    r"(?:find|see|read|visit|check out|refer to|look at)\b[^.!?\n]{0,80}(?:article|guide|page|"
    r"help (?:centre|center|site)|link|here)",
    r"(?:this|the following|our) (?:article|guide|page)",
)


def _informative(stems: set[str], kb: KnowledgeBase) -> set[str]:
    """Drop stems the knowledge base uses everywhere (plan, account, billing): they show a
    sentence is about the product, not about this question."""
    common = _kb_common_stems(kb)
    return {s for s in stems if s not in common}


_COMMON_CACHE: dict[str, frozenset[str]] = {}


def _kb_common_stems(kb: KnowledgeBase) -> frozenset[str]:
    key = kb.version or str(id(kb))
    if key not in _COMMON_CACHE:
        counts: dict[str, int] = {}
        for fact in kb.facts:
            for s in {stem(w) for w in content_words(f"{fact.title} {fact.statement}")}:
                counts[s] = counts.get(s, 0) + 1
        limit = max(3, len(kb.facts) // 5)
        _COMMON_CACHE[key] = frozenset(s for s, n in counts.items() if n > limit)
    return _COMMON_CACHE[key]


def _answer_to(ask: str, context: str, reply_sentences: list, kb: KnowledgeBase) -> str:
    """'full' when the reply answers the question (with an amount or a time where it asks for
    one), 'partial' when it speaks to its subject without the amount or time asked for,
    'link' when only a link does, '' when nothing does (a promise to look into it is not an
    answer)."""
    subject = _informative({stem(w) for w in content_words(context)} - COMMON_STEMS, kb)
    topics = set(topics_in(context, kb))
    related = []
    for sentence in reply_sentences:
        words_in = {stem(w) for w in content_words(sentence.text)}
        if (subject & words_in) or (topics and topics & set(topics_in(sentence.text, kb))):
            related.append(sentence.text)
    if YES_NO_ASK.search(ask):
        related += [
            s.text for s in reply_sentences[:3] if YES_NO_ANSWER.match(s.text.lstrip(" -*\n"))
        ]
    kind = next((k for k, pattern in ASK_KIND if pattern.search(ask)), "")
    if kind and not related:
        # the kind of answer asked for (a time, an amount, a place, a reason) is an answer
        # even in other words: "how quickly will someone reply?" / "the target is 2 hours"
        typed = ANSWER_FOR[kind] if kind != "place" else re.compile(r"\w+ ?> ?\w+")
        related += [s.text for s in reply_sentences if typed.search(s.text)]
    if not subject and not topics:
        related = [s.text for s in reply_sentences]
    answers = [
        t
        for t in related
        if word_count(URL_ONLY.sub(" ", t)) > 3
        and not (URL_ONLY.search(t) and POINTER.search(t))
        and not (
            (EXPLICIT_COMMITMENT.search(t) or PASSIVE_FOLLOW_UP.search(t))
            and not (AMOUNT.search(t) or YES_NO_ANSWER.search(t[:12]))
        )
    ]
    if not answers:
        return "link" if related else ""
    if kind not in ("amount", "time"):
        return "full"  # a related answer is an answer; its correctness is accuracy's business
    return "full" if ANSWER_FOR[kind].search(" ".join(answers)) else "partial"


URL_ONLY = re.compile(r"https?://\S+|www\.\S+", re.I)


def score_completeness(ctx: Context) -> Raw:
    """3 every question answered; 2 all answered, a needed detail missing; 1 one left open or
    answered only by a link; 0 the main request not addressed. A wrong answer still counts."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    message = ctx.message or ctx.thread_text
    reply_sentences = [s for s in sentences(ctx._scored_reply) if s.text.strip()]
    asks = _asks(message)
    if not asks:
        specifics = {stem(s.text.lower()) for s in ra.specifics}
        if len(specifics) >= 2:
            return Raw(
                3,
                3,
                f"No question was asked; the reply responds to what they said "
                f"({_quotes(ra.specifics)}).",
            )
        if (
            ra.specifics
            or _on_topic(ctx._scored_reply, message)
            or any(ra.tone_markers.get(t) for t in ("appreciative", "empathetic"))
        ):
            return Raw(2, 3, "No question was asked; the reply responds only in general terms.")
        return Raw(1, 3, "No question was asked, and the reply does not respond to what they said.")
    answers = [_answer_to(ask, context, reply_sentences, ctx.kb) for ask, context in asks]
    full = [a for (a, _), x in zip(asks, answers, strict=True) if x == "full"]
    open_ = [a for (a, _), x in zip(asks, answers, strict=True) if x in ("", "link")]
    note = f"Answers {len(full)} of {len(asks)} questions or requests in full."
    if open_:
        note += f" Left open or answered only by a link: {_quote(open_[0])}."
    if not any(x in ("full", "partial") for x in answers):
        if find_irrelevance(ctx._scored_reply, ctx.kb, message):
            return Raw(0, 3, "The reply answers a different question from the one asked.")
        return Raw(
            0 if "link" not in answers else 1, 3, note + " The main request is not addressed."
        )
    if open_:
        return Raw(1, 3, note)
    if len(full) < len(asks):
        return Raw(
            2, 3, note + " Some answers lack the detail asked for (an amount, a time, a place)."
        )
    return Raw(3, 3, note)


CUSTOMER_STEP = regex(
    r"[\w'&-]+(?: [\w'&-]+){0,3} ?> ?[\w'&-]+",  # a menu path: Settings > Billing
    r"(?:you can|you'll need to|you will need to|you need to|just need to|I'd recommend|"
    r"I recommend|I'd suggest|I suggest|the (?:fix|way) is to|try|please|simply|first|then)"
    r",? (?!let us|let me|reach out|contact us|feel free|don't hesitate|know)\w+",
    r"(?:could|can|would) you (?:please )?(?:check|send|confirm|reply|forward|try|open|click|"
    r"share|tell|upload|attach|look)",
    r"(?:go to|open|click|select|choose|navigate to|head to|upgrade|switch|export|import|add|"
    r"remove|update|enable|disable|turn on|turn off|reconnect|connect|cancel|delete|resend|"
    r"copy|paste|verify|authenticate|unschedule|edit|change|set up|install|download)\b"
    r"[^.!?\n]{3,}",
)
EXPLICIT_COMMITMENT = regex(
    r"I(?:'ll| will| am going to|'m going to) (?!be happy|be glad|be here|leave)\w+",
    r"I(?:'ve| have) (?:just |already |now )?(?:started|raised|escalated|issued|applied|"
    r"refunded|credited|reset|restored|fixed|sent|opened|flagged|asked|booked|scheduled|added|"
    r"processed|passed|forwarded|checked|reopened|cancelled|extended)",
    r"I(?:'m| am) (?:now |currently |personally )?(?:taking|looking|checking|working|"
    r"escalating|calling|watching|monitoring|staying)",
)
PASSIVE_FOLLOW_UP = regex(
    r"we(?:'ll| will) (?:be in touch|get back to you|follow up|look into|take a look|let you know|"
    r"update you|reach out)",
    r"(?:our|the) team (?:is|are|will) (?:look|work|investigat)\w*",
    r"as soon as (?:we|I) can",
)
TIMED = regex(
    r"by \d{1,2}(?::\d\d)?\s?(?:am|pm)?",
    r"(?:today|tomorrow|tonight|this (?:morning|afternoon|evening)|within \d+ (?:hours?|minutes?)|"
    r"in the next (?:hour|\d+ (?:hours?|minutes?))|by (?:end of (?:the )?day|monday|tuesday|"
    r"wednesday|thursday|friday))",
)


def _customer_steps(ctx: Context) -> list[Span]:
    """Concrete things the reply asks the customer to do (a link alone is not one)."""
    text = ctx._scored_reply
    spans = [*find_all(CUSTOMER_STEP, text, "next_step"), *ctx.reply_analysis.next_steps]
    return [
        s
        for s in dedupe_overlaps(spans)
        if not _in_vague(s, ctx) and not _points_to_a_link(text, s)
    ]


def _points_to_a_link(text: str, span: Span) -> bool:
    """A 'step' that only sends the customer to read a page ('you can find it here: URL')."""
    sentence = next((s for s in sentences(text) if s.start <= span.start < s.end + 1), None)
    return bool(
        sentence
        and URL_ONLY.search(sentence.text)
        and not re.search(r"\w+ ?> ?\w+", sentence.text)
        and re.search(
            r"\b(?:find|see|read|visit|check out|look at|refer to|follow)\b", sentence.text, re.I
        )
    )


def _in_vague(span: Span, ctx: Context) -> bool:
    return any(v.start <= span.start < v.end for v in ctx.reply_analysis.vague_next_steps)


def score_next_steps(ctx: Context) -> Raw:
    """3 a concrete step and an explicit commitment; 2 a step with a passive follow-up (or an
    explicit commitment alone); 1 vague only; 0 none. Clarity, not correctness."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    text = ctx._scored_reply
    steps = _customer_steps(ctx)
    explicit = find_all(EXPLICIT_COMMITMENT, text, "commitment")
    explicit += [
        f for f in find_all(PASSIVE_FOLLOW_UP, text, "commitment") if _timed_sentence(text, f)
    ]
    passive = find_all(PASSIVE_FOLLOW_UP, text, "follow_up")
    vague = [*ra.vague_next_steps, *passive]
    evidence = _evidence("reply", steps, "next step") + _evidence("reply", explicit, "commitment")
    if steps and explicit:
        note = f"A concrete step ({_quotes(steps, 1)}) and a commitment ({_quotes(explicit, 1)})."
        return Raw(3, 3, note, evidence)
    if steps:
        note = f"A concrete step ({_quotes(steps, 2)}), but no explicit commitment from us."
        return Raw(2, 3, note, evidence)
    if explicit:
        note = f"We commit to act ({_quotes(explicit, 1)}), but the customer gets no concrete step."
        return Raw(2, 3, note, evidence)
    if vague:
        return Raw(1, 3, f"Only a vague next step ({_quotes(vague, 1)}).", evidence)
    return Raw(0, 3, "No next step for the customer or for us.", evidence)


def _timed_sentence(text: str, span: Span) -> bool:
    sentence = next((s for s in sentences(text) if s.start <= span.start < s.end + 1), None)
    return bool(sentence and TIMED.search(sentence.text))


def _same_sentence(text: str, a: Span, b: Span) -> bool:
    return any(
        s.start <= a.start < s.end + 1 and s.start <= b.start < s.end + 1 for s in sentences(text)
    )


def _pure_thanks(ctx: Context) -> bool:
    message = ctx.message
    return (
        ctx.target_state == "satisfied"
        and "?" not in message
        and not re.search(r"\b(?:can you|could you|please (?!pass))", message, re.I)
    )


def score_personalization(ctx: Context) -> Raw:
    """3 name and the specifics of this case; 2 name and their situation in general terms, or
    the specifics without the name; 1 name only; 0 neither."""
    ra = ctx.reply_analysis
    if not ctx.reply.strip():
        return _no_reply()
    named = bool(ra.name_mentions)
    specifics = _case_specifics(ctx)
    situation = _situation_sentences(ctx)
    evidence = _evidence("reply", ra.name_mentions[:1], "name") + _evidence(
        "reply", specifics, "specific"
    )
    if named and specifics:
        points, note = 3, f"Uses their name and the specifics of their case ({_quotes(specifics)})."
    elif named and situation:
        points, note = 2, "Uses their name and speaks to their situation in general terms."
    elif specifics:
        points = 2
        note = f"Uses the specifics of their case ({_quotes(specifics)}) but not their name."
    elif named:
        points, note = 1, "Uses their name only; the rest could be sent to anyone."
    else:
        points, note = 0, "No name and nothing from their message; reads like a template."
    return Raw(points, 3, note, evidence)


NUMBERISH = re.compile(
    r"[$€£]?\d[\d,.:]*(?:\s?(?:am|pm|%|k))?|\b(?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|tonight|tomorrow)\b",
    re.I,
)


def _case_specifics(ctx: Context) -> list[Span]:
    """What only this customer's case has, echoed in the reply: their numbers, amounts, times
    and days, and the words of their message the knowledge base does not use (their shop,
    their event, the colleague they named), plus their account context."""
    message = ctx.message or ctx.thread_text
    vocabulary = _kb_vocabulary(ctx.kb)
    wanted_numbers = {m.group(0).lower().strip("$€£.,") for m in NUMBERISH.finditer(message)}
    wanted_words = {
        stem(w)
        for w in content_words(message)
        if len(w) >= 4 and stem(w) not in vocabulary and w not in GENERIC_MESSAGE_WORDS
    }
    found = []
    for match in NUMBERISH.finditer(ctx._scored_reply):
        if match.group(0).lower().strip("$€£.,") in wanted_numbers:
            found.append(Span("specific", match.group(0), match.start(), match.end()))
    for match in re.finditer(r"[A-Za-z][\w'-]+", ctx._scored_reply):
        if stem(match.group(0).lower()) in wanted_words:
            found.append(Span("specific", match.group(0), match.start(), match.end()))
    found += [c for c in _account_context(ctx) if _plan_key_of(c.text) != _plan_key_of(ctx.plan)]
    if ctx.customer_name:
        name_parts = {p.lower() for p in ctx.customer_name.split()}
        found = [f for f in found if f.text.lower() not in name_parts]
    return sorted(dedupe_overlaps(found), key=lambda s: s.start)


GENERIC_MESSAGE_WORDS = frozenset(
    [
        "thanks",
        "thank",
        "please",
        "hello",
        "help",
        "question",
        "really",
        "just",
        "want",
        "need",
        "know",
        "something",
        "anything",
        "everything",
        "someone",
        "today",
        "right",
        "still",
        "actually",
        "again",
        "think",
        "thought",
        "sure",
        "maybe",
        "wondering",
        "trying",
        "quick",
        "sorry",
        "come",
        "coming",
        "questions",
        "issue",
        "issues",
        "problem",
        "problems",
        "reported",
        "yesterday",
        "morning",
        "week",
        "weeks",
        "month",
        "months",
        "hours",
        "urgent",
        "asap",
        "working",
        "work",
        "works",
        "happen",
        "happened",
        "happening",
        "getting",
        "going",
        "make",
        "made",
        "able",
        "without",
        "anyone",
        "nobody",
        "people",
        "thing",
        "things",
        "time",
    ]
)


def _situation_sentences(ctx: Context) -> list[str]:
    """Reply sentences that speak to the customer about their own situation ("your emails are
    going to spam"), not general facts."""
    message = ctx.message or ctx.thread_text
    wanted = {stem(w) for w in content_words(message)} - COMMON_STEMS
    return [
        s.text
        for s in sentences(ctx._scored_reply)
        if re.search(r"\b(?:you|your|you're|you've|you'd|yours)\b", s.text, re.I)
        and wanted & {stem(w) for w in content_words(s.text)}
    ]


def _plan_key_of(text: str | None) -> str:
    return re.sub(r"\s+plan$", "", (text or "").strip().lower())


_VOCABULARY_CACHE: dict[str, frozenset[str]] = {}


def _kb_vocabulary(kb: KnowledgeBase) -> frozenset[str]:
    """Stems of every word the knowledge base uses (its topics, not a customer's case)."""
    key = kb.version or str(id(kb))
    if key not in _VOCABULARY_CACHE:
        text = " ".join(_text(getattr(f, name, "")) for f in kb.facts for name in vars(f))
        _VOCABULARY_CACHE[key] = frozenset(stem(w) for w in content_words(text))
    return _VOCABULARY_CACHE[key]


def _account_context(ctx: Context) -> list[Span]:
    """Mentions of the customer's plan, company, tenure or past tickets."""
    profile = _dict(ctx.scenario.get("profile"))
    phrases = [ctx.plan or "", _text(ctx.customer.get("company"))]
    pattern = phrase_pattern([p for p in phrases if p and len(p) > 2])
    spans = [Span("context", m.group(0), m.start(), m.end()) for m in pattern.finditer(ctx.reply)]
    history = regex(
        r"last (?:time|month|week)",
        r"(?:previous|earlier|past) (?:ticket|reply|message|conversation)",
        r"you(?:'ve| have) (?:been with us|used)",
        r"(?:years|months) with us",
        r"since \d{4}",
        r"(?:your|the) \d+ seats?",
        r"as you mentioned",
        r"you (?:already )?tried",
    )
    if profile or ctx.thread_text:
        spans += [
            Span("context", m.group(0), m.start(), m.end()) for m in history.finditer(ctx.reply)
        ]
    return spans


REPLY_SCORERS: dict[str, Callable[[Context], Raw]] = {
    "tone_match": score_tone_match,
    "empathy": score_empathy,
    "accuracy": score_accuracy,
    "completeness": score_completeness,
    "next_steps": score_next_steps,
    "personalization": score_personalization,
}


# ---- tone calibration --------------------------------------------------------------------


def _state_named(text: str) -> str | None:
    lowered = text.lower()
    hits = [(lowered.find(s), s) for s in STATES if s in lowered]
    return min(hits)[1] if hits else None


def score_state_identification(ctx: Context) -> Raw:
    gold = _dict(ctx.scenario.get("gold"))
    named = _state_named(_text(ctx.answer.get("identified_state")))
    if not named:
        return Raw(0, 3, "No emotional state identified.")
    if named == gold.get("secondary_state"):
        return Raw(
            1, 3, f"Named '{named}', the secondary state; the primary is '{gold.get('state')}'."
        )
    if named != gold.get("state"):
        return Raw(0, 3, f"Named '{named}'; the customer is '{gold.get('state')}'.")
    secondary = gold.get("secondary_state")
    noticed = secondary and _mentions_state(ctx, secondary)
    if secondary and not noticed:
        return Raw(
            2,
            3,
            (
                f"Primary state '{named}' is right; the secondary state '{secondary}' is not "
                "mentioned."
            ),
        )
    extra = f", and the secondary '{secondary}' is noticed" if secondary else ""
    return Raw(3, 3, f"Primary state '{named}' is right{extra}.")


def _mentions_state(ctx: Context, state: str) -> bool:
    text = " ".join(
        _text(ctx.answer.get(k)) for k in ("identified_state", "prompt", "indicators")
    ).lower()
    return any(w in text for w in STATE_WORDS.get(state, (state,)))


KIND_WORDS = {
    "all_caps": ("caps", "capital", "shout", "upper"),
    "exclamations": ("exclamation", "!"),
    "multiple_questions": ("questions", "question marks"),
    "contradictory_requests": ("contradict", "conflicting", "mixed request"),
    "positive_language": ("positive", "sarcas", "thanks", "polite", "praise"),
    "urgency_words": ("urgen", "deadline", "time pressure"),
}


def _indicator_matches(agent: str, gold: dict, message: str) -> bool:
    a, g = normalise(agent).strip(" '\"."), normalise(_text(gold.get("text"))).strip(" '\".")
    if not a or not g:
        return False
    if a in g or g in a:
        return True
    if len(a) >= 4 and fuzz.partial_ratio(a, g) >= 85:
        return True
    kind = gold.get("kind", "")
    return (
        any(w in a for w in KIND_WORDS.get(kind, ()))
        and len(a) < 40
        and g not in normalise(message)[:0]
    )


def score_indicator_spotting(ctx: Context) -> Raw:
    gold = [_dict(i) for i in _list(_dict(ctx.scenario.get("gold")).get("indicators"))]
    agent = [_text(i) for i in _list(ctx.answer.get("indicators")) if _text(i).strip()]
    if not agent:
        return Raw(0, 3, "No indicators listed.")
    message = normalise(ctx.message)
    matched_gold = [g for g in gold if any(_indicator_matches(a, g, ctx.message) for a in agent)]
    relevant = [a for a in agent if any(_indicator_matches(a, g, ctx.message) for g in gold)]
    invented = [
        a for a in agent if a not in relevant and fuzz.partial_ratio(normalise(a), message) < 80
    ]
    recall = len(matched_gold) / len(gold) if gold else 1.0
    precision = len(relevant) / len(agent)
    subtle = [g for g in matched_gold if g.get("kind") not in ("all_caps", "exclamations")]
    note = f"Found {len(matched_gold)} of the {len(gold)} indicators in the message."
    unmatched = len(agent) - len(relevant)
    if unmatched == 1:
        note += " One cue you listed is not one of them."
    elif unmatched:
        note += f" {unmatched} cues you listed are not among them."
    if invented:
        note += f" Not in the message: {_quote(invented[0])}."
    if not matched_gold:
        return Raw(0, 3, note)
    if recall >= 0.99 and precision >= 0.75 and not invented:
        return Raw(3, 3, note)
    if recall >= 0.5 and subtle:
        return Raw(2, 3, note)
    return Raw(1, 3, note)


def score_prompt_calibration(ctx: Context) -> Raw:
    prompt = _text(ctx.answer.get("prompt"))
    if not prompt.strip():
        return Raw(0, 3, "No prompt written.")
    lowered = prompt.lower()
    state = ctx.target_state
    names_state = any(w in lowered for w in STATE_WORDS.get(state, ()))
    tones = [t for t in TONES_FOR_STATE.get(state, ()) if any(w in lowered for w in TONE_WORDS[t])]
    generic_tone = any(w in lowered for w in GENERIC_TONE_WORDS)
    lead_avoid = bool(LEAD_AVOID.search(prompt))
    facts = _prompt_facts(ctx, prompt)
    found = []
    if names_state:
        found.append(f"names the state ({state})")
    if tones:
        found.append(f"asks for {', '.join(t.replace('_', '-') for t in tones)}")
    if lead_avoid:
        found.append("says what to lead with or avoid")
    if facts:
        found.append(f"gives facts/constraints ({', '.join(facts[:3])})")
    note = "Prompt " + ("; ".join(found) if found else "is generic") + "."
    if names_state and tones and lead_avoid and facts:
        return Raw(3, 3, note)
    if names_state and tones:
        return Raw(2, 3, note)
    if tones or generic_tone or names_state:
        return Raw(1, 3, note)
    return Raw(0, 3, note)


def _prompt_facts(ctx: Context, prompt: str) -> list[str]:
    found = []
    if ctx.plan and re.search(rf"\b{re.escape(ctx.plan)}\b", prompt, re.I):
        found.append(f"plan {ctx.plan}")
    for fact_id in _list(ctx.scenario.get("kb_facts")):
        fact = ctx.kb.get(fact_id)
        if fact and _mentions_fact(prompt, fact):
            found.append(fact_id)
    found += [m.group(0) for m in CONSTRAINT_WORDS.finditer(prompt) if m.group(0) not in ("plan",)][
        :2
    ]
    if ctx.customer_name and ctx.customer_name.split()[0].lower() in prompt.lower():
        found.append("customer name")
    return found


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


# ---- accuracy audit ----------------------------------------------------------------------


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

    @property
    def false_alarms(self) -> list[int]:
        matched = {f for f, _ in self.pairs}
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
    pairs, unlocated, used = [], [], set()
    for i, finding in enumerate(findings):
        where = _locate(_text(finding.get("span")), draft)
        if where is None:
            unlocated.append(i)
            continue
        for j, gspan in enumerate(gold_spans):
            if j not in used and gspan and _overlap_match(where, gspan):
                pairs.append((i, j))
                used.add(j)
                break
    return AuditMatch(gold, findings, pairs, unlocated)


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


# ---- context management ------------------------------------------------------------------


def _keyword_hits(text: str, items: list) -> tuple[list[dict], list[dict]]:
    covered, missing = [], []
    for item in (_dict(i) for i in items):
        keywords = [_text(k) for k in _list(item.get("keywords")) if _text(k).strip()]
        pattern = phrase_pattern(keywords, inflect=True)
        (covered if keywords and pattern.search(text) else missing).append(item)
    return covered, missing


def score_summary_coverage(ctx: Context) -> Raw:
    summary = _text(ctx.answer.get("summary"))
    facts = _list(ctx.scenario.get("key_facts"))
    if not summary.strip():
        return Raw(0, 3, "No summary written.")
    covered, missing = _keyword_hits(summary, facts)
    share = len(covered) / len(facts) if facts else 1.0
    note = f"Covers {len(covered)}/{len(facts)} key facts."
    if missing:
        note += f" Missing: {', '.join(_quote(_text(m.get('text')), 50) for m in missing[:3])}."
    concise = word_count(summary) <= 200
    if share >= 0.99 and concise:
        return Raw(3, 3, note)
    if share >= 0.6:
        return Raw(2, 3, note + ("" if concise else " Too long to act on quickly."))
    return Raw(1 if covered else 0, 3, note)


def score_history_selection(ctx: Context) -> Raw:
    tickets = [_dict(t) for t in _list(_dict(ctx.scenario.get("profile")).get("past_tickets"))]
    relevant = {_text(t.get("id")) for t in tickets if t.get("relevant")}
    chosen = {_text(i) for i in _list(ctx.answer.get("relevant_history"))}
    right, extra, missed = chosen & relevant, chosen - relevant, relevant - chosen
    note = f"Selected {len(right)}/{len(relevant)} relevant ticket(s) and {len(extra)} irrelevant."
    if chosen == relevant:
        return Raw(3, 3, note)
    if not right:
        return Raw(0, 3, note if chosen else "No past tickets selected.")
    if len(extra) + len(missed) == 1:
        return Raw(2, 3, note)
    return Raw(1, 3, note)


def score_no_repeated_fix(ctx: Context) -> Raw:
    reply = ctx._scored_reply
    if not reply.strip():
        return Raw(0, 2, "No reply was submitted.")
    repeated, acknowledged = [], []
    for fix in (_dict(f) for f in _list(ctx.scenario.get("tried_fixes"))):
        pattern = phrase_pattern([_text(k) for k in _list(fix.get("keywords"))], inflect=True)
        for sentence in sentences(reply):
            hit = pattern.search(sentence.text)
            if not hit:
                continue
            span = Span(_text(fix.get("id")), sentence.text, sentence.start, sentence.end)
            (acknowledged if ACKNOWLEDGED_FIX.search(sentence.text) else repeated).append(span)
    if repeated:
        return Raw(
            0,
            2,
            f"Suggests a fix the customer already tried: {_quote(repeated[0].text)}.",
            _evidence("reply", repeated, "repeated fix"),
        )
    if acknowledged:
        return Raw(
            2,
            2,
            (
                f"Acknowledges what was already tried ({_quote(acknowledged[0].text)}) and does "
                "not repeat it."
            ),
            _evidence("reply", acknowledged, "acknowledged"),
        )
    if re.search(r"\b(?:you(?:'ve| have)? (?:already )?tried|already tried)\b", reply, re.I):
        return Raw(2, 2, "Acknowledges what was already tried and does not repeat it.")
    return Raw(
        1, 2, "No failed fix is repeated, but the reply does not show we know what was tried."
    )


def score_prompt_context(ctx: Context) -> Raw:
    prompt = _text(ctx.answer.get("prompt"))
    if not prompt.strip():
        return Raw(0, 3, "No prompt written.")
    parts = _context_parts(ctx, prompt)
    raw_dump = _is_raw_dump(ctx, prompt)
    note = (
        "Prompt includes: "
        + (", ".join(parts) if parts else "nothing beyond the latest message")
        + "."
    )
    if raw_dump and "do-not-suggest list" not in parts:
        return Raw(1, 3, note + " Pastes the thread without saying what matters.")
    if {"summary", "do-not-suggest list", "policy"} <= set(parts) and len(parts) >= 4:
        return Raw(3, 3, note)
    if "summary" in parts and ("history" in parts or len(parts) >= 3):
        return Raw(2, 3, note)
    return Raw(1 if parts else 0, 3, note)


def _context_parts(ctx: Context, prompt: str) -> list[str]:
    parts = []
    covered, _ = _keyword_hits(prompt, _list(ctx.scenario.get("key_facts")))
    if covered and len(covered) >= max(1, len(_list(ctx.scenario.get("key_facts"))) // 3):
        parts.append("summary")
    profile = _dict(ctx.scenario.get("profile"))
    tickets = [_dict(t) for t in _list(profile.get("past_tickets")) if t.get("relevant")]
    if any(
        _text(t.get("id")).lower() in prompt.lower()
        or _answered(_text(t.get("subject")), prompt, has_steps=False)
        for t in tickets
    ):
        parts.append("history")
    tried, _ = _keyword_hits(prompt, _list(ctx.scenario.get("tried_fixes")))
    if tried and re.search(
        r"\b(?:don't|do not|never|avoid|not suggest|already tried|no (?:need|point))\b",
        prompt,
        re.I,
    ):
        parts.append("do-not-suggest list")
    fact = ctx.kb.get(_text(ctx.scenario.get("policy_fact")))
    if fact and _mentions_fact(prompt, fact):
        parts.append("policy")
    if any(w in prompt.lower() for words in TONE_WORDS.values() for w in words):
        parts.append("tone")
    if ctx.plan and re.search(rf"\b{re.escape(ctx.plan)}\b", prompt):
        parts.append("plan")
    return parts


def _is_raw_dump(ctx: Context, prompt: str) -> bool:
    bodies = [_text(_dict(m).get("body")) for m in _list(ctx.scenario.get("thread"))]
    pasted = [
        b for b in bodies if len(b) >= 60 and fuzz.partial_ratio(b.lower(), prompt.lower()) >= 90
    ]
    return len(pasted) >= 2


# ---- empathy writing ---------------------------------------------------------------------


def score_dimension_identified(ctx: Context) -> Raw:
    gold, named = _text(ctx.scenario.get("dimension")), _text(ctx.answer.get("dimension")).strip()
    if not named:
        return Raw(0, 2, "No empathy dimension named.")
    if named == gold:
        return Raw(2, 2, f"Named '{named}', the dimension that drives the message.")
    if frozenset((named, gold)) in RELATED_DIMENSIONS:
        return Raw(1, 2, f"Named '{named}', related to the actual '{gold}'.")
    return Raw(0, 2, f"Named '{named}'; the customer is experiencing '{gold}'.")


def score_empathy_prompt(ctx: Context) -> Raw:
    prompt = _text(ctx.answer.get("prompt"))
    if not prompt.strip():
        return Raw(0, 3, "No prompt written.")
    lowered = prompt.lower()
    feeling = FEELING_WORDS.search(prompt)
    cause = any(
        w in lowered for w in DIMENSION_WORDS.get(_text(ctx.scenario.get("dimension")), ())
    ) or bool(
        {stem(w) for w in content_words(prompt)} & {stem(w) for w in content_words(ctx.message)}
    )
    ack = ACK_REQUEST.search(prompt)
    solution = SOLUTION_WORDS.search(prompt)
    warning = FILLER_WARNING.search(prompt)
    have = [
        n
        for n, ok in (
            ("names the feeling", feeling),
            ("its cause", cause),
            ("asks for acknowledgement", ack),
            ("keeps the solution central", solution),
            ("warns against filler", warning),
        )
        if ok
    ]
    note = "Prompt " + (", ".join(have) if have else "says nothing about feelings") + "."
    if feeling and cause and ack and solution and warning:
        return Raw(3, 3, note)
    if feeling and cause and ack:
        return Raw(2, 3, note)
    if ack or feeling:
        return Raw(1, 3, note)
    return Raw(0, 3, note)


# ---- escalation --------------------------------------------------------------------------


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


# ---- root cause analysis -----------------------------------------------------------------


def _report(ctx: Context) -> dict:
    return _dict(ctx.answer.get("report"))


def _report_text(ctx: Context) -> str:
    report = _report(ctx)
    return "\n\n".join(_text(report.get(s)) for s in RCA_SECTIONS)


def score_detail_classification(ctx: Context) -> Raw:
    details = [_dict(d) for d in _list(ctx.scenario.get("technical_details"))]
    given = _dict(ctx.answer.get("classification"))
    if not given:
        return Raw(0, 3, "Technical details were not classified.")
    wrong = [
        d for d in details if _text(given.get(_text(d.get("id")))).lower() != d.get("audience")
    ]
    leaked = [d for d in wrong if d.get("audience") == "internal"]
    note = f"{len(details) - len(wrong)}/{len(details)} details classified correctly."
    if wrong:
        note += f" Wrong: {', '.join(_text(d.get('id')) for d in wrong[:4])}."
    if len(leaked) >= 2:
        return Raw(0, 3, note + " Several internal details marked for the customer.")
    return Raw({0: 3, 1: 2}.get(len(wrong), 1), 3, note)


def score_report_structure(ctx: Context) -> Raw:
    report = _report(ctx)
    present = [s for s in RCA_SECTIONS if word_count(_text(report.get(s))) >= 8]
    missing = [s for s in RCA_SECTIONS if s not in present]
    thin = [s for s in present if word_count(_text(report.get(s))) < 20]
    summary = _text(report.get("incident_summary"))
    specifics = [
        bool(TIME_OF_DAY.search(summary) and TIME_ZONE.search(summary)),
        bool(CAUSAL.search(_text(report.get("root_cause")))),
        bool(DATE_WORDS.search(_text(report.get("preventative_measures")))),
    ]
    note = f"{len(present)}/5 sections present"
    note += f"; missing: {', '.join(missing)}" if missing else ""
    note += f"; thin: {', '.join(thin)}" if thin else ""
    note += f"; {sum(specifics)}/3 specifics (timeline with time zone, why, dated measures)."
    if len(missing) >= 2:
        return Raw(0, 3, note)
    if missing:
        return Raw(1, 3, note)
    if thin or sum(specifics) < 2:
        return Raw(2, 3, note)
    return Raw(3, 3, note)


def _leaked_details(ctx: Context, text: str) -> list[dict]:
    leaked = []
    for detail in (_dict(d) for d in _list(ctx.scenario.get("technical_details"))):
        if detail.get("audience") != "internal":
            continue
        body = _text(detail.get("text"))
        markers = list(
            re.findall(
                (
                    r"[A-Za-z][\w.-]*\d[\w.-]*|[a-z]+[-_.][a-z][\w.-]*|[A-Z][a-z]+[A-Z]\w*|\b[A-Z]{2,"
                    r"}\b"
                ),
                body,
            )
        )
        distinctive = [m for m in markers if re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", text)]
        if len(distinctive) >= 1 or (
            len(body) >= 30 and fuzz.partial_ratio(body.lower(), text.lower()) >= 85
        ):
            leaked.append(detail)
    return leaked


def score_business_language(ctx: Context) -> Raw:
    text = _report_text(ctx)
    if not text.strip():
        return Raw(0, 3, "No report written.")
    jargon = sorted({m.group(0).lower() for m in JARGON.finditer(text)})
    leaked = _leaked_details(ctx, text)
    owned = OWNERSHIP.search(text)
    issues = len(jargon) + 2 * len(leaked)
    note = (
        f"Jargon: {', '.join(jargon[:5]) or 'none'}; internal details leaked: "
        f"{', '.join(_text(d.get('id')) for d in leaked) or 'none'}"
    )
    note += f"; ownership: {_quote(owned.group(0)) if owned else 'none'}."
    if issues == 0 and owned:
        return Raw(3, 3, note)
    if issues <= 1:
        return Raw(2, 3, note)
    if issues <= 3:
        return Raw(1, 3, note)
    return Raw(0, 3, note)


def score_length_limit(ctx: Context) -> Raw:
    words = word_count(_report_text(ctx))
    if words == 0:
        return Raw(0, 2, "No report written.")
    if words <= 500:
        return Raw(2, 2, f"{words} words, under the 500-word limit.")
    if words <= 600:
        return Raw(1, 2, f"{words} words, over the 500-word limit by {words - 500}.")
    return Raw(0, 2, f"{words} words, far over the 500-word limit.")


def score_customer_impact(ctx: Context) -> Raw:
    impact = _text(_report(ctx).get("customer_impact"))
    if word_count(impact) < 8 or (
        re.search(r"\bsome customers\b", impact, re.I) and word_count(impact) < 25
    ):
        return Raw(0, 3, "No customer-specific impact section.")
    context = _text(ctx.scenario.get("customer_context"))
    numbers = set(re.findall(r"\d[\d,.]*", context))
    echoed = [n for n in numbers if re.search(rf"(?<![\d.,]){re.escape(n)}(?![\d])", impact)]
    names = set(re.findall(r"\b[A-Z][a-z]{2,}\b", context)) - {
        "The",
        "They",
        "Their",
        "She",
        "He",
        "We",
    }
    named = [n for n in names if n in impact]
    remedy = REMEDY.search(impact)
    quantified = bool(echoed) or bool(re.search(r"\d", impact))
    note = (
        f"Impact section: {len(echoed)} of their numbers, names "
        f"{', '.join(sorted(named)[:3]) or 'none'}; remedy: "
        f"{_quote(remedy.group(0)) if remedy else 'none'}."
    )
    if quantified and remedy:
        return Raw(3, 3, note)
    if quantified:
        return Raw(2, 3, note)
    return Raw(1, 3, note)


EXERCISE_SCORERS: dict[str, Callable[[Context], Raw]] = {
    "state_identification": score_state_identification,
    "indicator_spotting": score_indicator_spotting,
    "prompt_calibration": score_prompt_calibration,
    "errors_found": score_errors_found,
    "corrections_sourced": score_corrections_sourced,
    "verification_checklist": score_verification_checklist,
    "summary_coverage": score_summary_coverage,
    "history_selection": score_history_selection,
    "no_repeated_fix": score_no_repeated_fix,
    "prompt_context": score_prompt_context,
    "dimension_identified": score_dimension_identified,
    "empathy_prompt": score_empathy_prompt,
    "sentiment_analysis": score_sentiment_analysis,
    "deescalation_plan": score_deescalation_plan,
    "detail_classification": score_detail_classification,
    "report_structure": score_report_structure,
    "business_language": score_business_language,
    "length_limit": score_length_limit,
    "customer_impact": score_customer_impact,
}
SCORERS: dict[str, Callable[[Context], Raw]] = {**REPLY_SCORERS, **EXERCISE_SCORERS}


# ---- rubric plumbing ---------------------------------------------------------------------


def _level_points(criterion: Mapping) -> list[int]:
    return rubrics.level_points(criterion)


def snap(raw: Raw, criterion: Mapping) -> int | None:
    """Map a scorer's points on its own 0..top scale onto the rubric's own level points."""
    if raw.points is None:
        return None if criterion.get("allow_na") else _level_points(criterion)[-1]
    return rubrics.snap_fraction(raw.points / raw.top if raw.top else 0.0, criterion)


def total_of(criteria: list[Mapping], scores: dict[str, CriterionScore]) -> float:
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


def _score_one(criterion: Mapping, ctx: Context) -> CriterionScore:
    cid = _text(criterion.get("id"))
    scorer = SCORERS.get(cid)
    if scorer is None:
        return CriterionScore(None, NO_SCORER)
    if cid in REPLY_SCORERS and ctx.not_prose:
        lowest = _level_points(criterion)[0]
        return CriterionScore(lowest, f"Not scored as a reply: {ctx.not_prose}.")
    raw = scorer(ctx)
    return CriterionScore(snap(raw, criterion), raw.rationale, raw.evidence)


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
