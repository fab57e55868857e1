"""A monthly calibration cycle in real browsers, without JavaScript of its own: a trainer
flags a submission, holds a session with a co-trainer (blind scores, the spread, a comment,
agreed scores), publishes the item as an example, concludes the session; an agent finds the
example in the gallery with the passage marked. Then the escalation to a lead trainer, and
a disputed peer review upheld with a note the agent reads."""

import copy

import pytest

from grading.calibration.models import CalibrationFlag, PublishedExample
from grading.console.grades import final_grades_refresh
from grading.console.models import TrainerCalibrationSession
from grading.models import PeerReview
from grading.peer import services as peer_services
from tests.factories import (
    TEST_PASSWORD,
    TONE_ANSWER,
    CohortFactory,
    CriterionScoreFactory,
    GradeFactory,
    MembershipFactory,
    PeerQueueEntryFactory,
    PeerReviewFactory,
    PeerScoreFactory,
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
    page.wait_for_load_state()


def _other(browser, live_server, user):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(page, user)
    return context, page


@pytest.fixture
def world(db):
    version = RubricVersionFactory(
        rubric__slug="console-test", rubric__title="Console test", snapshot=SNAPSHOT
    )
    exercise = exercise_with_scenarios(
        type="tone", scenarios=["tone-charged-twice-caps"], rubric_slug="console-test",
        title="Read the state",
    )  # fmt: skip
    trainer = TrainerFactory(email="cal.trainer@example.com", full_name="Tess Trainer")
    co = TrainerFactory(email="cal.co@example.com", full_name="Cora Co-trainer")
    lead = TrainerFactory(email="cal.lead@example.com", full_name="Lee Lead")
    agent = UserFactory(email="cal.agent@example.com", full_name="Avery Agent")
    cohort = CohortFactory(trainers=[trainer, co, lead], name="June cohort")
    MembershipFactory(cohort=cohort, user=agent)
    submission = SubmissionFactory(user=agent, exercise=exercise, answer=copy.deepcopy(TONE_ANSWER))
    grade = GradeFactory(submission=submission, rubric_version=version)
    for order, (key, points) in enumerate((("accuracy", 3), ("empathy", 2))):
        CriterionScoreFactory(grade=grade, criterion_key=key, order=order, points=points)
    final_grades_refresh(submission_ids=[submission.pk])
    return {
        "trainer": trainer, "co": co, "lead": lead, "agent": agent, "cohort": cohort,
        "submission": submission, "version": version,
    }  # fmt: skip


def _hand_in(page, session_id, points):
    page.goto(f"/grading/console/calibration/{session_id}/")
    for key, value in points.items():
        page.locator(f'input[name$="__{key}"][value="{value}"]').check()
    page.get_by_role("button", name="Hand in my scores").click()
    page.locator(".messages").get_by_text("Scores handed in").wait_for()


def _start_session(page, world, *, pick_submission=False):
    page.goto(f"/grading/console/cohorts/{world['cohort'].slug}/calibration/")
    page.get_by_label("Title").fill("June empathy calibration")
    if pick_submission:
        others = page.get_by_role("group", name="Other submissions to score")
        others.get_by_role("checkbox").first.check()
    page.get_by_label("Cora Co-trainer (cal.co@example.com)").check()
    page.get_by_role("button", name="Start the session").click()
    page.locator(".messages").get_by_text("Trainer calibration session created").wait_for()
    return TrainerCalibrationSession.objects.get(title="June empathy calibration")


def test_a_trainer_runs_a_calibration_cycle_and_the_agent_sees_the_example(
    page, browser, live_server, world
):
    submission = world["submission"]
    _log_in(page, world["trainer"])
    # 1. Flag during the month, from the review page.
    page.goto(f"/grading/console/queue/{submission.pk}/")
    flag_form = page.locator("#calibration-flag")
    flag_form.get_by_label("exemplary").check()
    flag_form.get_by_label("On").select_option("empathy")
    flag_form.get_by_role("button", name="Flag for the next calibration session").click()
    assert "Say what makes it exemplary" in page.locator("#calibration-flag").inner_text()
    page.locator("#flag-note").fill("Names what the charge means to a small business.")
    page.locator("#calibration-flag").get_by_role("button").click()
    page.locator(".messages").get_by_text("Flagged for calibration").wait_for()
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Calibration inbox"
    ).click()
    assert "Names what the charge means" in page.locator("#calibration-inbox").inner_text()

    # 2. A session with a co-trainer takes the flag up (offered and checked first).
    page.goto(f"/grading/console/cohorts/{world['cohort'].slug}/calibration/")
    flags = page.get_by_role("group", name="Flagged in the calibration inbox")
    assert flags.get_by_role("checkbox").first.is_checked()
    session = _start_session(page, world)
    assert CalibrationFlag.objects.get().session == session
    _hand_in(page, session.pk, {"accuracy": 3, "empathy": 3})
    assert "Waiting for 1 more trainer" in page.locator("#trainer-calibration-waiting").inner_text()

    co_context, co_page = _other(browser, live_server, world["co"])
    _hand_in(co_page, session.pk, {"accuracy": 1, "empathy": 3})
    # 3. The spread shows; far-apart rows are highlighted; discuss and agree.
    assert co_page.locator("tr[data-highlighted]").count() == 1
    item = session.items.get()
    co_page.locator(f"#comment-{item.pk}").fill("The $7.50 is right: I misread it.")
    co_page.get_by_role("button", name="Add comment").click()
    co_page.locator(".messages").get_by_text("Comment added").wait_for()
    agree = co_page.locator(f"#agree-{item.pk}")
    assert agree.locator('input[name="agreed__empathy"][value="3"]').is_checked()  # unanimous
    agree.locator('input[name="agreed__accuracy"][value="3"]').check()
    agree.get_by_role("button", name="Record the agreed scores").click()
    co_page.locator(".messages").get_by_text("Agreed scores recorded").wait_for()
    co_context.close()

    # 4. Publish with one action, then conclude.
    page.reload()
    assert "The $7.50 is right" in page.locator(f"#item-{item.pk}").inner_text()
    publish = page.locator(f"#publish-{item.pk}")
    publish.locator("summary").click()
    publish.get_by_label("Criterion it shows").select_option("empathy")
    publish.get_by_label("Title").fill("Feelings first, then the fix")
    publish.get_by_label("Commentary for agents (Markdown)").fill("It names **the worry** first.")
    publish.get_by_label("Passage 1").fill("every dollar matters")
    publish.get_by_role("button", name="Publish").click()
    page.locator(".messages").get_by_text("Published").wait_for()
    published = PublishedExample.objects.get()
    assert published.example.exercise == submission.exercise  # practice set and LLM examples
    page.get_by_role("button", name="Conclude the session and keep its outcome").click()
    page.locator(".messages").get_by_text("Session concluded").wait_for()
    outcome = page.locator("#calibration-outcome").inner_text()
    assert "50%" in outcome and "over 2 pairs" in outcome
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the outcome (CSV)").click()
    assert download.value.suggested_filename == f"calibration-session-{session.pk}.csv"

    # 5. The agent sees the example, anonymised, with the passage marked.
    agent_context, agent_page = _other(browser, live_server, world["agent"])
    agent_page.get_by_role("navigation", name="Main").get_by_role("link", name="Examples").click()
    agent_page.get_by_label("Search").fill("feelings")
    agent_page.get_by_role("button", name="Show").click()
    agent_page.get_by_role("link", name="Feelings first, then the fix").click()
    assert agent_page.locator("mark").inner_text() == "every dollar matters"
    assert "Avery Agent" not in agent_page.locator("main").inner_text()
    agent_context.close()


