"""Editing metrics: normalised edit distance, its classes, time on task and the word diff."""

from datetime import timedelta

import pytest
from django.utils import timezone

from exercises import metrics


def test_identical_text_is_sent_as_drafted():
    assert metrics.edit_distance("Hello there", "Hello there") == 0
    assert metrics.edit_class(0.0) == "as_drafted"


def test_line_endings_and_outer_whitespace_are_not_edits():
    assert metrics.edit_distance("Hi\nthere\n", "  Hi\r\nthere") == 0


def test_completely_different_text_is_rewritten():
    distance = metrics.edit_distance("aaaa", "zzzzzzzz")
    assert distance == 1
    assert metrics.edit_class(distance) == "rewritten"


@pytest.mark.parametrize(
    ("distance", "expected"),
    [
        (0.0, "as_drafted"),
        (0.0499, "as_drafted"),
        (0.05, "light"),
        (0.2999, "light"),
        (0.3, "substantial"),
        (0.6999, "substantial"),
        (0.7, "rewritten"),
        (1.0, "rewritten"),
        (None, "no_draft"),
    ],
)
def test_edit_class_boundaries(distance, expected):
    assert metrics.edit_class(distance) == expected


def test_small_edit_of_a_long_draft_is_light():
    draft = "Thanks for reaching out. " * 10
    final = draft.replace("Thanks", "Thank you very much", 3)
    assert metrics.edit_class(metrics.edit_distance(draft, final)) == "light"


def test_time_on_task_counts_seconds_and_never_goes_negative():
    start = timezone.now()
    assert (
        metrics.time_on_task_seconds(started_at=start, finished_at=start + timedelta(minutes=3))
        == 180
    )
    assert (
        metrics.time_on_task_seconds(started_at=start, finished_at=start - timedelta(seconds=5))
        == 0
    )


def test_word_diff_marks_insertions_and_deletions_and_rebuilds_both_texts():
    draft = "Hi Derek! Great question! You were charged twice."
    final = "Hi Derek, I understand. You were charged twice."
    segments = metrics.word_diff(draft, final)
    ops = {segment.op for segment in segments}
    assert ops == {"equal", "insert", "delete"}
    old = "".join(s.text for s in segments if s.op != "insert")
    new = "".join(s.text for s in segments if s.op != "delete")
    assert old == draft
    assert new == final
    assert any(s.op == "delete" and "Great question!" in s.text for s in segments)
    assert any(s.op == "insert" and "understand." in s.text for s in segments)
