"""The orientation module "From answering to editing": first in the curriculum, its lessons
written without the company's name, and its keep / verify / add exercise graded by the
accuracy-audit rubric (keeping a clean draft and catching a wrong one both score)."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from curriculum.models import Exercise, Lesson, Module
from grading.detectors.knowledge_base import KnowledgeBase
from grading.offline import grade_answer

CONTENT = Path(settings.CONTENT_DIR)
MODULE_DIR = CONTENT / "modules" / "00-from-answering-to-editing"


def test_the_orientation_comes_first_with_its_lessons_and_exercise(loaded_content):
    first = Module.objects.filter(retired_at__isnull=True).order_by("order", "title").first()
    assert first.slug == "from-answering-to-editing"
    lessons = list(Lesson.objects.filter(module=first).order_by("order"))
    assert [lesson.title for lesson in lessons] == [
        "How the role changes",
        "Three concerns, and how the method answers them",
        "Keep, verify, add",
    ]
    body = lessons[0].body
    assert all(f"{n}. **" in body for n in range(1, 6))  # the five steps
    concerns = lessons[1].body
    for answer in (
        "judgement over typing speed",
        "systematic verification instead of blind trust",
        "the AI draft is a floor, not a ceiling",
    ):
        assert answer in concerns
    exercise = Exercise.objects.get(slug="orientation-keep-verify-add")
    assert (exercise.module, exercise.type) == (first, "audit")
    links = exercise.scenario_links.order_by("order")
    assert list(links.values_list("scenario__slug", flat=True)) == [
        "audit-euros-on-starter",
        "audit-clean-seats-upgrade",
    ]


def test_the_orientation_names_no_company():
    company = yaml.safe_load((CONTENT / "company.yaml").read_text(encoding="utf-8"))
    names = [company["name"], *company.get("product_names", [])]
    for path in MODULE_DIR.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8").lower()
            assert not any(name.lower() in text for name in names), path


@pytest.fixture(scope="module")
def audit_setup():
    rubric = yaml.safe_load((CONTENT / "rubrics" / "accuracy-audit.yaml").read_text("utf-8"))
    return KnowledgeBase.from_directory(CONTENT), rubric


def _scenario(slug):
    return yaml.safe_load((CONTENT / "scenarios" / "audit" / f"{slug}.yaml").read_text("utf-8"))


def _grade(setup, scenario, answer):
    kb, rubric = setup
    verdict = grade_answer(
        exercise_type="audit", scenario=scenario, answer=answer, rubric=rubric, kb=kb
    )
    return {cid: score.points for cid, score in verdict.criteria.items()}


CHECKED = [
    "technical_accuracy",
    "feature_availability",
    "pricing_accuracy",
    "policy_compliance",
    "completeness",
    "context_appropriateness",
]


def test_keeping_a_clean_draft_scores_better_than_flagging_a_correct_sentence(audit_setup):
    scenario = _scenario("audit-clean-seats-upgrade")
    kept = {"findings": [], "checklist": CHECKED, "reply": scenario["draft"]}
    flagged = {
        **kept,
        "findings": [
            {
                "span": "Starter includes up to 3 seats",
                "type": "wrong_policy",
                "fact_id": "plan-starter",
                "correction": "Starter has 5 seats.",
            }
        ],
    }
    assert (
        _grade(audit_setup, scenario, kept)["errors_found"]
        > (_grade(audit_setup, scenario, flagged)["errors_found"])
    )


def _help_site() -> str:
    return yaml.safe_load((CONTENT / "company.yaml").read_text("utf-8"))["help_site"]


def test_verifying_and_adding_beats_sending_the_draft_as_is(audit_setup):
    scenario = _scenario("audit-euros-on-starter")
    as_is = {"findings": [], "checklist": [], "reply": scenario["draft"]}
    verified = {
        "findings": [
            {
                "span": error["span"],
                "type": error["type"],
                "fact_id": error["fact_id"],
                "correction": error["correction"],
            }
            for error in scenario["errors"]
        ],
        "checklist": CHECKED,
        "reply": (
            "Hi Sofia,\n\nCongratulations on your first client in Portugal! Invoicing in "
            "euros needs the Growth plan: multi-currency invoicing isn't on Starter. For your "
            "2 seats Growth is $30 per seat per month, so $60 a month (or $576 a year billed "
            "annually), prorated for the rest of this billing period. Details: "
            f"{_help_site()}/plans/growth\n\nBest,\nSam"
        ),
    }
    before, after = _grade(audit_setup, scenario, as_is), _grade(audit_setup, scenario, verified)
    assert after["errors_found"] > before["errors_found"]
    assert sum(p or 0 for p in after.values()) > sum(p or 0 for p in before.values())
