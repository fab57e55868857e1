"""The demo seed gives the demo agents graded submissions built from the examples."""

import pytest

from curriculum.services import demo_seed
from exercises.models import Submission
from grading.models import Grade

pytestmark = pytest.mark.django_db


def test_demo_agents_get_graded_submissions_once(
    loaded_content, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seed = demo_seed()
    ana, ben, chloe = seed.agents
    for agent in (ana, ben, chloe):
        assert Submission.objects.filter(user=agent).count() == 6
    assert Grade.objects.filter(submission__user__in=seed.agents).count() == 18

    def average(agent):
        totals = Grade.objects.filter(submission__user=agent).values_list("total", flat=True)
        return sum(totals) / len(totals)

    assert average(ana) > average(ben) > average(chloe)
    with django_capture_on_commit_callbacks(execute=True):
        demo_seed()
    assert Submission.objects.filter(user__in=seed.agents).count() == 18


def test_demo_agents_review_each_other(loaded_content, django_capture_on_commit_callbacks):
    from grading.peer.models import PeerReview
    from grading.peer.selectors import peer_scores_for_submission

    with django_capture_on_commit_callbacks(execute=True):
        seed = demo_seed()
    peer_reviews = PeerReview.objects.filter(
        kind=PeerReview.Kind.PEER, status=PeerReview.Status.COMPLETED
    )
    # Tone asks for two reviews, context and escalation for one; empathy needs calibration
    # first, which only Ana and Ben do (two reviews each).
    assert peer_reviews.count() == 3 * 2 + 3 * 1 + 3 * 1 + 2 * 2
    for agent in seed.agents:
        for submission in Submission.objects.filter(user=agent).select_related("exercise"):
            required = submission.exercise.setting("peer_reviews_required")
            if submission.exercise.type == "empathy" or not required:
                continue
            assert peer_scores_for_submission(submission_id=submission.pk).completed == required
    with django_capture_on_commit_callbacks(execute=True):
        demo_seed()
    assert peer_reviews.count() == 16
