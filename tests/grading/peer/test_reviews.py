"""Handing in reviews, combining them, reviewer calibration and the flags that reach trainers."""

import pytest

from grading.models import (
    CalibrationAttempt,
    ExampleSubmission,
    Flag,
    PeerQueueEntry,
    PeerReview,
)
from grading.peer import services
from grading.peer.errors import (
    PeerReviewClosedError,
    PeerReviewNotAllowedError,
    PeerReviewValidationError,
)
from grading.peer.rubric import criteria_of
from grading.peer.selectors import peer_scores_for_submission, reviewer_accuracy_for
from grading.peer.services import InlineInput
from tests.factories import (
    CriterionScoreFactory,
    GradeFactory,
    ReviewerCalibrationAttemptFactory,
)

from .conftest import agents_in, configure, finish, review_input, submit

REPLY = "Hi Derek,\n\nI'm sorry the second charge came as a surprise"


@pytest.fixture
def trio(tone, peer_cohort):
    """Three agents who submitted; returns (agents, their submissions)."""
    agents = agents_in(peer_cohort, 3)
    return agents, [submit(agent) for agent in agents]


def _reviews_of(target, agents, tone):
    """Let the other agents review `target` (each takes the next until it is theirs)."""
    reviews = []
    for agent in agents:
        if agent == target.user:
            continue
        review = services.peer_review_next(reviewer=agent, exercise=tone)
        while review is not None and review.submission != target:
            finish(review)
            review = services.peer_review_next(reviewer=agent, exercise=tone)
        reviews.append(review)
    return reviews


# ---- handing in --------------------------------------------------------------------------


def test_out_of_range_and_missing_scores_are_refused_and_nothing_is_stored(trio, tone):
    agents, _subs = trio
    review = services.peer_review_next(reviewer=agents[0], exercise=tone)
    data = review_input(review, 2)
    keys = [c.key for c in criteria_of(review.rubric_version.snapshot)]
    data.scores[keys[0]] = "7"
    data.scores[keys[1]] = ""
    data.scores[keys[2]] = "na"  # accuracy does not allow n/a
    data.would_feel_heard = "  "
    with pytest.raises(PeerReviewValidationError) as caught:
        services.peer_review_submit(review_id=review.pk, reviewer=agents[0], data=data)
    errors = caught.value.errors
    assert "0 to 3 points" in errors[f"score__{keys[0]}"][0]
    assert f"score__{keys[1]}" in errors
    assert "n/a" in errors[f"score__{keys[2]}"][0]
    assert "would_feel_heard" in errors
    review.refresh_from_db()
    assert review.status == PeerReview.Status.IN_PROGRESS
    assert not review.scores.exists()


def test_na_is_accepted_where_the_criterion_allows_it(trio, tone):
    agents, _subs = trio
    review = services.peer_review_next(reviewer=agents[0], exercise=tone)
    data = review_input(review, 2)
    data.scores["next_steps"] = "na"
    services.peer_review_submit(review_id=review.pk, reviewer=agents[0], data=data)
    assert review.scores.get(criterion_key="next_steps").points is None


def test_inline_comments_are_anchored_by_offsets_or_by_the_quote(trio, tone):
    agents, _subs = trio
    review = services.peer_review_next(reviewer=agents[0], exercise=tone)
    reply = review.submission.answer["reply"]
    start = reply.index("second charge")
    comments = [
        InlineInput("reply", "second charge", "Good: names the worry.", start, start + 13),
        # The no-JavaScript form sends only the passage: it is found in the reply.
        InlineInput("reply", "prorated cost", "Explain proration simply."),
        # Offsets that do not match the quote are corrected from the quote.
        InlineInput("reply", "Billing history", "Link it.", 0, 3),
    ]
    finish(review, 2, inline=comments)
    stored = list(review.inline_comments.order_by("start"))
    assert [(c.quote, reply[c.start : c.end]) for c in stored] == [
        (c.quote, c.quote) for c in stored
    ]
    assert stored[0].start == start


