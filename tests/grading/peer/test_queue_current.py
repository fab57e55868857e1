"""The peer queue is kept current by the changes themselves (a submission committing, a
review handed in, expiring or reported, a cohort change), never re-synced by "review next"
or a page view; "review next" reads a bounded amount whatever the size of the queue."""

import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from curriculum.models import Membership, User
from exercises.models import Scenario, Submission
from exercises.signals import submission_committed
from grading.models import PeerQueueEntry, PeerReview
from grading.peer import selectors, services
from tests.factories import TONE_ANSWER, CohortFactory, MembershipFactory, SubmissionFactory

from .conftest import SCENARIOS, agents_in, configure, finish, submit


def _entry(submission) -> PeerQueueEntry:
    return PeerQueueEntry.objects.get(submission=submission)


def test_a_committed_submission_enters_the_queue_through_the_signal(tone, peer_cohort):
    (author,) = agents_in(peer_cohort, 1)
    submission = SubmissionFactory(user=author, shipped_tone=True)
    assert not PeerQueueEntry.objects.exists()
    submission_committed.send_robust(sender=Submission, submission_id=submission.pk)
    entry = _entry(submission)
    assert (entry.author, entry.exercise, entry.required) == (author, tone, 2)
    assert (entry.active_count, entry.completed_count, entry.superseded) == (0, 0, False)
    # A repeated signal (a redelivered callback) changes nothing.
    submission_committed.send_robust(sender=Submission, submission_id=submission.pk)
    assert PeerQueueEntry.objects.count() == 1


def test_a_new_attempt_retires_the_old_entry_when_it_enters(tone, peer_cohort):
    (author,) = agents_in(peer_cohort, 1)
    old = submit(author)
    other_scenario = submit(author, scenario=SCENARIOS[1])
    new = submit(author)
    assert _entry(old).superseded
    assert not _entry(new).superseded
    assert not _entry(other_scenario).superseded  # another scenario is another answer


def test_an_old_attempt_entering_late_does_not_reopen(tone, peer_cohort):
    (author,) = agents_in(peer_cohort, 1)
    old = SubmissionFactory(user=author, shipped_tone=True)
    new = SubmissionFactory(user=author, shipped_tone=True)
    services.peer_queue_enter(submission_id=new.pk)
    assert services.peer_queue_enter(submission_id=old.pk) is None  # callbacks out of order
    assert list(PeerQueueEntry.objects.values_list("submission_id", flat=True)) == [new.pk]


def test_submissions_of_exercises_without_peer_review_stay_out(tone, peer_cohort):
    (author,) = agents_in(peer_cohort, 1)
    configure(tone, peer_reviews_required=0)
    submission = SubmissionFactory(user=author, shipped_tone=True)
    assert services.peer_queue_enter(submission_id=submission.pk) is None
    assert services.peer_queue_enter(submission_id=10**9) is None  # deleted meanwhile
    assert not PeerQueueEntry.objects.exists()


def test_each_review_change_updates_the_entry_at_once(tone, peer_cohort):
    a, b, c, d = agents_in(peer_cohort, 4)
    target = submit(a)
    for agent in (b, c, d):
        submit(agent)
    # Only the target still needs reviews (two).
    PeerQueueEntry.objects.exclude(submission=target).update(required=0)
    first = services.peer_review_next(reviewer=b, exercise=tone)
    assert first.submission == target
    assert (_entry(target).active_count, _entry(target).completed_count) == (1, 0)
    finish(first)  # completed
    assert (_entry(target).active_count, _entry(target).completed_count) == (1, 1)
    second = services.peer_review_next(reviewer=c, exercise=tone)
    assert second.submission == target
    services.peer_review_flag_inappropriate(review_id=second.pk, reviewer=c, reason="Rude.")
    assert (_entry(target).active_count, _entry(target).completed_count) == (1, 1)
    # Reported: it leaves the pool for everyone until a trainer resolves the flag.
    third = services.peer_review_next(reviewer=d, exercise=tone)
    assert third is None or third.submission != target


def test_an_expired_review_frees_its_place_without_a_sync(tone, peer_cohort):
    a, b, c = agents_in(peer_cohort, 3)
    configure(tone, peer_reviews_required=1)
    target = submit(a)
    submit(b), submit(c)
    late = services.peer_review_next(reviewer=b, exercise=tone)
    assert late.submission == target and _entry(target).active_count == 1
    later = timezone.now() + timedelta(hours=49)
    # c's "review next" expires b's overdue review (indexed) and hands c the freed place.
    again = services.peer_review_next(reviewer=c, exercise=tone, now=later)
    assert again.submission == target
    late.refresh_from_db()
    assert late.status == PeerReview.Status.EXPIRED
    assert _entry(target).active_count == 1


def test_a_cohort_change_counts_at_once(tone, peer_cohort):
    a, b = agents_in(peer_cohort, 2)
    submit(a)
    submit(b)
    other = CohortFactory()
    (newcomer,) = agents_in(other, 1)
    submit(newcomer)
    assert services.available_count(reviewer=b, exercise=tone) == 1  # a only
    # The newcomer joins b's cohort: their submission is open to b, no sync needed.
    MembershipFactory(cohort=peer_cohort, user=newcomer)
    assert services.available_count(reviewer=b, exercise=tone) == 2
    # a leaves it: a's submission is no longer b's to review.
    Membership.objects.filter(cohort=peer_cohort, user=a).delete()
    review = services.peer_review_next(reviewer=b, exercise=tone)
    assert review.submission.user == newcomer
    finish(review)
    assert services.peer_review_next(reviewer=b, exercise=tone) is None
    # An archived cohort no longer shares anything.
    peer_cohort.archived_at = timezone.now()
    peer_cohort.save(update_fields=["archived_at"])
    assert services.available_count(reviewer=newcomer, exercise=tone) == 0


