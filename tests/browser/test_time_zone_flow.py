"""Time zones in a real browser: sign-up takes the browser's zone (and works without
JavaScript), and a due date a trainer in New York sets is the same moment for an agent in
Berlin, each reading it in their own zone."""

import re

import pytest

from curriculum.models import User
from exercises.models import Assignment
from tests.browser_fixtures import CSP_LISTENER, is_csp_violation
from tests.factories import (
    TEST_PASSWORD,
    CohortFactory,
    MembershipFactory,
    TrainerFactory,
    UserFactory,
    exercise_with_scenarios,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def open_context(browser, live_server):
    """Browser contexts with their own zone (Playwright's timezone_id) and JavaScript
    setting; each fails the test on a Content-Security-Policy violation."""
    contexts, violations = [], []

    def make(*, zone: str, javascript: bool = True):
        context = browser.new_context(
            base_url=live_server.url, timezone_id=zone, java_script_enabled=javascript
        )
        context.set_default_timeout(15_000)
        context.add_init_script(CSP_LISTENER)
        context.on(
            "console",
            lambda m: violations.append(m.text) if is_csp_violation(m.text) else None,
        )
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    assert violations == []


def _sign_up(page, email: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Your name").fill("Zone Person")
    page.locator("#id_password1").fill("a-long-unique-passphrase")
    page.locator("#id_password2").fill("a-long-unique-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url("**/accounts/confirm-email/")


def _log_in(page, user) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r".*/(agent|trainer)/$"))


def test_sign_up_takes_the_browsers_zone_and_works_without_javascript(open_context, settings):
    settings.TIME_ZONE = "UTC"
    _sign_up(open_context(zone="Europe/Berlin"), "berlin@example.com")
    assert User.objects.get(email="berlin@example.com").time_zone == "Europe/Berlin"

    _sign_up(open_context(zone="Asia/Tokyo", javascript=False), "nojs@example.com")
    assert User.objects.get(email="nojs@example.com").time_zone == ""  # the site's zone


def test_a_new_york_trainer_and_a_berlin_agent_see_the_same_due_date(open_context):
    exercise = exercise_with_scenarios(
        type="tone", scenarios=["tone-charged-twice-caps"], title="Read the state"
    )
    trainer = TrainerFactory(time_zone="America/New_York")
    cohort = CohortFactory(name="Atlantic crew")
    cohort.trainers.add(trainer)
    agent = MembershipFactory(cohort=cohort, user=UserFactory(time_zone="Europe/Berlin")).user

    trainer_page = open_context(zone="America/New_York")
    _log_in(trainer_page, trainer)
    trainer_page.goto(f"/cohorts/{cohort.slug}/")
    trainer_page.get_by_role("link", name="Assign work").click()
    trainer_page.wait_for_url("**/assignments/new/")
    assert "America/New_York, EST" in trainer_page.locator("main form").inner_text()
    trainer_page.get_by_label("What to assign").select_option(label=exercise.module.title)
    trainer_page.get_by_label("Due").fill("2030-01-15T17:00")
    trainer_page.get_by_role("button", name="Assign").click()
    trainer_page.wait_for_url(f"**/cohorts/{cohort.slug}/")
    section = trainer_page.get_by_role("region", name="Assignments")
    assert "15 Jan 2030, 17:00 EST" in section.inner_text()
    assert Assignment.objects.get().due_at.isoformat() == "2030-01-15T22:00:00+00:00"

    # The agent's browser is in another zone; what they read comes from their profile.
    agent_page = open_context(zone="Asia/Tokyo")
    _log_in(agent_page, agent)
    assigned = agent_page.get_by_role("region", name="Assigned to you")
    assert "15 Jan 2030, 23:00 CET" in assigned.inner_text()

    # Moving to Tokyo on the profile moves every date with them.
    agent_page.get_by_role("link", name=agent.display_name).click()
    agent_page.wait_for_url("**/profile/")
    assert agent_page.get_by_text("Your browser says you are in Asia/Tokyo").is_visible()
    assert agent_page.get_by_label("Time zone").input_value() == "Europe/Berlin"
    agent_page.get_by_role("button", name="Use this zone").click()
    assert agent_page.get_by_label("Time zone").input_value() == "Asia/Tokyo"
    assert agent_page.evaluate("document.activeElement.id") == "id_time_zone"
    agent_page.get_by_role("button", name="Save").click()
    agent_page.wait_for_url("**/profile/")
    assert "Your profile was saved." in agent_page.locator(".messages").inner_text()
    agent_page.goto("/agent/")
    assigned = agent_page.get_by_role("region", name="Assigned to you")
    assert "16 Jan 2030, 07:00 JST" in assigned.inner_text()
