"""A trainer decides an author's dispute of a peer review (grading.peer.services
.peer_dispute_decide): upheld reviews stop counting, the stored final grade is recomputed
in the same transaction and the reviewer's accuracy counts a miss; dismissed ones stand."""

import pytest

from grading.console.models import PeerDisputeDecision, StoredFinalGrade
from grading.models import Flag, PeerReview
from grading.peer import services as peer_services
from grading.peer.errors import (
    PeerReviewClosedError,
    PeerReviewNotAllowedError,
    PeerReviewValidationError,
)
from grading.peer.selectors import reviewer_accuracy
from tests.factories import PeerQueueEntryFactory, TrainerFactory, UserFactory
from tests.grading.console.conftest import peer_review

from .conftest import graded_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def disputed(agent_in, exercise):
    """A submission graded 3/3 automatically with two peer reviews: a fair one (3, 3) and a
    harsh one (1, 3) its author disputes."""
    submission = graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3})
    entry = PeerQueueEntryFactory(
        submission=submission, required=2, active_count=2, completed_count=2
    )
    fair = peer_review(submission, UserFactory(), {"accuracy": 3, "empathy": 3})
    harsh_reviewer = UserFactory()
    harsh = peer_review(submission, harsh_reviewer, {"accuracy": 1, "empathy": 3})
    peer_services.peer_review_dispute(
        review_id=harsh.pk, author=agent_in, reason="It gave zero for a reply that fixed it."
    )
    return submission, entry, fair, harsh


def _final_peer_points(submission):
    final = StoredFinalGrade.objects.get(submission=submission)
    return {c.criterion_key: c.peer_points for c in final.criteria.all()}


def test_an_upheld_dispute_stops_the_review_counting_and_recomputes_the_grade(disputed, trainer):
    submission, entry, _fair, harsh = disputed
    assert _final_peer_points(submission)["accuracy"] is not None
    before = reviewer_accuracy(user=harsh.reviewer)
    decision = peer_services.peer_dispute_decide(
        trainer=trainer, review_id=harsh.pk, outcome="upheld",
        note="You are right: the reply fixed the problem.",
    )  # fmt: skip
    assert decision.outcome == PeerDisputeDecision.Outcome.UPHELD
    harsh.refresh_from_db()
    assert harsh.status == PeerReview.Status.OVERTURNED
    entry.refresh_from_db()
    assert (entry.active_count, entry.completed_count) == (1, 1)  # open for another reviewer
    # One review of two required: no peer score counts any more; the grade is the automatic one.
    assert _final_peer_points(submission) == {"accuracy": None, "empathy": None}
    assert StoredFinalGrade.objects.get(submission=submission).total == 1.0
    after = reviewer_accuracy(user=harsh.reviewer)
    assert before.consensus_samples[0] > 0
    assert after.consensus_samples == (0.0,)  # a miss
    assert not Flag.objects.filter(
        submission=submission, reason=Flag.Reason.DISPUTE, resolved_at__isnull=True
    ).exists()
    with pytest.raises(PeerReviewClosedError):
        peer_services.peer_dispute_decide(
            trainer=trainer, review_id=harsh.pk, outcome="dismissed", note="again"
        )


def test_a_dismissed_dispute_leaves_the_review_counting(disputed, trainer):
    submission, _entry, _fair, harsh = disputed
    before = _final_peer_points(submission)
    peer_services.peer_dispute_decide(
        trainer=trainer,
        review_id=harsh.pk,
        outcome="dismissed",
        note="The scores follow the rubric.",
    )
    harsh.refresh_from_db()
    assert harsh.status == PeerReview.Status.COMPLETED
    assert _final_peer_points(submission) == before
    assert PeerDisputeDecision.objects.get(review=harsh).note == "The scores follow the rubric."


def test_a_decision_needs_an_outcome_a_note_and_a_trainer_of_the_cohort(disputed, trainer):
    _submission, _entry, fair, harsh = disputed
    with pytest.raises(PeerReviewValidationError) as caught:
        peer_services.peer_dispute_decide(
            trainer=trainer, review_id=harsh.pk, outcome="maybe", note=" "
        )
    assert set(caught.value.errors) == {"outcome", "note"}
    with pytest.raises(PeerReviewNotAllowedError):
        peer_services.peer_dispute_decide(
            trainer=TrainerFactory(), review_id=harsh.pk, outcome="upheld", note="x"
        )
    with pytest.raises(PeerReviewClosedError):  # not disputed
        peer_services.peer_dispute_decide(
            trainer=trainer, review_id=fair.pk, outcome="upheld", note="x"
        )
    assert not PeerDisputeDecision.objects.exists()
