"""Claim checking against any company's knowledge base: prices, seats, quotas, features,
add-ons, things not offered, policies and support targets, yes/no rules, menu paths and
troubleshooting steps.

Nothing here names a company or its products: the company's name and product names come
from the knowledge base (company.yaml), every other word from its facts or from plain
English. `check_claims` marks each checkable statement supported, contradicted or
unsupported; `audit_draft` turns the wrong ones (and an answer to a different question)
into findings with a correction taken from the fact."""

from __future__ import annotations

import re

from grading.detectors.knowledge_base import KnowledgeBase, compiled
from grading.detectors.text import overlaps

from .amounts import check_price_basis, check_prices, check_quotas, check_seats
from .availability import check_channels, check_features, check_unknown_features
from .base import (
    CONTRADICTED,
    FINDING_TYPES,
    SUPPORTED,
    TYPE_FOR_KIND,
    UNSUPPORTED,
    Claim,
    Finding,
    correction_for,
    cycle_in,
    plans_in,
)
from .paths import check_processes, documented_paths
from .relevance import asked_topics, find_irrelevance, topics_in
from .steps import check_troubleshooting, recommended_steps
from .timing import check_policies, check_rules, check_slas

# ---- putting it together -------------------------------------------------------------------


def check_claims(
    text: str | None,
    kb: KnowledgeBase,
    *,
    customer_plan: str | None = None,
    billing_cycle: str | None = None,
    customer_message: str | None = None,
) -> list[Claim]:
    """Every checkable claim in the text, marked supported, contradicted or unsupported.

    A text is checked once per knowledge-base version and customer (a bounded memo in the
    KB's compiled form): the offline grade, the LLM prompt and the LLM's accuracy cap all
    ask about the same reply."""
    text = text or ""
    if not text.strip():
        return []
    key = ("claims", text, customer_plan, billing_cycle, customer_message)
    found = compiled(kb).answer_for_text(
        key,
        lambda: tuple(
            _check_claims(
                text,
                kb,
                customer_plan=customer_plan,
                billing_cycle=billing_cycle,
                customer_message=customer_message,
            )
        ),
    )
    return list(found)


def _check_claims(
    text: str,
    kb: KnowledgeBase,
    *,
    customer_plan: str | None,
    billing_cycle: str | None,
    customer_message: str | None,
) -> list[Claim]:
    billing_cycle = billing_cycle or cycle_in(customer_message)
    claims = [
        *check_prices(
            text, kb, customer_plan, billing_cycle=billing_cycle, customer_message=customer_message
        ),
        *check_price_basis(text, kb),
        *check_seats(text, kb, customer_plan, customer_message),
        *check_quotas(text, kb, customer_plan, customer_message),
        *check_features(text, kb, customer_plan, customer_message),
        *check_unknown_features(text, kb),
        *check_channels(text, kb, customer_plan),
        *check_rules(text, kb),
        *check_policies(
            text, kb, customer_plan, billing_cycle=billing_cycle, customer_message=customer_message
        ),
        *check_processes(text, kb),
        *check_troubleshooting(text, kb, customer_message),
    ]
    return _dedupe_claims([c for c in claims if not _said_against(c, text, customer_message or "")])


DENIED_BEFORE = re.compile(
    r"\b(?:not|rather than|instead of|never)\s+(?:(?:a|an|the|just)\s+)?$", re.I
)
YOURS_BEFORE = re.compile(r"\byour\s+(?:\w+\s+)?$", re.I)
FIGURE = re.compile(r"\d[\d,.]*")


def _said_against(claim: Claim, text: str, customer_message: str) -> bool:
    """A contradicted figure the text itself denies ("8 business hours, not one hour") or
    that is the customer's own, given back ("your 4 days"): neither is the text's claim."""
    if claim.status != CONTRADICTED:
        return False
    before = text[max(0, claim.start - 30) : claim.start]
    if DENIED_BEFORE.search(before):
        return True
    figures = FIGURE.findall(claim.text)
    return bool(
        figures
        and YOURS_BEFORE.search(before)
        and all(re.search(rf"(?<![\d,.]){re.escape(f)}(?![\d])", customer_message) for f in figures)
    )


