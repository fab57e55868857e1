"""manage.py evaluate_grading on small labelled sets written here, with the demo content."""

import io
import json

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

MESSAGES = [
    {
        "id": "m1",
        "message": "I have been CHARGED TWICE this month!!! Why does this keep happening?",
        "state": "frustrated",
        "severity": 7,
        "misleading_cues": False,
    },
    {
        "id": "m2",
        "message": "Thank you so much, the payment reminders are working beautifully!",
        "state": "satisfied",
        "severity": 1,
        "misleading_cues": False,
    },
    {
        "id": "m3",
        "message": "Hello, could you tell me where I set up recurring invoices? Thanks.",
        "state": "confused",
        "severity": 2,
        "misleading_cues": True,
    },
]
DRAFTS = [
    {
        "id": "d1",
        "customer_message": "Do we get SSO on Growth, and what does it cost?",
        "customer_plan": "Growth",
        "draft": "Growth includes SSO and costs $10 a month.",
        "errors": [{"type": "wrong_price", "span": "costs $10 a month"}],
    },
    {
        "id": "d2",
        "customer_message": "Can I send estimates on the Free plan?",
        "customer_plan": "Free",
        "draft": "Yes, every plan can send estimates.",
        "errors": [],
    },
]
GOOD_REPLY = (
    "Hi Ana,\n\nI'm sorry the invoice went missing right before your accountant needs it. "
    "I have re-sent it to your billing email just now, and you can always download it "
    "yourself under Invoices. I'll check in with you this afternoon to make sure it "
    "arrived.\n\nBest,\nLee"
)
REPLIES = [
    {
        "id": "r1",
        "customer_message": "Where is my invoice?! My accountant needs it today.",
        "customer_name": "Ana",
        "customer_plan": "Starter",
        "customer_state": "urgent",
        "reply": GOOD_REPLY,
        "grades": {
            "tone_match": 3,
            "empathy": 2,
            "accuracy": 3,
            "completeness": 3,
            "next_steps": 3,
            "personalization": 3,
        },
    },
    {
        "id": "r2",
        "customer_message": "Why was I charged twice this month? This is the second time.",
        "customer_name": "Bo",
        "customer_plan": "Growth",
        "customer_state": "frustrated",
        "reply": "Please see the help centre.",
        "grades": {
            "tone_match": 1,
            "empathy": 0,
            "accuracy": 2,
            "completeness": 1,
            "next_steps": 1,
            "personalization": 0,
        },
    },
]


def write_jsonl(path, records):
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n",
        encoding="utf-8",
    )
    return path


def evaluate(*args, kb=None) -> tuple[dict | str, str, CommandError | None]:
    out, err = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command(
            "evaluate_grading",
            "--kb",
            str(kb or settings.CONTENT_DIR),
            *args,
            stdout=out,
            stderr=err,
        )
    except CommandError as exc:
        error = exc
    text = out.getvalue()
    return (json.loads(text) if "--json" in args and text else text), err.getvalue(), error


@pytest.fixture
def labelled(tmp_path):
    folder = tmp_path / "dev"
    folder.mkdir()
    write_jsonl(folder / "messages.jsonl", MESSAGES)
    write_jsonl(folder / "drafts.jsonl", DRAFTS)
    write_jsonl(folder / "replies.jsonl", REPLIES)
    return folder


def test_a_directory_of_sets_gives_every_figure_as_json(labelled):
    report, err, error = evaluate(str(labelled), "--json")
    assert error is None, err
    messages = report["messages"]
    assert messages["n"] == 3
    assert 0 <= messages["accuracy"] <= 1 and 0 <= messages["macro_f1"] <= 1
    assert messages["misleading_cues"]["n"] == 1
    assert messages["severity"]["n"] == 3 and messages["severity"]["mae"] >= 0
    assert messages["confusion"]["labels"][:4] == ["urgent", "frustrated", "confused", "satisfied"]
    assert sum(map(sum, messages["confusion"]["matrix"])) == 3
    drafts = report["drafts"]
    assert (drafts["drafts"], drafts["typed"]["errors"], drafts["clean"]["drafts"]) == (2, 1, 1)
    assert drafts["per_type"]["wrong_price"]["errors"] == 1
    assert {"recall", "precision"} <= set(drafts["any_type"])
    offline = report["replies"]["graders"]["offline"]
    assert offline["n"] == 2 and offline["failed"] == 0
    assert list(offline["criteria"]) == [
        "tone_match",
        "empathy",
        "accuracy",
        "completeness",
        "next_steps",
        "personalization",
    ]
    assert all(c["n"] == 2 for c in offline["criteria"].values())
    robustness = report["replies"]["robustness"]["offline"]
    # the demo company's help site comes from its company.yaml
    assert {"padded", "apology_stuffed", "keyword_stuffed", "keyword_list"} <= set(robustness)
    assert {"link_appended", "instruction_injected"} <= set(robustness)
    assert all(row["n"] == 2 and 0 <= row["above"] <= 2 for row in robustness.values())
    assert "2 replies evaluated, 0 skipped" in err


