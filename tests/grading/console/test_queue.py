"""The trainer queue: what is in it, who sees it, the random audit sample, and locking."""

import random
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from grading import services as grading_services
from grading.console import services
from grading.console.errors import ConsoleNotAllowedError, QueueItemLockedError
from grading.console.models import AuditDraw, QueueItem
from grading.console.selectors import (
    QUEUE_PAGE_SIZE,
    QueueKind,
    queue_for_trainer,
    queue_summary_for_trainer,
)
from grading.models import Flag, GradingJob
from tests.conftest import require_service
from tests.factories import (
    AuditDrawFactory,
    CohortFactory,
    CohortGradingSettingsFactory,
    FlagFactory,
    GradingJobFactory,
    MembershipFactory,
    TrainerFactory,
    UserFactory,
)

from .conftest import graded_submission

pytestmark = pytest.mark.django_db


def _ids(rows):
    return [row.submission.pk for row in rows]


def test_queue_lists_flagged_work_and_the_audit_sample_only(exercise, agent_in, trainer):
    flagged = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    FlagFactory(submission=flagged, reason=Flag.Reason.LLM_FAILED)
    FlagFactory(submission=flagged, reason=Flag.Reason.DISPUTE)
    sampled = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    cohort = agent_in.memberships.get().cohort
    AuditDrawFactory(submission=sampled, cohort=cohort, sampled=True, rate=0.12)
    not_sampled = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    AuditDrawFactory(submission=not_sampled, cohort=cohort, sampled=False, rate=0.12)
    resolved = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    FlagFactory(submission=resolved, reason=Flag.Reason.LLM_FAILED, resolved_at=timezone.now())

    rows = queue_for_trainer(user=trainer)
    assert _ids(rows) == [flagged.pk, sampled.pk]
    assert rows[0].reasons == ["LLM grading failed", "Author disputes a peer review"]
    assert not rows[0].audit and rows[1].audit


def test_audit_item_leaves_the_queue_once_a_trainer_graded_it(exercise, agent_in, trainer):
    sampled = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    cohort = agent_in.memberships.get().cohort
    AuditDrawFactory(submission=sampled, cohort=cohort, sampled=True, rate=0.12)
    services.trainer_review_submit(
        trainer=trainer,
        submission_id=sampled.pk,
        data=services.ReviewInput(scores={"accuracy": "2", "empathy": "1"}),
    )
    assert queue_for_trainer(user=trainer) == []


def test_trainers_see_only_their_cohorts_items_and_staff_see_all(exercise, agent_in, trainer):
    mine = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    FlagFactory(submission=mine, reason=Flag.Reason.GRADER_ERROR)
    other_trainer = TrainerFactory()
    other_agent = UserFactory()
    MembershipFactory(cohort=CohortFactory(trainers=[other_trainer]), user=other_agent)
    theirs = graded_submission(other_agent, exercise, {"accuracy": 2, "empathy": 1})
    FlagFactory(submission=theirs, reason=Flag.Reason.GRADER_ERROR)

    assert _ids(queue_for_trainer(user=trainer)) == [mine.pk]
    assert _ids(queue_for_trainer(user=other_trainer)) == [theirs.pk]
    staff = TrainerFactory(is_staff=True)
    assert _ids(queue_for_trainer(user=staff)) == [mine.pk, theirs.pk]
    with pytest.raises(ConsoleNotAllowedError):
        services.queue_item_open(trainer=other_trainer, submission_id=mine.pk)


# ---- the audit sample ----------------------------------------------------------------------


@pytest.mark.parametrize("rate", [0.10, 0.12, 0.15])
def test_audit_share_stays_in_the_band_at_every_size(rate):
    rng = random.Random(7)
    sampled = 0
    for before in range(400):
        if services.audit_decide(considered=before, sampled=sampled, rate=rate, draw=rng.random()):
            sampled += 1
        considered = before + 1
        assert abs(sampled - rate * considered) <= 1
        if considered >= 50:
            assert 0.08 <= sampled / considered <= 0.17
            assert abs(sampled / considered - rate) <= 1 / considered + 1e-9


def test_audit_draw_is_random_not_a_fixed_pattern():
    def picks(seed):
        rng = random.Random(seed)
        chosen = []
        for index in range(100):
            if services.audit_decide(
                considered=index, sampled=len(chosen), rate=0.12, draw=rng.random()
            ):
                chosen.append(index)
        return chosen

    assert picks(1) != picks(2)


