"""The claim checker on companies it was not written around: an invented third company
(per-account and per-user plans, per-label overage, a rule that voided labels still count)
and the second shipped pack; every true statement of every shipped KB audits clean."""

import json
from pathlib import Path

import pytest

from grading.detectors.claims import audit_draft, check_claims
from grading.detectors.knowledge_base import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]

SITE = "https://help.parcelpoint.test"
COMPANY = {
    "name": "Parcelpoint",
    "product": "shipping labels for online stores",
    "product_names": ["Parcelpoint Returns"],
    "help_site": SITE,
}


def fact(fid, category, title, statement, path, data):
    return {
        "id": fid,
        "category": category,
        "title": title,
        "statement": statement,
        "source_url": f"{SITE}/{path}",
        "data": data,
    }


FACTS = [
    fact(
        "plan-basic",
        "plan",
        "Basic plan",
        (
            "Basic costs $19 a month billed monthly, or $190 a year billed annually, for the "
            "whole account. It includes 2 users and allows up to 2 users."
        ),
        "plans/basic",
        {
            "plan": "Basic",
            "price_basis": "per_account",
            "monthly_price": 19,
            "annual_price": 190,
            "seats_included": 2,
            "seat_limit": 2,
            "extra_seats": "none",
        },
    ),
    fact(
        "plan-shop",
        "plan",
        "Shop plan",
        (
            "Shop costs $59 a month billed monthly, or $588 a year billed annually ($49 a month), "
            "for the whole account. It includes 5 users; more users can be added up to 15."
        ),
        "plans/shop",
        {
            "plan": "Shop",
            "price_basis": "per_account",
            "monthly_price": 59,
            "annual_price": 588,
            "seats_included": 5,
            "seat_limit": 15,
            "extra_seats": "purchasable",
        },
    ),
    fact(
        "plan-warehouse",
        "plan",
        "Warehouse plan",
        (
            "Warehouse is priced per user: $25 per user per month billed monthly, or $240 per "
            "user per year billed annually. There is no user limit."
        ),
        "plans/warehouse",
        {
            "plan": "Warehouse",
            "price_basis": "per_seat",
            "monthly_price": 25,
            "annual_price": 240,
            "seat_limit": None,
        },
    ),
    fact(
        "addon-extra-user",
        "addon",
        "Extra users",
        "Extra users on Shop cost $8 per user per month.",
        "billing/extra-users",
        {
            "addon": "Extra user",
            "aliases": ["additional user", "more users"],
            "price": 8,
            "per": "user",
            "period": "month",
            "plans": ["Shop"],
        },
    ),
    fact(
        "addon-returns",
        "addon",
        "Returns portal",
        "The Parcelpoint Returns portal is an add-on for $29 a month on Shop and Warehouse.",
        "returns/portal",
        {
            "addon": "Returns portal",
            "aliases": ["Parcelpoint Returns", "returns page", "return labels portal"],
            "price": 29,
            "per": "account",
            "period": "month",
            "plans": ["Shop", "Warehouse"],
        },
    ),
    fact(
        "quota-labels",
        "quota",
        "Monthly labels",
        (
            "Basic includes 100 labels a month, Shop 1,000 and Warehouse 10,000. The allowance "
            "resets on the billing date; unused labels do not roll over. Labels beyond the "
            "allowance cost $0.10 each."
        ),
        "billing/labels",
        {
            "quota": "Monthly labels",
            "aliases": ["label allowance", "label limit", "labels"],
            "unit": "labels",
            "by_plan": {"Basic": 100, "Shop": 1000, "Warehouse": 10000},
            "resets": "monthly",
            "rollover": False,
            "overage": {"price": 0.10, "per": "label"},
        },
    ),
    fact(
        "rule-voided-count",
        "rule",
        "Voided labels count",
        "Voided labels still count toward the monthly label allowance.",
        "billing/labels#voided",
        {
            "rule": "Voided labels count toward the label allowance",
            "aliases": ["voided labels", "void a label", "cancelled labels"],
            "value": True,
        },
    ),
    fact(
        "feature-batch-printing",
        "feature",
        "Batch printing",
        "Batch printing of up to 500 labels at once is available on Shop and Warehouse.",
        "labels/batch",
        {
            "feature": "Batch printing",
            "aliases": ["print in bulk", "bulk printing", "batch print"],
            "plans": ["Shop", "Warehouse"],
        },
    ),
    fact(
        "feature-rate-shopping",
        "feature",
        "Rate comparison",
        "Every plan compares carrier rates on each order.",
        "labels/rates",
        {
            "feature": "Rate comparison",
            "aliases": ["compare rates", "rate shopping", "cheapest carrier"],
            "plans": ["Basic", "Shop", "Warehouse"],
        },
    ),
    fact(
        "not-offered-freight",
        "not_offered",
        "Freight shipping",
        "Parcelpoint does not book freight or pallet (LTL) shipments.",
        "faq/freight",
        {"thing": "Freight shipping", "aliases": ["freight", "pallet shipping", "LTL"]},
    ),
    fact(
        "policy-refund",
        "policy",
        "Subscription refunds",
        (
            "Subscription charges can be refunded within 7 days on monthly billing and within 30 "
            "days on annual billing."
        ),
        "billing/refunds",
        {
            "policy": "Subscription refund window",
            "aliases": ["refund", "money back"],
            "by_billing_cycle": {
                "monthly": {"value": 7, "unit": "days"},
                "annual": {"value": 30, "unit": "days"},
            },
        },
    ),
    fact(
        "policy-void-credit",
        "policy",
        "Credit for voided labels",
        (
            "The postage of a voided label is credited back to your balance in 15-30 days, once "
            "the carrier confirms it was not used."
        ),
        "labels/void",
        {
            "policy": "Voided label postage credit",
            "aliases": ["postage refund", "credit for a voided label", "get the postage back"],
            "duration": {"min": 15, "max": 30, "unit": "days"},
        },
    ),
    fact(
        "policy-void-window",
        "policy",
        "Void window",
        "A label can be voided for up to 28 days after it is created.",
        "labels/void#window",
        {
            "policy": "Label void window",
            "aliases": ["void window", "void deadline", "how long to void"],
            "duration": {"value": 28, "unit": "days"},
        },
    ),
    fact(
        "sla-basic",
        "sla",
        "Support on Basic",
        "Basic accounts get email support with a first response within 2 business days.",
        "support",
        {
            "plan": "Basic",
            "channels": ["email"],
            "first_response": {"value": 2, "unit": "business_days"},
        },
    ),
    fact(
        "sla-shop",
        "sla",
        "Support on Shop",
        "Shop accounts get email and chat support with a first response within 1 business day.",
        "support",
        {
            "plan": "Shop",
            "channels": ["email", "chat"],
            "first_response": {"value": 1, "unit": "business_days"},
        },
    ),
    fact(
        "sla-warehouse",
        "sla",
        "Support on Warehouse",
        (
            "Warehouse accounts get email, chat and phone support with a first response within 4 "
            "hours, around the clock."
        ),
        "support",
        {
            "plan": "Warehouse",
            "channels": ["email", "chat", "phone"],
            "first_response": {"value": 4, "unit": "hours"},
        },
    ),
    fact(
        "process-connect-carrier",
        "process",
        "Connect a carrier account",
        "Connect your own carrier account at Settings > Carriers > Add carrier.",
        "carriers/connect",
        {
            "task": "Connect a carrier account",
            "aliases": ["connect carrier", "add my UPS account", "carrier account"],
            "current_path": "Settings > Carriers > Add carrier",
            "outdated_paths": ["Integrations > Carriers"],
        },
    ),
    fact(
        "process-void-label",
        "process",
        "Void a label",
        "To void a label, open Shipments > Labels, select the label and choose Void label.",
        "labels/void#how",
        {
            "task": "Void a label",
            "aliases": ["void a label", "cancel a label"],
            "current_path": "Shipments > Labels > Void label",
            "outdated_paths": ["Orders > Cancel label"],
        },
    ),
    fact(
        "ts-label-not-printing",
        "troubleshooting",
        "Labels print at the wrong size",
        (
            "If labels print at the wrong size, set the label size to 4x6 under Settings > "
            "Printing, print the PDF at 100% scale, and update the Print Helper app."
        ),
        "troubleshooting/printing",
        {
            "problem": "Labels print at the wrong size",
            "aliases": [
                "label too small",
                "label cut off",
                "wrong label size",
                "printing wrong size",
            ],
            "steps": [
                "Set the label size to 4x6 under Settings > Printing",
                "Print the PDF at 100% scale, not Fit to page",
                "Update the Print Helper app to the latest version",
            ],
        },
    ),
]


