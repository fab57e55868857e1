"""The loader accepts every knowledge-base construct and names the file and field of a
mistake in one (docs/knowledge-base.md)."""

from pathlib import Path

import pytest

from grading.content.files import read_content
from grading.content.loading import content_check_directory
from grading.content.validation import validate_bundle

PACKS = Path(__file__).resolve().parents[2] / "fixtures" / "packs"

NEW_FACTS = [
    {
        "id": "addon-extra-seat",
        "category": "addon",
        "title": "Extra seats",
        "statement": "Extra seats cost $8 per seat per month on Growth and Enterprise.",
        "source_url": "https://help.tallyfront.example/billing/extra-seats",
        "data": {
            "addon": "Extra seat",
            "aliases": ["additional seat"],
            "price": 8,
            "per": "seat",
            "period": "month",
            "plans": ["Growth", "Enterprise"],
        },
    },
    {
        "id": "policy-report-history",
        "category": "policy",
        "title": "Report history",
        "statement": "Reports are kept for 3 months on Free and 2 years on Enterprise.",
        "source_url": "https://help.tallyfront.example/reports/history",
        "data": {
            "policy": "Report history",
            "aliases": ["old reports"],
            "by_plan": {
                "Free": {"value": 3, "unit": "months"},
                "Enterprise": {"value": 2, "unit": "years"},
            },
        },
    },
    {
        "id": "policy-refund-by-cycle",
        "category": "policy",
        "title": "Refunds by billing cycle",
        "statement": "Refunds within 7 days on monthly billing and 30 days on annual billing.",
        "source_url": "https://help.tallyfront.example/billing/refunds",
        "data": {
            "policy": "Refund window by cycle",
            "aliases": ["refund by cycle"],
            "by_billing_cycle": {
                "monthly": {"value": 7, "unit": "days"},
                "annual": {"value": 30, "unit": "days"},
            },
        },
    },
    {
        "id": "policy-processing",
        "category": "policy",
        "title": "Refund processing",
        "statement": "Refunds take 5-10 business days to arrive.",
        "source_url": "https://help.tallyfront.example/billing/refunds#timing",
        "data": {
            "policy": "Refund processing",
            "aliases": ["refund arrive"],
            "duration": {"min": 5, "max": 10, "unit": "business_days"},
        },
    },
]


def _add_facts(content_copy, facts) -> str:
    path = "knowledge_base/zz-extra.yaml"
    content_copy.write(path, {"facts": facts})
    return path


def _errors(root) -> list:
    _, errors = content_check_directory(path=root)
    return errors


def test_every_new_construct_is_accepted(content_copy):
    _add_facts(content_copy, NEW_FACTS)
    assert [str(e) for e in _errors(content_copy.root)] == []


def test_old_forms_still_load(content_copy):
    old = [
        {
            "id": "policy-old-days",
            "category": "policy",
            "title": "Old policy",
            "statement": "Something takes 14 days.",
            "source_url": "https://help.tallyfront.example/old",
            "data": {"policy": "Old", "aliases": ["old"], "days": 14},
        },
        {
            "id": "sla-old-hours",
            "category": "sla",
            "title": "Old SLA",
            # No figure: the shipped Growth SLA says 8 *business* hours, and the content's
            # self-check would (rightly) report "within 8 hours" as a wrong policy.
            "statement": "Growth's first-response target, in the old form.",
            "source_url": "https://help.tallyfront.example/old-sla",
            "data": {"plan": "Growth", "first_response_hours": 8},
        },
        {
            "id": "ts-old",
            "category": "troubleshooting",
            "title": "Old article",
            "statement": "Restart it.",
            "source_url": "https://help.tallyfront.example/old-ts",
            "data": {
                "problem": "It broke",
                "aliases": ["broke"],
                "steps": ["Restart it"],
                "invalid_steps": ["Kick it"],
            },
        },
    ]
    _add_facts(content_copy, old)
    assert [str(e) for e in _errors(content_copy.root)] == []


def _with(fact: dict, **data) -> dict:
    return {**fact, "data": {**fact["data"], **data}}


@pytest.mark.parametrize(
    ("fact", "field", "message"),
    [
        (
            _with(NEW_FACTS[3], duration={"value": 3, "unit": "fortnights"}),
            "facts[0].data.duration.unit",
            "'fortnights' is not one of",
        ),
        (
            _with(NEW_FACTS[3], duration={"min": 10, "max": 5, "unit": "days"}),
            "facts[0].data.duration",
            "min is above its max",
        ),
        (
            _with(NEW_FACTS[1], by_plan={"Gold": {"value": 1, "unit": "years"}}),
            "facts[0].data.by_plan.Gold",
            "unknown plan 'Gold'",
        ),
        (
            _with(NEW_FACTS[0], plans=["Growth", "Platinum"]),
            "facts[0].data.plans[1]",
            "unknown plan 'Platinum'",
        ),
        (
            _with(NEW_FACTS[0], period="fortnightly"),
            "facts[0].data.period",
            "is not one of",
        ),
        (
            {**NEW_FACTS[0], "source_url": "https://elsewhere.example/extra-seats"},
            "facts[0].source_url",
            "not under the help site",
        ),
        (
            {
                **NEW_FACTS[0],
                "category": "rule",
                "data": {"rule": "Seats roll over", "aliases": ["roll"], "value": "no"},
            },
            "facts[0].data.value",
            "is not of type 'boolean'",
        ),
    ],
)
def test_a_mistake_names_the_file_and_field(content_copy, fact, field, message):
    path = _add_facts(content_copy, [fact])
    errors = _errors(content_copy.root)
    matching = [e for e in errors if e.path == path and e.field == field and message in e.message]
    assert matching, [str(e) for e in errors]
    assert str(matching[0]).startswith(f"{path}:")


def test_company_accepts_product_names_and_currency_and_rejects_a_bad_one(content_copy):
    content_copy.edit("company.yaml", lambda d: d.update(currency="usd"))
    errors = _errors(content_copy.root)
    assert any(e.path == "company.yaml" and e.field == "currency" for e in errors)
    content_copy.edit("company.yaml", lambda d: d.update(currency="EUR", product_names=["X"]))
    assert _errors(content_copy.root) == []


@pytest.mark.parametrize(
    "pack", sorted(p for p in PACKS.glob("*") if (p / "company.yaml").is_file())
)
def test_each_pack_knowledge_base_and_company_validate(pack):
    errors = validate_bundle(read_content(pack))
    own = [e for e in errors if e.path.startswith(("knowledge_base/", "company.yaml"))]
    assert [str(e) for e in own] == []
