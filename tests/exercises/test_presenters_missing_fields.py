"""An answer saved before one of its fields existed still shows (blank), never a 500."""

import pytest

from exercises.presenters import answer_items


@pytest.mark.parametrize(
    "exercise_type", ["tone", "audit", "context", "empathy", "escalation", "rca"]
)
def test_an_answer_missing_its_fields_shows_blank_items(exercise_type):
    items = answer_items(exercise_type=exercise_type, answer={"reply": "Hi"}, scenario_data={})
    assert items and all(item.label for item in items)  # labelled, nothing filled in
    assert not [item.label for item in items if (item.text or "").strip() == "None"]
