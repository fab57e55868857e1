"""Stored knowledge-base facts accept every category the knowledge-base model reads."""

from exercises.models import KnowledgeFact
from grading.detectors.knowledge_base import CATEGORIES


def test_every_knowledge_base_category_is_a_stored_choice():
    assert set(KnowledgeFact.Category.values) == set(CATEGORIES)
