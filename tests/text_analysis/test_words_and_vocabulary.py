"""The one word count and the one vocabulary, and the content schema's agreement with it."""

import json
from pathlib import Path

import pytest

from text_analysis import vocabulary
from text_analysis.words import word_count

SCHEMA = Path(__file__).resolve().parents[2] / "fixtures" / "schema" / "content.schema.json"


@pytest.mark.parametrize(
    ("text", "count"),
    [("  one two\nthree  ", 3), ("", 0), (None, 0), ("don't stop-believing, 3pm!", 3)],
)
def test_word_count_counts_whitespace_separated_tokens(text, count):
    assert word_count(text) == count


def _enum(*path: str) -> list[str]:
    node = json.loads(SCHEMA.read_text(encoding="utf-8"))["$defs"]
    for key in path:
        node = node[key]
    return node["enum"]


@pytest.mark.parametrize(
    ("choices", "path"),
    [
        (vocabulary.STATES, ("state",)),
        (vocabulary.FINDING_TYPES, ("audit_error", "properties", "type")),
        (vocabulary.FINDING_TYPES, ("audit_finding", "properties", "type")),
        (vocabulary.CHECKLIST, ("answer_audit", "properties", "checklist", "items")),
        (vocabulary.DIMENSIONS, ("scenario_empathy", "properties", "dimension")),
        (vocabulary.EMOTIONS, ("escalation_gold", "properties", "primary_emotion")),
        (vocabulary.RISKS, ("escalation_gold", "properties", "relationship_risk")),
        (vocabulary.AUDIENCES, ("technical_detail", "properties", "audience")),
    ],
)
def test_the_content_schema_uses_the_one_vocabulary(choices, path):
    assert sorted(_enum(*path)) == sorted(vocabulary.ids(choices))


def test_every_finding_type_has_its_checklist_item():
    assert set(vocabulary.CHECK_FOR_FINDING) == set(vocabulary.ids(vocabulary.FINDING_TYPES))
    assert set(vocabulary.CHECK_FOR_FINDING.values()) <= set(vocabulary.ids(vocabulary.CHECKLIST))
