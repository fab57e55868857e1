"""Labelled cases for the customer message detector, including the hard ones."""

from pathlib import Path

import pytest
import yaml

from grading.detectors.messages import INDICATOR_KINDS, analyze_message

from .conftest import CONTENT_DIR

STATE_CASES = [
    # (message, primary state)
    ("Our site is down and customers can't pay. Please fix this immediately!", "urgent"),
    ("I need the invoices sent by 5pm today, it's urgent.", "urgent"),
    (
        "Hi, sorry to bother you, but our payroll run is due in an hour and invoices are "
        "failing. Could you help as soon as possible? Thank you so much!",
        "urgent",
    ),
    ("Would you be able to look at this before tomorrow morning? Thanks in advance.", "urgent"),
    ("We're locked out and have invoices to approve tonight. Please call me right away.", "urgent"),
    ("Thanks a lot for nothing.", "frustrated"),
    ("Oh great, the sync broke again. Really helpful update.", "frustrated"),
    ("This is the third time I have asked and nothing has been fixed", "frustrated"),
    ("I've explained this three times now and it still isn't working", "frustrated"),
    ("THIS IS RIDICULOUS. I WANT MY MONEY BACK!!!", "frustrated"),
    ("Honestly this is unacceptable, I'm wasting my time chasing you", "frustrated"),
    ("I'm so confused!! Where do I find the invoice settings? What does net 30 mean?", "confused"),
    ("I'm not sure which plan I need. Can you explain the difference?", "confused"),
    ("Ok I pressed save and it says DRAFT!! Did it go to my customer or not?!", "confused"),
    ("I thought the card would be charged monthly, what does prorated mean?", "confused"),
    ("Love the new dashboard, great work team!", "satisfied"),
    ("Thank you so much for sorting the export yesterday, it works perfectly now.", "satisfied"),
    ("Just wanted to say the reminders have been brilliant. Great product!", "satisfied"),
    ("Really appreciate the quick help earlier, you were fantastic.", "satisfied"),
    # Surface cues that mislead: the state follows what the message is for.
    (
        "No rush at all, but the order confirmations stopped sending and our sale opens at "
        "9 tomorrow morning. Whenever you have a moment. Kind regards.",
        "urgent",
    ),
    ("I reported the duplicate charge on the 3rd. It is now the 19th. No reply.", "frustrated"),
    ("Thanks for the 'fix'. The export failed again this morning. Lovely.", "frustrated"),
    ("IT WORKS!!! THE NEW IMPORT IS AMAZING!!! THANK YOU!!!", "satisfied"),
    ("URGENT: how do I change the logo on the PDF? No deadline, just curious lol", "confused"),
    ("Does the API count towards the CSV export limit, or are they separate?", "confused"),
    ("Restore the exports by Friday or we cancel. Three tickets, no answers.", "frustrated"),
    (
        "I was annoyed last week, to be fair, but the refund came through and it has worked "
        "since. Thank you.",
        "satisfied",
    ),
    (
        "A client emailed me with the subject 'URGENT!!! WRONG TOTAL'. Where do totals come from?",
        "confused",
    ),
]


@pytest.mark.parametrize(("message", "state"), STATE_CASES)
def test_primary_state_matches_label(message, state):
    assert analyze_message(message).state == state


INDICATOR_CASES = [
    ("I need this fixed ASAP", "urgency_words", "ASAP"),
    ("Please fix it immediately", "urgency_words", "immediately"),
    ("I have been CHARGED TWICE this month", "all_caps", "CHARGED TWICE"),
    ("Nobody asked me about this!!!", "exclamations", "Nobody asked me about this!!!"),
    ("Why does this keep happening? Who approved this?", "multiple_questions", "Who approved"),
    ("Cancel my plan now. But keep all my invoices.", "contradictory_requests", "keep all"),
    ("Love the new reminders", "positive_language", "Love"),
    ("Thanks so much for the fix. Really.", "positive_language", "Really."),
]


@pytest.mark.parametrize(("message", "kind", "fragment"), INDICATOR_CASES)
def test_indicator_found_with_exact_span(message, kind, fragment):
    found = analyze_message(message).indicators_of(kind)
    assert found, f"no {kind} in {message!r}"
    assert any(fragment in i.text for i in found)
    for indicator in found:
        assert message[indicator.start : indicator.end] == indicator.text


@pytest.mark.parametrize("acronym", ["PDF", "SSO", "API", "VAT", "INV"])
def test_acronyms_are_not_shouting(acronym):
    assert not analyze_message(f"Where is the {acronym} for this?").indicators_of("all_caps")


def test_single_question_is_not_multiple_questions():
    assert not analyze_message("How do I add a logo?").indicators_of("multiple_questions")