# ---- bounded work ------------------------------------------------------------------------


def _bulk_queue(cohort, n: int, start: int) -> list[User]:
    users = User.objects.bulk_create(
        [User(email=f"queue{start + i}@example.com", password="!") for i in range(n)]
    )
    Membership.objects.bulk_create([Membership(cohort=cohort, user=u) for u in users])
    scenario = Scenario.objects.get(slug=SCENARIOS[0])
    version = scenario.versions.order_by("-number").first()
    Submission.objects.bulk_create(
        Submission(
            user=u, exercise_id=Submission._meta.get_field("exercise").related_model.objects
            .get(slug="tone-read-and-calibrate").pk, scenario=scenario, scenario_version=version,
            exercise_version=1, attempt=1, answer=TONE_ANSWER, edit_class="substantial",
            client_token=uuid.uuid4(),
        )
        for u in users
    )  # fmt: skip
    out = StringIO()
    call_command("peer_queue_fill", stdout=out)
    assert f"{n} submission(s) entered" in out.getvalue()
    return users


def _review_next_queries(reviewer, exercise) -> list[str]:
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)  # as a request loads it: roles unread
    with CaptureQueriesContext(connection) as queries:
        review = services.peer_review_next(reviewer=reviewer, exercise=exercise)
    assert review is not None
    # Hand it back so the next measurement starts from the same state.
    PeerReview.objects.filter(pk=review.pk).delete()
    PeerQueueEntry.objects.filter(submission_id=review.submission_id).update(active_count=0)
    return [q["sql"] for q in queries.captured_queries]


def test_review_next_does_the_same_bounded_work_for_10_and_300_waiting(tone, peer_cohort):
    users = _bulk_queue(peer_cohort, 10, 0)
    small = _review_next_queries(users[0], tone)
    _bulk_queue(peer_cohort, 290, 10)
    assert PeerQueueEntry.objects.count() == 300
    large = _review_next_queries(users[0], tone)
    assert len(small) == len(large) == 14  # the reviewer's roles, then the pick
    for sql in large:
        # No re-sync: nothing reads the submissions table in bulk or creates queue entries.
        assert 'INSERT INTO "grading_peerqueueentry"' not in sql
        assert 'UPDATE "grading_peerqueueentry" SET "superseded"' not in sql
    # The pick reads a bounded window of the queue, in index order.
    assert any(
        sql.startswith('SELECT "grading_peerqueueentry"."id" AS "pk"')
        and sql.endswith(f"LIMIT {services.PICK_WINDOW}")
        for sql in large
    )
    expiry = next(sql for sql in large if 'expires_at" <' in sql)
    assert "exercises_submission" not in expiry  # the partial index, no join


def test_peer_queue_fill_is_idempotent_and_retires_replaced_attempts(tone, peer_cohort):
    (author,) = agents_in(peer_cohort, 1)
    old = SubmissionFactory(user=author, shipped_tone=True)
    new = SubmissionFactory(user=author, shipped_tone=True)
    out = StringIO()
    call_command("peer_queue_fill", stdout=out)
    assert "1 submission(s) entered" in out.getvalue()
    call_command("peer_queue_fill", stdout=out)
    assert "0 submission(s) entered" in out.getvalue()
    assert list(PeerQueueEntry.objects.values_list("submission_id", flat=True)) == [new.pk]
    assert old.pk != new.pk


# ---- the trainer's page paginates ------------------------------------------------------


@pytest.fixture
def big_cohort(tone, peer_cohort):
    _bulk_queue(peer_cohort, 120, 0)
    return peer_cohort


def test_trainer_page_shows_fifty_waiting_per_page_with_links(client, big_cohort, peer_trainer):
    client.force_login(peer_trainer)
    url = reverse("grading:peer-cohort", args=[big_cohort.slug])
    html = client.get(url).content.decode()
    assert "120 submissions waiting" in html
    assert "Page 1 of 3 · submissions 1\u201350 of 120" in html
    assert "?page=2&amp;reviewers=1#waiting" in html
    assert "Page 1 of 3 · agents 1\u201350 of 120" in html
    assert "?reviewers=2&amp;page=1#reviewers" in html
    response = client.get(url, {"page": 3, "reviewers": 2})
    assert response.context["overview"].waiting_page.number == 3
    assert len(response.context["overview"].waiting) == 20
    assert len(response.context["overview"].reviewers) == 50
    assert "submissions 101\u2013120 of 120" in response.content.decode()


def test_trainer_page_numbers_that_are_not_pages_fall_back(big_cohort):
    overview = selectors.peer_cohort_overview(
        cohort=big_cohort, waiting_page="abc", reviewers_page="999"
    )
    assert overview.waiting_page.number == 1
    assert overview.reviewers_page.number == 3
    assert len(overview.reviewers) == 20
    empty = selectors.peer_cohort_overview(cohort=CohortFactory(), waiting_page="-1")
    assert empty.waiting == [] and empty.reviewers == []
    assert empty.waiting_page.number == 1


def test_trainer_page_queries_stay_constant_as_the_cohort_grows(
    client, tone, peer_cohort, peer_trainer, django_assert_num_queries
):
    _bulk_queue(peer_cohort, 10, 0)
    client.force_login(peer_trainer)
    url = reverse("grading:peer-cohort", args=[peer_cohort.slug])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    queries = len(small)
    _bulk_queue(peer_cohort, 140, 10)
    client.get(url, {"page": 2})
    with django_assert_num_queries(queries):
        response = client.get(url, {"page": 2})
    assert len(response.context["overview"].waiting) == 50
