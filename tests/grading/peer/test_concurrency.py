"""Many simultaneous "review next" calls on PostgreSQL never over-assign a submission."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from grading.models import PeerQueueEntry, PeerReview
from grading.peer import services
from tests.conftest import require_service

from .conftest import agents_in, submit


def _require_postgres():
    if connection.vendor != "postgresql":
        require_service(
            "PostgreSQL",
            "the tests run on SQLite; set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test",
        )


def _race(reviewers, exercise) -> tuple[list, list]:
    """Every reviewer asks for their next review at the same moment, each in its own
    thread and database connection."""
    barrier = threading.Barrier(len(reviewers))
    results, errors = [], []
    lock = threading.Lock()

    def ask(reviewer):
        try:
            barrier.wait(timeout=10)
            review = services.peer_review_next(reviewer=reviewer, exercise=exercise)
            with lock:
                results.append(review)
        except Exception as exc:  # surfaced by the assertion below
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask, args=(r,)) for r in reviewers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results, errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_review_next_never_exceeds_the_required_count(tone, peer_cohort):
    _require_postgres()
    agents = agents_in(peer_cohort, 12)
    for agent in agents:
        submit(agent)
    services.peer_queue_sync()
    # Scarce capacity: only three submissions still need reviews, two each.
    open_ids = list(PeerQueueEntry.objects.order_by("pk").values_list("pk", flat=True)[:3])
    PeerQueueEntry.objects.exclude(pk__in=open_ids).update(required=0)

    handed_out = []
    for _wave in range(3):
        results, errors = _race(agents, tone)
        assert errors == []
        handed_out.append(sum(r is not None for r in results))
        for review in [r for r in results if r is not None]:
            services.peer_review_submit(
                review_id=review.pk,
                reviewer=review.reviewer,
                data=_complete(review),
            )

    for entry in PeerQueueEntry.objects.filter(pk__in=open_ids):
        live = entry.submission.peer_reviews.exclude(status="expired").count()
        assert entry.active_count == live == entry.completed_count
        assert live <= entry.required == 2
    # Callers who found every open submission locked waited for one instead of being told
    # the queue was empty: the first wave filled every place, and no more.
    assert handed_out == [6, 0, 0]
    assert PeerReview.objects.filter(kind="peer").count() == 6


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_calls_of_one_reviewer_hand_out_one_review(tone, peer_cohort):
    _require_postgres()
    agents = agents_in(peer_cohort, 5)
    for agent in agents:
        submit(agent)
    reviewer = agents[0]
    results, errors = _race([reviewer] * 6, tone)
    assert errors == []
    assert {r.pk for r in results} == {results[0].pk}
    assert PeerReview.objects.filter(reviewer=reviewer).count() == 1


def _complete(review):
    from .conftest import review_input

    return review_input(review, 2)


def test_one_live_review_per_reviewer_and_submission_is_a_database_rule(tone, peer_cohort):
    a, b = agents_in(peer_cohort, 2)
    submit(a)
    submit(b)
    review = services.peer_review_next(reviewer=b, exercise=tone)
    with pytest.raises(IntegrityError), transaction.atomic():
        PeerReview.objects.create(
            submission=review.submission,
            exercise=tone,
            reviewer=b,
            rubric_version=review.rubric_version,
            source=PeerReview.Source.MANUAL,
        )
    # Once expired, the pair may be handed out again.
    PeerReview.objects.filter(pk=review.pk).update(status="expired")
    PeerReview.objects.create(
        submission=review.submission,
        exercise=tone,
        reviewer=b,
        rubric_version=review.rubric_version,
    )
