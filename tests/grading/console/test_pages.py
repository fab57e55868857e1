"""Console pages: cohort isolation (by URL guessing too), agents kept out, the review form,
grading settings and trainer calibration pages."""

import pytest
from django.urls import reverse

from grading.console import services
from grading.console.models import CohortGradingSettings, GradeOverride, QueueItem
from grading.models import Flag
from tests.factories import (
    CohortFactory,
    CohortGradingSettingsFactory,
    FlagFactory,
    MembershipFactory,
    TrainerFactory,
    UserFactory,
)

from .conftest import graded_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(exercise, agent_in, trainer, console_cohort):
    """Two cohorts with a trainer each; one flagged submission in each; a session in the first."""
    mine = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    FlagFactory(submission=mine, reason=Flag.Reason.LLM_FAILED)
    other_trainer = TrainerFactory()
    other_cohort = CohortFactory(trainers=[other_trainer])
    other_agent = UserFactory()
    MembershipFactory(cohort=other_cohort, user=other_agent)
    theirs = graded_submission(other_agent, exercise, {"accuracy": 1, "empathy": 1})
    FlagFactory(submission=theirs, reason=Flag.Reason.LLM_FAILED)
    session = services.trainer_calibration_session_create(
        trainer=trainer, cohort=console_cohort, title="Round",
        submission_ids=[mine.pk], co_trainer_ids=[],
    )  # fmt: skip
    return {
        "mine": mine,
        "theirs": theirs,
        "other_trainer": other_trainer,
        "other_cohort": other_cohort,
        "other_agent": other_agent,
        "session": session,
    }


def _cohort_urls(cohort, agent):
    slug = cohort.slug
    return [
        reverse("grading:console-progress", args=[slug]),
        reverse("grading:console-settings", args=[slug]),
        reverse("grading:console-grades-csv", args=[slug]),
        reverse("grading:console-progress-csv", args=[slug]),
        reverse("grading:console-quality", args=[slug]),
        reverse("grading:console-held", args=[slug]),
        reverse("grading:console-trainer-calibration-list", args=[slug]),
        reverse("grading:console-agent", args=[slug, agent.pk]),
        reverse("grading:console-queue") + f"?cohort={slug}",
    ]


def _submission_urls(submission):
    return [reverse("grading:console-review", args=[submission.pk])]


def _post_urls(submission, cohort):
    return [
        reverse("grading:console-open", args=[submission.pk]),
        reverse("grading:console-unlock", args=[submission.pk]),
        reverse("grading:console-release", args=[submission.pk]),
        reverse("grading:console-review", args=[submission.pk]),
        reverse("grading:console-release-exercise", args=[cohort.slug]),
        reverse("grading:console-settings", args=[cohort.slug]),
    ]


