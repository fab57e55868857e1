"""Root cause analysis: classification, structure, language, length and impact."""

from __future__ import annotations

import re
from collections.abc import Callable

from rapidfuzz import fuzz

from grading.detectors.replies import JARGON
from grading.detectors.text import regex, stem, word_count
from text_analysis.words import word_count as shown_word_count

from .context import Context, _dict, _list, _quote, _text
from .results import Raw
from .vocabulary import DATE_WORDS, TIME_OF_DAY

RCA_SECTIONS = (
    "incident_summary",
    "root_cause",
    "immediate_response",
    "preventative_measures",
    "customer_impact",
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
TIME_ZONE = regex(r"UTC", r"GMT", r"[ECMP][SD]?T", r"BST", r"CET", r"CEST", r"AEST", r"time zone")
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


def _public_words(ctx: Context) -> set[str]:
    """Words the customer may see anyway: the incident as told to them, the details marked
    for customers, their own context (a time zone or a product name there is no leak)."""
    incident = _dict(ctx.scenario.get("incident"))
    parts = [_text(incident.get("title")), _text(incident.get("summary"))]
    parts += [
        _text(_dict(d).get("text"))
        for d in _list(ctx.scenario.get("technical_details"))
        if _dict(d).get("audience") != "internal"
    ]
    parts.append(_text(ctx.scenario.get("customer_context")))
    return {w.lower() for w in re.findall(r"[\w.-]+", " ".join(parts))}


def _leaked_details(ctx: Context, text: str) -> list[dict]:
    """Internal-only technical details whose distinctive markers (ids, code names, hosts)
    appear in the report; words the customer sees anyway, time zones and times are not
    markers."""
    public = _public_words(ctx)
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
        distinctive = [
            m
            for m in markers
            if m.lower() not in public
            and not TIME_ZONE.fullmatch(m)
            and not re.fullmatch(r"[\d:.,/-]+(?:am|pm)?", m, re.I)
            and re.search(rf"(?<![\w-]){re.escape(m)}(?![\w-])", text)
        ]
        if len(distinctive) >= 1 or (
            len(body) >= 30 and fuzz.partial_ratio(body.lower(), text.lower()) >= 85
        ):
            leaked.append(detail)
    return leaked


def score_business_language(ctx: Context) -> Raw:
    text = _report_text(ctx)
    if not text.strip():
        return Raw(0, 3, "No report written.")
    jargon = sorted({stem(m.group(0).lower()) for m in JARGON.finditer(text)})
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
    words = shown_word_count(_report_text(ctx))  # the figure the workspace shows the agent
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


SCORERS: dict[str, Callable[[Context], Raw]] = {
    "detail_classification": score_detail_classification,
    "report_structure": score_report_structure,
    "business_language": score_business_language,
    "length_limit": score_length_limit,
    "customer_impact": score_customer_impact,
}
