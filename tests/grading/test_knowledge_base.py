"""The knowledge-base model reads every construct of docs/knowledge-base.md, old forms too."""

import shutil
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from grading.detectors.knowledge_base import (
    AddonFact,
    Company,
    Duration,
    KnowledgeBase,
    KnowledgeBaseError,
    NotOfferedFact,
    PlanFact,
    QuotaFact,
    RuleFact,
    SlaFact,
    TroubleshootingFact,
)

SITE = "https://help.acme.test"
COMPANY = {
    "name": "Acme Widgets",
    "product": "widget hosting for small teams",
    "product_names": ["Acme Cloud"],
    "help_site": SITE,
    "currency": "EUR",
}


def fact(fact_id: str, category: str, data: dict, statement: str = "A true sentence.") -> dict:
    return {
        "id": fact_id,
        "category": category,
        "title": fact_id.replace("-", " "),
        "statement": statement,
        "source_url": f"{SITE}/{fact_id}",
        "data": data,
    }


FACTS = [
    fact(
        "plan-team",
        "plan",
        {
            "plan": "Team",
            "aliases": ["team plan"],
            "price_basis": "per_account",
            "monthly_price": 12,
            "annual_price": 120,
            "seats_included": 3,
            "seat_limit": 25,
            "extra_seats": "purchasable",
        },
    ),
    fact(
        "plan-solo",
        "plan",
        {"plan": "Solo", "monthly_price": 0, "annual_price": None, "seat_limit": 1},
    ),
    fact(
        "addon-seat",
        "addon",
        {"addon": "Extra seat", "price": 8, "per": "seat", "period": "month", "plans": ["Team"]},
    ),
    fact(
        "quota-sends",
        "quota",
        {
            "quota": "Monthly email sends",
            "aliases": ["sends"],
            "unit": "emails",
            "by_plan": {"Solo": 500, "Team": None},
            "resets": "monthly",
            "rollover": False,
            "overage": {"price": 1.5, "per": "1,000 emails"},
            "when_exceeded": "Sending pauses.",
        },
    ),
    fact("feature-automations", "feature", {"feature": "Automations", "plans": ["Team"]}),
    fact(
        "policy-refund",
        "policy",
        {
            "policy": "Refund window",
            "aliases": ["refund"],
            "by_billing_cycle": {
                "monthly": {"value": 7, "unit": "days"},
                "annual": {"value": 30, "unit": "days"},
            },
        },
    ),
    fact(
        "policy-reports",
        "policy",
        {
            "policy": "Report history",
            "by_plan": {
                "Solo": {"value": 3, "unit": "months"},
                "Team": {"value": 1, "unit": "years"},
            },
        },
    ),
    fact(
        "policy-processing",
        "policy",
        {"policy": "Refund processing", "duration": {"min": 5, "max": 10, "unit": "business_days"}},
    ),
    fact("policy-old-days", "policy", {"policy": "Trial", "days": 14}),
    fact("rule-rollover", "rule", {"rule": "Unused sends roll over", "value": False}),
    fact(
        "not-offered-sms",
        "not_offered",
        {"thing": "SMS marketing", "aliases": ["SMS"], "alternative": "Use a partner."},
    ),
    fact(
        "sla-team",
        "sla",
        {
            "plan": "Team",
            "channels": ["email", "live chat"],
            "first_response": {"value": 1, "unit": "business_days"},
        },
    ),
    fact("sla-solo-old", "sla", {"plan": "Solo", "first_response_hours": 48}),
    fact(
        "process-billing-email",
        "process",
        {"task": "Change the billing email", "current_path": "Settings > Billing > Contact"},
    ),
    fact(
        "ts-spam",
        "troubleshooting",
        {
            "problem": "Emails going to spam",
            "steps": ["Authenticate your domain"],
            "invalid_steps": ["Clear the cache"],
        },
    ),
]


@pytest.fixture
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_facts(FACTS, company=COMPANY)