@pytest.fixture(scope="module")
def third_kb() -> KnowledgeBase:
    return KnowledgeBase.from_facts(FACTS, company=COMPANY)


THIRD_CASES = [
    # text, customer plan, billing cycle, customer message, the finding types expected
    ("Basic is $19 a month, or $190 a year if you pay annually.", None, None, None, set()),
    ("Basic is $19 per user per month.", None, None, None, {"wrong_price"}),
    ("Shop is $49 a month on monthly billing.", None, None, None, {"wrong_price"}),
    ("Shop works out to $49 a month when billed annually.", None, None, None, set()),
    ("For your 4 packers, Warehouse would be $100 a month.", None, None, None, set()),
    ("Warehouse is $25 a month for the whole team.", None, None, None, {"wrong_price"}),
    ("Extra users on Shop are $8 per user per month.", None, None, None, set()),
    (
        "You can add extra users on Basic for $8 each per month.",
        None,
        None,
        None,
        {"invented_feature"},
    ),
    ("The returns portal costs $29 a month on Shop.", None, None, None, set()),
    ("The returns portal costs $19 a month.", None, None, None, {"wrong_price"}),
    ("Parcelpoint Returns is included free on Basic.", None, None, None, {"invented_feature"}),
    ("Basic includes 100 labels a month.", None, None, None, set()),
    ("Your plan includes 500 labels a month.", "Shop", None, None, {"wrong_policy"}),
    ("Unused labels roll over to the next month.", None, None, None, {"wrong_policy"}),
    ("Unused labels don't roll over.", None, None, None, set()),
    (
        "Voided labels don't count toward your monthly allowance.",
        None,
        None,
        None,
        {"wrong_policy"},
    ),
    ("Voided labels still count toward your allowance.", None, None, None, set()),
    ("Extra labels beyond your allowance are $0.10 each.", None, None, None, set()),
    ("Extra labels beyond your allowance are $0.25 per label.", None, None, None, {"wrong_price"}),
    ("Batch printing is available on every plan.", None, None, None, {"invented_feature"}),
    ("Batch printing isn't available on Basic.", None, None, None, set()),
    (
        "We can book a pallet shipment for you through Parcelpoint.",
        None,
        None,
        None,
        {"invented_feature"},
    ),
    (
        "Parcelpoint doesn't handle freight, so you'd need a freight broker.",
        None,
        None,
        None,
        set(),
    ),
    ("On monthly billing you can get a refund within 30 days.", None, None, None, {"wrong_policy"}),
    ("Your refund window is 7 days.", "Shop", "monthly", None, set()),
    ("Your refund window is 7 days.", "Shop", "annual", None, {"wrong_policy"}),
    (
        "The postage for a voided label comes back to your balance in 15-30 days.",
        None,
        None,
        None,
        set(),
    ),
    (
        "The postage for a voided label comes back to your balance within 5 business days.",
        None,
        None,
        None,
        {"wrong_policy"},
    ),
    ("You can void a label for up to 28 days after you create it.", None, None, None, set()),
    (
        "You can void a label for up to a month after you create it.",
        None,
        None,
        None,
        {"wrong_policy"},
    ),
    ("Shop customers hear back from support within 1 business day.", None, None, None, set()),
    ("Shop customers hear back from support within 24 hours.", None, None, None, {"wrong_policy"}),
    ("Warehouse includes phone support.", None, None, None, set()),
    ("You can call our support line on the Shop plan.", None, None, None, {"wrong_policy"}),
    ("Connect your UPS account at Settings > Carriers > Add carrier.", None, None, None, set()),
    (
        "Connect your UPS account at Integrations > Carriers.",
        None,
        None,
        None,
        {"outdated_process"},
    ),
    ("Go to Orders > Cancel label to void it.", None, None, None, {"outdated_process"}),
    (
        "Parcelpoint's new Smart Pack mode picks the box for you.",
        None,
        None,
        None,
        {"invented_feature"},
    ),
    ("Shop allows up to 10 users.", None, None, None, {"wrong_policy"}),
    ("Basic includes 2 users.", None, None, None, set()),
    ("Warehouse has no user limit.", None, None, None, set()),
]
THIRD_DRAFTS = [
    # customer message, draft, customer plan, the finding types expected
    (
        "My labels are coming out tiny, cut off on the 4x6 sheets. What do I do?",
        (
            "Sorry about that! 1) Set the label size to 4x6 under Settings > Printing. 2) Print "
            "the PDF at 100% scale rather than Fit to page. 3) Clear your browser cache and "
            "restart the printer. 4) Reinstall your printer driver from the manufacturer's site."
        ),
        "Shop",
        {"fake_troubleshooting"},
    ),
    (
        "My labels are coming out tiny, cut off on the 4x6 sheets. What do I do?",
        (
            "Sorry about that! First, set the label size to 4x6 under Settings > Printing. Then "
            "print the PDF at 100% scale, not Fit to page. If that doesn't fix it, update the "
            "Print Helper app to the latest version."
        ),
        "Shop",
        set(),
    ),
    (
        "How do I void a label I printed by mistake, and do I get the postage back?",
        (
            "You can connect your own carrier account at Settings > Carriers > Add carrier, which "
            "often gives you cheaper rates. Every plan compares carrier rates on each order too."
        ),
        "Basic",
        {"irrelevant_answer"},
    ),
]


