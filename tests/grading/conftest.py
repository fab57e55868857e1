"""Shared fixtures for the grading tests: a small knowledge base and the shipped content dir."""

from pathlib import Path

import pytest

from grading.detectors.knowledge_base import KnowledgeBase

CONTENT_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "content"

FACTS = [
    {
        "id": "plan-starter",
        "category": "plan",
        "title": "Starter plan",
        "statement": (
            "Starter costs $15 per seat per month billed monthly, or $144 per seat per year."
        ),
        "source_url": "https://help.example.test/plans/starter",
        "data": {"plan": "Starter", "monthly_price": 15, "annual_price": 144, "seat_limit": 3},
    },
    {
        "id": "plan-growth",
        "category": "plan",
        "title": "Growth plan",
        "statement": "Growth costs $30 per seat per month, or $288 per seat per year.",
        "source_url": "https://help.example.test/plans/growth",
        "data": {"plan": "Growth", "monthly_price": 30, "annual_price": 288, "seat_limit": 25},
    },
    {
        "id": "feature-reminders",
        "category": "feature",
        "title": "Payment reminders",
        "statement": "Starter and Growth send payment reminders by email. There is no SMS option.",
        "source_url": "https://help.example.test/reminders",
        "data": {
            "feature": "Payment reminders",
            "aliases": ["payment reminders", "reminders", "SMS reminders"],
            "plans": ["Starter", "Growth"],
        },
    },
    {
        "id": "feature-multi-currency",
        "category": "feature",
        "title": "Multi-currency",
        "statement": "Growth can invoice in other currencies.",
        "source_url": "https://help.example.test/multi-currency",
        "data": {
            "feature": "Multi-currency invoicing",
            "aliases": ["multi-currency", "multiple currencies"],
            "plans": ["Growth"],
        },
    },
    {
        "id": "policy-refund",
        "category": "policy",
        "title": "Refund window",
        "statement": "We refund a subscription charge if asked within 30 days of the charge date.",
        "source_url": "https://help.example.test/refunds",
        "data": {"policy": "Refund window", "aliases": ["refund", "money back"], "days": 30},
    },
    {
        "id": "sla-starter",
        "category": "sla",
        "title": "Starter support",
        "statement": "Starter accounts get a first response within 24 hours.",
        "source_url": "https://help.example.test/support",
        "data": {"plan": "Starter", "first_response_hours": 24},
    },
    {
        "id": "process-update-card",
        "category": "process",
        "title": "Update card",
        "statement": "Go to Settings > Billing > Payment methods to change your card.",
        "source_url": "https://help.example.test/billing/card",
        "data": {
            "task": "Update the card",
            "aliases": ["update card", "change card", "new card"],
            "current_path": "Settings > Billing > Payment methods",
            "outdated_paths": ["Account > Subscription > Update card"],
            "changed_on": "2026-09-15",
        },
    },
    {
        "id": "ts-email-missing",
        "category": "troubleshooting",
        "title": "Invoice email not received",
        "statement": "Check the Activity tab; ask the client to check spam.",
        "source_url": "https://help.example.test/email-missing",
        "data": {
            "problem": "Client did not receive the invoice email",
            "aliases": ["never got the invoice", "invoice not received"],
            "steps": [
                "Open the invoice and check the Activity tab for the delivery status",
                "Ask the client to check their spam folder",
            ],
            "invalid_steps": [
                "Clear the Tallyfront cache under Settings > Advanced",
                "Turn on Priority delivery for the invoice",
            ],
        },
    },
]


@pytest.fixture
def kb() -> KnowledgeBase:
    return KnowledgeBase.from_facts(FACTS)


@pytest.fixture(scope="session")
def shipped_kb() -> KnowledgeBase:
    if not (CONTENT_DIR / "knowledge_base").is_dir():
        pytest.skip("fixtures/content/knowledge_base is not there yet")
    return KnowledgeBase.from_directory(CONTENT_DIR)