def test_the_text_report_prints_every_table(labelled):
    text, _, error = evaluate(str(labelled), "--no-robustness", "--quiet")
    assert error is None
    for heading in (
        "state accuracy",
        "macro-F1",
        "misleading cues",
        "severity MAE",
        "confusion",
        "type matched",
        "any type",
        "clean drafts flagged",
        "offline grader against the labels",
        "mean kappa",
    ):
        assert heading in text
    assert "Robustness" not in text


def test_a_finding_on_the_planted_span_counts_for_recall(tmp_path):
    path = write_jsonl(tmp_path / "drafts.jsonl", DRAFTS[:1])
    report, _, error = evaluate(str(path), "--json")
    assert error is None
    assert report["drafts"]["typed"]["recall"] == 1.0


def test_bad_lines_are_named_by_file_and_line_and_the_rest_is_measured(tmp_path):
    path = write_jsonl(
        tmp_path / "messages.jsonl",
        [
            MESSAGES[0],
            "not json",
            {"id": "x", "message": "Hello", "state": "angry"},
            {"id": "y", "state": "urgent"},
            {"id": "z", "message": "Hi", "state": "urgent", "severity": 11},
            MESSAGES[1],
        ],
    )
    drafts = write_jsonl(
        tmp_path / "drafts.jsonl",
        [{**DRAFTS[0], "errors": [{"type": "wrong_price", "span": "not in the draft"}]}],
    )
    report, err, error = evaluate(str(path), str(drafts), "--json")
    assert f"{path}: line 2: not valid JSON" in err
    assert f"{path}: line 3: field 'state' must be one of" in err
    assert f"{path}: line 4: field 'message'" in err
    assert f"{path}: line 5: severity must be 1-10" in err
    assert f"{drafts}: line 1: error 1: span 'not in the draft' is not in the draft" in err
    assert report["messages"]["n"] == 2  # the figures are still printed
    assert report["skipped_lines"] == 5
    assert error is not None and "5 line(s) skipped" in str(error)


def test_missing_paths_and_unknown_sets_are_clear_errors(tmp_path):
    _, _, error = evaluate(str(tmp_path / "nowhere.jsonl"))
    assert "nowhere.jsonl: no such file or directory" in str(error)
    _, _, error = evaluate(str(tmp_path))
    assert "no .jsonl files in this directory" in str(error)
    odd = write_jsonl(tmp_path / "odd.jsonl", [{"id": 1, "text": "?"}])
    _, _, error = evaluate(str(odd))
    assert "cannot tell which set this is" in str(error)
    _, _, error = evaluate(str(odd), kb=tmp_path / "no-kb")
    assert "cannot read the knowledge base" in str(error)


def test_a_set_is_recognised_by_its_records_when_its_name_says_nothing(tmp_path):
    path = write_jsonl(tmp_path / "batch-7.jsonl", REPLIES[:1])
    report, _, error = evaluate(str(path), "--json", "--no-robustness")
    assert error is None
    assert report["replies"]["n"] == 1 and "robustness" not in report["replies"]


def test_thresholds_fail_the_command_after_printing(tmp_path):
    path = write_jsonl(tmp_path / "messages.jsonl", MESSAGES)
    report, _, error = evaluate(
        str(path), "--json", "--fail-under", "messages.accuracy=1.01", "--fail-over", "x.y=1"
    )
    assert report["messages"]["n"] == 3
    assert "messages.accuracy = " in str(error) and "needs at least 1.01" in str(error)
    assert "x.y: not measured" in str(error)
    _, _, error = evaluate(str(path), "--fail-under", "messages.accuracy=0")
    assert error is None
    _, _, error = evaluate(str(path), "--fail-under", "accuracy")
    assert "expected FIGURE=VALUE" in str(error)


def test_targets_apply_only_to_the_sets_given(tmp_path):
    path = write_jsonl(tmp_path / "messages.jsonl", MESSAGES)
    _, _, error = evaluate(str(path), "--targets", "--quiet")
    if error is not None:  # whatever the detector scores today, only message targets apply
        assert "drafts." not in str(error) and "replies." not in str(error)