def _types(text, kb, plan=None, cycle=None, message=None) -> set[str]:
    findings = audit_draft(
        text, kb, customer_plan=plan, billing_cycle=cycle, customer_message=message
    )
    for finding in findings:
        assert text[finding.start : finding.end] == finding.span
        assert finding.correction
    return {f.type for f in findings}


@pytest.mark.parametrize(("text", "plan", "cycle", "message", "expected"), THIRD_CASES)
def test_claims_about_a_company_the_checker_never_saw(
    third_kb, text, plan, cycle, message, expected
):
    assert _types(text, third_kb, plan, cycle, message) == expected


@pytest.mark.parametrize(("message", "draft", "plan", "expected"), THIRD_DRAFTS)
def test_drafts_about_a_company_the_checker_never_saw(third_kb, message, draft, plan, expected):
    assert _types(draft, third_kb, plan, None, message) == expected


def test_a_fake_step_is_found_without_any_list_of_fakes(third_kb):
    draft = THIRD_DRAFTS[0][1]
    spans = [f.span for f in audit_draft(draft, third_kb, customer_message=THIRD_DRAFTS[0][0])]
    assert spans == [
        "Clear your browser cache and restart the printer",
        "Reinstall your printer driver from the manufacturer's site",
    ]


def test_invented_mode_uses_the_company_name_from_the_kb(third_kb):
    text = "Parcelpoint's new Smart Pack mode picks the box for you."
    claims = check_claims(text, third_kb)
    assert [(c.kind, c.text) for c in claims] == [("feature", "Smart Pack mode")]
    other = KnowledgeBase.from_facts(FACTS, company={**COMPANY, "name": "Boxly"})
    assert check_claims("Boxly's new Smart Pack mode picks the box for you.", other)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("You can use our freight service for pallets.", {"invented_feature"}),
        ("Parcelpoint doesn't handle freight, so you'd need a freight broker.", set()),
        ("For pallets, book with a separate freight carrier.", set()),
        ("Parcelpoint's new Freight Desk sends your pallets too.", {"invented_feature"}),
    ],
)
def test_someone_elses_service_is_not_a_claim_about_ours(third_kb, text, expected):
    assert _types(text, third_kb) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("For your team of 4, Warehouse is $100 a month.", set()),
        ("Warehouse costs $25 a month for your team of 4.", {"wrong_price"}),
        ("Warehouse would be $100 a month in total for your 4 packers.", set()),
        ("Shop plus the returns portal comes to $88 a month.", set()),
        ("Our new AI Box Picker chooses the carton for you.", {"invented_feature"}),
        ("Open the Labels page under Shipments to see them.", set()),
        ("Go to Integrations / Carriers to connect UPS.", {"outdated_process"}),
        ("Set the label size to 4x6 under Settings > Printing.", set()),
    ],
)
def test_totals_named_products_and_paths(third_kb, text, expected):
    assert _types(text, third_kb) == expected


