"""Empathy writing: the empathy dimension and the empathy prompt."""

from __future__ import annotations

from collections.abc import Callable

from grading.detectors.text import content_words, regex, stem

from .context import Context, _text
from .results import Raw

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


SCORERS: dict[str, Callable[[Context], Raw]] = {
    "dimension_identified": score_dimension_identified,
    "empathy_prompt": score_empathy_prompt,
}
