"""The review queue: who gets what, fairness, expiry, manual allocation, the fallbacks."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from grading.models import Flag, PeerQueueEntry, PeerReview
from grading.peer import services
from grading.peer.errors import PeerReviewNotAllowedError, ReviewerCalibrationRequiredError
from tests.factories import CohortFactory

from .conftest import SCENARIOS, agents_in, configure, finish, submit


def _live(submission) -> int:
    return submission.peer_reviews.exclude(status=PeerReview.Status.EXPIRED).count()


def test_review_next_picks_fewest_reviews_then_oldest_never_own(tone, peer_cohort):
    a, b, c = agents_in(peer_cohort, 3)
    sub_a, sub_b, sub_c = submit(a), submit(b), submit(c)

    first = services.peer_review_next(reviewer=a, exercise=tone)
    assert first.submission == sub_b  # oldest of the two others, both with no reviews
    finish(first)
    second = services.peer_review_next(reviewer=a, exercise=tone)
    assert second.submission == sub_c  # b now has one review, c none
    finish(second)
    # a has reviewed both others: nothing left for a, and never their own.
    assert services.peer_review_next(reviewer=a, exercise=tone) is None
    assert not PeerReview.objects.filter(reviewer=a, submission=sub_a).exists()


def test_review_next_resumes_the_open_review(tone, peer_cohort):
    a, b, _c = agents_in(peer_cohort, 3)
    submit(a), submit(b), submit(_c)
    first = services.peer_review_next(reviewer=a, exercise=tone)
    assert services.peer_review_next(reviewer=a, exercise=tone) == first
    assert PeerReview.objects.filter(reviewer=a).count() == 1


def _fresh_authors_with_room(reviewer) -> set[int]:
    """Authors this reviewer has not reviewed yet who still have a submission needing one."""
    reviewed = set(
        PeerReview.objects.filter(reviewer=reviewer, kind="peer")
        .exclude(status="expired")
        .values_list("submission__user_id", flat=True)
    )
    return (
        {
            entry.author_id
            for entry in PeerQueueEntry.objects.filter(superseded=False)
            if entry.active_count < entry.required
        }
        - reviewed
        - {reviewer.pk}
    )


def test_with_enough_reviewers_every_submission_reaches_its_count_fairly(tone, peer_cohort):
    agents = agents_in(peer_cohort, 6)
    # Each agent answers two scenarios: reviewers should spread over authors.
    for agent in agents:
        submit(agent, scenario=SCENARIOS[0])
        submit(agent, scenario=SCENARIOS[1])
    services.peer_queue_sync()
    repeats_needed = 0
    for _round in range(4):
        for agent in agents:
            fresh = _fresh_authors_with_room(agent)
            review = services.peer_review_next(reviewer=agent, exercise=tone)
            assert review is not None
            if fresh:
                # Never a second review of the same author while another author needs one.
                assert review.submission.user_id in fresh
            else:
                repeats_needed += 1
            finish(review)
    entries = PeerQueueEntry.objects.all()
    assert entries.count() == 12
    assert all(e.completed_count == e.required == 2 for e in entries)
    assert all(e.active_count == 2 for e in entries)
    pairs = Counter(
        PeerReview.objects.filter(kind="peer").values_list("reviewer_id", "submission__user_id")
    )
    assert all(reviewer != author for reviewer, author in pairs)
    assert sum(n - 1 for n in pairs.values()) == repeats_needed <= 1
    # Everyone gave the 4 reviews the count needed: 6 x 4 = 12 submissions x 2.
    assert Counter(r for r, _ in pairs.elements()) == {a.pk: 4 for a in agents}


def test_reviews_stay_within_the_cohort(tone, peer_cohort):
    (inside,) = agents_in(peer_cohort, 1)
    (outsider,) = agents_in(CohortFactory(), 1)
    submit(inside)
    submit(outsider)
    assert services.peer_review_next(reviewer=inside, exercise=tone) is None
    assert services.peer_review_next(reviewer=outsider, exercise=tone) is None


def test_only_the_latest_attempt_is_reviewed(tone, peer_cohort):
    a, b = agents_in(peer_cohort, 2)
    old = submit(a)
    services.peer_queue_sync()
    new = submit(a)
    submit(b)
    review = services.peer_review_next(reviewer=b, exercise=tone)
    assert review.submission == new
    assert PeerQueueEntry.objects.get(submission=old).superseded


def test_must_submit_before_reviewing(tone, peer_cohort):
    a, b = agents_in(peer_cohort, 2)
    submit(a)
    with pytest.raises(PeerReviewNotAllowedError, match="Submit your own answer"):
        services.peer_review_next(reviewer=b, exercise=tone)


def test_a_submission_never_gets_more_than_required(tone, peer_cohort):
    a, b, c, d = agents_in(peer_cohort, 4)
    sub_a = submit(a)
    for agent in (b, c, d):
        submit(agent)
    configure(tone, peer_reviews_required=1)
    services.peer_queue_sync()
    PeerQueueEntry.objects.update(required=1)
    taken = [services.peer_review_next(reviewer=x, exercise=tone) for x in (b, c, d)]
    assert sum(1 for r in taken if r and r.submission == sub_a) == 1
    assert _live(sub_a) == 1


def test_expired_review_returns_to_the_pool(tone, peer_cohort):
    a, b, c = agents_in(peer_cohort, 3)
    configure(tone, peer_reviews_required=1)
    sub_a = submit(a)
    submit(b), submit(c)
    late = services.peer_review_next(reviewer=b, exercise=tone)
    assert late.submission == sub_a
    assert late.expires_at == pytest.approx(
        late.assigned_at + timedelta(hours=48), abs=timedelta(seconds=5)
    )
    # c is handed the other submission (a's is full) ...
    assert services.peer_review_next(reviewer=c, exercise=tone).submission != sub_a
    later = timezone.now() + timedelta(hours=49)
    assert services.peer_reviews_expire(now=later) == 2
    late.refresh_from_db()
    assert late.status == PeerReview.Status.EXPIRED
    assert PeerQueueEntry.objects.get(submission=sub_a).active_count == 0
    # ... and once expired, a's submission is back in the pool for c.
    again = services.peer_review_next(reviewer=c, exercise=tone, now=later)
    assert again.submission == sub_a


def test_an_expired_review_can_still_be_handed_in_while_its_place_is_free(tone, peer_cohort):
    a, b = agents_in(peer_cohort, 2)
    sub_a = submit(a)
    submit(b)
    review = services.peer_review_next(reviewer=b, exercise=tone)
    services.peer_reviews_expire(now=timezone.now() + timedelta(days=3))
    finish(review)
    entry = PeerQueueEntry.objects.get(submission=sub_a)
    assert (entry.active_count, entry.completed_count) == (1, 1)


def test_trainer_allocates_by_hand(tone, peer_cohort, peer_trainer):
    a, b = agents_in(peer_cohort, 2)
    sub_a = submit(a)
    review = services.peer_review_allocate(
        trainer=peer_trainer, cohort=peer_cohort, submission_id=sub_a.pk, reviewer_id=b.pk
    )
    assert review.source == PeerReview.Source.MANUAL
    assert review.allocated_by == peer_trainer
    assert PeerQueueEntry.objects.get(submission=sub_a).active_count == 1
    with pytest.raises(PeerReviewNotAllowedError, match="already reviewing"):
        services.peer_review_allocate(
            trainer=peer_trainer, cohort=peer_cohort, submission_id=sub_a.pk, reviewer_id=b.pk
        )
    with pytest.raises(PeerReviewNotAllowedError, match="own submission"):
        services.peer_review_allocate(
            trainer=peer_trainer, cohort=peer_cohort, submission_id=sub_a.pk, reviewer_id=a.pk
        )
    (outsider,) = agents_in(CohortFactory(), 1)
    with pytest.raises(PeerReviewNotAllowedError, match="agent of this cohort"):
        services.peer_review_allocate(
            trainer=peer_trainer,
            cohort=peer_cohort,
            submission_id=sub_a.pk,
            reviewer_id=outsider.pk,
        )


def test_self_assessment_comes_first_when_the_exercise_asks(tone, peer_cohort):
    configure(tone, self_assessment=True)
    a, b = agents_in(peer_cohort, 2)
    sub_a = submit(a)
    submit(b)
    first = services.peer_review_next(reviewer=a, exercise=tone)
    assert first.kind == PeerReview.Kind.SELF and first.submission == sub_a
    services.peer_review_submit(
        review_id=first.pk,
        reviewer=a,
        data=services.ReviewInput(scores=_all(first, "2")),  # questions optional for self
    )
    peer = services.peer_review_next(reviewer=a, exercise=tone)
    assert peer.kind == PeerReview.Kind.PEER and peer.submission.user == b
    # The self-assessment is not a peer review of the submission.
    assert PeerQueueEntry.objects.get(submission=sub_a).active_count == 0


def _all(review, value):
    from grading.peer.rubric import criteria_of

    return {c.key: value for c in criteria_of(review.rubric_version.snapshot)}


def test_reviewer_calibration_required_first(tone, peer_cohort):
    configure(tone, peer_calibration=True)
    a, b = agents_in(peer_cohort, 2)
    submit(a), submit(b)
    with pytest.raises(ReviewerCalibrationRequiredError):
        services.peer_review_next(reviewer=a, exercise=tone)


# ---- nobody is stuck waiting -------------------------------------------------------------


def test_waiting_submission_goes_to_a_trainer(tone, peer_cohort):
    a, b = agents_in(peer_cohort, 2)
    sub_a = submit(a)
    submit(b)
    finish(services.peer_review_next(reviewer=b, exercise=tone))
    services.peer_queue_sync()
    assert services.peer_reviews_check_waiting(now=timezone.now() + timedelta(hours=71)) == []
    later = timezone.now() + timedelta(hours=73)
    assert sub_a.pk in services.peer_reviews_check_waiting(now=later)
    flag = Flag.objects.get(submission=sub_a, reason=Flag.Reason.REVIEW_TIMEOUT)
    assert "1 of 2" in flag.detail
    # Checked once: running the sweep again changes nothing.
    assert services.peer_reviews_check_waiting(now=later) == []


def test_waiting_submission_needs_fewer_reviews_when_the_exercise_says_so(tone, peer_cohort):
    configure(tone, peer_wait_action="reduce")
    a, b = agents_in(peer_cohort, 2)
    sub_a = submit(a)
    submit(b)
    finish(services.peer_review_next(reviewer=b, exercise=tone))
    services.peer_reviews_check_waiting(now=timezone.now() + timedelta(days=4))
    entry = PeerQueueEntry.objects.get(submission=sub_a)
    assert entry.required == 1 and entry.complete
    assert not Flag.objects.filter(submission=sub_a, reason=Flag.Reason.REVIEW_TIMEOUT).exists()


def test_reduce_with_no_review_at_all_still_reaches_a_trainer(tone, peer_cohort):
    configure(tone, peer_wait_action="reduce")
    (a,) = agents_in(peer_cohort, 1)
    sub_a = submit(a)
    services.peer_queue_sync()
    services.peer_reviews_check_waiting(now=timezone.now() + timedelta(days=4))
    assert Flag.objects.filter(submission=sub_a, reason=Flag.Reason.REVIEW_TIMEOUT).exists()


def test_sweep_runs_every_periodic_check(tone, peer_cohort, settings):
    from grading.tasks import peer_review_sweep_task

    a, b = agents_in(peer_cohort, 2)
    submit(a), submit(b)
    services.peer_review_next(reviewer=b, exercise=tone)
    result = peer_review_sweep_task.delay().get()
    assert result == {"synced": 0, "expired": 0, "timed_out": 0, "reviewers_flagged": 0}
    assert "peer-review-sweep" in settings.CELERY_BEAT_SCHEDULE
