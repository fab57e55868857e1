"""Knowledge base loading and claim checking: prices, features, policies, paths and steps."""

from pathlib import Path

import pytest
import yaml

from grading.detectors.claims import (
    CONTRADICTED,
    FINDING_TYPES,
    SUPPORTED,
    UNSUPPORTED,
    audit_draft,
    check_claims,
)
from grading.detectors.knowledge_base import (
    FeatureFact,
    KnowledgeBase,
    KnowledgeBaseError,
    PlanFact,
)

from .conftest import CONTENT_DIR, FACTS


def test_facts_become_typed_dataclasses(kb):
    assert isinstance(kb.get("plan-growth"), PlanFact)
    assert isinstance(kb.get("feature-reminders"), FeatureFact)
    assert kb.plan("growth plan").monthly_price == 30
    assert kb.sla_for("Starter").first_response_hours == 24
    assert len(kb) == len(FACTS)


def test_version_is_stable_and_follows_content():
    first = KnowledgeBase.from_facts(FACTS).version
    assert first == KnowledgeBase.from_facts(list(reversed(FACTS))).version
    changed = [dict(f) for f in FACTS]
    changed[0] = {**changed[0], "statement": "Starter costs $16."}
    assert KnowledgeBase.from_facts(changed).version != first


def test_from_directory_reads_a_content_dir_or_the_kb_dir(tmp_path):
    folder = tmp_path / "knowledge_base"
    folder.mkdir()
    (folder / "plans.yaml").write_text(yaml.safe_dump({"facts": FACTS[:2]}))
    (folder / "rest.yaml").write_text(yaml.safe_dump({"facts": FACTS[2:]}))
    assert len(KnowledgeBase.from_directory(tmp_path)) == len(FACTS)
    assert KnowledgeBase.from_directory(folder).version == KnowledgeBase.from_facts(FACTS).version


@pytest.mark.parametrize(
    ("fact", "message"),
    [
        ({**FACTS[0], "category": "recipe"}, "category"),
        ({**FACTS[0], "statement": ""}, "statement"),
        ({**FACTS[0], "data": {"monthly_price": 1}}, "data.plan"),
    ],
)
def test_bad_facts_name_the_fact_and_field(fact, message):
    with pytest.raises(KnowledgeBaseError, match=message):
        KnowledgeBase.from_facts([fact])


def test_duplicate_ids_are_rejected():
    with pytest.raises(KnowledgeBaseError, match="twice"):
        KnowledgeBase.from_facts([FACTS[0], FACTS[0]])


def test_bad_yaml_file_is_named(tmp_path):
    (tmp_path / "broken.yaml").write_text("facts: [unclosed")
    with pytest.raises(KnowledgeBaseError, match=r"broken\.yaml"):
        KnowledgeBase.from_directory(tmp_path)


CLAIM_CASES = [
    # text, plan, kind, status, fact id
    ("Growth costs $30 per seat per month.", None, "price", SUPPORTED, "plan-growth"),
    ("Growth is $288 per seat per year.", None, "price", SUPPORTED, "plan-growth"),
    ("Growth costs $25 per seat per month.", None, "price", CONTRADICTED, "plan-growth"),
    ("For 5 seats on Growth that comes to $150 a month.", None, "price", SUPPORTED, "plan-growth"),
    ("Your plan costs $20 per month.", "Starter", "price", CONTRADICTED, "plan-starter"),
    ("You can use multi-currency on the Growth plan.", None, "feature", SUPPORTED, None),
    ("Multi-currency is included on your Starter plan.", None, "feature", CONTRADICTED, None),
    ("You can switch on multi-currency in settings.", "Starter", "feature", CONTRADICTED, None),
    ("Multi-currency is not available on Starter.", None, "feature", SUPPORTED, None),
    ("You can turn on SMS reminders for those clients.", "Growth", "feature", CONTRADICTED, None),
    ("We can refund it within 30 days of the charge.", None, "policy", SUPPORTED, "policy-refund"),
    ("Refunds are possible within 60 days.", None, "policy", CONTRADICTED, "policy-refund"),
    ("You can get your money back within two weeks.", None, "policy", CONTRADICTED, None),
    ("We'll respond within 24 hours.", "Starter", "sla", SUPPORTED, "sla-starter"),
    ("We usually reply within 4 hours.", "Starter", "sla", CONTRADICTED, "sla-starter"),
    ("Go to Settings > Billing > Payment methods.", None, "process", SUPPORTED, None),
    ("Go to Account > Subscription > Update card.", None, "process", CONTRADICTED, None),
    ("To change card, open Billing > Cards > Edit.", None, "process", CONTRADICTED, None),
    (
        "If your client never got the invoice, try clearing the cache under Settings > Advanced.",
        None,
        "troubleshooting",
        UNSUPPORTED,
        "ts-email-missing",
    ),
    (
        "If the client never got the invoice, first open the invoice and check the Activity "
        "tab for the delivery status.",
        None,
        "troubleshooting",
        SUPPORTED,
        "ts-email-missing",
    ),
]


