"""Detectors stay linear on long input (messages, drafts, replies) and answer as before."""

import random
import re

import pytest
from vaderSentiment import vaderSentiment

from grading.detectors.messages import QUESTION, analyze_message, find_questions
from grading.detectors.sentiment import LinearSentimentAnalyzer
from grading.detectors.text import Span, dedupe_overlaps

WORDS = [
    "no",
    "not",
    "never",
    "so",
    "this",
    "but",
    "kind",
    "of",
    "sort",
    "good",
    "bad",
    "great",
    "terrible",
    "without",
    "doubt",
    "at",
    "least",
    "very",
    "!",
    ":)",
    "the",
    "love",
    "hate",
    "help",
    "NOT",
    "GOOD",
    "isn't",
    "nor",
    "or",
    "refund",
    "today?",
]


def _random_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 40))) for _ in range(count)]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "good",
        "never so bad",
        "I love it but the invoices are terrible, no good at all",
        "not bad but not great either but fine",
        "without doubt the best, kind of",
        "bad " * 3 + "but " + "good " * 10,  # repeated scores around the first "but"
        "the bomb at least very good yeah right",
    ],
)
def test_linear_analyzer_scores_like_vader(text):
    stock = vaderSentiment.SentimentIntensityAnalyzer()
    assert LinearSentimentAnalyzer().polarity_scores(text) == stock.polarity_scores(text)


def test_linear_analyzer_scores_like_vader_on_many_word_mixes():
    stock, linear = vaderSentiment.SentimentIntensityAnalyzer(), LinearSentimentAnalyzer()
    for text in _random_texts(600):
        assert linear.polarity_scores(text) == stock.polarity_scores(text), text


def test_negation_and_idiom_checks_read_a_few_words_not_the_whole_message(monkeypatch):
    """The stock checks lower-case every word of the text for every sentiment word: 38 s on
    a 100 KB message. Each check now gets the words around the one it scores."""
    seen = []
    base = vaderSentiment.SentimentIntensityAnalyzer
    for name in ("_negation_check", "_special_idioms_check"):
        original = getattr(base, name)

        def spy(*args, _original=original):
            seen.append(len(args[-3] if len(args) == 4 else args[-2]))
            return _original(*args)

        monkeypatch.setattr(base, name, staticmethod(spy))
    message = "This is not good, never so bad and kind of terrible but I love you. " * 400
    analyze_message(message)
    assert seen
    assert max(seen) <= 12


def test_questions_found_as_before_the_anchor():
    unanchored = re.compile(r"[^.!?\n]*\?+")
    for text in [*_random_texts(300, seed=3), "?", "a?b?", "x.?y??\nz?", "no question"]:
        old = [(m.start(), m.end()) for m in unanchored.finditer(text)]
        new = [(m.start(), m.end()) for m in QUESTION.finditer(text)]
        assert new == old, text


def test_a_long_message_without_terminators_has_no_questions():
    assert find_questions("word " * 20000) == []
    assert find_questions("why " * 20000 + "? and how?")[0].end == len("why " * 20000) + 10


def test_dedupe_overlaps_keeps_the_longest_of_each_kind():
    spans = [
        Span("a", "", 0, 10),
        Span("a", "", 2, 4),
        Span("a", "", 10, 12),
        Span("b", "", 3, 5),
        Span("a", "", 11, 20),
        Span("a", "", 5, 5),
        Span("a", "", 12, 12),
    ]
    kept = dedupe_overlaps(spans)
    assert [(s.kind, s.start, s.end) for s in kept] == [
        ("a", 0, 10),
        ("b", 3, 5),
        ("a", 10, 12),
        ("a", 12, 12),
    ]