def test_grading_finish_draws_the_audit_sample_per_cohort(exercise, trainer):
    cohort_a = CohortFactory(trainers=[trainer])
    cohort_b = CohortFactory(trainers=[trainer])
    CohortGradingSettingsFactory(cohort=cohort_b, audit_rate=0.15)
    agents = {cohort_a: UserFactory(), cohort_b: UserFactory()}
    for cohort, agent in agents.items():
        MembershipFactory(cohort=cohort, user=agent)
    for _ in range(40):
        for agent in agents.values():
            submission = graded_submission(agent, exercise, {"accuracy": 2, "empathy": 2})
            GradingJobFactory(submission=submission, status=GradingJob.Status.RUNNING)
            grading_services.grading_finish(submission_id=submission.pk)
            grading_services.grading_finish(submission_id=submission.pk)  # redelivered: no-op
    for cohort, rate in ((cohort_a, 0.12), (cohort_b, 0.15)):
        draws = AuditDraw.objects.filter(cohort=cohort)
        assert draws.count() == 40
        assert abs(draws.filter(sampled=True).count() - rate * 40) <= 1


def test_flagged_and_cohortless_submissions_are_not_drawn(exercise, agent_in):
    flagged = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    GradingJobFactory(submission=flagged, status=GradingJob.Status.RUNNING)
    grading_services.grading_finish(submission_id=flagged.pk, flag=Flag.Reason.LLM_FAILED)
    loner = graded_submission(UserFactory(), exercise, {"accuracy": 2, "empathy": 1})
    assert services.audit_draw(submission_id=loner.pk) is None
    assert not AuditDraw.objects.exists()


# ---- locking -------------------------------------------------------------------------------


@pytest.fixture
def flagged(exercise, agent_in):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    FlagFactory(submission=submission, reason=Flag.Reason.DISAGREEMENT)
    return submission


@pytest.fixture
def co_trainer(console_cohort):
    co = TrainerFactory()
    console_cohort.trainers.add(co)
    return co


def test_an_opened_item_is_locked_to_its_trainer(flagged, trainer, co_trainer):
    item = services.queue_item_open(trainer=trainer, submission_id=flagged.pk)
    assert item.locked_by == trainer
    with pytest.raises(QueueItemLockedError) as caught:
        services.queue_item_open(trainer=co_trainer, submission_id=flagged.pk)
    assert caught.value.holder == trainer
    assert trainer.display_name in str(caught.value)
    row = queue_for_trainer(user=co_trainer)[0]
    assert row.locked_by_other and row.locked_by == trainer
    assert not queue_for_trainer(user=trainer)[0].locked_by_other


def test_the_lock_holder_can_renew_and_others_cannot_grade(flagged, trainer, co_trainer):
    now = timezone.now()
    services.queue_item_open(trainer=trainer, submission_id=flagged.pk, now=now)
    later = now + timedelta(minutes=10)
    item = services.queue_item_open(trainer=trainer, submission_id=flagged.pk, now=later)
    assert item.locked_until == later + QueueItem.LOCK_FOR
    with pytest.raises(QueueItemLockedError):
        services.trainer_review_submit(
            trainer=co_trainer,
            submission_id=flagged.pk,
            data=services.ReviewInput(scores={"accuracy": "2", "empathy": "1"}),
        )


def test_an_expired_lock_passes_to_the_next_trainer(flagged, trainer, co_trainer):
    now = timezone.now()
    services.queue_item_open(trainer=trainer, submission_id=flagged.pk, now=now)
    later = now + QueueItem.LOCK_FOR + timedelta(seconds=1)
    item = services.queue_item_open(trainer=co_trainer, submission_id=flagged.pk, now=later)
    assert item.locked_by == co_trainer


