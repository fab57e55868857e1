"""Finding a typed passage in a text: exact (case and spacing aside), fuzzy, or not at all."""

import pytest

from text_analysis.passages import passage_find

TEXT = "Hi Kwame,\n\nOn your Growth plan you can set it\nup yourself in Settings.\n\nBest,\nSam"


def test_the_same_words_match_exactly_across_a_line_break_and_in_any_case():
    found = passage_find("on your growth plan you can set it up", TEXT)
    assert found.exact and found.score == 100
    assert found.text == "On your Growth plan you can set it\nup"
    assert TEXT[found.start : found.end] == found.text


def test_quotes_and_spaces_around_the_typed_words_are_ignored():
    assert passage_find('  "in Settings."  ', TEXT).text == "in Settings."


def test_typos_match_the_closest_run_of_whole_words():
    found = passage_find("Growth plan yu can set it up yorself", TEXT)
    assert not found.exact and found.score >= 80
    assert found.text == "Growth plan you can set it\nup yourself"


def test_a_partial_word_is_widened_to_the_whole_word():
    found = passage_find("rowth plan you ca", TEXT)
    assert found.text.startswith("Growth") and found.text.endswith("can")


def test_repeated_words_say_how_many_places_hold_them():
    assert passage_find("the fee", "The fee is $5. Later the fee is $6.").occurrences == 2


@pytest.mark.parametrize("typed", ["", "  ", "Hi", "completely unrelated words that are not there"])
def test_nothing_placeable_gives_none(typed):
    assert passage_find(typed, TEXT) is None


def test_a_passage_longer_than_the_text_is_not_found():
    assert passage_find(TEXT + " and more words", "short text") is None
    assert passage_find("anything", "") is None