@pytest.mark.parametrize(
    ("text", "plan", "expected"),
    [
        # the agent's own promise is not the support target
        ("I'll reply within 10 minutes with the tracking numbers.", "Shop", set()),
        ("Shop customers hear back from support within 10 minutes.", None, {"wrong_policy"}),
        # the customer's estimate is not the quota
        ("You printed about 1,400 labels last month.", "Shop", set()),
        ("Shop includes 1,400 labels a month.", None, {"wrong_policy"}),
        # a plan named as a label covers its line
        ("Basic: $19 a month and 100 labels a month.", "Warehouse", set()),
        (
            "Yes, you can do this on Basic: batch printing lets you print 50 at once.",
            None,
            {"invented_feature"},
        ),
        # a duration written into a documented step
        ("Update the Print Helper app, then wait 24 hours before printing again.", None, set()),
        # a menu the knowledge base has never heard of
        ("Open Shipments > Insurance > Claims to file it.", None, {"invented_feature"}),
        ("Open Shipments > Labels to find it.", None, set()),
    ],
)
def test_promises_estimates_labels_and_unknown_menus(third_kb, text, plan, expected):
    assert _types(text, third_kb, plan) == expected


def test_the_billing_cycle_the_customer_names_is_used(third_kb):
    message = "We renewed our annual Shop plan last week. Can we still get a refund?"
    text = "Refunds are possible within 7 days of the charge."
    assert _types(text, third_kb, "Shop", None, message) == {"wrong_policy"}
    text = "Refunds are possible within 30 days of the charge."
    assert _types(text, third_kb, "Shop", None, message) == set()