def test_every_category_becomes_its_typed_fact(kb):
    kinds = {f.id: type(f) for f in kb.facts}
    assert kinds["plan-team"] is PlanFact
    assert kinds["addon-seat"] is AddonFact
    assert kinds["quota-sends"] is QuotaFact
    assert kinds["rule-rollover"] is RuleFact
    assert kinds["not-offered-sms"] is NotOfferedFact
    assert kinds["sla-team"] is SlaFact
    assert kinds["ts-spam"] is TroubleshootingFact
    assert [p.plan for p in kb.plans] == ["Solo", "Team"]  # cheapest first
    assert len(kb.addons) == len(kb.quotas) == len(kb.rules) == len(kb.not_offered) == 1


def test_plans_know_their_price_basis_seats_and_annual_equivalent(kb):
    team, solo = kb.plan("team plan"), kb.plan("Solo")
    assert team.price_basis == "per_account" and not team.per_seat
    assert team.monthly_equivalent == 10
    assert (team.seats_included, team.seat_limit, team.seats_purchasable) == (3, 25, True)
    assert solo.per_seat and solo.annual_price is None and solo.monthly_equivalent is None


def test_addons_and_quotas_read_plans_overage_and_rollover(kb):
    addon = kb.get("addon-seat")
    assert (addon.price, addon.per, addon.period, addon.plans) == (8, "seat", "month", ("Team",))
    assert kb.feature_on_plan(addon, "Team") and not kb.feature_on_plan(addon, "Solo")
    quota = kb.get("quota-sends")
    assert quota.limit_for("Solo") == (True, 500)
    assert quota.limit_for("Team") == (True, None)  # unlimited
    assert quota.limit_for("Gold") == (False, None)
    assert (quota.resets, quota.rollover) == ("monthly", False)
    assert (quota.overage_price, quota.overage_per) == (1.5, "1,000 emails")


def test_policies_read_durations_ranges_by_plan_and_by_billing_cycle(kb):
    refund = kb.get("policy-refund")
    assert refund.duration_for(billing_cycle="annually") == Duration.exact(30, "days")
    assert refund.duration_for(billing_cycle="monthly") == Duration.exact(7, "days")
    reports = kb.get("policy-reports")
    assert reports.duration_for("team plan") == Duration.exact(1, "years")
    processing = kb.get("policy-processing")
    assert processing.duration == Duration(5, 10, "business_days")
    assert processing.duration.text == "5\u201310 business days"
    assert kb.get("policy-old-days").duration == Duration.exact(14, "days")
    assert kb.get("policy-old-days").days == 14


def test_support_targets_read_units_and_the_old_hours(kb):
    assert kb.sla_for("Team").first_response == Duration.exact(1, "business_days")
    assert kb.sla_for("Team").first_response_hours is None  # business time is not clock time
    assert kb.sla_for("Solo").first_response == Duration.exact(48, "hours")
    assert kb.sla_for("Solo").first_response_hours == 48


def test_rules_things_not_offered_and_old_invalid_steps_are_read(kb):
    assert kb.get("rule-rollover").value is False
    assert kb.get("not-offered-sms").alternative == "Use a partner."
    assert kb.get("ts-spam").invalid_steps == ("Clear the cache",)
    assert kb.get("process-billing-email").outdated_paths == ()


@pytest.mark.parametrize(
    ("claimed", "agrees"),
    [
        (Duration.exact(14, "days"), True),
        (Duration.exact(2, "weeks"), True),
        (Duration.exact(336, "hours"), True),
        (Duration.exact(14, "business_days"), False),  # a business day is not a day
        (Duration.exact(15, "days"), False),
    ],
)
def test_durations_compare_within_their_unit(claimed, agrees):
    assert Duration.exact(14, "days").agrees_with(claimed) is agrees


def test_a_month_is_not_thirty_days_and_ranges_hold_their_ends():
    assert not Duration.exact(1, "months").agrees_with(Duration.exact(30, "days"))
    assert Duration.exact(1, "years").agrees_with(Duration.exact(12, "months"))
    span = Duration(5, 10, "business_days")
    assert span.agrees_with(Duration.exact(10, "business_days"))
    assert span.agrees_with(Duration(5, 10, "business_days"))
    assert not span.agrees_with(Duration(3, 5, "business_days"))
    assert not span.agrees_with(Duration.exact(10, "days"))


def test_company_comes_with_the_knowledge_base(kb):
    assert kb.company == Company.from_mapping(COMPANY)
    assert kb.company_names == ("Acme Widgets", "Acme Cloud")
    assert kb.company.help_host == "help.acme.test"
    assert kb.currency_symbol == "€"


