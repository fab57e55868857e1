"""Checking drafts the way `load_content` checks files, and trying sentences against the
knowledge base.

Nothing here validates on its own: a draft is put, with the published facts and the other
drafts, into a content bundle, and the loader's `validate_bundle` (JSON schema, plan
names, ranges, the help site, the claim checker over the statements) says what is wrong.
"""

from dataclasses import dataclass

from django.conf import settings

from exercises.models import KnowledgeFact
from grading.content.exporting import company_data
from grading.content.files import KINDS, ContentBundle, ContentError, SourceItem
from grading.content.validation import validate_bundle
from grading.detectors.claims import CONTRADICTED, SUPPORTED, check_claims, finding_from_claim
from grading.detectors.knowledge_base import (
    KnowledgeBase,
    KnowledgeBaseError,
    read_company,
)

from .models import DraftFact

DRAFT_PATH = "studio draft"


def company_mapping() -> dict | None:
    """company.yaml's mapping as last loaded, else the content directory's."""
    data = company_data()
    if data is not None:
        return data
    try:
        company = read_company(settings.CONTENT_DIR)
    except (KnowledgeBaseError, OSError, TypeError):
        return None
    return company.as_dict() if company else None


def _fact_item(content: dict, path: str, index: int) -> SourceItem:
    item = SourceItem("fact", path, content)
    item.extra["prefix"] = ()
    item.extra["index"] = index
    return item


def facts_with_drafts(
    drafts: list[DraftFact] | None = None, *, extra: dict | None = None
) -> list[dict]:
    """The published facts with `drafts` (and one unsaved `extra` fact) put over them:
    the knowledge base as it would be once they are published."""
    facts = {
        f.slug: f.as_content()
        for f in KnowledgeFact.objects.filter(retired_at__isnull=True).order_by("slug")
    }
    for draft in drafts or []:
        facts[draft.slug] = draft.as_content()
    if extra is not None and isinstance(extra.get("id"), str):
        facts[extra["id"]] = extra
    return list(facts.values())


def fact_errors(
    content: dict, *, draft_id: int | None = None, replacing: str | None = None
) -> list[ContentError]:
    """The loader's errors about one fact (`content` as in the files), checked with the
    company, the published facts and every other draft.

    `draft_id` is the draft being checked (left out of the others); `replacing` the id of
    the published fact it edits (left out of the published facts). Any other fact with the
    same id stays in, so the loader reports the duplicate."""
    others = list(DraftFact.objects.exclude(pk=draft_id).order_by("slug"))
    published = KnowledgeFact.objects.filter(retired_at__isnull=True).order_by("slug")
    if replacing:
        published = published.exclude(slug=replacing)
    bundle = ContentBundle(root=settings.CONTENT_DIR)
    bundle.items = {kind: [] for kind in KINDS}
    company = company_mapping()
    if company is not None:
        bundle.items["company"].append(SourceItem("company", "company.yaml", company))
    kept = {fact.slug: (f"published fact {fact.slug}", fact.as_content()) for fact in published}
    # A draft of a published fact stands in for it.
    kept.update({d.slug: (f"draft {d.slug}", d.as_content()) for d in others})
    for index, (path, fact) in enumerate(kept.values()):
        bundle.items["fact"].append(_fact_item(fact, path, index))
    bundle.items["fact"].append(_fact_item(content, DRAFT_PATH, 0))
    # The draft's own problems first, then those of other facts (a statement this draft
    # would make wrong, say), each named by its fact.
    errors = validate_bundle(bundle)
    return sorted(errors, key=lambda e: e.path != DRAFT_PATH)


def knowledge_base_for(facts: list[dict]) -> KnowledgeBase:
    return KnowledgeBase.from_facts(facts, origin="studio", company=company_mapping())


@dataclass(frozen=True)
class TriedClaim:
    """One claim the checker found in a tried sentence, and its verdict."""

    text: str
    kind: str
    verdict: str  # accepted | rejected | not checkable
    fact_id: str | None
    fact_title: str
    fact_statement: str
    explanation: str


@dataclass(frozen=True)
class TryResult:
    sentence: str
    claims: list[TriedClaim]

    @property
    def accepted(self) -> bool:
        return all(c.verdict != "rejected" for c in self.claims)


def sentence_try(
    *,
    sentence: str,
    facts: list[dict],
    plan: str | None = None,
    billing_cycle: str | None = None,
) -> TryResult:
    """What the claim checker says about `sentence` against the knowledge base made of
    `facts`, for a customer on `plan`: each claim accepted or rejected, with the fact."""
    kb = knowledge_base_for(facts)
    claims = check_claims(sentence, kb, customer_plan=plan or None, billing_cycle=billing_cycle)
    tried = []
    for claim in claims:
        finding = finding_from_claim(claim, sentence)
        if claim.status == SUPPORTED:
            verdict = "accepted"
        elif claim.status == CONTRADICTED or finding is not None:
            verdict = "rejected"
        else:
            verdict = "not checkable"
        fact = kb.get(claim.fact_id)
        if verdict == "rejected":
            what = (finding.type if finding else claim.kind).replace("_", " ")
            correction = claim.correction or (finding.correction if finding else "")
            explanation = f"Rejected as a {what}. {correction}"
        elif verdict == "accepted":
            explanation = "Agrees with the knowledge base."
        else:
            explanation = claim.detail or "No fact says whether this is right."
        tried.append(
            TriedClaim(
                text=claim.text,
                kind=claim.kind,
                verdict=verdict,
                fact_id=claim.fact_id,
                fact_title=fact.title if fact else "",
                fact_statement=fact.statement if fact else "",
                explanation=explanation.strip(),
            )
        )
    return TryResult(sentence=sentence, claims=tried)
