"""The JSON Lines batch commands, on the shipped content and on a content dir they never saw."""

import io
import json
import shutil

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from tests.factories import TONE_ANSWER


def run_bytes(command: str, data: bytes, tmp_path, *args: str) -> tuple[list[dict], str, bool]:
    """Run a batch command on `data` as its input file: (output rows, stderr, whether it
    ended with a CommandError)."""
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_bytes(data)
    err = io.StringIO()
    failed = False
    try:
        call_command(command, *args, "--input", str(source), "--output", str(target), stderr=err)
    except CommandError:
        failed = True
    rows = [json.loads(line) for line in target.read_text().splitlines() if line.strip()]
    return rows, err.getvalue(), failed


def run(command: str, lines: list, tmp_path, *args: str) -> tuple[list[dict], str, bool]:
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    return run_bytes(command, (text + "\n").encode(), tmp_path, *args)


def test_analyze_messages_reports_state_and_spans(tmp_path):
    message = "I have been CHARGED TWICE this month!!! Why does this keep happening?"
    rows, err, failed = run("analyze_messages", [{"id": "m1", "message": message}], tmp_path)
    assert not failed
    (row,) = rows
    assert row["id"] == "m1"
    assert row["state"] in {"urgent", "frustrated", "confused", "satisfied"}
    assert 1 <= row["severity"] <= 10
    assert row["relationship_risk"] in {"low", "medium", "high"}
    for indicator in row["indicators"]:
        assert message[indicator["start"] : indicator["end"]] == indicator["text"]
    assert "1 processed, 0 skipped" in err


def test_bad_lines_are_reported_by_number_and_skipped(tmp_path):
    lines = [
        {"id": 1, "message": "Thank you so much, the reminders are great!"},
        "this is not json",
        {"id": 3},
        {"id": 4, "message": "Where do I find my invoices?"},
    ]
    rows, err, failed = run("analyze_messages", lines, tmp_path)
    assert [row["id"] for row in rows] == [1, 4]
    assert "line 2: not valid JSON" in err
    assert "line 3:" in err and "message" in err
    assert failed  # non-zero exit when lines were skipped


def test_audit_drafts_finds_planted_errors_in_shipped_scenarios(tmp_path):
    scenarios = [
        yaml.safe_load(p.read_text())
        for p in sorted((settings.CONTENT_DIR / "scenarios" / "audit").glob("*.yaml"))
    ]
    lines = [
        {
            "id": s["id"],
            "draft": s["draft"],
            "customer_plan": s["customer"]["plan"],
            "customer_message": s["message"],
        }
        for s in scenarios
    ]
    rows, _, failed = run("audit_drafts", lines, tmp_path, "--kb", str(settings.CONTENT_DIR))
    assert not failed
    assert len(rows) == len(scenarios)
    by_id = {row["id"]: row for row in rows}
    found = planted = 0
    for scenario in scenarios:
        spans = [(f["start"], f["end"]) for f in by_id[scenario["id"]]["findings"]]
        for finding in by_id[scenario["id"]]["findings"]:
            assert scenario["draft"][finding["start"] : finding["end"]] == finding["span"]
        for error in scenario["errors"]:
            planted += 1
            start = scenario["draft"].index(error["span"])
            end = start + len(error["span"])
            found += any(s < end and start < e for s, e in spans)
    assert found / planted >= 0.6, f"found {found} of {planted} planted errors"


def test_grade_replies_scores_six_criteria(tmp_path):
    line = {
        "id": "r1",
        "customer_message": "I have been CHARGED TWICE this month!!! Who approved this?",
        "customer_name": "Derek",
        "customer_plan": "Starter",
        "reply": TONE_ANSWER["reply"],
    }
    rows, _, failed = run("grade_replies", [line], tmp_path, "--kb", str(settings.CONTENT_DIR))
    assert not failed
    (row,) = rows
    assert row["grader"] == "offline"
    assert set(row["criteria"]) == {
        "tone_match", "empathy", "accuracy", "completeness", "next_steps", "personalization"
    }  # fmt: skip
    assert all(0 <= c["score"] <= 3 and c["rationale"] for c in row["criteria"].values())
    assert 0 <= row["overall"] <= 1


def test_grade_replies_with_llm_needs_an_endpoint(tmp_path, settings):
    settings.LLM_BASE_URL = ""
    with pytest.raises(CommandError, match="LLM_BASE_URL"):
        call_command(
            "grade_replies", "--kb", str(settings.CONTENT_DIR), "--grader", "llm",
            "--input", "-", "--output", "-",
        )  # fmt: skip


def test_missing_knowledge_base_fails_clearly(tmp_path):
    with pytest.raises(CommandError, match="knowledge base"):
        call_command(
            "audit_drafts", "--kb", str(tmp_path / "nope"), "--input", "-", "--output", "-"
        )


def unseen_library(tmp_path):
    """A content directory the graders never saw: the shipped one with renamed ids."""
    root = tmp_path / "library"
    shutil.copytree(settings.CONTENT_DIR, root)
    return root


def test_grade_submissions_grades_any_content_directory(tmp_path):
    root = unseen_library(tmp_path)
    example = yaml.safe_load(sorted((root / "examples").glob("*.yaml"))[0].read_text())
    lines = [
        {"id": "s1", "exercise": example["exercise"], "scenario": example["scenario"],
         "answer": example["answer"]},
        {"id": "s2", "exercise": "no-such-exercise", "scenario": example["scenario"],
         "answer": {}},
    ]  # fmt: skip
    rows, err, failed = run("grade_submissions", lines, tmp_path, "--library", str(root))
    assert [row["id"] for row in rows] == ["s1"]
    assert rows[0]["exercise"] == example["exercise"]
    graded = set(example["trainer_grade"]["criteria"])
    assert set(rows[0]["criteria"]) == graded
    assert "line 2: unknown exercise" in err
    assert failed


def test_grade_submissions_rejects_an_invalid_library(tmp_path):
    root = unseen_library(tmp_path)
    (root / "company.yaml").unlink()
    with pytest.raises(CommandError, match="problem"):
        call_command("grade_submissions", "--library", str(root), "--input", "-", "--output", "-")
