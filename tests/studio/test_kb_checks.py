"""The studio checks a fact exactly as load_content does, and tries sentences against the
knowledge base."""

import pytest

from grading.content.loading import content_check_directory
from studio import checks
from studio.models import DraftFact
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

HELP = "https://help.tallyfront.example"


def _policy(**data) -> dict:
    return {
        "id": "policy-chargeback-window",
        "category": "policy",
        "title": "Chargeback window",
        "statement": "A chargeback can be disputed within 45 days.",
        "source_url": f"{HELP}/billing/chargebacks",
        "data": {
            "policy": "Chargeback window",
            "aliases": ["chargeback"],
            "duration": {"value": 45, "unit": "days"},
            **data,
        },
    }


def _own(errors):
    return [e for e in errors if e.path == checks.DRAFT_PATH]


def test_a_valid_new_fact_has_no_problems(loaded_content):
    assert checks.fact_errors(_policy()) == []


def test_the_studio_reports_what_the_loader_reports_for_the_same_fact(loaded_content, content_copy):
    fact = _policy(duration={"value": 3, "unit": "fortnights"})
    studio = [(e.field, e.message) for e in _own(checks.fact_errors(fact))]
    content_copy.edit("knowledge_base/policies.yaml", lambda d: d["facts"].append(fact))
    _, errors = content_check_directory(path=content_copy.root)
    index = len(content_copy.read("knowledge_base/policies.yaml")["facts"]) - 1
    prefix = f"facts[{index}]."
    loader = [(e.field.removeprefix(prefix), e.message) for e in errors]
    assert studio == loader
    assert studio and "'fortnights' is not one of" in studio[0][1]


def test_an_unknown_plan_names_the_plans(loaded_content):
    fact = {
        "id": "feature-kiosk",
        "category": "feature",
        "title": "Kiosk mode",
        "statement": "Kiosk mode is on Gold.",
        "source_url": f"{HELP}/kiosk",
        "data": {"feature": "Kiosk mode", "aliases": ["kiosk"], "plans": ["Gold"]},
    }
    (error,) = _own(checks.fact_errors(fact))
    assert error.field == "data.plans[0]"
    assert "unknown plan 'Gold'" in error.message and "Starter" in error.message


def test_a_source_outside_the_help_site_is_refused(loaded_content):
    fact = {**_policy(), "source_url": "https://elsewhere.example/x"}
    (error,) = _own(checks.fact_errors(fact))
    assert error.field == "source_url" and "not under the help site" in error.message


def test_a_statement_the_claim_checker_contradicts_is_a_problem_naming_the_fact(loaded_content):
    fact = {
        "id": "feature-wrong-price-note",
        "category": "rule",
        "title": "Starter price note",
        "statement": "Starter costs $99 per seat per month billed monthly.",
        "source_url": f"{HELP}/plans/starter",
        "data": {"rule": "Starter price note", "aliases": ["starter price"], "value": True},
    }
    (error,) = _own(checks.fact_errors(fact))
    assert error.field == "statement"
    assert "wrong price" in error.message and "plan-starter" in error.message


def test_a_fact_is_checked_with_the_other_drafts(loaded_content):
    DraftFact.objects.create(
        slug="plan-gold",
        category="plan",
        title="Gold",
        statement="Gold costs $50 per seat per month billed monthly.",
        source_url=f"{HELP}/plans/gold",
        data={"plan": "Gold", "monthly_price": 50, "annual_price": None, "seat_limit": None},
        created_by=UserFactory(),
    )
    fact = {
        "id": "feature-kiosk",
        "category": "feature",
        "title": "Kiosk mode",
        "statement": "Kiosk mode is included on Gold.",
        "source_url": f"{HELP}/kiosk",
        "data": {"feature": "Kiosk mode", "aliases": ["kiosk"], "plans": ["Gold"]},
    }
    assert _own(checks.fact_errors(fact)) == []


def test_try_a_sentence_rejects_a_wrong_price_with_the_fact(loaded_content):
    facts = checks.facts_with_drafts()
    result = checks.sentence_try(sentence="Starter is $25 per seat a month.", facts=facts)
    assert not result.accepted
    (claim,) = [c for c in result.claims if c.verdict == "rejected"]
    assert claim.fact_id == "plan-starter"
    assert "$15" in claim.explanation or "15" in claim.fact_statement


def test_try_a_sentence_accepts_the_right_price(loaded_content):
    facts = checks.facts_with_drafts()
    result = checks.sentence_try(
        sentence="Starter is $15 per seat a month billed monthly.", facts=facts
    )
    assert result.accepted
    assert any(c.verdict == "accepted" and c.fact_id == "plan-starter" for c in result.claims)


def test_try_a_sentence_uses_the_draft(loaded_content):
    draft = DraftFact(
        slug="not-offered-kiosk",
        category="not_offered",
        title="Kiosk mode",
        statement="We do not offer a kiosk mode.",
        source_url=f"{HELP}/kiosk",
        data={"thing": "kiosk mode", "aliases": ["kiosk"]},
    )
    facts = checks.facts_with_drafts([draft])
    result = checks.sentence_try(sentence="You can turn on kiosk mode in Settings.", facts=facts)
    assert not result.accepted
    assert any(c.fact_id == "not-offered-kiosk" for c in result.claims)


def test_a_new_fact_may_not_take_a_published_id(loaded_content):
    fact = {**_policy(), "id": "plan-starter"}
    (error,) = _own(checks.fact_errors(fact))
    assert error.field == "id"
    assert "duplicate fact id 'plan-starter' (also in published fact plan-starter)" in error.message
    # The draft that edits it may.
    assert _own(checks.fact_errors(fact, replacing="plan-starter")) == [] or all(
        e.field != "id" for e in _own(checks.fact_errors(fact, replacing="plan-starter"))
    )
