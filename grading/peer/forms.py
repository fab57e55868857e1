"""Parsing of the peer-review forms: POST data into the services' input (no rules here)."""

from .services import InlineInput, ReviewInput

QUESTION_FIELDS = ("acknowledges_feelings", "would_feel_heard", "more_empathetic")

# How the author rates a review's helpfulness (PeerReview.helpfulness, 1..5).
HELPFULNESS_CHOICES = [
    (1, "Not helpful"),
    (2, "A little helpful"),
    (3, "Helpful"),
    (4, "Very helpful"),
    (5, "Extremely helpful"),
]


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def parse_scores(post) -> dict[str, str]:
    return {
        name.removeprefix("score__"): post.get(name, "")
        for name in post
        if name.startswith("score__")
    }


def parse_review(post) -> ReviewInput:
    """Every inline comment arrives as five parallel lists (JavaScript adds rows; without
    it the page has one row where the reviewer pastes the passage)."""
    fields = post.getlist("inline_field")
    starts = post.getlist("inline_start")
    ends = post.getlist("inline_end")
    quotes = post.getlist("inline_quote")
    bodies = post.getlist("inline_body")
    inline = [
        InlineInput(
            field=fields[i],
            quote=quotes[i] if i < len(quotes) else "",
            body=bodies[i] if i < len(bodies) else "",
            start=_int_or_none(starts[i] if i < len(starts) else None),
            end=_int_or_none(ends[i] if i < len(ends) else None),
        )
        for i in range(len(fields))
    ]
    return ReviewInput(
        scores=parse_scores(post),
        comments=post.get("comments", ""),
        inline=inline,
        **{name: post.get(name, "") for name in QUESTION_FIELDS},
    )