@pytest.mark.parametrize(("text", "plan", "kind", "status", "fact_id"), CLAIM_CASES)
def test_claim_is_checked_against_the_kb(kb, text, plan, kind, status, fact_id):
    claims = [c for c in check_claims(text, kb, customer_plan=plan) if c.kind == kind]
    assert claims, f"no {kind} claim found in {text!r}"
    assert claims[0].status == status
    if fact_id:
        assert claims[0].fact_id == fact_id
    assert text[claims[0].start : claims[0].end] == claims[0].text
    if status == CONTRADICTED:
        assert claims[0].correction


def test_invoice_amounts_are_not_price_claims(kb):
    assert not check_claims("Your invoice INV-12 for $420 was paid on Monday.", kb)


def test_unknown_named_feature_is_unsupported(kb):
    claims = check_claims("Our new Smart Chase assistant can chase payments for you.", kb)
    assert [(c.kind, c.status, c.fact_id) for c in claims] == [("feature", UNSUPPORTED, None)]


@pytest.mark.parametrize("text", ["", None, "Hello there, thanks for writing in."])
def test_no_claims_in_plain_text(kb, text):
    assert check_claims(text, kb) == []


DRAFT = (
    "Hi Sam, Growth costs $25 per seat per month and you can send SMS reminders. "
    "Refunds are available within 60 days. To update your card, go to Account > Subscription > "
    "Update card. If your client never got the invoice, clear the Tallyfront cache under "
    "Settings > Advanced."
)


def test_audit_finds_each_kind_of_error(kb):
    findings = audit_draft(DRAFT, kb, customer_plan="Starter")
    types = {f.type for f in findings}
    assert types >= {
        "wrong_price",
        "invented_feature",
        "wrong_policy",
        "outdated_process",
        "fake_troubleshooting",
    }
    for finding in findings:
        assert finding.type in FINDING_TYPES
        assert DRAFT[finding.start : finding.end] == finding.span
        assert finding.correction


def test_audit_of_a_correct_draft_is_empty(kb):
    draft = (
        "Growth costs $30 per seat per month. Refunds are available within 30 days of the "
        "charge. To update your card, go to Settings > Billing > Payment methods."
    )
    assert audit_draft(draft, kb, customer_plan="Growth") == []


def test_audit_flags_an_answer_to_a_different_question(kb):
    findings = audit_draft(
        "To update your card, go to Settings > Billing > Payment methods and add the new card.",
        kb,
        customer_message="Can I get a refund for last month's charge?",
    )
    assert [f.type for f in findings] == ["irrelevant_answer"]
    assert findings[0].fact_id == "policy-refund"


def _audit_scenarios() -> list[dict]:
    folder = Path(CONTENT_DIR) / "scenarios" / "audit"
    files = sorted(folder.glob("*.yaml")) if folder.is_dir() else []
    return [yaml.safe_load(f.read_text(encoding="utf-8")) for f in files]


def test_shipped_audit_drafts_recall_and_precision(shipped_kb):
    scenarios = _audit_scenarios()
    if not scenarios:
        pytest.skip("no shipped audit scenarios yet")
    gold_total = gold_found = findings_total = findings_right = 0
    for scenario in scenarios:
        draft = scenario["draft"]
        findings = audit_draft(
            draft,
            shipped_kb,
            customer_plan=scenario["customer"]["plan"],
            customer_message=scenario["message"],
        )
        gold = [
            (draft.find(e["span"]), draft.find(e["span"]) + len(e["span"]))
            for e in scenario["errors"]
        ]
        gold_total += len(gold)
        gold_found += sum(
            any(f.start < end and start < f.end for f in findings) for start, end in gold
        )
        findings_total += len(findings)
        findings_right += sum(
            any(f.start < end and start < f.end for start, end in gold) for f in findings
        )
    assert gold_found / gold_total >= 0.75
    assert findings_right / max(1, findings_total) >= 0.8
