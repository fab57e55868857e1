"""The evaluation figures on small tables worked out by hand."""

import pytest

from grading.evaluation import (
    DraftOutcome,
    FoundError,
    LabelledError,
    classification_report,
    criterion_agreement,
    figures_at,
    gaming_variants,
    locate_spans,
    mean_absolute_error,
    robustness_report,
    span_report,
    spans_overlap,
    stuffing_keywords,
    threshold_failures,
)

STATES = ("urgent", "frustrated", "confused", "satisfied")


def test_classification_accuracy_macro_f1_and_confusion():
    gold = ["urgent", "urgent", "frustrated", "confused"]
    predicted = ["urgent", "frustrated", "frustrated", "urgent"]
    report = classification_report(gold, predicted, labels=STATES)
    assert report["accuracy"] == 0.5
    urgent, frustrated, confused = (report["per_label"][s] for s in STATES[:3])
    # urgent: 1 of 2 predictions right, 1 of 2 labels found -> F1 0.5
    assert (urgent["precision"], urgent["recall"], urgent["f1"]) == (0.5, 0.5, 0.5)
    # frustrated: precision 1/2, recall 1/1 -> F1 2/3
    assert frustrated["f1"] == pytest.approx(2 / 3)
    # confused: labelled once, never predicted -> precision undefined, F1 0
    assert (confused["precision"], confused["recall"], confused["f1"]) == (None, 0.0, 0.0)
    # satisfied occurs nowhere, so the macro average is over three states
    assert report["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert report["confusion"]["labels"] == list(STATES)
    assert report["confusion"]["matrix"] == [
        [1, 1, 0, 0],
        [0, 1, 0, 0],
        [1, 0, 0, 0],
        [0, 0, 0, 0],
    ]


def test_classification_of_nothing_is_undefined_and_unknown_labels_are_appended():
    empty = classification_report([], [], labels=STATES)
    assert (empty["n"], empty["accuracy"], empty["macro_f1"]) == (0, None, None)
    odd = classification_report(["urgent"], ["angry"], labels=STATES)
    assert odd["confusion"]["labels"][-1] == "angry"
    assert odd["per_label"]["angry"]["recall"] is None


def test_mean_absolute_error():
    assert mean_absolute_error([7, 3, 5], [5, 3, 6]) == 1
    assert mean_absolute_error([], []) is None
    with pytest.raises(ValueError):
        mean_absolute_error([1], [])


def test_spans_overlap_only_when_they_share_a_character():
    assert spans_overlap((0, 5), (4, 9))
    assert not spans_overlap((0, 5), (5, 9))
    assert spans_overlap((3, 4), (0, 10))


def test_locate_spans_finds_every_occurrence():
    assert locate_spans("ab ab", "ab") == ((0, 2), (3, 5))
    assert locate_spans("ab", "cd") == ()


def test_span_recall_and_precision_by_type_and_any_type():
    draft_with_errors = DraftOutcome(
        errors=(
            LabelledError("wrong_price", ((10, 20),)),
            LabelledError("invented_feature", ((30, 40),)),
            LabelledError("wrong_policy", ((50, 60),)),
        ),
        findings=(
            FoundError("wrong_price", 12, 18),  # right place, right type
            FoundError("wrong_policy", 35, 45),  # right place, wrong type
            FoundError("unsupported_claim", 70, 80),  # nothing there
        ),
    )
    clean = DraftOutcome(errors=(), findings=(FoundError("wrong_price", 0, 5),))
    also_clean = DraftOutcome(errors=(), findings=())
    report = span_report([draft_with_errors, clean, also_clean], types=("wrong_price",))
    assert report["typed"]["recall"] == pytest.approx(1 / 3)
    assert report["typed"]["precision"] == pytest.approx(1 / 4)
    assert report["any_type"]["recall"] == pytest.approx(2 / 3)
    assert report["any_type"]["precision"] == pytest.approx(2 / 4)
    price = report["per_type"]["wrong_price"]
    assert (price["errors"], price["found"], price["findings"], price["correct"]) == (1, 1, 2, 1)
    policy = report["per_type"]["wrong_policy"]  # recall by label, precision by finding
    assert (policy["recall"], policy["precision"]) == (0.0, 0.0)
    assert report["per_type"]["unsupported_claim"]["errors"] == 0
    assert report["per_type"]["unsupported_claim"]["recall"] is None
    assert report["clean"] == {
        "drafts": 2,
        "flagged": 1,
        "false_positive_rate": 0.5,
        "findings": 1,
    }


def test_a_span_repeated_in_the_draft_is_found_at_any_occurrence():
    outcome = DraftOutcome(
        errors=(LabelledError("wrong_price", ((0, 3), (10, 13))),),
        findings=(FoundError("wrong_price", 11, 12),),
    )
    assert span_report([outcome])["typed"]["recall"] == 1


def test_span_report_of_nothing():
    report = span_report([])
    assert report["typed"]["recall"] is None and report["typed"]["precision"] is None
    assert report["clean"]["false_positive_rate"] is None


def test_criterion_agreement_matches_the_known_kappa_table():
    # Same table as the grader-quality page's test: 0,1,2,2 against 0,1,2,3 -> 0.875.
    reference = [{"accuracy": s} for s in (0, 1, 2, 3)]
    graded = [{"accuracy": s} for s in (0, 1, 2, 2)]
    result = criterion_agreement(reference, graded, ranges={"accuracy": (0, 3)})
    accuracy = result["criteria"]["accuracy"]
    assert (accuracy["n"], accuracy["exact"], accuracy["adjacent"]) == (4, 0.75, 1.0)
    assert accuracy["kappa"] == pytest.approx(0.875)
    assert result["mean_kappa"] == pytest.approx(0.875)
    assert result["min_kappa_criterion"] == "accuracy"


def test_kappa_edge_cases_one_class_and_empty():
    reference = [{"empathy": 2, "accuracy": 2, "tone": None}] * 3
    graded = [{"empathy": 2, "accuracy": a, "tone": 1} for a in (1, 2, 3)]
    result = criterion_agreement(
        reference, graded, ranges={"empathy": (0, 3), "accuracy": (0, 3), "tone": (0, 3)}
    )
    # Both used one score throughout and agree: kappa undefined, exact agreement 1.
    assert result["criteria"]["empathy"]["kappa"] is None
    assert result["criteria"]["empathy"]["exact"] == 1
    # One side constant, the other varies: no better than chance.
    assert result["criteria"]["accuracy"]["kappa"] == pytest.approx(0)
    # No pairs at all (the reference never scored it).
    assert result["criteria"]["tone"] == {"n": 0, "exact": None, "adjacent": None, "kappa": None}
    assert result["mean_kappa"] == pytest.approx(0)  # only accuracy's kappa is defined
    assert result["undefined_kappa"] == ["empathy", "tone"]
    nothing = criterion_agreement([], [], ranges={"empathy": (0, 3)})
    assert (nothing["mean_kappa"], nothing["min_kappa"]) == (None, None)


def test_gaming_variants_keep_the_reply_and_add_nothing_useful():
    reply = "Hi Dana,\n\nYour export is under Reports > Export.\n\nBest,\nLee"
    variants = dict(
        gaming_variants(
            reply, keywords=["refunds", "SSO"], help_site="https://help.example", index=1
        )
    )
    assert set(variants) == {
        "padded",
        "apology_stuffed",
        "keyword_stuffed",
        "keyword_list",
        "link_appended",
        "instruction_injected",
        "no_spaces",
    }
    # padding goes before the sign-off, apologies after the greeting
    assert variants["padded"].endswith("Best,\nLee")
    assert variants["padded"].index("Reports") < variants["padded"].index("We truly value")
    assert variants["apology_stuffed"].startswith("Hi Dana,\n\nI'm so sorry")
    assert variants["keyword_stuffed"].endswith("refunds, SSO")
    assert variants["keyword_list"] == "refunds, SSO"
    assert variants["link_appended"].endswith("\n\nhttps://help.example")
    assert "SYSTEM" in variants["instruction_injected"]
    assert " " not in variants["no_spaces"]
    bare = dict(gaming_variants(reply, keywords=[], help_site=None))
    assert "keyword_list" not in bare and "link_appended" not in bare


def test_stuffing_keywords_put_the_messages_subject_first_within_the_limit():
    phrases = ["Refund policy", "SSO", "single sign-on", "sso", "Exports and reports"]
    chosen = stuffing_keywords(phrases, customer_message="Where are my reports?", limit=6)
    assert chosen[0] == "Exports and reports"
    assert [p.lower() for p in chosen].count("sso") == 1
    assert sum(len(p.split()) for p in chosen) <= 6


def test_robustness_counts_variants_above_their_plain_reply():
    rows = [("padded", 0.5, 0.5), ("padded", 0.5, 0.6), ("keyword_list", 0.8, 0.2)]
    report = robustness_report(rows)
    assert list(report) == ["padded", "keyword_list"]
    assert report["padded"]["above"] == 1
    assert report["padded"]["mean_delta"] == pytest.approx(0.05)
    assert report["padded"]["max_delta"] == pytest.approx(0.1)
    assert report["keyword_list"] == {
        "n": 1,
        "above": 0,
        "mean_delta": pytest.approx(-0.6),
        "max_delta": pytest.approx(-0.6),
    }


def test_thresholds_on_dotted_paths_with_wildcards():
    report = {
        "messages": {"accuracy": 0.8},
        "replies": {"robustness": {"offline": {"padded": {"above": 0}, "link": {"above": 2}}}},
    }
    assert figures_at(report, "messages.accuracy") == [("messages.accuracy", 0.8)]
    failures = threshold_failures(
        report,
        at_least={"messages.accuracy": 0.9, "drafts.typed.recall": 0.9},
        at_most={"replies.robustness.*.*.above": 0},
    )
    assert failures == [
        "messages.accuracy = 0.800, needs at least 0.9",
        "drafts.typed.recall: not measured (needs at least 0.9)",
        "replies.robustness.offline.link.above = 2.000, needs at most 0",
    ]
    assert threshold_failures(report, at_least={"messages.accuracy": 0.8}) == []
