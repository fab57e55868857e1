"""JSON from outside: a nesting limit checked before parsing, brackets in strings ignored."""

import pytest

from curriculum.json_input import JSONInputError, json_depth_exceeds, json_loads_limited


def test_shallow_json_parses():
    assert json_loads_limited(b'{"tickets": [{"id": 1}]}') == {"tickets": [{"id": 1}]}
    assert json_loads_limited('{"a": "é"}') == {"a": "é"}


@pytest.mark.parametrize("depth", [4, 1000, 1_000_000])
def test_deep_nesting_is_refused_without_recursion(depth):
    with pytest.raises(JSONInputError, match="nested more than 3 levels deep"):
        json_loads_limited(b"[" * depth + b"]" * depth, max_depth=3)


def test_brackets_inside_strings_do_not_count():
    text = b'{"a": "[[[[{{{{", "b": "\\"[[[["}'
    assert not json_depth_exceeds(text, 1)
    assert json_loads_limited(text, max_depth=1)["a"] == "[[[[{{{{"


def test_exactly_at_the_limit_is_accepted():
    assert json_loads_limited(b"[[[1]]]", max_depth=3) == [[[1]]]


def test_invalid_json_is_left_to_the_parser():
    with pytest.raises(ValueError, match="Expecting"):
        json_loads_limited(b"[[[", max_depth=64)
