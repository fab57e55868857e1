"""Editing metrics: how much of the AI draft the agent changed, time on task, word diffs."""

import difflib
import re
from dataclasses import dataclass
from datetime import datetime

from rapidfuzz.distance import Levenshtein

# Class boundaries on the normalised edit distance (0 = identical, 1 = nothing in common).
AS_DRAFTED_BELOW = 0.05
LIGHT_BELOW = 0.3
SUBSTANTIAL_BELOW = 0.7

_TOKEN = re.compile(r"\s+|[^\s]+")


def normalise_text(text: str) -> str:
    """Line endings and surrounding whitespace never count as an edit (browsers send CRLF)."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def edit_distance(draft: str, final: str) -> float:
    """Character-level Levenshtein distance divided by the longer text's length (0..1)."""
    return round(Levenshtein.normalized_distance(normalise_text(draft), normalise_text(final)), 4)


def edit_class(distance: float | None) -> str:
    """The Submission.EditClass value for a distance; None means no AI draft was used."""
    if distance is None:
        return "no_draft"
    if distance < AS_DRAFTED_BELOW:
        return "as_drafted"
    if distance < LIGHT_BELOW:
        return "light"
    if distance < SUBSTANTIAL_BELOW:
        return "substantial"
    return "rewritten"


def time_on_task_seconds(*, started_at: datetime, finished_at: datetime) -> int:
    return max(0, int((finished_at - started_at).total_seconds()))


@dataclass(frozen=True)
class DiffSegment:
    """One run of the word diff: op is "equal", "insert" or "delete"."""

    op: str
    text: str


def word_diff(draft: str, final: str) -> list[DiffSegment]:
    """A word-level diff of the AI draft against the final reply.

    Whitespace runs are tokens too, so the segments joined back give the texts exactly;
    a change run keeps its deletions together, then its insertions, so it reads as
    "this phrase became that one". Templates render the segments with auto-escaping
    inside <ins>/<del>.
    """
    old = _TOKEN.findall(normalise_text(draft))
    new = _TOKEN.findall(normalise_text(final))
    raw: list[tuple[str, str, str]] = []  # (op, old text, new text)
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        raw.append(
            ("equal" if tag == "equal" else "change", "".join(old[i1:i2]), "".join(new[j1:j2]))
        )
    # Whitespace-only equal runs between two changes belong to the change around them.
    for index in range(1, len(raw) - 1):
        op, text, _ = raw[index]
        if (
            op == "equal"
            and not text.strip()
            and raw[index - 1][0] == raw[index + 1][0] == "change"
        ):
            raw[index] = ("change", text, text)
    segments: list[DiffSegment] = []
    pending_old, pending_new = "", ""

    def flush() -> None:
        nonlocal pending_old, pending_new
        if pending_old:
            segments.append(DiffSegment("delete", pending_old))
        if pending_new:
            segments.append(DiffSegment("insert", pending_new))
        pending_old, pending_new = "", ""

    for op, old_text, new_text in raw:
        if op == "change":
            pending_old += old_text
            pending_new += new_text
        else:
            flush()
            segments.append(DiffSegment("equal", old_text))
    flush()
    return segments