def test_dedupe_overlaps_matches_the_pairwise_rule():
    rng = random.Random(5)
    for _ in range(200):
        spans = []
        for _ in range(rng.randint(0, 30)):
            start = rng.randint(0, 50)
            spans.append(Span(rng.choice("ab"), "", start, start + rng.randint(0, 8)))
        expected: list[Span] = []
        for span in sorted(spans, key=lambda s: (s.start, -(s.end - s.start))):
            if not any(
                k.kind == span.kind and k.start < span.end and span.start < k.end for k in expected
            ):
                expected.append(span)
        assert dedupe_overlaps(spans) == sorted(expected, key=lambda s: s.start)


def test_deadline_negation_is_read_just_before_the_cue():
    padding = "we use the app a lot and " * 20
    assert analyze_message(padding + "there is no deadline for this").state != "urgent"


def test_sentence_at_and_before_agree_with_a_scan():
    from grading.detectors.text import sentence_at, sentence_before, sentences

    text = "One. Two, three!  Four?\nFive 1.5 six... seven"
    found = sentences(text)
    for position in range(len(text) + 1):
        scanned = next((s for s in found if s.start <= position < s.end), None)
        assert sentence_at(text, position) == (scanned or type(found[0])(text, 0, len(text)))
        before = [s for s in found if s.end <= position]
        assert sentence_before(text, position) == (before[-1] if before else None)


def test_sentences_are_a_fresh_list_each_time():
    from grading.detectors.text import sentences

    first = sentences("A. B.")
    first.clear()
    assert len(sentences("A. B.")) == 2


def test_reply_spans_inside_ignored_ranges_are_dropped_as_before():
    from grading.detectors.replies import _keep

    rng = random.Random(11)
    for _ in range(200):
        ranges = []
        for _ in range(rng.randint(0, 6)):
            start = rng.randint(0, 40)
            ranges.append(Span("ignored", "", start, start + rng.randint(0, 15)))
        spans = []
        for _ in range(rng.randint(0, 12)):
            start = rng.randint(0, 50)
            spans.append(Span("x", "", start, start + rng.randint(1, 6)))
        expected = tuple(
            s
            for s in dedupe_overlaps(spans)
            if not any(r.start <= s.start and s.end <= r.end for r in ranges)
        )
        assert _keep(spans, tuple(ranges)) == expected


def test_elapsed_time_is_still_read_just_before_a_duration():
    from grading.detectors.quantities import durations_in

    padding = "we like the product a lot and use it daily " * 10
    assert durations_in(padding + "I waited 3 days for an answer") == []
    assert durations_in(padding + "the refund takes 3 days")


def test_a_text_that_never_ends_a_sentence_is_read_in_pieces():
    from grading.detectors.text import MAX_SENTENCE_CHARS, sentences

    text = "Short one. " + "word " * 700 + "end. " + "x" * 2500
    found = sentences(text)
    assert found[0].text == "Short one."
    assert all(text[s.start : s.end] == s.text for s in found)
    assert all(len(s.text) <= MAX_SENTENCE_CHARS for s in found)
    assert all(not s.text.startswith(" ") and " wo" not in s.text[-3:] for s in found)
    assert "".join(s.text for s in found).replace(" ", "") == text.replace(" ", "")


def test_counts_skip_numbers_inside_money_and_durations_as_before():
    from grading.detectors.quantities import counts_in

    text = "We have 12 seats, pay $30 a month, wait 3 days, and 5 users; 10 contacts. " * 3
    counts = counts_in(text)
    assert [(c.value, c.noun) for c in counts] == [
        (12, "seats"),
        (5, "users"),
        (10, "contacts"),
    ] * 3


def test_a_dot_inside_a_file_name_or_address_does_not_end_a_sentence():
    from grading.detectors.text import sentences

    text = "Split contacts_export.csv into two files. See help.example.com/import for more."
    assert [s.text for s in sentences(text)] == [
        "Split contacts_export.csv into two files.",
        "See help.example.com/import for more.",
    ]
    assert [s.text for s in sentences("It costs $12.50. Done")] == ["It costs $12.50.", "Done"]
