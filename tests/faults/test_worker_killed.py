"""A grading worker killed mid-grade: the job is taken over once its lease expires, by the
redelivered task or the sweep, within 2 minutes, and graded exactly once (issue 13)."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from grading import services
from grading.models import Grade, GradingJob, Rubric
from tests.factories import SubmissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def orphaned(loaded_content, agent):
    """A submission whose worker claimed the job and was then killed (kill -9): the job
    reads "running" and nobody renews its lease."""
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    job = services.grading_claim(submission_id=submission.pk)
    return submission, job


class Retried(Exception):
    def __init__(self, countdown):
        self.countdown = countdown


@pytest.fixture
def task_as_worker(monkeypatch):
    """The grading task as a worker runs it (not eager), with `retry` recording its countdown."""
    from grading.tasks import grade_submission_task

    def retry(*, countdown=None, exc=None, **kwargs):
        return Retried(countdown)

    monkeypatch.setattr(grade_submission_task, "retry", retry)

    def run(submission_id):
        grade_submission_task.push_request(is_eager=False, retries=0)
        try:
            grade_submission_task.run(submission_id=submission_id)
        finally:
            grade_submission_task.pop_request()

    return run


def test_recovery_is_bounded_by_two_minutes():
    """Lease (renewed while the worker lives) plus one sweep period, plus time to grade."""
    sweep = settings.CELERY_BEAT_SCHEDULE["sweep-stuck-grading"]["schedule"]
    assert services.lease_duration().total_seconds() + sweep <= 110


def test_the_redelivered_task_waits_out_the_lease_then_grades_once(orphaned, task_as_worker):
    submission, job = orphaned
    with pytest.raises(Retried) as retried:
        task_as_worker(submission.pk)  # redelivered at once (reject_on_worker_lost)
    assert 0 < retried.value.countdown <= services.lease_duration().total_seconds() + 1
    assert not Grade.objects.filter(submission=submission).exists()

    # The countdown has passed: the lease expired with nobody renewing it.
    GradingJob.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    task_as_worker(submission.pk)
    assert Grade.objects.filter(submission=submission).count() == 1
    job.refresh_from_db()
    assert (job.status, job.runs) == ("done", 2)
    task_as_worker(submission.pk)  # yet another delivery: a no-op
    assert Grade.objects.filter(submission=submission).count() == 1


def test_the_sweep_takes_over_a_job_whose_lease_expired(orphaned):
    submission, job = orphaned
    assert services.grading_sweep_stuck() == []  # the lease still runs: leave it
    after_lease = job.lease_expires_at + timedelta(seconds=1)
    assert services.grading_sweep_stuck(now=after_lease) == [submission.pk]
    assert Grade.objects.filter(submission=submission).count() == 1
    assert GradingJob.objects.get(pk=job.pk).status == "done"


def test_a_worker_that_wakes_up_after_the_takeover_adds_no_second_grade(orphaned):
    submission, job = orphaned
    later = job.lease_expires_at + timedelta(seconds=1)
    services.grading_claim(submission_id=submission.pk, now=later)  # taken over
    # The new owner grades; the stalled one's renewals fail and its store is a no-op.
    assert services.grading_lease_renew(submission_id=submission.pk, run=job.runs) is False
    assert services.grading_lease_renew(submission_id=submission.pk, run=job.runs + 1) is True
    submission_obj = submission.__class__.objects.get(pk=submission.pk)
    rubric_version = Rubric.objects.get(slug="tone-calibration").current_version
    result = services.grade_offline(submission=submission_obj, rubric_version=rubric_version)
    first = services.grade_store(
        submission_id=submission.pk, rubric_version=rubric_version, result=result
    )
    second = services.grade_store(
        submission_id=submission.pk, rubric_version=rubric_version, result=result
    )
    assert first is not None and second is None
    assert Grade.objects.filter(submission=submission).count() == 1


def test_a_live_worker_keeps_its_lease_by_renewing_it(orphaned):
    submission, job = orphaned
    GradingJob.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now())
    assert services.grading_lease_renew(submission_id=submission.pk, run=job.runs)
    renewed = GradingJob.objects.get(pk=job.pk).lease_expires_at
    assert renewed > timezone.now() + services.lease_duration() - timedelta(seconds=5)
    with pytest.raises(services.GradingLeaseHeldError):
        services.grading_claim(submission_id=submission.pk)
