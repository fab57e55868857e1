"""The one vocabulary of the method: customer states, finding types, the verification
checklist, empathy dimensions, escalation emotions and risks, and RCA report sections.

Each is a tuple of (id, label) pairs; `ids(...)` gives the ids. The content schema's enums
are checked against these (tests/content/test_vocabulary.py).
"""

STATES = (
    ("urgent", "Urgent"),
    ("frustrated", "Frustrated"),
    ("confused", "Confused"),
    ("satisfied", "Satisfied"),
)
FINDING_TYPES = (
    ("invented_feature", "Invented feature"),
    ("wrong_price", "Wrong price or contract term"),
    ("wrong_policy", "Wrong policy"),
    ("outdated_process", "Outdated process"),
    ("fake_troubleshooting", "Fake troubleshooting step"),
    ("irrelevant_answer", "Answers a different question"),
)
CHECKLIST = (
    ("technical_accuracy", "Technical accuracy"),
    ("feature_availability", "Feature availability for the customer's plan"),
    ("pricing_accuracy", "Pricing accuracy"),
    ("policy_compliance", "Policy compliance"),
    ("completeness", "Completeness: every question answered"),
    ("context_appropriateness", "Context appropriateness"),
)
DIMENSIONS = (
    ("financial_stress", "Financial stress"),
    ("repeated_failure", "Repeated technical failure"),
    ("time_pressure", "Time pressure"),
    ("confusion", "Confusion"),
    ("disappointment", "Disappointment"),
)
EMOTIONS = (
    ("angry", "Angry"),
    ("frustrated", "Frustrated"),
    ("anxious", "Anxious"),
    ("disappointed", "Disappointed"),
    ("confused", "Confused"),
)
RISKS = (("low", "Low"), ("medium", "Medium"), ("high", "High"))
AUDIENCES = (("customer", "Customer-relevant"), ("internal", "Internal only"))
RCA_SECTIONS = (
    ("incident_summary", "Incident summary"),
    ("root_cause", "Root cause"),
    ("immediate_response", "Immediate response"),
    ("preventative_measures", "Preventative measures"),
    ("customer_impact", "Customer-specific impact"),
)
# Which checklist item a finding of each type falls under.
CHECK_FOR_FINDING = {
    "invented_feature": "feature_availability",
    "wrong_price": "pricing_accuracy",
    "wrong_policy": "policy_compliance",
    "outdated_process": "technical_accuracy",
    "fake_troubleshooting": "technical_accuracy",
    "irrelevant_answer": "context_appropriateness",
}


def ids(choices: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The ids of a vocabulary, in order."""
    return tuple(key for key, _ in choices)