def test_trainers_who_stay_apart_send_the_item_to_a_lead_who_decides(
    page, browser, live_server, world
):
    _log_in(page, world["trainer"])
    session = _start_session(page, world, pick_submission=True)
    _hand_in(page, session.pk, {"accuracy": 3, "empathy": 2})
    co_context, co_page = _other(browser, live_server, world["co"])
    _hand_in(co_page, session.pk, {"accuracy": 0, "empathy": 2})
    co_context.close()
    item = session.items.get()
    page.reload()
    page.get_by_text("We stay apart: send it to a lead trainer").click()
    page.get_by_label("Lead trainer").select_option(label="Lee Lead (cal.lead@example.com)")
    page.get_by_role("button", name="Send to the lead trainer").click()
    assert "Say where you stay apart" in page.locator(f"#item-{item.pk}").inner_text()
    page.get_by_label("Where you stay apart").fill("3 or 0 on accuracy: is the proration right?")
    page.get_by_role("button", name="Send to the lead trainer").click()
    page.locator(".messages").get_by_text("Sent to the lead trainer").wait_for()
    assert page.get_by_role("button", name="Conclude the session and keep its outcome").count() == 0

    lead_context, lead_page = _other(browser, live_server, world["lead"])
    # The lead finds it in their calibration inbox.
    lead_page.goto("/grading/console/calibration/inbox/")
    lead_page.locator("#escalations-waiting").get_by_role("link").click()
    lead_page.wait_for_url(f"**/grading/console/calibration/{session.pk}/**")
    decide = lead_page.locator(f"#decide-{item.pk}")
    decide.locator('input[name="decided__accuracy"][value="3"]').check()
    decide.locator('input[name="decided__empathy"][value="2"]').check()
    decide.get_by_label("Why these scores stand").fill("The KB confirms the $7.50 proration.")
    decide.get_by_role("button", name="Record my decision").click()
    lead_page.locator(".messages").get_by_text("Your decision is recorded").wait_for()
    assert "Lead trainer's decision" in lead_page.locator(f"#escalation-{item.pk}").inner_text()
    lead_context.close()

    page.reload()
    page.get_by_role("button", name="Conclude the session and keep its outcome").click()
    outcome = page.locator("#calibration-outcome").inner_text()
    assert "2 decided by a lead trainer" in outcome  # both criteria of the one item