def test_a_problem_named_by_one_rare_word_is_found(third_kb):
    message = "Our labels print tiny and cut off. Help?"
    draft = "Sorry about that! Try rebooting your router and printing again later."
    assert _types(draft, third_kb, "Shop", None, message) == {"fake_troubleshooting"}


def test_a_path_claim_is_only_the_path(third_kb):
    text = "Go to Integrations > Carriers and then pick UPS from the list."
    [claim] = [c for c in check_claims(text, third_kb) if c.kind == "process"]
    assert claim.text == "Integrations > Carriers"


def _shipped_roots() -> list[Path]:
    roots = [ROOT / "fixtures" / "content", *sorted((ROOT / "fixtures" / "packs").glob("*"))]
    return [root for root in roots if (root / "knowledge_base").is_dir()]


def _statements():
    for root in _shipped_roots():
        kb = KnowledgeBase.from_directory(root)
        for fact in kb.facts:
            yield pytest.param(kb, fact.statement, id=f"{root.name}:{fact.id}")


@pytest.mark.parametrize(("kb", "statement"), list(_statements()))
def test_every_true_statement_of_every_shipped_kb_audits_clean(kb, statement):
    assert audit_draft(statement, kb) == []


def test_every_true_statement_of_the_third_company_audits_clean(third_kb):
    for fact in third_kb.facts:
        assert audit_draft(fact.statement, third_kb) == [], fact.id