def _dedupe_claims(claims: list[Claim]) -> list[Claim]:
    """One claim per stretch of text: contradicted first, then unsupported, then supported;
    a step holding an unknown path stays a step."""
    rank = {CONTRADICTED: 0, UNSUPPORTED: 1, SUPPORTED: 2}
    kind_rank = {"troubleshooting": 0, "not_offered": 1, "feature": 2, "addon": 2}
    kept: list[Claim] = []
    ordered = sorted(
        claims,
        key=lambda c: (
            rank[c.status] if not (c.kind == "process" and c.status == UNSUPPORTED) else 3,
            kind_rank.get(c.kind, 5),
            c.start,
        ),
    )
    for claim in ordered:
        if any(
            overlaps(claim.start, claim.end, k.start, k.end) and k.kind == claim.kind for k in kept
        ):
            continue
        if claim.status != CONTRADICTED and any(
            overlaps(claim.start, claim.end, k.start, k.end) for k in kept
        ):
            continue
        kept.append(claim)
    return sorted(kept, key=lambda c: (c.start, c.end))


def finding_from_claim(claim: Claim, text: str) -> Finding | None:
    if claim.status == SUPPORTED:
        return None
    if claim.status == CONTRADICTED:
        return Finding(
            TYPE_FOR_KIND[claim.kind],
            claim.text,
            claim.start,
            claim.end,
            claim.fact_id,
            claim.correction or "",
        )
    if claim.kind == "feature" and claim.fact_id is None:
        correction = (
            f"No feature called {claim.text!r} is documented; remove it or check the "
            "knowledge base."
        )
        return Finding("invented_feature", claim.text, claim.start, claim.end, None, correction)
    if claim.kind == "process" and claim.fact_id is None:
        correction = (
            f"The knowledge base has no {claim.text!r}; give the documented path or remove it."
        )
        return Finding("invented_feature", claim.text, claim.start, claim.end, None, correction)
    if claim.kind == "troubleshooting":
        return Finding(
            "fake_troubleshooting",
            claim.text,
            claim.start,
            claim.end,
            claim.fact_id,
            claim.correction or "",
        )
    return None  # could not be verified: not an error the audit can name


def audit_draft(
    draft: str | None,
    kb: KnowledgeBase,
    *,
    customer_plan: str | None = None,
    customer_message: str | None = None,
    billing_cycle: str | None = None,
) -> list[Finding]:
    """The errors in an AI draft: contradicted claims, invented features, undocumented
    troubleshooting steps, and an answer to a different question."""
    draft = draft or ""
    claims = check_claims(
        draft,
        kb,
        customer_plan=customer_plan,
        billing_cycle=billing_cycle,
        customer_message=customer_message,
    )
    findings = _one_per_fact([f for c in claims if (f := finding_from_claim(c, draft))])
    irrelevant = find_irrelevance(draft, kb, customer_message)
    if irrelevant:
        findings.append(irrelevant)
    return sorted(findings, key=lambda f: (f.start, f.end))


def _one_per_fact(findings: list[Finding]) -> list[Finding]:
    """A feature claimed wrongly twice is one error: keep its first (or widest) finding."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=lambda f: f.start):
        same = next(
            (
                index
                for index, k in enumerate(kept)
                if finding.type == "invented_feature"
                and finding.fact_id
                and k.type == finding.type
                and k.fact_id == finding.fact_id
            ),
            None,
        )
        if same is None:
            kept.append(finding)
        elif finding.end - finding.start > kept[same].end - kept[same].start:
            # 'automations are included on all plans' says more than a bare mention of them
            kept[same] = finding
    return kept


__all__ = [
    "CONTRADICTED",
    "FINDING_TYPES",
    "SUPPORTED",
    "TYPE_FOR_KIND",
    "UNSUPPORTED",
    "Claim",
    "Finding",
    "asked_topics",
    "audit_draft",
    "check_claims",
    "check_slas",
    "correction_for",
    "documented_paths",
    "find_irrelevance",
    "plans_in",
    "recommended_steps",
    "topics_in",
]