def test_an_inline_comment_on_text_that_is_not_there_is_refused(trio, tone):
    agents, _subs = trio
    review = services.peer_review_next(reviewer=agents[0], exercise=tone)
    with pytest.raises(PeerReviewValidationError) as caught:
        finish(review, 2, inline=[InlineInput("reply", "not in the reply", "Hm.")])
    assert "No passage of the reply to the customer matches" in caught.value.errors["inline-0"][0]
    with pytest.raises(PeerReviewValidationError):
        finish(review, 2, inline=[InlineInput("report.root_cause", "Hi", "Hm.")])


def test_only_the_reviewer_hands_in_and_only_once(trio, tone):
    agents, _subs = trio
    review = services.peer_review_next(reviewer=agents[0], exercise=tone)
    with pytest.raises(PeerReviewNotAllowedError):
        services.peer_review_submit(
            review_id=review.pk, reviewer=agents[1], data=review_input(review)
        )
    finish(review)
    with pytest.raises(PeerReviewClosedError):
        finish(review)


# ---- combining and flags -----------------------------------------------------------------


def test_peer_scores_are_the_median_of_completed_reviews(trio, tone):
    agents, subs = trio
    target = subs[0]
    first, second = _reviews_of(target, agents, tone)
    finish(first, {"tone_match": 3, "empathy": 1})
    finish(second, {"tone_match": 2, "empathy": 2})
    scores = peer_scores_for_submission(submission_id=target.pk)
    by_key = {c.key: c for c in scores.criteria}
    assert scores.complete and scores.completed == 2 and scores.method == "median"
    assert by_key["tone_match"].points == 2.5
    assert by_key["tone_match"].given == (3, 2)
    assert by_key["empathy"].points == 1.5
    assert 0 < scores.total < 1


def test_accuracy_weighted_combining_where_the_exercise_asks(trio, tone):
    configure(tone, peer_weighting="accuracy")
    agents, subs = trio
    target = subs[0]
    first, second = _reviews_of(target, agents, tone)
    finish(first, {"tone_match": 3})
    finish(second, {"tone_match": 0})
    # The first reviewer matched a trainer well, the second badly.
    example = ExampleSubmission.objects.filter(exercise=tone).first()
    ReviewerCalibrationAttemptFactory(
        reviewer=first.reviewer, exercise=tone, example=example, scores={}, error=0.1, passed=True
    )
    ReviewerCalibrationAttemptFactory(
        reviewer=second.reviewer, exercise=tone, example=example, scores={}, error=0.9,
        passed=False,
    )  # fmt: skip
    scores = peer_scores_for_submission(submission_id=target.pk)
    tone_match = next(c for c in scores.criteria if c.key == "tone_match")
    assert scores.method == "accuracy"
    assert tone_match.points > 1.5  # pulled toward the accurate reviewer's 3
    assert scores.calibrated_reviewers == 1


def test_peers_disagreeing_flags_the_submission(trio, tone):
    agents, subs = trio
    target = subs[0]
    first, second = _reviews_of(target, agents, tone)
    finish(first, {"empathy": 3})
    finish(second, {"empathy": 0})
    flag = Flag.objects.get(submission=target, reason=Flag.Reason.PEER_DISAGREEMENT)
    assert "peers gave 0 to 3" in flag.detail


def test_peers_far_from_the_automatic_grade_flag_the_submission(trio, tone):
    agents, subs = trio
    target = subs[0]
    grade = GradeFactory(
        submission=target,
        rubric_version=target.exercise.examples.first().rubric_version,
        total=0.2,
    )
    CriterionScoreFactory(grade=grade, criterion_key="empathy", points=0)
    first, second = _reviews_of(target, agents, tone)
    finish(first, {"empathy": 3})
    assert not Flag.objects.filter(submission=target, reason="peer_disagreement").exists()
    finish(second, {"empathy": 3})
    flag = Flag.objects.get(submission=target, reason=Flag.Reason.PEER_DISAGREEMENT)
    assert "automatic grade 0" in flag.detail