def _good_drafts():
    """The authored drafts that must agree with the KB: calibrated, with-context and
    empathetic drafts, clean audit drafts and the strong trainer-graded replies."""
    import yaml

    for root in _shipped_roots():
        kb = KnowledgeBase.from_directory(root)
        scenarios = {}
        for path in sorted(root.glob("scenarios/*/*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            scenarios[data["id"]] = data
            customer = data.get("customer") or {}
            plan = customer.get("plan") or (data.get("profile") or {}).get("plan")
            drafts = data.get("drafts") or {}
            texts = [(k, drafts.get(k)) for k in ("calibrated", "with_context", "empathetic")]
            if data.get("type") == "audit" and not data.get("errors"):
                texts.append(("draft", data.get("draft")))
            for key, text in texts:
                if text:
                    yield pytest.param(
                        kb, text, plan, data.get("message"), id=f"{root.name}:{data['id']}:{key}"
                    )
        for path in sorted(root.glob("examples/*strong*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            scenario = scenarios.get(data.get("scenario"), {})
            reply = (data.get("answer") or {}).get("reply")
            if reply:
                plan = (scenario.get("customer") or {}).get("plan")
                yield pytest.param(
                    kb, reply, plan, scenario.get("message"), id=f"{root.name}:{data['id']}"
                )


@pytest.mark.parametrize(("kb", "text", "plan", "message"), list(_good_drafts()))
def test_authored_good_drafts_and_strong_replies_audit_clean(kb, text, plan, message):
    findings = audit_draft(text, kb, customer_plan=plan, customer_message=message)
    assert [(f.type, f.span) for f in findings] == []


LUMENMAIL = ROOT / "fixtures" / "packs" / "lumenmail"


@pytest.fixture(scope="module")
def lumenmail_kb() -> KnowledgeBase:
    if not (LUMENMAIL / "knowledge_base").is_dir():
        pytest.skip("the second pack is not there")
    return KnowledgeBase.from_directory(LUMENMAIL)


LUMENMAIL_CASES = [
    # text, customer plan, billing cycle, the finding types expected
    ("Pro costs $29 a month.", None, None, set()),
    ("Pro costs $35 per seat per month.", None, None, {"wrong_price"}),
    ("The Scale plan is $2,988 per year, which is $249 a month.", None, None, set()),
    ("Scale is $249 a month on monthly billing.", None, None, {"wrong_price"}),
    ("Essentials is $12 a month billed monthly.", None, None, {"wrong_price"}),
    ("Upgrading to Pro for your 3 users would be $87 a month.", None, None, set()),
    ("That's $90 a month for your 3 seats on Pro.", None, None, {"wrong_price"}),
    ("Essentials is $15 per user per month.", None, None, {"wrong_price"}),
    ("Migration onboarding costs $199 per month.", None, None, {"wrong_price"}),
    ("Migration onboarding is a one-time fee of $199.", None, None, set()),
    ("Migration onboarding is available on Essentials for $199.", None, None, {"invented_feature"}),
    ("A dedicated IP is available on Pro.", None, None, {"invented_feature"}),
    ("Overage is billed at $1.50 per 1,000 emails.", None, None, {"wrong_price"}),
    ("Essentials includes 20,000 sends a month.", None, None, {"wrong_policy"}),
    ("Your Pro plan allows 50,000 contacts.", None, None, {"wrong_policy"}),
    ("Scale has unlimited contacts.", None, None, {"wrong_policy"}),
    ("Unused sends roll over to next month.", None, None, {"wrong_policy"}),
    ("Your contact limit resets every month.", None, None, {"wrong_policy"}),
    ("Inbox preview tests don't roll over.", None, None, {"wrong_policy"}),
    ("Refunds on annual plans are available within 14 days.", None, None, {"wrong_policy"}),
    (
        "You can get a full refund within 30 days of the charge.",
        "Essentials",
        "monthly",
        {"wrong_policy"},
    ),
    ("You can get a full refund within 30 days of the charge.", "Essentials", "annual", set()),
    ("Campaign reports are kept for 12 months on your plan.", "Pro", None, {"wrong_policy"}),
    ("Refunds take 3-5 business days to reach your card.", None, None, {"wrong_policy"}),
    ("Domain verification can take up to 2 days.", None, None, set()),
    ("The grace period after a failed payment is one week.", None, None, set()),
    (
        "The compliance review of your first campaign takes up to 48 hours.",
        None,
        None,
        {"wrong_policy"},
    ),
    ("After you close your account we keep your data for 3 months.", None, None, {"wrong_policy"}),
    (
        "As an Essentials customer you'll hear back from support within 24 hours.",
        None,
        None,
        {"wrong_policy"},
    ),
    ("Scale customers get a reply from support within 2 hours.", None, None, set()),
    ("Pro includes phone support.", None, None, {"wrong_policy"}),
    ("You can reach our support team by phone on your plan.", "Essentials", None, {"wrong_policy"}),
    ("Deleted campaigns can be restored by our team within 30 days.", None, None, {"wrong_policy"}),
    (
        "You can import a purchased list as long as it is GDPR compliant.",
        None,
        None,
        {"wrong_policy"},
    ),
    ("Downgrades take effect immediately.", None, None, {"wrong_policy"}),
    (
        "Your downgrade will take effect at the end of your current billing period.",
        None,
        None,
        set(),
    ),
    ("You can schedule Instagram posts from Lumenmail.", None, None, {"invented_feature"}),
    (
        "We don't offer SMS, but you can pair Lumenmail with a separate SMS provider.",
        None,
        None,
        set(),
    ),
    ("Lumenmail doesn't support web push notifications.", None, None, set()),
    ("Go to Settings > Sending domains > Add domain.", None, None, set()),
    ("Head to Account > Billing > Change plan to switch.", None, None, set()),
    ("Open Settings > Subscription > Upgrade to switch.", None, None, {"outdated_process"}),
    ("Go to Audience > Import to upload your contacts.", None, None, {"outdated_process"}),
    ("A/B testing is only available on Scale.", None, None, {"invented_feature"}),
    ("A/B testing is available on Pro and Scale.", None, None, set()),
    ("A/B testing isn't available on Essentials.", None, None, set()),
    ("A/B testing is not available on Pro.", None, None, {"invented_feature"}),
    ("Landing pages were removed from Essentials last year.", None, None, {"invented_feature"}),
    ("Automations are no longer included on Pro.", None, None, {"invented_feature"}),
    ("Your plan doesn't include automations.", "Essentials", None, {"invented_feature"}),
    ("Your plan doesn't include automations.", "Free", None, set()),
    ("Free includes 1 seat and you can't add more.", None, None, set()),
    ("Essentials allows up to 5 seats.", None, None, {"wrong_policy"}),
    ("Extra seats on Pro are $10 per seat per month.", None, None, {"invented_feature"}),
    ("Extra seats are $10 per seat per month on Essentials and Scale.", None, None, set()),
    ("Your Essentials plan includes 5,000 contacts and 15,000 sends a month.", None, None, set()),
    ("Essentials is $144 a year, or $12 a month when billed annually.", None, None, set()),
    (
        (
            "Pro is $288 per seat per year, which saves you $60 per seat compared with monthly "
            "billing."
        ),
        None,
        None,
        set(),
    ),
    (
        "Lumenmail's new Smart Resend feature resends to non-openers automatically.",
        None,
        None,
        {"invented_feature"},
    ),
    ("Our built-in Inbox Booster improves deliverability.", None, None, {"invented_feature"}),
]


@pytest.mark.parametrize(("text", "plan", "cycle", "expected"), LUMENMAIL_CASES)
def test_claims_against_the_second_pack(lumenmail_kb, text, plan, cycle, expected):
    assert _types(text, lumenmail_kb, plan, cycle) == expected


def test_dev_drafts_of_the_second_pack_recall_and_precision(lumenmail_kb):
    """The development half only (the held half is never tuned on): >= 0.9 each."""
    path = ROOT / "fixtures" / "evaluation" / "lumenmail" / "dev" / "drafts.jsonl"
    if not path.is_file():
        pytest.skip("no development drafts")
    labelled = found = findings = correct = 0
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        draft = record["draft"]
        got = audit_draft(
            draft,
            lumenmail_kb,
            customer_plan=record.get("customer_plan"),
            customer_message=record.get("customer_message"),
            billing_cycle=record.get("billing_cycle"),
        )
        gold = []
        for error in record["errors"]:
            start = draft.find(error["span"])
            gold.append((error["type"], start, start + len(error["span"])))
        labelled += len(gold)
        found += sum(
            any(f.type == t and f.start < e and s < f.end for f in got) for t, s, e in gold
        )
        findings += len(got)
        correct += sum(
            any(f.type == t and f.start < e and s < f.end for t, s, e in gold) for f in got
        )
    assert found / labelled >= 0.9
    assert correct / max(1, findings) >= 0.9


def _fake_steps(draft, kb, message=None) -> list[str]:
    findings = audit_draft(draft, kb, customer_plan="Shop", customer_message=message)
    return [f.span for f in findings if f.type == "fake_troubleshooting"]


def test_steps_written_as_gerund_list_items_or_with_keep_are_checked(third_kb):
    message = "Our labels print at the wrong size again."
    draft = (
        "Sorry about that. I'd recommend:\n"
        "- Setting the label size to 4x6 under Settings > Printing\n"
        "- Rotating the PDF by 90 degrees before you print it\n"
        "Also keep each batch under 50 labels."
    )
    assert _fake_steps(draft, third_kb, message) == [
        "Rotating the PDF by 90 degrees before you print it",
        "keep each batch under 50 labels",
    ]


def test_a_fix_the_draft_walks_through_is_checked_whatever_the_customer_called_it(third_kb):
    message = "Since the update everything I print comes out tiny. Help!"  # no problem named
    draft = (
        "Let's sort it:\n"
        "1. Set the label size to 4x6 under Settings > Printing.\n"
        "2. Print the PDF at 100% scale.\n"
        "3. Reset the printer's sensor by holding the feed button for five seconds."
    )
    assert _fake_steps(draft, third_kb, message) == [
        "Reset the printer's sensor by holding the feed button for five seconds"
    ]
    one_step = "Set the label size to 4x6 under Settings > Printing, then restart your laptop."
    assert _fake_steps(one_step, third_kb, message) == []  # one step says no fix is followed


def test_a_step_that_does_what_the_documented_step_says_not_to_is_not_that_step(third_kb):
    message = "Our labels print at the wrong size."
    against = "Set the PDF to Fit to page so nothing is cut off."
    along = "Set the PDF to 100% scale rather than Fit to page."
    assert _fake_steps(against, third_kb, message) == [
        "Set the PDF to Fit to page so nothing is cut off"
    ]
    assert _fake_steps(along, third_kb, message) == []


def test_the_plans_named_by_a_pronoun_in_the_next_sentence_are_checked(third_kb):
    wrong = "Batch printing sends up to 500 labels at once. It's available on your Basic plan."
    right = "Batch printing sends up to 500 labels at once. It's available on your Shop plan."
    other = "Batch printing sends up to 500 labels. Rate comparison is available on Basic too."
    assert _types(wrong, third_kb) == {"invented_feature"}
    assert _types(right, third_kb) == set()
    assert _types(other, third_kb) == set()


def test_of_two_findings_on_one_feature_the_one_naming_the_plans_is_kept(third_kb):
    draft = (
        "You can print in bulk from the Orders page; batch printing is included on all plans, "
        "so you can use it on Basic today."
    )
    findings = audit_draft(draft, third_kb, customer_plan="Basic")
    assert [(f.type, f.span) for f in findings] == [
        ("invented_feature", "batch printing is included on all plans")
    ]


def test_asked_where_to_do_one_task_the_path_of_another_is_an_irrelevant_answer(third_kb):
    message = "How do I void a label I printed by mistake?"
    wrong = "Hi! You can add a carrier account under Settings > Carriers > Add carrier today."
    right = "Hi! Void it under Shipments > Labels > Void label, within a few seconds."
    findings = audit_draft(wrong, third_kb, customer_message=message)
    assert [(f.type, f.fact_id) for f in findings] == [("irrelevant_answer", "process-void-label")]
    assert audit_draft(right, third_kb, customer_message=message) == []


def test_a_price_the_add_on_named_just_before_costs_is_not_read_as_a_plan_price(third_kb):
    right = "The returns portal is a good fit for Shop. The standard price is $29 a month."
    wrong = "The returns portal is a good fit for Shop. The standard price is $24 a month."
    assert _types(right, third_kb, "Shop") == set()
    assert _types(wrong, third_kb, "Shop") == {"wrong_price"}


def test_a_duration_of_the_policy_the_sentence_names_is_checked_against_that_policy(third_kb):
    # the voided-label credit (15-30 days) shares its words, but the void window is named
    wrong = "The void window is 30 days after a label is created."
    right = "The void window is 28 days after a label is created."
    assert _types(wrong, third_kb) == {"wrong_policy"}
    assert _types(right, third_kb) == set()


def test_a_heading_before_a_documented_step_is_not_a_step(third_kb):
    message = "My labels come out the wrong size."
    draft = "Fix the size first: set the label size to 4x6 under Settings > Printing."
    assert _fake_steps(draft, third_kb, message) == []


def test_a_problem_the_draft_names_is_checked_even_when_the_message_names_another(third_kb):
    message = "Quick one: how do I void a label I printed by mistake?"
    draft = (
        "Void it under Shipments > Labels > Void label. If you also get a wrong label size, "
        "turn the printer off for ten minutes."
    )
    assert _fake_steps(draft, third_kb, message) == ["turn the printer off for ten minutes"]


def test_a_billing_cycle_named_before_the_price_is_the_price_s_cycle():
    from grading.detectors.knowledge_base import KnowledgeBase

    kb = KnowledgeBase.from_facts(
        [
            fact(
                "plan-crew",
                "plan",
                "Crew plan",
                "Crew costs $25 per seat per month, or $240 per seat per year.",
                "plans",
                {"plan": "Crew", "monthly_price": 25, "annual_price": 240, "per_seat": True},
            )
        ]
    )

    def prices(text, cycle=None):
        return {
            f.span
            for f in audit_draft(text, kb, customer_plan="Crew", billing_cycle=cycle)
            if f.type == "wrong_price"
        }

    assert prices("Crew on annual billing: $25 per seat a month.") == {"$25 per seat a month"}
    assert prices("Crew on annual billing: $20 per seat a month.") == set()
    assert prices("Your annual Crew invoice shows $300 per seat for the year.") == {"$300 per seat"}
    # the price being switched away from keeps its own cycle
    assert prices("Switching Crew to annual takes it from $25 per seat a month to $20.") == set()


def test_another_products_menu_is_not_ours(third_kb):
    message = "Our labels print at the wrong size."
    draft = (
        "Export it again (in Excel: File > Save As > PDF), then set the size in "
        "Settings > Printing."
    )
    assert _types(draft, third_kb, "Shop", None, message) == set()


def test_a_denial_at_the_start_of_a_clause_is_a_denial(third_kb):
    # 'we don't send' opens the clause: it is not 'the sends you don't use'
    from grading.detectors.claims.base import negated

    assert negated("we don't send text messages on any plan")
    assert not negated("any sends you don't use roll over")


def test_a_number_hyphen_prefix_still_names_the_thing(third_kb):
    from grading.detectors.claims.base import alias_pattern

    assert alias_pattern(["label pack"]).search("a 500-label pack")
    assert not alias_pattern(["label pack"]).search("a multilabel pack")


def test_a_figure_the_text_denies_or_the_customer_gave_is_not_a_wrong_claim(third_kb):
    from grading.detectors.claims import check_claims
    from grading.detectors.claims.base import CONTRADICTED

    def wrong(text, message=None):
        claims = check_claims(text, third_kb, customer_plan="Shop", customer_message=message)
        return [c.text for c in claims if c.status == CONTRADICTED]

    name, wrong_price = "Shop", "$66"  # Shop is $59 a month on monthly billing
    assert wrong(f"{name} costs {wrong_price} a month.")
    assert not wrong(f"{name} costs $59 a month, not {wrong_price} a month.")
    message = f"Why was I charged {wrong_price} a month?"
    assert not wrong(f"Your {wrong_price} a month includes the add-on.", message)
