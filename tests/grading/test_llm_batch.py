"""`manage.py grade_replies --grader llm` against the fake Chat Completions server."""

import io
import json

import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from grading.llm.grader import ANSWER_END, ANSWER_START, EXAMPLES_END, EXAMPLES_START
from tests.factories import TONE_ANSWER

REPLY_CRITERIA = {"tone_match", "empathy", "accuracy", "completeness", "next_steps",
                  "personalization"}  # fmt: skip

LINE = {
    "id": "r1",
    "customer_message": (
        "I have been CHARGED TWICE this month. $30 on the 1st and then another $7.50 on the "
        "16th. Why does this keep happening?"
    ),
    "reply": TONE_ANSWER["reply"],
    "customer_name": "Derek",
    "customer_plan": "Starter",
    "customer_state": "frustrated",
}


def grade(tmp_path, *lines: dict, kb=None) -> tuple[list[dict], str, bool]:
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("".join(json.dumps(line) + "\n" for line in lines))
    err, failed = io.StringIO(), False
    try:
        call_command(
            "grade_replies", "--kb", str(kb or settings.CONTENT_DIR), "--grader", "llm",
            "--input", str(source), "--output", str(target), stderr=err,
        )  # fmt: skip
    except CommandError:
        failed = True
    rows = [json.loads(line) for line in target.read_text().splitlines() if line.strip()]
    return rows, err.getvalue(), failed


def scores(points: int = 2, quote: str = "I'm sorry the second charge") -> dict:
    return {
        "criteria": {
            key: {"reasoning": "Checked.", "quote": quote, "score": points}
            for key in REPLY_CRITERIA
        }
    }


def block(text: str, start: str, end: str):
    return json.loads(text[text.index(start) + len(start) : text.index(end)])


def test_grade_replies_with_the_llm_grades_every_criterion(tmp_path, fake_llm):
    fake_llm.default = scores(2)
    rows, err, failed = grade(tmp_path, LINE)
    assert not failed, err
    (row,) = rows
    assert row["grader"] == "llm"
    assert row["model"] == "fake-grader-1"
    assert set(row["criteria"]) == REPLY_CRITERIA
    assert all(c["score"] == 2 and c["max"] == 3 for c in row["criteria"].values())
    assert "flag" not in row


def test_the_model_gets_the_rubric_texts_and_examples_but_not_the_state_label(tmp_path, fake_llm):
    fake_llm.default = scores(2)
    grade(tmp_path, LINE)
    prompt = fake_llm.requests[0]["body"]["messages"][1]["content"]
    context = block(prompt, "<<<CONTEXT", "CONTEXT>>>")
    assert context["scenario"] == {
        "message": LINE["customer_message"],
        "customer": {"name": "Derek", "plan": "Starter"},
    }
    shipped = yaml.safe_load((settings.CONTENT_DIR / "rubrics" / "reply-quality.yaml").read_text())
    assert [c["title"] for c in context["rubric"]] == [c["title"] for c in shipped["criteria"]]
    assert context["rubric"][0]["levels"][0]["description"]
    examples = block(prompt, EXAMPLES_START, EXAMPLES_END)
    assert {item["criterion"] for item in examples} == REPLY_CRITERIA
    data = block(prompt, ANSWER_START, ANSWER_END)
    assert data["answer"] == {"reply": LINE["reply"]}


def test_invented_quotes_void_the_llm_grade_and_flag_the_line(tmp_path, fake_llm):
    fake_llm.default = scores(3, quote="We value you as a customer and apologise sincerely")
    rows, err, failed = grade(tmp_path, LINE)
    assert not failed, err
    (row,) = rows
    assert row["grader"] == "offline"  # the offline grade stands
    assert row["flag"]["reason"] == "llm_void"
    assert "not in the answer" in row["flag"]["detail"]


def test_an_llm_that_fails_for_good_leaves_the_offline_grade_flagged(tmp_path, fake_llm):
    fake_llm.default = {"criteria": {}}  # off-schema three times
    rows, _, failed = grade(tmp_path, LINE)
    assert not failed
    assert rows[0]["grader"] == "offline"
    assert rows[0]["flag"]["reason"] == "llm_failed"


def test_an_endpoint_that_is_down_skips_the_line_for_a_rerun(tmp_path, fake_llm):
    fake_llm.stop()
    rows, err, failed = grade(tmp_path, LINE)
    assert failed and rows == []
    assert "could not be reached" in err


def test_a_knowledge_base_folder_finds_the_rubric_beside_it(tmp_path, fake_llm):
    fake_llm.default = scores(2)
    rows, err, failed = grade(tmp_path, LINE, kb=settings.CONTENT_DIR / "knowledge_base")
    assert not failed, err
    assert rows[0]["grader"] == "llm"
