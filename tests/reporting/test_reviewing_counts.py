"""Reviewing counts: a cohort's `review_share` gives that share of each agent's average and
criterion averages (mastery) to the agreement of their reviews with trainers and with the
consensus, applied when reading, and shown to the agent with how it was computed."""

import pytest
from django.urls import reverse

from grading.console.models import CohortGradingSettings
from grading.peer.scoring import ReviewerAccuracy, ReviewingShare
from reporting import progress
from tests.factories import (
    CohortGradingSettingsFactory,
    MembershipFactory,
    ReviewerCalibrationAttemptFactory,
    UserFactory,
)
from tests.grading.console.conftest import graded_submission, peer_review

pytestmark = pytest.mark.django_db


# ---- the arithmetic -------------------------------------------------------------------------


def test_the_blend_is_the_shares_of_work_and_agreement():
    reviewing = ReviewingShare(share=0.2, accuracy=ReviewerAccuracy(trainer_samples=(0.9,)))
    assert reviewing.agreement == pytest.approx(0.9)
    assert reviewing.blend(0.5) == pytest.approx(0.8 * 0.5 + 0.2 * 0.9)
    assert reviewing.blend(None) is None
    assert (reviewing.share_percent, reviewing.work_share_percent, reviewing.percent) == (
        20,
        80,
        90,
    )


def test_trainer_agreement_weighs_five_to_the_consensus_three_and_helpfulness_not_at_all():
    accuracy = ReviewerAccuracy(
        trainer_samples=(1.0,), consensus_samples=(0.6,), helpfulness_ratings=(1, 1)
    )
    reviewing = ReviewingShare(share=0.5, accuracy=accuracy)
    assert reviewing.agreement == pytest.approx((1.0 * 5 + 0.6 * 3) / 8)


def test_nothing_measured_or_no_share_leaves_the_work_alone():
    assert ReviewingShare(share=0.3).blend(0.4) == 0.4
    measured = ReviewerAccuracy(trainer_samples=(0.0,))
    assert ReviewingShare(share=0.0, accuracy=measured).blend(0.4) == 0.4
    assert not ReviewingShare(share=0.3).applies


# ---- the readers --------------------------------------------------------------------------


@pytest.fixture
def counted(exercise, console_cohort, agent_in):
    """An agent with one graded submission (accuracy 3/3, empathy 0/3: 50%), a calibration
    attempt 0.1 off the trainer (agreement 0.9), in a cohort where reviewing counts 20%."""
    CohortGradingSettingsFactory(cohort=console_cohort, review_share=0.2)
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 0})
    ReviewerCalibrationAttemptFactory(reviewer=agent_in, exercise=exercise, error=0.1)
    return agent_in


def test_mastery_and_the_agents_grade_include_reviewing(counted):
    standing = progress.agent_standing(user=counted)
    assert standing.work_percent == 50
    assert standing.average == pytest.approx(0.8 * 0.5 + 0.2 * 0.9)
    assert standing.percent == 58
    (module,) = standing.mastery
    # accuracy: 0.8 x 1.0 + 0.2 x 0.9 = 98%; empathy: 0.8 x 0 + 0.2 x 0.9 = 18%.
    assert dict(module.criteria) == {"Accuracy": 98, "Empathy": 18}
    assert progress.mastery_for_agent(user=counted)[0].criteria == module.criteria


def test_the_stored_final_grades_stay_the_grades_of_the_work(counted):
    from grading.console.grades import final_grades_refresh
    from grading.console.models import StoredFinalGrade

    stored = StoredFinalGrade.objects.get(submission__user=counted)
    assert stored.total == pytest.approx(0.5)
    # Nothing to repair: the share is applied when reading.
    assert final_grades_refresh(submission_ids=[stored.submission_id], check_only=True) == []


def test_the_cohort_dashboard_and_drill_down_blend_and_say_so(
    client, counted, console_cohort, trainer
):
    overview = progress.cohort_progress(cohort=console_cohort)
    (row,) = overview.agents
    assert row.average == 58
    assert overview.review_share == 0.2
    detail = progress.agent_progress(cohort=console_cohort, agent=counted)
    assert dict(detail.mastery[0].criteria) == {"Accuracy": 98, "Empathy": 18}
    client.force_login(trainer)
    page = client.get(reverse("grading:console-progress", args=[console_cohort.slug]))
    assert "reviewing counts for 20%" in page.content.decode()
    agent_page = client.get(
        reverse("grading:console-agent", args=[console_cohort.slug, counted.pk])
    ).content.decode()
    assert "Reviewing counts for 20%" in agent_page and "review accuracy 90%" in agent_page