def test_sarcastic_thanks_is_not_satisfied_and_not_low_severity():
    result = analyze_message("Thanks a lot for nothing. Great support as always.")
    assert result.state == "frustrated"
    assert result.severity >= 5
    assert result.sarcasm


def test_polite_but_urgent_reads_urgent_with_no_satisfied_secondary():
    result = analyze_message(
        "So sorry to trouble you! Could you possibly help before our bank's cut-off at 4pm "
        "today? Thank you so much."
    )
    assert result.state == "urgent"
    assert result.secondary_state != "satisfied"


def test_frustration_without_capitals_or_exclamations():
    result = analyze_message("this is the fourth time the sync has failed and nobody has replied")
    assert result.state == "frustrated"
    assert not result.indicators_of("all_caps")


def test_confusion_with_exclamations_stays_mild():
    result = analyze_message("Help!! I'm new at all this and I can't find the send button!")
    assert result.state == "confused"
    assert result.severity <= 5


@pytest.mark.parametrize(
    ("message", "low", "high"),
    [
        ("Love it, thanks!", 1, 2),
        ("What does prorated mean?", 2, 4),
        ("The sync failed again, third time this month.", 5, 7),
        ("URGENT!!! Everything is down, we are losing money and I will cancel today!!!", 8, 10),
    ],
)
def test_severity_in_expected_range(message, low, high):
    assert low <= analyze_message(message).severity <= high


@pytest.mark.parametrize(
    ("message", "risk"),
    [
        ("Thanks, all sorted!", "low"),
        ("What does prorated mean?", "low"),
        ("If this isn't fixed today I'm switching to a competitor.", "high"),
        ("Third time this has failed and nothing has been fixed.", "medium"),
    ],
)
def test_relationship_risk(message, risk):
    assert analyze_message(message).relationship_risk == risk


@pytest.mark.parametrize("message", ["", "   ", None])
def test_empty_message_gives_a_calm_default(message):
    result = analyze_message(message)
    assert result.indicators == ()
    assert 1 <= result.severity <= 10


def test_output_shape_for_the_batch_command():
    data = analyze_message("URGENT: fix it now!!").as_dict()
    assert set(data) == {"state", "secondary_state", "severity", "relationship_risk", "indicators"}
    assert all(i["kind"] in INDICATOR_KINDS for i in data["indicators"])


def _tone_scenarios() -> list[dict]:
    folder = CONTENT_DIR / "scenarios" / "tone"
    files = sorted(Path(folder).glob("*.yaml")) if folder.is_dir() else []
    return [yaml.safe_load(f.read_text(encoding="utf-8")) for f in files]


def test_shipped_tone_scenarios_mostly_read_right():
    scenarios = _tone_scenarios()
    if not scenarios:
        pytest.skip("no shipped tone scenarios yet")
    right = sum(analyze_message(s["message"]).state == s["gold"]["state"] for s in scenarios)
    close = sum(
        abs(analyze_message(s["message"]).severity - s["gold"]["severity"]) <= 2 for s in scenarios
    )
    assert right / len(scenarios) >= 0.8
    assert close / len(scenarios) >= 0.75


def test_shipped_gold_indicators_mostly_overlap_detected_ones():
    scenarios = _tone_scenarios()
    if not scenarios:
        pytest.skip("no shipped tone scenarios yet")
    total = hit = 0
    for scenario in scenarios:
        found = analyze_message(scenario["message"]).indicators
        for gold in scenario["gold"]["indicators"]:
            start = scenario["message"].find(gold["text"])
            end = start + len(gold["text"])
            total += 1
            hit += any(i.start < end and start < i.end for i in found)
    assert hit / total >= 0.8


def test_an_ultimatum_is_frustrated_with_urgent_secondary():
    result = analyze_message("Fix the sync by Monday or we move to another provider.")
    assert (result.state, result.secondary_state) == ("frustrated", "urgent")


def test_a_time_inside_a_reported_promise_is_not_a_deadline():
    result = analyze_message(
        "On 2 May your colleague promised a call back within 24 hours. It is now 9 May."
    )
    assert result.state == "frustrated"


@pytest.mark.parametrize(
    ("message", "state"),
    [
        # a deadline hedged with "like" or "about" is still a deadline
        ("lol the wifi died and my interview on Teams is in like 40 minutes, help??", "urgent"),
        # praise for a past rescue is thanks, not a complaint
        (
            "The port went exactly as promised: old network at 9am, yours by 11. Well done.",
            "satisfied",
        ),
    ],
)
def test_purpose_rules_without_the_fitted_model(message, state, settings):
    from grading.detectors.messages import purpose_states, sentiment_compound

    found = purpose_states(message, sentiment_compound(message))
    assert found is not None and found[0] == state