GRADED = [  # auto 0,1,2,2 against trainer 0,1,2,3 on accuracy: kappa 0.875
    {"id": "s1", "grades": {"accuracy": 0, "empathy": 1}, "auto": {"accuracy": 0, "empathy": 1}},
    {"id": "s2", "grades": {"accuracy": 1, "empathy": 1}, "auto": {"accuracy": 1, "empathy": 1}},
    {"id": "s3", "grades": {"accuracy": 2, "empathy": 1}, "auto": {"accuracy": 2}},
    {
        "id": "s4",
        "grades": {"accuracy": 3, "empathy": 1},
        "auto": {"accuracy": 2, "empathy": 1},
        "offline": {"accuracy": 3},
        "range": {"accuracy": [0, 3], "empathy": [0, 3]},
    },
]


def test_trainer_graded_exports_give_the_grader_quality_figures(tmp_path):
    path = write_jsonl(tmp_path / "graded.jsonl", GRADED)
    report, _, error = evaluate(str(path), "--json")
    assert error is None
    auto = report["graded"]["graders"]["auto"]
    assert auto["n"] == 4
    accuracy = auto["criteria"]["accuracy"]
    assert (accuracy["exact"], accuracy["adjacent"]) == (0.75, 1.0)
    assert accuracy["kappa"] == pytest.approx(0.875)
    assert auto["criteria"]["empathy"]["n"] == 3 and auto["criteria"]["empathy"]["kappa"] is None
    assert report["graded"]["graders"]["offline"]["n"] == 1


def test_trainer_graded_export_lines_are_checked(tmp_path):
    path = write_jsonl(
        tmp_path / "graded.jsonl",
        [
            {"id": "a", "grades": {"accuracy": 4}, "auto": {}, "range": {"accuracy": [0, 3]}},
            {"id": "b", "grades": {"accuracy": "high"}, "auto": {}},
            {"id": "c", "grades": {}, "auto": {"accuracy": 1}},
        ],
    )
    _, err, error = evaluate(str(path))
    assert "line 1: grades.accuracy must be 0-3, not 4" in err
    assert "line 2: grades.accuracy must be a whole number" in err
    assert "line 3: field 'grades' must be an object" in err
    assert "3 line(s) skipped" in str(error)


def test_regrade_grades_the_content_examples_again_against_their_trainer(tmp_path):
    examples = [
        yaml.safe_load(p.read_text())
        for p in sorted((settings.CONTENT_DIR / "examples").glob("tone-*.yaml"))
    ]
    records = [
        {
            "id": e["id"],
            "exercise": e["exercise"],
            "scenario": e["scenario"],
            "answer": e["answer"],
            "grades": {k: v["points"] for k, v in e["trainer_grade"]["criteria"].items()},
            "auto": {},
        }
        for e in examples
    ]
    path = write_jsonl(tmp_path / "graded.jsonl", records)
    report, err, error = evaluate(str(path), "--json", "--regrade")
    assert error is None, err
    regraded = report["graded"]["graders"]["regraded_offline"]
    assert regraded["n"] == len(examples)
    assert all(c["n"] > 0 for c in regraded["criteria"].values())
    assert "auto" not in report["graded"]["graders"]  # the export had no automatic grades


def test_details_write_each_records_outcome(labelled, tmp_path):
    details = tmp_path / "details.jsonl"
    _, _, error = evaluate(str(labelled / "drafts.jsonl"), "--details", str(details), "--quiet")
    assert error is None
    rows = [json.loads(line) for line in details.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["d1", "d2"]
    assert rows[0]["errors"][0]["span"] == "costs $10 a month"
    assert "found" in rows[0]["errors"][0]


def test_the_llm_grader_is_measured_beside_the_offline_one(tmp_path, fake_llm):
    path = write_jsonl(tmp_path / "replies.jsonl", REPLIES)
    report, err, error = evaluate(str(path), "--json", "--grader", "llm", "--no-robustness")
    assert error is None, err
    graders = report["replies"]["graders"]
    assert set(graders) == {"offline", "llm"}
    assert graders["llm"]["n"] + graders["llm"]["failed"] == 2
    assert fake_llm.requests  # the endpoint was asked


def test_a_failing_llm_leaves_the_offline_figures(tmp_path, fake_llm):
    fake_llm.stop()
    path = write_jsonl(tmp_path / "replies.jsonl", REPLIES[:1])
    report, err, error = evaluate(str(path), "--json", "--grader", "llm", "--no-robustness")
    assert error is None, err
    assert report["replies"]["graders"]["offline"]["n"] == 1
    llm = report["replies"]["graders"]["llm"]
    assert (llm["n"], llm["failed"], llm["mean_kappa"]) == (0, 1, None)


def test_llm_needs_an_endpoint(tmp_path, settings):
    settings.LLM_BASE_URL = ""
    path = write_jsonl(tmp_path / "replies.jsonl", REPLIES[:1])
    _, _, error = evaluate(str(path), "--grader", "llm")
    assert "--grader llm needs LLM_BASE_URL" in str(error)
