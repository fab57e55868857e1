"""A trainer creates a cohort, invites an agent and assigns a module in a real browser; the
agent signs up from the emailed link, joins, and finds the work with its due date."""

import re

import pytest
from django.core import mail

from curriculum.models import Cohort, Invitation
from exercises.models import Assignment
from tests.browser_fixtures import new_checked_context, new_checked_page
from tests.factories import TEST_PASSWORD, TrainerFactory, exercise_with_scenarios

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offline(settings):
    settings.LLM_BASE_URL = ""
    settings.LLM_MODEL = ""


def test_trainer_creates_a_cohort_invites_an_agent_and_assigns_a_module(
    browser, page, live_server, offline, settings
):
    settings.SITE_URL = live_server.url
    exercise = exercise_with_scenarios(
        type="tone", scenarios=["tone-charged-twice-caps"], title="Read the state"
    )
    module = exercise.module
    trainer = TrainerFactory(email="tess@example.com", full_name="Tess Trainer")

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(trainer.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/trainer/")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cohorts").click()
    page.wait_for_url("**/cohorts/")
    page.get_by_role("link", name="New cohort").first.click()
    page.get_by_label("Cohort name").fill("Spring intake")
    page.get_by_role("button", name="Create cohort").click()
    page.wait_for_url("**/cohorts/spring-intake/")
    assert page.get_by_role("heading", name="Spring intake").is_visible()
    assert Cohort.objects.get(slug="spring-intake").trainers.get() == trainer

    page.get_by_label("Agent's email").fill("river@example.com")
    page.get_by_label("Name (optional)").fill("River Agent")
    page.get_by_role("button", name="Send invitation").click()
    page.wait_for_url("**/cohorts/spring-intake/")
    assert "river@example.com: invitation created" in page.locator(".messages").inner_text()
    assert page.get_by_role("cell", name="river@example.com").is_visible()
    invitation = Invitation.objects.get(email="river@example.com")
    assert invitation.sent_at is not None

    page.get_by_role("link", name="Assign work").click()
    page.wait_for_url("**/assignments/new/")
    page.get_by_label("What to assign").select_option(label=module.title)
    page.get_by_role("button", name="Assign").click()
    page.wait_for_url("**/cohorts/spring-intake/")
    assignments = page.get_by_role("region", name="Assignments")
    assert assignments.get_by_text(module.title).is_visible()
    assignment = Assignment.objects.get()
    assert assignment.module == module and assignment.created_by == trainer

    # The invitee follows the emailed link in their own browser session.
    invite_mail = next(m for m in mail.outbox if m.to == ["river@example.com"])
    link = re.search(r"https?://\S+/cohorts/join/\S+/", invite_mail.body).group(0)
    agent_context, _csp = new_checked_context(browser, live_server.url)
    agent = new_checked_page(agent_context)
    try:
        agent.goto(link)
        assert agent.get_by_role("heading", name="Join Spring intake").is_visible()
        agent.get_by_role("link", name="Create your account").click()
        assert agent.get_by_label("Email").input_value() == "river@example.com"
        agent.get_by_label("Your name").fill("River Agent")
        agent.locator("#id_password1").fill("a-long-unique-passphrase")
        agent.locator("#id_password2").fill("a-long-unique-passphrase")
        agent.get_by_role("button", name="Sign Up").click()
        agent.wait_for_url(re.compile(r".*/cohorts/join/.+/$"))
        agent.get_by_role("button", name="Join Spring intake").click()
        agent.wait_for_url("**/agent/")
        assert "Welcome to Spring intake" in agent.locator(".messages").inner_text()
        assigned = agent.get_by_role("region", name="Assigned to you")
        assert assigned.get_by_text(module.title).is_visible()
        assert "Due" in assigned.inner_text()
        agent.locator("[data-next-step]").click()
        agent.wait_for_url(f"**/exercises/{exercise.slug}/tone-charged-twice-caps/")
    finally:
        agent_context.close()
