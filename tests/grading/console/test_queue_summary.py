"""The trainer home says how much waits in the review queue."""

import pytest
from django.urls import reverse

from grading.console.selectors import queue_summary_for_trainer
from grading.models import Flag
from tests.factories import (
    AuditDrawFactory,
    CohortFactory,
    FlagFactory,
    MembershipFactory,
    TrainerFactory,
    UserFactory,
)
from tests.grading.console.conftest import graded_submission

pytestmark = pytest.mark.django_db


def test_summary_counts_flagged_and_audit_sample_of_own_cohorts_only(trainer, agent_in, exercise):
    flagged = graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 2})
    FlagFactory(submission=flagged, reason=Flag.Reason.LLM_FAILED)
    sampled = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2})
    AuditDrawFactory(submission=sampled, cohort=agent_in.cohorts.get(), sampled=True, rate=0.12)
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3})  # nothing to do
    stranger = UserFactory()
    MembershipFactory(cohort=CohortFactory(trainers=[TrainerFactory()]), user=stranger)
    elsewhere = graded_submission(stranger, exercise, {"accuracy": 0, "empathy": 0})
    FlagFactory(submission=elsewhere, reason=Flag.Reason.LLM_FAILED)

    summary = queue_summary_for_trainer(user=trainer)
    assert (summary.waiting, summary.flagged) == (2, 1)


def test_trainer_home_shows_the_summary(client, trainer, agent_in, exercise):
    flagged = graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 2})
    FlagFactory(submission=flagged, reason=Flag.Reason.DISPUTE)
    client.force_login(trainer)
    page = client.get(reverse("trainer-home")).content.decode()
    assert (
        "1 submission waits in the review queue: 1 flagged, 0 from the random audit sample" in page
    )
    assert reverse("grading:console-queue") in page


def test_empty_queue_says_so(client, trainer):
    client.force_login(trainer)
    assert (
        "Nothing waits in the review queue" in client.get(reverse("trainer-home")).content.decode()
    )
