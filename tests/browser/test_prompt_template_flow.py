"""The prompt-template library in a real browser: a trainer writes a template (citing a
calibration session), an agent proposes a change, the trainer approves it, and the agent
inserts the new version into the workspace's prompt (JavaScript on)."""

import pytest
from django.conf import settings
from django.test import Client
from factory.django import mute_signals

from exercises.models import PromptTemplateUse, PromptTemplateVersion, Workspace
from exercises.signals import submission_committed
from tests.factories import (
    CohortFactory,
    TrainerCalibrationSessionFactory,
    TrainerFactory,
    UserFactory,
    exercise_with_scenarios,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCENARIO = "tone-charged-twice-caps"


def _page_for(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, context.new_page()


@pytest.fixture
def offline(settings):
    settings.LLM_BASE_URL = ""
    settings.LLM_MODEL = ""
    with mute_signals(submission_committed):
        yield


def test_trainer_writes_agent_proposes_trainer_approves_agent_inserts(
    browser, live_server, offline
):
    exercise = exercise_with_scenarios(type="tone", scenarios=[SCENARIO], title="Read the state")
    trainer = TrainerFactory(full_name="Tess Trainer")
    agent = UserFactory(full_name="Avi Agent")
    cohort = CohortFactory(trainers=[trainer])
    TrainerCalibrationSessionFactory(cohort=cohort, title="March empathy round")

    trainer_context, trainer_page = _page_for(browser, live_server, trainer)
    agent_context, agent_page = _page_for(browser, live_server, agent)
    try:
        # The trainer writes version 1, citing the calibration session.
        trainer_page.goto("/trainer/")
        trainer_page.get_by_role("link", name="Prompt templates").click()
        trainer_page.wait_for_url("**/grading/prompt-templates/")
        form = trainer_page.locator("#new-template form")
        form.get_by_label("Name").fill("Frustrated, solution first")
        form.get_by_label("Exercise type").select_option("tone")
        form.get_by_label("Customer state").select_option("frustrated")
        form.get_by_label("Template text").fill(
            "Write to {customer_name}, who is {state}. Acknowledge it once, then lead "
            "with the fix.\n{constraints}"
        )
        form.get_by_label("Change note").fill("Written after the March round.")
        form.get_by_label("Motivated by a calibration session").select_option(
            label=trainer_page.locator("#id_new_calibration_session option").nth(1).inner_text()
        )
        form.get_by_role("button", name="Create the template").click()
        trainer_page.wait_for_url("**/grading/prompt-templates/")
        assert "is in the library, version 1" in trainer_page.locator(".messages").inner_text()
        assert trainer_page.get_by_role("link", name="March empathy round").is_visible()

        # The agent proposes a change from the library page.
        agent_page.goto("/agent/")
        agent_page.get_by_role("link", name="Prompt templates").click()
        agent_page.wait_for_url("**/prompt-templates/")
        card = agent_page.locator("section.card", has_text="Frustrated, solution first")
        card.locator("summary", has_text="Propose a change").click()
        body = card.get_by_label("Template text")
        body.fill(body.input_value() + "\nEnd with when you will follow up.")
        card.get_by_label("Change note").fill("Add a follow-up commitment.")
        card.get_by_role("button", name="Propose this version").click()
        agent_page.wait_for_url("**/prompt-templates/")
        assert "proposed to the trainers" in agent_page.locator(".messages").inner_text()

        # The trainer approves it.
        trainer_page.reload()
        proposal = trainer_page.locator("[data-proposal]")
        assert "Add a follow-up commitment." in proposal.inner_text()
        proposal.get_by_label("Note to the agent").fill("Yes: customers asked for this.")
        proposal.get_by_role("button", name="Approve").click()
        trainer_page.wait_for_url("**/grading/prompt-templates/")
        assert "Version 2 of “Frustrated, solution first” approved" in (
            trainer_page.locator(".messages").inner_text()
        )
        assert trainer_page.get_by_text("No proposals waiting.").is_visible()

        # The agent inserts version 2 into the workspace's prompt, with JavaScript.
        agent_page.goto(f"/exercises/{exercise.slug}/{SCENARIO}/")
        agent_page.locator("#id_prompt").fill("My notes first.")
        picker = agent_page.get_by_label("Start from a team template")
        assert "v2" in picker.locator("option:checked").inner_text()
        agent_page.get_by_role("button", name="Insert into my prompt").click()
        agent_page.locator("[data-template-status]", has_text="Inserted").wait_for()
        prompt = agent_page.locator("#id_prompt").input_value()
        assert prompt.startswith("My notes first.\n\nWrite to ")
        assert "who is frustrated" in prompt
        assert "End with when you will follow up." in prompt
        assert "{" not in prompt
        agent_page.wait_for_function(
            "() => document.querySelector('[data-autosave-status]').textContent.startsWith('Saved')"
        )
        saved = Workspace.objects.get(user=agent).answer["prompt"]
        assert saved.replace("\r\n", "\n") == prompt
        use = PromptTemplateUse.objects.get()
        assert use.version == PromptTemplateVersion.objects.get(number=2)

        # The agent's reload shows no "unsaved changes" notice: the insert left it clean.
        agent_page.reload()
        assert agent_page.locator("[data-conflict-notice]").is_hidden()
        assert agent_page.locator("#id_prompt").input_value() == prompt
    finally:
        trainer_context.close()
        agent_context.close()
