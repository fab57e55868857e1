"""A trainer opens a flagged submission from the review queue in a real browser, overrides
a score with a reason, and the agent sees that their grade changed."""

import pytest

from grading.console.grades import final_grades_refresh
from grading.console.models import GradeOverride, QueueItem, TrainerReview
from grading.models import Flag
from tests.browser_fixtures import new_checked_context, new_checked_page
from tests.factories import (
    TEST_PASSWORD,
    CohortFactory,
    CriterionScoreFactory,
    FlagFactory,
    GradeFactory,
    MembershipFactory,
    RubricVersionFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
    exercise_with_scenarios,
)
from tests.grading.console.conftest import SNAPSHOT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, user):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def test_trainer_overrides_a_grade_from_the_queue(page, browser, live_server):
    version = RubricVersionFactory(
        rubric__slug="console-test", rubric__title="Console test", snapshot=SNAPSHOT
    )
    exercise = exercise_with_scenarios(
        type="tone", scenarios=["tone-charged-twice-caps"], rubric_slug="console-test",
        title="Read the state",
    )  # fmt: skip
    trainer = TrainerFactory(email="flow.trainer@example.com", full_name="Tess Trainer")
    agent = UserFactory(email="flow.agent@example.com", full_name="Avery Agent")
    MembershipFactory(cohort=CohortFactory(trainers=[trainer]), user=agent)
    submission = SubmissionFactory(user=agent, exercise=exercise)
    grade = GradeFactory(submission=submission, rubric_version=version)
    for order, (key, points) in enumerate((("accuracy", 2), ("empathy", 1))):
        CriterionScoreFactory(grade=grade, criterion_key=key, order=order, points=points)
    final_grades_refresh(submission_ids=[submission.pk])  # as grading.services.grade_store
    FlagFactory(submission=submission, reason=Flag.Reason.LLM_FAILED)

    _log_in(page, trainer)
    page.wait_for_url("**/trainer/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Review queue").click()
    row = page.locator(f'#review-queue tr[data-submission="{submission.pk}"]')
    assert "LLM grading failed" in row.inner_text()
    row.get_by_role("button", name="Review").click()
    page.wait_for_url(f"**/grading/console/queue/{submission.pk}/")
    assert "Locked to you" in page.locator("#lock-state").inner_text()
    assert QueueItem.objects.get(submission=submission).locked_by == trainer

    # The case beside the answer: the customer's message the tone answers.
    case = page.locator("section.review-case")
    assert "Derek Lindqvist" in case.inner_text()
    assert "CHARGED TWICE" in case.locator("[data-customer-message]").inner_text()
    answer_box = page.locator("section[aria-labelledby=answer-heading]").bounding_box()
    case_box = case.bounding_box()
    assert case_box["x"] + case_box["width"] <= answer_box["x"]  # side by side on a desktop
    # Compact criteria: level descriptions folded, one click away.
    # ~5,700 px before; the page now also holds the calibration flag form (about 400 px)
    assert page.evaluate("document.documentElement.scrollHeight") < 2400
    accuracy = page.locator('tr[data-criterion="accuracy"]')
    assert not accuracy.get_by_text("A2", exact=True).is_visible()
    accuracy.get_by_text("What the levels mean").click()
    assert accuracy.get_by_text("A2", exact=True).is_visible()
    # Levels are shown, prefilled from the current (automatic) grade.
    assert accuracy.get_by_label("Accuracy level 2").is_checked()
    accuracy.get_by_label("Accuracy level 0").check()
    page.get_by_role("button", name="Save grade and resolve").click()
    assert "Say why you change this score." in accuracy.inner_text()
    assert accuracy.get_by_label("Accuracy level 0").is_checked()  # kept what was chosen

    accuracy.get_by_label("Reason if you change it").fill("Promises SMS reminders Starter lacks.")
    page.get_by_label("Note to the agent (optional)").fill("Check the plan before promising.")
    page.get_by_role("button", name="Save grade and resolve").click()
    page.locator(".messages").get_by_text("Grade saved").wait_for()
    log = page.locator("#override-log")
    assert "Promises SMS reminders Starter lacks." in log.inner_text()
    assert "Tess Trainer" in log.inner_text()
    assert "Accuracy" in log.inner_text() and "accuracy" not in log.inner_text()

    record = GradeOverride.objects.get()
    assert (record.criterion_key, record.from_points, record.to_points) == ("accuracy", 2.0, 0)
    assert TrainerReview.objects.get().changed
    assert not Flag.objects.filter(resolved_at__isnull=True).exists()

    # The agent sees the trainer's grade and the notice, in their own browser session.
    context, _csp = new_checked_context(browser, live_server.url)
    agent_page = new_checked_page(context)
    _log_in(agent_page, agent)
    agent_page.wait_for_url("**/agent/")
    agent_page.goto(f"/submissions/{submission.pk}/")
    notice = agent_page.locator('[data-testid="trainer-changed"]')
    assert "changed your grade" in notice.inner_text()
    assert "Check the plan before promising." in notice.inner_text()
    assert "Promises SMS" not in agent_page.content()
    context.close()
