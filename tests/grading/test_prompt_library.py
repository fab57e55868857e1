"""The trainers' prompt-template page: versions with their uses and released grades,
authoring with a motivating calibration session, reviewing proposals."""

import pytest
from django.urls import reverse

from exercises.models import PromptTemplateVersion
from grading.prompt_library import selectors
from tests.factories import (
    CohortFactory,
    PromptTemplateUseFactory,
    PromptTemplateVersionFactory,
    StoredFinalGradeFactory,
    SubmissionFactory,
    TrainerCalibrationSessionFactory,
    TrainerFactory,
    UserFactory,
    WorkspaceFactory,
)

pytestmark = pytest.mark.django_db


def _used(version, *, total, released=True, times=1):
    """A submission whose workspace inserted `version` `times` times, with a final grade."""
    submission = SubmissionFactory(shipped_tone=True)
    workspace = WorkspaceFactory(
        user=submission.user, exercise=submission.exercise, scenario=submission.scenario
    )
    for _ in range(times):
        PromptTemplateUseFactory(version=version, workspace=workspace, submission=submission)
    StoredFinalGradeFactory(submission=submission, total=total, released=released)
    return submission


def test_stats_count_uses_replies_and_the_mean_of_released_grades_once_per_reply(
    loaded_content,
):
    version = PromptTemplateVersionFactory()
    _used(version, total=0.8, times=2)  # inserted twice: one reply, one grade
    _used(version, total=0.4)
    _used(version, total=0.0, released=False)  # held grades are not shown
    PromptTemplateUseFactory(version=version)  # inserted, not submitted yet
    other = PromptTemplateVersionFactory(template=version.template)
    stats = selectors.prompt_version_stats()
    mine = stats[version.pk]
    assert (mine.uses, mine.submissions, mine.graded) == (5, 3, 2)
    assert mine.mean_grade == pytest.approx(0.6)
    assert mine.mean_percent == 60
    assert other.pk not in stats


def test_the_baseline_is_replies_of_the_type_without_a_template(loaded_content):
    version = PromptTemplateVersionFactory()
    _used(version, total=0.9)
    StoredFinalGradeFactory(submission=SubmissionFactory(shipped_tone=True), total=0.5)
    StoredFinalGradeFactory(submission=SubmissionFactory(shipped_tone=True), total=0.3)
    baseline = selectors.prompt_baseline_by_type()["tone"]
    assert baseline.graded == 2
    assert baseline.mean_grade == pytest.approx(0.4)


def test_a_trainer_cites_only_their_own_cohorts_sessions(client):
    trainer = TrainerFactory()
    cohort = CohortFactory()
    cohort.trainers.add(trainer)
    mine = TrainerCalibrationSessionFactory(cohort=cohort, title="March round")
    theirs = TrainerCalibrationSessionFactory(title="Elsewhere")
    client.force_login(trainer)
    page = client.get(reverse("grading:prompt-library")).content.decode()
    assert "March round" in page and "Elsewhere" not in page
    data = {
        "name": "Urgent, action first",
        "exercise_type": "tone",
        "customer_state": "urgent",
        "body": "Tell {customer_name} what happens next.",
        "change_note": "After the March round.",
        "calibration_session": str(theirs.pk),
    }
    refused = client.post(reverse("grading:prompt-template-create"), data)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "calibration sessions" in html and "Urgent, action first" in html
    assert not PromptTemplateVersion.objects.exists()
    data["calibration_session"] = str(mine.pk)
    assert client.post(reverse("grading:prompt-template-create"), data).status_code == 302
    version = PromptTemplateVersion.objects.get()
    assert (version.calibration_session, version.status) == (mine, "approved")
    page = client.get(reverse("grading:prompt-library")).content.decode()
    assert reverse("grading:console-trainer-calibration", args=[mine.pk]) in page


def test_a_trainer_adds_a_version_and_reviews_proposals(client):
    trainer = TrainerFactory()
    current = PromptTemplateVersionFactory(number=1)
    proposal = PromptTemplateVersionFactory(
        template=current.template,
        number=2,
        author=UserFactory(),
        status="proposed",
        reviewed_by=None,
        reviewed_at=None,
    )
    client.force_login(trainer)
    review = reverse("grading:prompt-proposal-review", args=[proposal.pk])
    no_note = client.post(review, {"decision": "reject", "note": ""})
    assert no_note.status_code == 400
    assert "Say why in a note" in no_note.content.decode()
    assert client.post(review, {"decision": "approve", "note": ""}).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == "approved"
    again = client.post(review, {"decision": "reject", "note": "late"})
    assert again.status_code == 400 and "already approved" in again.content.decode()
    added = client.post(
        reverse("grading:prompt-version-add", args=[current.template_id]),
        {"body": "Shorter: {customer_name}", "change_note": "Shorter", "calibration_session": ""},
    )
    assert added.status_code == 302
    assert current.template.versions.order_by("-number").first().number == 3


def test_agents_are_refused_the_trainer_page(client):
    client.force_login(UserFactory())
    assert client.get(reverse("grading:prompt-library")).status_code == 403
    assert client.post(reverse("grading:prompt-template-create"), {}).status_code == 403


def test_the_trainer_page_reads_a_constant_number_of_queries(
    client, loaded_content, django_assert_num_queries
):
    trainer = TrainerFactory()
    client.force_login(trainer)
    url = reverse("grading:prompt-library")
    version = PromptTemplateVersionFactory()
    _used(version, total=0.5)
    client.get(url)
    with django_assert_num_queries(9) as small:
        client.get(url)
    for _ in range(3):
        more = PromptTemplateVersionFactory()
        _used(more, total=0.7)
        PromptTemplateVersionFactory(
            template=more.template,
            author=UserFactory(),
            status="proposed",
            reviewed_by=None,
            reviewed_at=None,
            calibration_session=TrainerCalibrationSessionFactory(),
        )
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)