def test_trainer_opens_every_page_of_their_cohort(client, world, trainer, console_cohort, agent_in):
    client.force_login(trainer)
    urls = [
        reverse("grading:console-home"),
        reverse("grading:console-queue"),
        reverse("grading:console-trainer-calibration", args=[world["session"].pk]),
        *_cohort_urls(console_cohort, agent_in),
        *_submission_urls(world["mine"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_trainer_never_reaches_another_trainers_cohort(
    client, world, trainer, console_cohort, agent_in
):
    client.force_login(world["other_trainer"])
    for url in [
        *_cohort_urls(console_cohort, agent_in),
        *_submission_urls(world["mine"]),
        reverse("grading:console-trainer-calibration", args=[world["session"].pk]),
    ]:
        assert client.get(url).status_code == 403, url
    for url in _post_urls(world["mine"], console_cohort):
        assert client.post(url, {"exercise": world["mine"].exercise_id}).status_code == 403, url
    # Their own agent under my cohort's slug: not found, not leaked.
    url = reverse("grading:console-agent", args=[world["other_cohort"].slug, agent_in.pk])
    assert client.get(url).status_code == 404
    body = client.get(reverse("grading:console-queue")).content.decode()
    assert f'data-submission="{world["theirs"].pk}"' in body
    assert f'data-submission="{world["mine"].pk}"' not in body
    assert not QueueItem.objects.exists()
    assert not GradeOverride.objects.exists()


def test_agents_never_see_console_pages(client, world, agent_in, console_cohort):
    client.force_login(agent_in)
    for url in [
        reverse("grading:console-home"),
        reverse("grading:console-queue"),
        reverse("grading:console-trainer-calibration", args=[world["session"].pk]),
        *_cohort_urls(console_cohort, agent_in),
        *_submission_urls(world["mine"]),
    ]:
        assert client.get(url).status_code == 403, url
    for url in _post_urls(world["mine"], console_cohort):
        assert client.post(url).status_code == 403, url


def test_unknown_ids_are_404(client, world, trainer):
    client.force_login(trainer)
    assert client.get(reverse("grading:console-review", args=[999999])).status_code == 404
    assert client.get(reverse("grading:console-progress", args=["nope"])).status_code == 404


def test_review_form_overrides_with_a_reason(client, world, trainer):
    submission = world["mine"]
    client.force_login(trainer)
    open_url = reverse("grading:console-open", args=[submission.pk])
    review_url = reverse("grading:console-review", args=[submission.pk])
    assert client.post(open_url).status_code == 302
    page = client.get(review_url).content.decode()
    assert "Locked to you" in page
    assert 'value="2" checked' in page  # prefilled from the final grade
    response = client.post(review_url, {"score__accuracy": "0", "score__empathy": "1"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Say why you change this score." in body
    assert 'value="0" checked' in body  # what was typed is kept
    response = client.post(
        review_url,
        {"score__accuracy": "0", "score__empathy": "1", "reason__accuracy": "Invented feature."},
    )
    assert response.status_code == 302
    record = GradeOverride.objects.get()
    assert (record.trainer, record.from_points, record.to_points) == (trainer, 2.0, 0)
    page = client.get(review_url).content.decode()
    assert "Invented feature." in page and "Trainer" in page
    assert not Flag.objects.filter(submission=submission, resolved_at__isnull=True).exists()


def test_second_trainer_sees_who_holds_the_item(client, world, trainer, console_cohort):
    co = TrainerFactory()
    console_cohort.trainers.add(co)
    services.queue_item_open(trainer=trainer, submission_id=world["mine"].pk)
    client.force_login(co)
    queue = client.get(reverse("grading:console-queue")).content.decode()
    assert f"Locked by {trainer.display_name}" in queue
    response = client.post(reverse("grading:console-open", args=[world["mine"].pk]), follow=True)
    assert f"{trainer.display_name} is reviewing this submission" in response.content.decode()
    response = client.post(
        reverse("grading:console-review", args=[world["mine"].pk]),
        {"score__accuracy": "2", "score__empathy": "1"},
    )
    assert response.status_code == 409


def test_settings_form_keeps_the_audit_band(client, world, trainer, console_cohort):
    client.force_login(trainer)
    url = reverse("grading:console-settings", args=[console_cohort.slug])
    response = client.post(
        url, {"release_mode": "on_release", "audit_percent": "30", "mastery_percent": "80"}
    )
    assert response.status_code == 400
    assert 'value="30"' in response.content.decode()
    response = client.post(
        url, {"release_mode": "on_release", "audit_percent": "14", "mastery_percent": "80"}
    )
    assert response.status_code == 302
    found = CohortGradingSettings.objects.get(cohort=console_cohort)
    assert (found.release_mode, found.audit_rate, found.mastery_threshold) == (
        "on_release",
        0.14,
        0.8,
    )


def test_release_buttons(client, world, trainer, console_cohort, agent_in):
    CohortGradingSettingsFactory(cohort=console_cohort, release_mode="on_release")
    client.force_login(trainer)
    progress = client.get(reverse("grading:console-progress", args=[console_cohort.slug]))
    assert "Release all grades of" in progress.content.decode()
    response = client.post(
        reverse("grading:console-release-exercise", args=[console_cohort.slug]),
        {"exercise": world["mine"].exercise_id, "confirm": "yes"},
    )
    assert response.status_code == 302
    assert world["mine"].grade_release is not None


def test_a_partial_trainer_calibration_hand_in_marks_each_missing_score_and_keeps_the_rest(
    client, world, trainer
):
    client.force_login(trainer)
    url = reverse("grading:console-trainer-calibration", args=[world["session"].pk])
    item = world["session"].items.get()
    response = client.post(url, {f"score__{item.pk}__accuracy": "2"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "1 score still to choose, marked below" in html
    empathy = html[html.index(f'aria-describedby="score__{item.pk}__empathy-error"') :]
    assert empathy.index(f'<p class="errorlist" id="score__{item.pk}__empathy-error">') < (
        empathy.index("</fieldset>")
    )
    assert f"score__{item.pk}__accuracy-error" not in html
    assert f'name="score__{item.pk}__accuracy" value="2" checked' in html


def test_trainer_calibration_pages(client, world, trainer, console_cohort):
    client.force_login(trainer)
    url = reverse("grading:console-trainer-calibration", args=[world["session"].pk])
    assert "Hand in my scores" in client.get(url).content.decode()
    response = client.post(url, {})
    assert response.status_code == 400
    item = world["session"].items.get()
    response = client.post(
        url, {f"score__{item.pk}__accuracy": "2", f"score__{item.pk}__empathy": "1"}
    )
    assert response.status_code == 302
    assert "Everyone has handed in" in client.get(url).content.decode()
    create = client.post(
        reverse("grading:console-trainer-calibration-list", args=[console_cohort.slug]),
        {"title": "Second", "submissions": [world["mine"].pk]},
    )
    assert create.status_code == 302