def test_version_follows_the_company_too():
    plain = KnowledgeBase.from_facts(FACTS)
    assert plain.company is None
    assert plain.version != KnowledgeBase.from_facts(FACTS, company=COMPANY).version
    renamed = {**COMPANY, "name": "Acme Gadgets"}
    assert (
        KnowledgeBase.from_facts(FACTS, company=renamed).version
        != KnowledgeBase.from_facts(FACTS, company=COMPANY).version
    )


def _write_content(root: Path) -> None:
    (root / "knowledge_base").mkdir(parents=True)
    (root / "knowledge_base" / "kb.yaml").write_text(yaml.safe_dump({"facts": FACTS}))
    (root / "company.yaml").write_text(yaml.safe_dump(COMPANY))


def test_from_directory_reads_company_yaml_from_the_content_dir_or_beside_the_kb(tmp_path):
    _write_content(tmp_path)
    from_root = KnowledgeBase.from_directory(tmp_path)
    from_folder = KnowledgeBase.from_directory(tmp_path / "knowledge_base")
    assert from_root.company.name == from_folder.company.name == "Acme Widgets"
    assert from_root.version == from_folder.version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"duration": {"value": 3, "unit": "fortnights"}}, "unit 'fortnights'"),
        ({"duration": {"min": 9, "max": 2, "unit": "days"}}, "min"),
        ({"by_plan": {"Team": {"unit": "days"}}}, "by_plan.Team"),
    ],
)
def test_bad_durations_name_the_fact_and_field(change, message):
    bad = fact("policy-bad", "policy", {"policy": "Bad", **change})
    with pytest.raises(KnowledgeBaseError, match="policy-bad") as raised:
        KnowledgeBase.from_facts([bad])
    assert message in str(raised.value)


def test_bad_rule_and_price_basis_are_named():
    with pytest.raises(KnowledgeBaseError, match=r"data\.value"):
        KnowledgeBase.from_facts([fact("rule-x", "rule", {"rule": "Something"})])
    with pytest.raises(KnowledgeBaseError, match="price_basis"):
        KnowledgeBase.from_facts(
            [fact("plan-x", "plan", {"plan": "X", "price_basis": "per_moon", "seat_limit": 1})]
        )


def test_company_without_a_name_is_rejected(tmp_path):
    _write_content(tmp_path)
    (tmp_path / "company.yaml").write_text("product: widgets\n")
    with pytest.raises(KnowledgeBaseError, match=r"company\.yaml: field 'name'"):
        KnowledgeBase.from_directory(tmp_path)


SHIPPED = [
    path
    for path in [
        Path(__file__).resolve().parents[2] / "fixtures" / "content",
        *sorted((Path(__file__).resolve().parents[2] / "fixtures" / "packs").glob("*")),
    ]
    if (path / "knowledge_base").is_dir()
]


@pytest.mark.parametrize("root", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_knowledge_base_loads_with_its_company(root):
    kb = KnowledgeBase.from_directory(root)
    assert kb.company is not None and kb.company.name
    assert kb.plans and len(kb) > 10


def test_a_knowledge_base_file_that_is_too_large_or_not_utf8_is_named(tmp_path, settings):
    root = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, root)
    processes = root / "knowledge_base" / "processes.yaml"
    processes.write_bytes(processes.read_bytes().replace(b"Settings", b"Sett\xefngs", 1))
    with pytest.raises(KnowledgeBaseError, match=r"processes.yaml:\d+: not UTF-8 \(byte 0xef\)"):
        KnowledgeBase.from_directory(root)
    settings.CONTENT_MAX_FILE_BYTES = 100
    with pytest.raises(CommandError, match="over the 100 bytes limit per content file"):
        call_command("audit_drafts", "--kb", str(root), "--input", "-", "--output", "-")


def test_a_knowledge_base_yaml_mistake_is_said_in_plain_words(tmp_path, settings):
    root = tmp_path / "content"
    shutil.copytree(settings.CONTENT_DIR, root)
    (root / "company.yaml").write_text("name: Acme\nproduct: Step 2: invoices\n")
    with pytest.raises(KnowledgeBaseError, match=r"company.yaml:2: not valid YAML: a colon"):
        KnowledgeBase.from_directory(root)