def test_a_trainer_upholds_a_disputed_peer_review_and_the_agent_reads_the_note(
    page, browser, live_server, world
):
    submission, agent = world["submission"], world["agent"]
    exercise = submission.exercise
    exercise.settings = {**exercise.settings, "peer_reviews_required": 1, "peer_reviews_to_give": 0}
    exercise.save(update_fields=["settings"])
    PeerQueueEntryFactory(submission=submission, required=1, active_count=1, completed_count=1)
    review = PeerReviewFactory(
        submission=submission, reviewer=UserFactory(full_name="Rita Reviewer"),
        rubric_version=world["version"], completed=True, comments="Too short.",
    )  # fmt: skip
    for order, (key, points) in enumerate((("accuracy", 0), ("empathy", 0))):
        PeerScoreFactory(review=review, criterion_key=key, order=order, points=points)
    final_grades_refresh(submission_ids=[submission.pk])
    peer_services.peer_review_dispute(
        review_id=review.pk, author=agent, reason="The reply explains the charge and the fix."
    )

    _log_in(page, world["trainer"])
    page.goto(f"/grading/console/queue/{submission.pk}/")
    dispute = page.locator(f"#dispute-{review.pk}")
    assert "The reply explains the charge and the fix." in dispute.inner_text()
    assert "Too short." in dispute.inner_text()
    dispute.get_by_label("Uphold").check()
    dispute.get_by_label("Note to the agent").fill("You are right; that review no longer counts.")
    dispute.get_by_role("button", name="Record the decision").click()
    page.locator(".messages").get_by_text("Dispute upheld").wait_for()
    review.refresh_from_db()
    assert review.status == PeerReview.Status.OVERTURNED

    agent_context, agent_page = _other(browser, live_server, agent)
    agent_page.goto(f"/submissions/{submission.pk}/")
    note = agent_page.locator("[data-dispute-decision]")
    assert "You are right; that review no longer counts." in note.inner_text()
    agent_context.close()
