"""JSON from outside, parsed with a nesting limit: deep nesting is a clear error, never a
RecursionError (the one rule for the ticket API and the batch commands)."""

import json
import re
from typing import Any

# Nothing Coachline accepts nests deeper than a handful of levels (a ticket, an answer
# with findings); 64 leaves room and stays far below Python's recursion limit.
MAX_JSON_DEPTH = 64

# A string (skipped whole, escapes included) or a bracket: enough to count the nesting
# without parsing, in one linear pass.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_OPENERS = frozenset(b"[{")


class JSONInputError(ValueError):
    """Input that is not JSON we accept; the message says why in plain words."""


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than `limit` (invalid JSON is left to
    the parser to describe)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group(0)
        if token[0] in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        elif token[0] != 0x22:  # a closing bracket ('"' opens a string)
            depth -= 1
    return False


def json_loads_limited(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads, refusing input nested deeper than `max_depth` before parsing it."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if json_depth_exceeds(raw, max_depth):
        raise JSONInputError(f"nested more than {max_depth} levels deep")
    try:
        return json.loads(raw)
    except RecursionError:  # belt and braces: the check above should have caught it
        raise JSONInputError(f"nested more than {max_depth} levels deep") from None
