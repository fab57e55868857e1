"""The batch grader on a content directory it has never seen: another company, another KB."""

import io
import json
import shutil

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command

from grading.content.files import read_content
from grading.content.validation import validate_bundle

REPLY = (
    "Hi Mia,\n\nI'm sorry the export failed twice before your audit; that is stressful with "
    "a deadline on Friday. On the Crew plan, exports live under Reports > Export > CSV, and "
    "I have started one for you now. I'll email you by 3pm today to confirm it finished.\n\n"
    "Best,\nLee"
)


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def build_library(root):
    """A minimal library for 'Harbor Ledger', a bookkeeping app, with one tone exercise."""
    write(
        root / "company.yaml",
        {
            "name": "Harbor Ledger",
            "product": "bookkeeping",
            "help_site": "https://help.harborledger.example",
        },
    )
    site = "https://help.harborledger.example"
    write(root / "knowledge_base" / "kb.yaml", {"facts": [
        {"id": "plan-solo", "category": "plan", "title": "Solo plan",
         "statement": "Solo costs $12 per seat per month, or $120 per seat per year.",
         "source_url": f"{site}/plans", "data": {"plan": "Solo", "monthly_price": 12,
                                                 "annual_price": 120, "seat_limit": 1}},
        {"id": "plan-crew", "category": "plan", "title": "Crew plan",
         "statement": "Crew costs $25 per seat per month, or $250 per seat per year.",
         "source_url": f"{site}/plans", "data": {"plan": "Crew", "monthly_price": 25,
                                                 "annual_price": 250, "seat_limit": 10}},
        {"id": "process-export", "category": "process", "title": "Exporting reports",
         "statement": "Export reports from Reports > Export > CSV.",
         "source_url": f"{site}/export", "data": {"task": "export reports",
            "aliases": ["export", "csv export"], "current_path": "Reports > Export > CSV",
            "outdated_paths": ["Settings > Data > Export"], "changed_on": "2026-06-01"}},
    ]})  # fmt: skip
    shipped = settings.CONTENT_DIR
    (root / "rubrics").mkdir()
    shutil.copy(shipped / "rubrics" / "reply-quality.yaml", root / "rubrics" / "reply-quality.yaml")
    shutil.copy(
        shipped / "rubrics" / "tone-calibration.yaml", root / "rubrics" / "tone-calibration.yaml"
    )
    write(root / "modules" / "01-tone" / "module.yaml", {
        "id": "tone", "title": "Tone", "order": 1, "summary": "Read the customer.",
        "skills": ["Reading tone"]})  # fmt: skip
    write(root / "modules" / "01-tone" / "exercises" / "tone-basics.yaml", {
        "id": "tone-basics", "title": "Tone basics", "order": 1, "type": "tone",
        "rubric": "tone-calibration", "scenarios": ["export-before-audit"],
        "instructions": "Read, prompt, edit.",
        "steps": [{"id": "read", "title": "Read", "help": "Read the message."}]})  # fmt: skip
    message = "My export FAILED twice and the audit is on Friday! Can you help today?"
    write(root / "scenarios" / "tone" / "export-before-audit.yaml", {
        "id": "export-before-audit", "type": "tone", "title": "Export before an audit",
        "customer": {"name": "Mia", "company": "Mia Books", "plan": "Crew"},
        "message": message, "kb_facts": ["process-export", "plan-crew"],
        "gold": {"state": "urgent", "secondary_state": "frustrated", "severity": 7,
                 "indicators": [{"kind": "all_caps", "text": "FAILED"},
                                {"kind": "urgency_words", "text": "today"}]},
        "drafts": {"generic": "Hello, please try again.", "calibrated": "Hi Mia."}})  # fmt: skip


@pytest.fixture
def library(tmp_path):
    root = tmp_path / "harbor"
    build_library(root)
    errors = validate_bundle(read_content(root))
    assert errors == [], [str(e) for e in errors]
    return root


def grade(library, tmp_path, reply: str) -> dict:
    answer = {"identified_state": "urgent", "indicators": ["FAILED", "today"],
              "prompt": "Urgent customer on the Crew plan: reassuring, action-first reply "
                        "with the export path Reports > Export > CSV and a time to follow up.",
              "draft_tone_fits": "no", "reply": reply}  # fmt: skip
    source = tmp_path / "in.jsonl"
    line = {"id": "x", "exercise": "tone-basics", "scenario": "export-before-audit",
            "answer": answer}  # fmt: skip
    source.write_text(json.dumps(line) + "\n")
    out = io.StringIO()
    call_command("grade_submissions", "--library", str(library), "--input", str(source),
                 "--output", "-", stdout=out, stderr=io.StringIO())  # fmt: skip
    return json.loads(out.getvalue().strip().splitlines()[-1])


def test_grades_every_criterion_of_an_unseen_library(library, tmp_path):
    row = grade(library, tmp_path, REPLY)
    assert row["rubric"] == "tone-calibration"
    assert set(row["criteria"]) >= {"tone_match", "accuracy", "state_identification"}
    assert row["criteria"]["state_identification"]["score"] >= 2
    assert row["criteria"]["indicator_spotting"]["score"] == 3


def test_uses_the_unseen_knowledge_base_for_accuracy(library, tmp_path):
    right = grade(library, tmp_path, REPLY)
    wrong = grade(library, tmp_path, REPLY.replace(
        "On the Crew plan,", "The Crew plan is only $99 per seat per month, and"))  # fmt: skip
    assert wrong["criteria"]["accuracy"]["score"] < right["criteria"]["accuracy"]["score"]
    assert wrong["criteria"]["accuracy"]["score"] == 1  # exactly one contradicted claim