def test_agreeing_peers_raise_no_disagreement(trio, tone):
    agents, subs = trio
    first, second = _reviews_of(subs[0], agents, tone)
    finish(first, 2)
    finish(second, 2)
    assert not Flag.objects.filter(submission=subs[0], reason="peer_disagreement").exists()


def test_a_submission_none_of_whose_reviewers_is_calibrated_is_flagged(trio, tone):
    agents, subs = trio
    first, second = _reviews_of(subs[0], agents, tone)
    finish(first, 2)
    assert not Flag.objects.filter(submission=subs[0], reason="uncalibrated_reviewers").exists()
    finish(second, 2)
    assert Flag.objects.filter(submission=subs[0], reason="uncalibrated_reviewers").exists()


def test_one_calibrated_reviewer_is_enough(trio, tone):
    agents, subs = trio
    first, second = _reviews_of(subs[0], agents, tone)
    example = ExampleSubmission.objects.filter(exercise=tone).first()
    ReviewerCalibrationAttemptFactory(
        reviewer=first.reviewer, exercise=tone, example=example, scores={}, error=0, passed=True
    )
    finish(first, 2)
    finish(second, 2)
    assert not Flag.objects.filter(submission=subs[0], reason="uncalibrated_reviewers").exists()


def test_reviewer_reports_an_inappropriate_submission(trio, tone):
    agents, _subs = trio
    review = services.peer_review_next(reviewer=agents[0], exercise=tone)
    with pytest.raises(PeerReviewValidationError):
        services.peer_review_flag_inappropriate(review_id=review.pk, reviewer=agents[0], reason=" ")
    services.peer_review_flag_inappropriate(
        review_id=review.pk, reviewer=agents[0], reason="Insulting the customer."
    )
    review.refresh_from_db()
    assert review.status == PeerReview.Status.FLAGGED
    flag = Flag.objects.get(submission=review.submission, reason=Flag.Reason.INAPPROPRIATE)
    assert "Insulting" in flag.detail
    assert PeerQueueEntry.objects.get(submission=review.submission).active_count == 0
    # A reported submission leaves the queue until a trainer resolves the flag.
    assert services.peer_review_next(reviewer=agents[2], exercise=tone).submission != (
        review.submission
    )


def test_author_rates_and_disputes_a_review(trio, tone):
    agents, subs = trio
    first, _second = _reviews_of(subs[0], agents, tone)
    finish(first, 2)
    author = subs[0].user
    with pytest.raises(PeerReviewValidationError):
        services.peer_review_rate(review_id=first.pk, author=author, helpfulness="9")
    services.peer_review_rate(review_id=first.pk, author=author, helpfulness="4")
    with pytest.raises(PeerReviewNotAllowedError):
        services.peer_review_rate(review_id=first.pk, author=agents[1], helpfulness=4)
    services.peer_review_dispute(review_id=first.pk, author=author, reason="Scored the wrong reply")
    first.refresh_from_db()
    assert first.helpfulness == 4 and first.disputed_at is not None
    assert Flag.objects.filter(submission=subs[0], reason=Flag.Reason.DISPUTE).exists()


# ---- reviewer calibration and accuracy ------------------------------------------------------


def test_reviewer_calibration_passes_within_tolerance(tone, peer_cohort):
    (agent,) = agents_in(peer_cohort, 1)
    example = ExampleSubmission.objects.filter(exercise=tone).order_by("slug").first()
    trainer = services.trainer_points(example)
    exact = {k: "na" if v is None else str(v) for k, v in trainer.items()}
    attempt = services.reviewer_calibration_submit(
        reviewer=agent, exercise=tone, example_id=example.pk, scores=exact
    )
    assert attempt.error == 0 and attempt.passed
    criteria = criteria_of(example.rubric_version.snapshot)
    opposite = {
        c.key: str(c.max_points if (trainer[c.key] or 0) <= c.min_points else c.min_points)
        for c in criteria
    }
    far = services.reviewer_calibration_submit(
        reviewer=agent, exercise=tone, example_id=example.pk, scores=opposite
    )
    assert far.error > 0.5 and not far.passed
    assert services.reviewer_is_calibrated(reviewer=agent, exercise=tone)