def test_unlock_and_grading_free_the_item(flagged, trainer, co_trainer):
    services.queue_item_open(trainer=trainer, submission_id=flagged.pk)
    services.queue_item_unlock(trainer=co_trainer, submission_id=flagged.pk)  # not theirs
    assert QueueItem.objects.get().locked_by == trainer
    services.queue_item_unlock(trainer=trainer, submission_id=flagged.pk)
    assert QueueItem.objects.get().locked_by is None
    services.queue_item_open(trainer=co_trainer, submission_id=flagged.pk)
    services.trainer_review_submit(
        trainer=co_trainer,
        submission_id=flagged.pk,
        data=services.ReviewInput(scores={"accuracy": "2", "empathy": "1"}),
    )
    assert QueueItem.objects.get().locked_by is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_trainers_opening_at_once_get_one_lock(exercise, trainer):
    if connection.vendor != "postgresql":
        require_service("PostgreSQL", "set DATABASE_URL=postgres://postgres@127.0.0.1:5432/test")
    cohort = CohortFactory(trainers=[trainer])
    trainers = [trainer] + [TrainerFactory() for _ in range(5)]
    cohort.trainers.add(*trainers[1:])
    agent = UserFactory()
    MembershipFactory(cohort=cohort, user=agent)
    submission = graded_submission(agent, exercise, {"accuracy": 2, "empathy": 1})
    FlagFactory(submission=submission, reason=Flag.Reason.DISAGREEMENT)

    barrier = threading.Barrier(len(trainers))
    won, locked_out, errors = [], [], []
    guard = threading.Lock()

    def open_item(user):
        try:
            barrier.wait(timeout=10)
            services.queue_item_open(trainer=user, submission_id=submission.pk)
            with guard:
                won.append(user.pk)
        except QueueItemLockedError:
            with guard:
                locked_out.append(user.pk)
        except Exception as exc:  # surfaced by the assertion below
            with guard:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=open_item, args=(t,)) for t in trainers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(won) == 1
    assert len(locked_out) == len(trainers) - 1
    assert QueueItem.objects.get().locked_by_id == won[0]


# ---- paging and filtering ------------------------------------------------------------------


def _flagged(agent, exercise, n):
    subs = []
    for _ in range(n):
        submission = graded_submission(agent, exercise, {"accuracy": 2, "empathy": 1})
        FlagFactory(submission=submission, reason=Flag.Reason.DISAGREEMENT)
        subs.append(submission)
    return subs


def test_kind_filter_splits_flagged_work_from_the_audit_sample(exercise, agent_in, trainer):
    cohort = agent_in.memberships.get().cohort
    (flagged,) = _flagged(agent_in, exercise, 1)
    sampled = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    AuditDrawFactory(submission=sampled, cohort=cohort, sampled=True, rate=0.12)
    # Sampled and flagged: counts as flagged, not twice.
    both = _flagged(agent_in, exercise, 1)[0]
    AuditDrawFactory(submission=both, cohort=cohort, sampled=True, rate=0.12)

    assert _ids(queue_for_trainer(user=trainer)) == [flagged.pk, sampled.pk, both.pk]
    assert _ids(queue_for_trainer(user=trainer, kind=QueueKind.FLAGGED)) == [flagged.pk, both.pk]
    assert _ids(queue_for_trainer(user=trainer, kind=QueueKind.AUDIT)) == [sampled.pk]
    summary = queue_summary_for_trainer(user=trainer)
    assert (summary.waiting, summary.flagged, summary.audit) == (3, 2, 1)
    assert QueueKind.clean("nonsense") == QueueKind.ALL


def test_queue_page_lists_every_item_across_pages(client, exercise, agent_in, trainer):
    subs = _flagged(agent_in, exercise, QUEUE_PAGE_SIZE + 3)
    client.force_login(trainer)
    url = reverse("grading:console-queue")
    first = client.get(url).content.decode()
    second = client.get(url + "?kind=&page=2").content.decode()
    assert f'data-submission="{subs[0].pk}"' in first
    assert f'data-submission="{subs[QUEUE_PAGE_SIZE].pk}"' not in first
    assert "Page 1 of 2" in first and "page=2" in first
    on_second = [s.pk for s in subs if f'data-submission="{s.pk}"' in second]
    assert on_second == [s.pk for s in subs[QUEUE_PAGE_SIZE:]]
    # A page past the end shows the last page; garbage shows the first.
    assert "Page 2 of 2" in client.get(url + "?page=99").content.decode()
    assert "Page 1 of 2" in client.get(url + "?page=abc").content.decode()
    audit_only = client.get(url + "?kind=audit").content.decode()
    assert "Nothing of this kind waits for review." in audit_only
    assert f"{QUEUE_PAGE_SIZE + 3} waiting: {QUEUE_PAGE_SIZE + 3} flagged" in first