def test_the_agent_sees_how_it_was_computed(client, counted):
    client.force_login(counted)
    html = client.get(reverse("agent-home")).content.decode()
    assert "How your reviewing counts" in html
    assert "Your review accuracy is <strong>90%</strong>" in html
    assert "grades (90% over 1 calibration attempt)" in html
    times = "\u00d7"
    assert f"50% (your work) {times} 80% + 90% (your reviewing) {times} 20% = <strong>58%" in html


def test_an_agent_not_yet_measured_keeps_the_grade_of_their_work(
    client, exercise, console_cohort, agent_in
):
    CohortGradingSettingsFactory(cohort=console_cohort, review_share=0.3)
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 0})
    assert progress.agent_standing(user=agent_in).percent == 50
    client.force_login(agent_in)
    html = client.get(reverse("agent-home")).content.decode()
    assert "not measured yet" in html


def test_consensus_agreement_counts_too(exercise, console_cohort, agent_in):
    """Two reviewers of one submission: each agrees with the other's scores (the consensus)."""
    CohortGradingSettingsFactory(cohort=console_cohort, review_share=0.5)
    graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2})
    author = UserFactory()
    MembershipFactory(cohort=console_cohort, user=author)
    reviewed = graded_submission(author, exercise, {"accuracy": 2, "empathy": 2})
    peer_review(reviewed, agent_in, {"accuracy": 3, "empathy": 3})
    peer_review(reviewed, UserFactory(), {"accuracy": 0, "empathy": 3})
    standing = progress.agent_standing(user=agent_in)
    # Off by 3/3 on accuracy and 0 on empathy: agreement 1 - 0.5 = 0.5.
    assert standing.reviewing.consensus_percent == 50
    assert standing.reviewing.trainer_percent is None
    assert standing.average == pytest.approx(0.5 * (2 / 3) + 0.5 * 0.5, abs=1e-3)


def test_the_settings_page_saves_the_share_and_refuses_more_than_half(
    client, trainer, console_cohort
):
    client.force_login(trainer)
    url = reverse("grading:console-settings", args=[console_cohort.slug])
    data = {"release_mode": "immediate", "audit_percent": "12", "mastery_percent": "70"}
    refused = client.post(url, {**data, "review_percent": "60"})
    assert refused.status_code == 400
    assert 'value="60"' in refused.content.decode()
    assert client.post(url, {**data, "review_percent": "15"}).status_code == 302
    assert CohortGradingSettings.objects.get(cohort=console_cohort).review_share == 0.15
    # A form without the field (posted before it existed) keeps the saved share.
    assert client.post(url, data).status_code == 302
    assert CohortGradingSettings.objects.get(cohort=console_cohort).review_share == 0.15


def test_the_dashboard_reads_a_constant_number_of_queries_when_reviewing_counts(
    exercise, console_cohort, agent_in, django_assert_num_queries
):
    CohortGradingSettingsFactory(cohort=console_cohort, review_share=0.2)
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 0})
    ReviewerCalibrationAttemptFactory(reviewer=agent_in, exercise=exercise)
    progress.cohort_progress(cohort=console_cohort)
    with django_assert_num_queries(12) as small:
        progress.cohort_progress(cohort=console_cohort)
    for _ in range(4):
        other = UserFactory()
        MembershipFactory(cohort=console_cohort, user=other)
        reviewed = graded_submission(other, exercise, {"accuracy": 1, "empathy": 1})
        ReviewerCalibrationAttemptFactory(reviewer=other, exercise=exercise)
        peer_review(reviewed, agent_in, {"accuracy": 1, "empathy": 2})
        peer_review(reviewed, UserFactory(), {"accuracy": 2, "empathy": 2})
    with django_assert_num_queries(len(small.captured_queries)):
        progress.cohort_progress(cohort=console_cohort)