def test_reviewer_calibration_refuses_incomplete_scores(tone, peer_cohort):
    (agent,) = agents_in(peer_cohort, 1)
    example = ExampleSubmission.objects.filter(exercise=tone).first()
    with pytest.raises(PeerReviewValidationError):
        services.reviewer_calibration_submit(
            reviewer=agent, exercise=tone, example_id=example.pk, scores={}
        )
    assert not CalibrationAttempt.objects.exists()


def test_reviewer_accuracy_from_the_database_on_a_known_table(tone, peer_cohort, peer_trainer):
    agents = agents_in(peer_cohort, 4)
    subs = [submit(agent) for agent in agents]
    # Three reviewers on the first submission: two agree exactly, one is far off.
    reviews = [
        services.peer_review_allocate(
            trainer=peer_trainer, cohort=peer_cohort, submission_id=subs[0].pk, reviewer_id=a.pk
        )
        for a in agents[1:]
    ]
    keys = [c.key for c in criteria_of(reviews[0].rubric_version.snapshot)]
    fair, same, wild = reviews
    finish(fair, 2)
    finish(same, 2)
    finish(wild, 0)  # every criterion 2 points (of 3) below the others
    services.peer_review_rate(review_id=fair.pk, author=subs[0].user, helpfulness=5)
    example = ExampleSubmission.objects.filter(exercise=tone).first()
    ReviewerCalibrationAttemptFactory(
        reviewer=fair.reviewer, exercise=tone, example=example, scores={}, error=0.2, passed=True
    )
    figures = reviewer_accuracy_for(user_ids=[fair.reviewer_id, wild.reviewer_id])
    assert len(keys) == 9
    fair_figures, wild_figures = figures[fair.reviewer_id], figures[wild.reviewer_id]
    # fair vs median(same, wild) = 1 on every 0-3 criterion; next_steps is 0-3 as well.
    assert fair_figures.consensus_agreement == pytest.approx(1 - 1 / 3)
    assert fair_figures.trainer_agreement == pytest.approx(0.8)
    assert fair_figures.helpfulness == 5
    # 0.5 * 0.8 + 0.3 * 2/3 + 0.2 * 1 = 0.8
    assert fair_figures.figure == pytest.approx(0.8)
    # wild vs median(fair, same) = 2 on every criterion.
    assert wild_figures.consensus_agreement == pytest.approx(1 - 2 / 3)


def test_consistently_off_reviewers_are_flagged_to_trainers(tone, peer_cohort):
    (agent,) = agents_in(peer_cohort, 1)
    example = ExampleSubmission.objects.filter(exercise=tone).first()
    for _ in range(3):
        ReviewerCalibrationAttemptFactory(
            reviewer=agent, exercise=tone, example=example, scores={}, error=0.6, passed=False
        )
    assert services.peer_reviewers_flag_inaccurate() == [agent.pk]
    flag = Flag.objects.get(reviewer=agent, reason=Flag.Reason.REVIEWER_INACCURATE)
    assert flag.submission is None and "40%" in flag.detail
    # Running it again keeps one open flag.
    services.peer_reviewers_flag_inaccurate()
    assert Flag.objects.filter(reviewer=agent).count() == 1


def test_completing_the_required_peer_reviews_updates_the_stored_final_grade(trio, tone):
    from grading.console.models import StoredFinalGrade

    agents, subs = trio
    target = subs[0]
    first, second = _reviews_of(target, agents, tone)
    finish(first, {"tone_match": 3, "empathy": 1})
    stored = StoredFinalGrade.objects.filter(submission=target).first()
    assert stored is None or stored.source == "auto"  # one of two reviews: not counted yet
    finish(second, {"tone_match": 2, "empathy": 2})
    stored = StoredFinalGrade.objects.get(submission=target)
    tone_match = stored.criteria.get(criterion_key="tone_match")
    assert stored.source in {"combined", "peer"}
    assert tone_match.peer_points == 2.5
