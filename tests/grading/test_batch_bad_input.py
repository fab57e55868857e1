"""Bad input to the JSON Lines batch commands: each bad line is named and the rest processed."""

import io
import json

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from grading.batch import BatchLimits, read_lines, run_jsonl
from tests.factories import TONE_ANSWER

from .test_batch_commands import run_bytes

MESSAGE = "Where do I find my invoices?"


def jsonl(*records) -> bytes:
    return b"".join(
        (r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records
    )


def test_a_line_over_the_limit_is_skipped_and_the_rest_processed(tmp_path):
    long = {"id": "big", "message": "help " * 400}
    data = jsonl({"id": 1, "message": MESSAGE}, long, {"id": 3, "message": MESSAGE})
    rows, err, failed = run_bytes("analyze_messages", data, tmp_path, "--max-line-bytes", "1000")
    assert [row["id"] for row in rows] == [1, 3]
    assert "line 2: longer than the 1 KB limit per line" in err
    assert "BATCH_MAX_LINE_BYTES" in err
    assert "2 processed, 1 skipped" in err
    assert failed


def test_the_line_limit_comes_from_settings(tmp_path, settings):
    settings.BATCH_MAX_LINE_BYTES = 100
    data = jsonl({"id": 1, "message": "x" * 200}, {"id": 2, "message": MESSAGE})
    rows, err, _ = run_bytes("analyze_messages", data, tmp_path)
    assert [row["id"] for row in rows] == [2]
    assert "line 1: longer than the 100 bytes limit per line" in err


def test_a_ten_megabyte_line_is_never_held_whole():
    data = jsonl({"id": 1, "message": MESSAGE}) + b"x" * 10_000_000 + b"\n" + jsonl({"id": 3})
    reads = []

    class Spy(io.BytesIO):
        def readline(self, size=-1):
            line = super().readline(size)
            reads.append(len(line))
            return line

    lines = list(read_lines(Spy(data), BatchLimits(line_bytes=1_000_000, file_bytes=10**9)))
    assert [(n, problem is None) for n, _, problem in lines] == [(1, True), (2, False), (3, True)]
    assert max(reads) <= 1_000_001


def test_past_the_file_limit_the_rest_is_not_read(tmp_path):
    data = jsonl(*({"id": n, "message": MESSAGE} for n in range(1, 11)))
    per_line = len(data) // 10
    rows, err, failed = run_bytes(
        "analyze_messages", data, tmp_path, "--max-file-bytes", str(per_line * 3 + 1)
    )
    assert [row["id"] for row in rows] == [1, 2, 3]
    assert "line 4: the input is larger than the" in err
    assert "this line and the rest were not read" in err
    assert failed


def test_an_invalid_utf8_byte_costs_only_its_line(tmp_path):
    bad = b'{"id": 2, "message": "caf\xe9 is closed"}'
    data = jsonl({"id": 1, "message": MESSAGE}, bad, {"id": 3, "message": "Café, merci ✓"})
    rows, err, failed = run_bytes("analyze_messages", data, tmp_path)
    assert [row["id"] for row in rows] == [1, 3]
    assert "line 2: not valid UTF-8 (byte 0xe9 at byte 26 of the line)" in err
    assert failed


def test_a_byte_order_mark_is_not_an_error(tmp_path):
    data = b"\xef\xbb\xbf" + jsonl({"id": 1, "message": MESSAGE})
    rows, _, failed = run_bytes("analyze_messages", data, tmp_path)
    assert [row["id"] for row in rows] == [1]
    assert not failed


@pytest.mark.parametrize(
    ("record_id", "said"),
    [
        ({"a": 1}, "an object"),
        ([1, 2], "an array"),
        (None, "null"),
        (True, "true/false"),
        (1.5, "a decimal number"),
    ],
)
def test_an_id_that_is_not_a_string_or_number_is_refused(tmp_path, record_id, said):
    data = jsonl({"id": record_id, "message": MESSAGE}, {"id": "ok", "message": MESSAGE})
    rows, err, failed = run_bytes("analyze_messages", data, tmp_path)
    assert [row["id"] for row in rows] == ["ok"]
    assert f"line 1: field 'id' must be a string or a whole number, not {said}" in err
    assert failed


def test_a_missing_id_is_named(tmp_path):
    rows, err, _ = run_bytes("analyze_messages", jsonl({"message": MESSAGE}), tmp_path)
    assert rows == []
    assert "line 1: missing field 'id'" in err


def test_deeply_nested_json_is_a_line_error(tmp_path):
    nested = b'{"id": 1, "message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    data = jsonl(nested, {"id": 2, "message": MESSAGE})
    rows, err, _ = run_bytes("analyze_messages", data, tmp_path)
    assert [row["id"] for row in rows] == [2]
    assert "line 1: nested more than 64 levels deep" in err


def test_a_message_of_the_wrong_type_is_named(tmp_path):
    rows, err, _ = run_bytes("analyze_messages", jsonl({"id": 1, "message": ["hi"]}), tmp_path)
    assert rows == []
    assert "line 1: field 'message' must be a string, not an array" in err


def draft_line(**fields) -> dict:
    return {"id": "d", "draft": "The Pro plan costs $10 a month.", **fields}


def test_audit_drafts_refuses_an_unknown_plan(tmp_path):
    data = jsonl(
        draft_line(id="d1", customer_plan="Platinum Deluxe"),
        draft_line(id="d2", customer_plan="Starter"),
        draft_line(id="d3", customer_plan={"name": "Starter"}),
    )
    rows, err, failed = run_bytes("audit_drafts", data, tmp_path, "--kb", str(settings.CONTENT_DIR))
    assert [row["id"] for row in rows] == ["d2"]
    assert "line 1: unknown plan 'Platinum Deluxe' in field 'customer_plan'" in err
    assert "the knowledge base has Free, Starter" in err
    assert "line 3: field 'customer_plan' must be a string, not an object" in err
    assert failed


def test_grade_replies_refuses_an_unknown_plan(tmp_path):
    line = {
        "id": "r1",
        "customer_message": "I was charged twice!",
        "customer_plan": "Gold",
        "reply": TONE_ANSWER["reply"],
    }
    rows, err, _ = run_bytes(
        "grade_replies", jsonl(line), tmp_path, "--kb", str(settings.CONTENT_DIR)
    )
    assert rows == []
    assert "line 1: unknown plan 'Gold'" in err


def _example():
    path = sorted((settings.CONTENT_DIR / "examples").glob("*.yaml"))[0]
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        ("just text", "field 'answer' must be an object, not str"),
        ({"reply": 42}, "field 'answer.reply': 42 is not of type 'string'"),
        ({"colour": "blue"}, "field 'answer' has none of the fields of a"),
    ],
)
def test_grade_submissions_refuses_wrongly_typed_answers(tmp_path, answer, said):
    example = _example()
    good = {"id": "ok", "exercise": example["exercise"], "scenario": example["scenario"]}
    data = jsonl({**good, "id": "bad", "answer": answer}, {**good, "answer": example["answer"]})
    rows, err, failed = run_bytes(
        "grade_submissions", data, tmp_path, "--library", str(settings.CONTENT_DIR)
    )
    assert [row["id"] for row in rows] == ["ok"]
    assert f"line 1: {said}" in err
    assert failed


