"""Fixtures for the exercises tests: one exercise per type on named shipped scenarios."""

import json
from pathlib import Path

import jsonschema
import pytest
from django.conf import settings
from factory.django import mute_signals

from exercises.signals import submission_committed
from tests.factories import exercise_with_scenarios


@pytest.fixture(autouse=True)
def submission_hook():
    """The ids sent by `submission_committed`, which grading's receiver would have graded:
    here grading stays out (it has its own tests) and the submissions are only recorded."""
    calls: list[int] = []

    def record(sender, *, submission_id: int, **kwargs) -> None:
        calls.append(submission_id)

    with mute_signals(submission_committed):
        submission_committed.connect(record, dispatch_uid="tests.record_submission")
        yield calls
        submission_committed.disconnect(dispatch_uid="tests.record_submission")


@pytest.fixture(autouse=True)
def no_llm(settings):
    settings.LLM_BASE_URL = ""
    settings.LLM_MODEL = ""


SCENARIOS = {
    "tone": ["tone-charged-twice-caps", "tone-confused-credit-note"],
    "audit": ["audit-sso-on-growth", "audit-clean-failed-payment"],
    "context": ["context-prorated-seat-charge"],
    "empathy": ["empathy-repeated-card-declines"],
    "escalation": ["escalation-late-fee-surprise"],
    "rca": ["rca-sso-certificate-change"],
}


@pytest.fixture
def make_exercise(db):
    def make(exercise_type: str, **fields):
        return exercise_with_scenarios(
            type=exercise_type, scenarios=SCENARIOS[exercise_type], **fields
        )

    return make


@pytest.fixture
def tone_exercise(make_exercise):
    return make_exercise("tone")


def valid_answer(exercise_type: str) -> dict:
    """A complete answer of each type for the first scenario in SCENARIOS."""
    reply = "Hi,\n\nI'm sorry about the confusion. Here is what happened and what I did.\n\nSam"
    return {
        "tone": {
            "identified_state": "frustrated",
            "indicators": ["CHARGED TWICE", "!!!"],
            "prompt": "The customer is frustrated. Be empathetic and solution-oriented.",
            "draft_tone_fits": "partly",
            "reply": reply,
        },
        "audit": {
            "findings": [
                {
                    "span": "On your Growth plan you can set it up yourself",
                    "type": "invented_feature",
                    "correction": "SSO is Enterprise only.",
                    "fact_id": "feature-sso-saml",
                    "start": 120,
                    "end": 166,
                }
            ],
            "reply": reply,
            "checklist": ["technical_accuracy", "feature_availability"],
        },
        "context": {
            "summary": "Second follow-up about a $7.50 charge; our first answer was wrong.",
            "relevant_history": ["tkt-30817"],
            "prompt": "Explain the proration. Do not suggest waiting or checking the bank.",
            "reply": reply,
        },
        "empathy": {
            "dimension": "repeated_failure",
            "prompt": "Acknowledge the stress of four declines, then fix it.",
            "draft_empathy_rating": 2,
            "reply": reply,
        },
        "escalation": {
            "sentiment": {
                "primary_emotion": "confused",
                "severity": 3,
                "key_concerns": ["Where the fee came from", "What clients think"],
                "relationship_risk": "low",
                "strategy": "Explain, then fix the invoice.",
            },
            "plan": {
                "acknowledge_first": "The worry about his clients.",
                "lead_solution": "A credit note for the fee.",
                "avoid": "Blaming him.",
                "follow_up": "Confirm once the credit note is sent.",
                "key_message": "We'll fix it today.",
            },
            "reply": reply,
        },
        "rca": {
            "classification": {
                "certificate-replaced": "customer",
                "renewal-window": "internal",
                "no-notice": "customer",
                "template-disabled": "internal",
                "restored": "customer",
                "owner-link-worked": "customer",
                "key-storage": "internal",
                "notice-and-overlap": "customer",
                "affected-totals": "internal",
                "northwind-impact": "customer",
                "northwind-credit": "customer",
            },
            "report": {
                "incident_summary": "On 27 October single sign-on failed for two hours.",
                "root_cause": "A certificate change went out without notice.",
                "immediate_response": "We restored the previous certificate at 20:25 UTC.",
                "preventative_measures": "30 days' notice and an overlap period from now on.",
                "customer_impact": "Your AR team could not sign in; you are due a 20% credit.",
            },
        },
    }[exercise_type]


@pytest.fixture
def answer_schema():
    """Validates a stored answer against fixtures/schema (the graders' contract)."""
    path = Path(settings.BASE_DIR) / "fixtures" / "schema" / "content.schema.json"
    defs = json.loads(path.read_text())["$defs"]

    def validate(exercise_type: str, answer: dict) -> None:
        jsonschema.validate(answer, {"$ref": f"#/$defs/answer_{exercise_type}", "$defs": defs})

    return validate
