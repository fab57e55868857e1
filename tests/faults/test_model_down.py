"""The model down or rate-limiting (429 with Retry-After), then back: every submission of
the window ends with an LLM grade, none lost, none stuck; meanwhile the offline grade is
shown as provisional. With the model unreachable, AI drafts fall back (issue 13)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from exercises.models import DraftRequest
from grading import services
from grading.llm.errors import LLMTransientError, retry_after_seconds
from grading.models import Flag, Grade, GradingJob, Rubric
from grading.selectors import feedback_for_submission
from tests.factories import CohortFactory, MembershipFactory, SubmissionFactory
from tests.grading.submissions import llm_scores

from .conftest import SCENARIOS, closed_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def rubric(loaded_content):
    return Rubric.objects.get(slug="tone-calibration").current_version.snapshot


# ---- Retry-After and the retry window ---------------------------------------------------------


def test_retry_after_is_read_as_seconds_or_an_http_date():
    now = datetime(2026, 12, 7, 18, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Mon, 07 Dec 2026 18:01:30 GMT", now=now) == 90
    assert retry_after_seconds("Mon, 07 Dec 2026 17:00:00 GMT", now=now) == 0  # past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("") is None
    assert retry_after_seconds(None) is None


def test_a_429_with_retry_after_waits_at_least_that_long_and_shows_the_grade_as_provisional(
    rubric, agent, fake_llm, client
):
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    fake_llm.respond(status=429, headers={"Retry-After": "7"})
    with pytest.raises(services.GradingRetryLaterError) as later:
        services.grading_run(submission_id=submission.pk)
    assert later.value.countdown >= 7
    job = GradingJob.objects.get(submission=submission)
    assert job.status == "queued" and job.llm_attempts == 1 and job.next_attempt_at
    assert Grade.objects.get(submission=submission).grader == "offline"

    feedback = feedback_for_submission(submission=submission)
    assert feedback.provisional and not feedback.pending
    client.force_login(agent)
    page = client.get(reverse("grading:submission-feedback", args=[submission.pk]))
    content = page.content.decode()
    assert "AI grading pending; this grade may change" in content
    assert 'data-poll-every="30000"' in content  # it replaces itself when the LLM grade lands

    # The model is back: the LLM grade replaces the provisional one.
    fake_llm.default = llm_scores(rubric)
    services.grading_run(submission_id=submission.pk)
    feedback = feedback_for_submission(submission=submission)
    assert feedback.grade.grader == "llm"
    assert not feedback.provisional
    assert GradingJob.objects.get(submission=submission).status == "done"
    assert (
        "AI grading pending"
        not in client.get(
            reverse("grading:submission-feedback", args=[submission.pk])
        ).content.decode()
    )


def test_the_trainer_sees_the_provisional_grade_too(rubric, agent, trainer, fake_llm, client):
    cohort = CohortFactory(trainers=[trainer])
    MembershipFactory(cohort=cohort, user=agent)
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    fake_llm.respond(status=503)
    with pytest.raises(services.GradingRetryLaterError):
        services.grading_run(submission_id=submission.pk)
    client.force_login(trainer)
    content = client.get(reverse("grading:console-review", args=[submission.pk])).content.decode()
    assert "AI grading pending; this grade may change" in content


def test_retries_go_on_for_hours_with_a_capped_backoff_then_stop(rubric, agent, settings):
    settings.LLM_RETRY_FOR_SECONDS = 6 * 3600
    settings.LLM_RETRY_MAX_DELAY_SECONDS = 600
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    GradingJob.objects.create(submission=submission, status="running")
    start = timezone.now()
    error = LLMTransientError("HTTP 429", status_code=429, retry_after=100_000)
    waits = []
    for hour in range(6):
        wait = services.grading_llm_wait(
            submission_id=submission.pk, error=error, now=start + timedelta(hours=hour)
        )
        waits.append(wait)
    assert all(w == 600 for w in waits)  # Retry-After honoured, but never past the cap
    assert GradingJob.objects.get(submission=submission).llm_attempts == 6
    assert (
        services.grading_llm_wait(
            submission_id=submission.pk, error=error, now=start + timedelta(hours=6)
        )
        is None
    )


def test_the_backoff_grows_from_the_one_retry_policy(rubric, agent, settings, monkeypatch):
    settings.LLM_RETRY_BASE_SECONDS = 5
    settings.LLM_RETRY_MAX_DELAY_SECONDS = 600
    seen = []

    def spy(retries, *, base, cap):
        seen.append((retries, base, cap))
        return min(cap, base * 2**retries)

    monkeypatch.setattr(services, "backoff_seconds", spy)
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    GradingJob.objects.create(submission=submission, status="running")
    for _ in range(3):
        services.grading_llm_wait(submission_id=submission.pk, error=LLMTransientError("x"))
    assert seen == [(0, 5, 600), (1, 5, 600), (2, 5, 600)]


# ---- a window of submissions through the task, as a worker runs it ------------------------


def test_every_submission_of_an_outage_ends_with_an_llm_grade(rubric, agent, fake_llm, monkeypatch):
    from grading.tasks import grade_submission_task

    countdowns = []

    class Retried(Exception):
        pass

    def retry(*, countdown=None, exc=None, **kwargs):
        countdowns.append(countdown)
        return Retried()

    monkeypatch.setattr(grade_submission_task, "retry", retry)

    def deliver(submission_id):
        grade_submission_task.push_request(is_eager=False, retries=0)
        try:
            grade_submission_task.run(submission_id=submission_id)
        except Retried:
            pass
        finally:
            grade_submission_task.pop_request()

    window = [SubmissionFactory(user=agent, shipped_tone=True) for _ in range(4)]
    fake_llm.outage(3600, status=429, retry_after="30")
    for _ in range(3):  # three rounds of retries during the outage
        for submission in window:
            deliver(submission.pk)
    assert countdowns and min(countdowns) >= 30
    assert not Grade.objects.filter(grader="llm").exists()
    assert Grade.objects.filter(grader="offline").count() == 4
    assert not Flag.objects.exists()  # not given up: still within LLM_RETRY_FOR_SECONDS

    fake_llm.outage(0)  # the model is back
    fake_llm.default = llm_scores(rubric)
    for submission in window:
        deliver(submission.pk)
    assert Grade.objects.filter(grader="llm").count() == 4
    assert set(GradingJob.objects.values_list("status", flat=True)) == {"done"}
    assert services.grading_sweep_stuck(now=timezone.now() + timedelta(hours=1)) == []


# ---- re-running LLM grading afterwards ----------------------------------------------------


def test_regrade_llm_for_flagged_submissions_replaces_the_offline_grade(
    rubric, agent, fake_llm, capsys, django_capture_on_commit_callbacks
):
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    fake_llm.respond(status=429)
    with pytest.raises(services.GradingRetryLaterError):
        services.grading_run(submission_id=submission.pk)
    services.grading_llm_give_up(submission_id=submission.pk, error="down for too long")
    assert Flag.objects.get(submission=submission, resolved_at__isnull=True).reason == "llm_failed"

    fake_llm.default = llm_scores(rubric)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("regrade_llm", "--flagged")
    assert "LLM grading queued for 1 submission(s)" in capsys.readouterr().out
    assert Grade.objects.filter(submission=submission, grader="llm").exists()
    assert not Flag.objects.filter(submission=submission, resolved_at__isnull=True).exists()
    call_command("regrade_llm", "--flagged")  # nothing left to do
    assert "queued for 0 submission(s)" in capsys.readouterr().out


def test_regrade_llm_needs_a_scope_a_known_cohort_and_a_model(rubric, settings):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="say which submissions"):
        call_command("regrade_llm")
    with pytest.raises(CommandError, match="no cohort"):
        call_command("regrade_llm", "--cohort", "999999")
    settings.LLM_BASE_URL = ""
    cohort = CohortFactory()
    with pytest.raises(CommandError, match="No language model is configured"):
        call_command("regrade_llm", "--cohort", str(cohort.pk))


def test_the_trainer_reruns_llm_grading_for_a_cohort_from_its_settings_page(
    rubric, agent, trainer, fake_llm, client, django_capture_on_commit_callbacks
):
    cohort = CohortFactory(trainers=[trainer])
    MembershipFactory(cohort=cohort, user=agent)
    graded_offline = SubmissionFactory(user=agent, shipped_tone=True)
    outsider = SubmissionFactory(user=MembershipFactory().user, shipped_tone=True)
    fake_llm.respond(status=500)
    fake_llm.respond(status=500)
    for submission in (graded_offline, outsider):
        with pytest.raises(services.GradingRetryLaterError):
            services.grading_run(submission_id=submission.pk)
        services.grading_llm_give_up(submission_id=submission.pk, error="HTTP 500")
    fake_llm.default = llm_scores(rubric)
    client.force_login(trainer)
    settings_url = reverse("grading:console-settings", args=[cohort.slug])
    assert 'id="regrade-llm"' in client.get(settings_url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("grading:console-regrade-llm", args=[cohort.slug]),
            {"scope": "cohort"},
            follow=True,
        )
    assert "AI grading queued again for 1 submission" in response.content.decode()
    assert Grade.objects.filter(submission=graded_offline, grader="llm").exists()
    assert not Grade.objects.filter(submission=outsider, grader="llm").exists()
    other_trainer_cohort = CohortFactory()
    forbidden = client.post(
        reverse("grading:console-regrade-llm", args=[other_trainer_cohort.slug]),
        {"scope": "cohort"},
    )
    assert forbidden.status_code in (403, 404)


# ---- AI drafts with the model unreachable ---------------------------------------------------


def test_with_the_model_unreachable_the_draft_step_serves_the_authored_draft(
    settings, client, make_exercise, django_capture_on_commit_callbacks
):
    from tests.factories import UserFactory

    settings.LLM_BASE_URL = f"http://127.0.0.1:{closed_port()}/v1"
    settings.LLM_MODEL = "unreachable-model"
    settings.LLM_TIMEOUT_SECONDS = 1
    exercise = make_exercise("tone")
    scenario = exercise.scenarios.get(slug=SCENARIOS["tone"][0])
    args = [exercise.slug, scenario.slug]
    client.force_login(UserFactory())
    client.get(reverse("exercises:workspace", args=args))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exercises:draft-request", args=args),
            {"revision": "0", "prompt": "He is frustrated: be empathetic."},
            HTTP_ACCEPT="application/json",
        )
    assert response.status_code == 200
    ((draft_id, status_url),) = [(d["id"], d["status_url"]) for d in response.json()["drafts"]]
    draft = client.get(status_url).json()
    assert draft["status"] == "done"
    assert draft["text"]
    assert "The language model could not be reached" in draft["html"]
    assert DraftRequest.objects.get(pk=draft_id).source == "fallback"