def test_grade_submissions_refuses_an_object_as_exercise(tmp_path):
    example = _example()
    line = {"id": 1, "exercise": {"id": "x"}, "scenario": example["scenario"], "answer": {}}
    rows, err, _ = run_bytes(
        "grade_submissions", jsonl(line), tmp_path, "--library", str(settings.CONTENT_DIR)
    )
    assert rows == []
    assert "line 1: field 'exercise' must be a string, not an object" in err


def test_evaluation_sets_skip_an_undecodable_line(tmp_path):
    sets = tmp_path / "sets"
    sets.mkdir()
    good = {"id": "m1", "message": MESSAGE, "state": "confused"}
    (sets / "messages.jsonl").write_bytes(jsonl(good, b'{"id": "m2", "message": "\xff"}'))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command(
            "evaluate_grading", str(sets), "--kb", str(settings.CONTENT_DIR), "--quiet",
            stdout=io.StringIO(), stderr=err,
        )  # fmt: skip
    assert "messages.jsonl: line 2: not valid UTF-8" in err.getvalue()


def test_run_jsonl_reads_bytes_from_any_stream():
    out, err = io.StringIO(), io.StringIO()
    summary = run_jsonl(io.BytesIO(jsonl({"id": 1, "n": 2})), out, err, lambda r: {"id": r["id"]})
    assert (summary.processed, summary.skipped) == (1, 0)
    assert json.loads(out.getvalue()) == {"id": 1}


def test_one_endless_line_past_the_file_limit_stops_reading():
    source = io.BytesIO(b"x" * 5_000_000)
    lines = list(read_lines(source, BatchLimits(line_bytes=1000, file_bytes=100_000)))
    assert len(lines) == 1
    assert "limit per file" in lines[0][2]
    assert source.tell() < 200_000


def test_an_unnamed_set_is_recognised_past_a_bad_first_line(tmp_path):
    from grading.evaluation_sets import kind_of

    path = tmp_path / "set.jsonl"
    path.write_bytes(b"\xff\xfe broken\n" + jsonl({"id": 1, "message": MESSAGE}))
    assert kind_of(path) == "messages"
