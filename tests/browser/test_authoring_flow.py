"""A trainer pastes a real ticket, confirms the redactions (undoing one), edits the draft
scenario, previews it as an agent with a dry-run grade, and publishes it, in a real browser;
and marks a planted error in an AI draft by selecting its words."""

import json

import pytest

from authoring.models import ScenarioDraft
from curriculum.models import Exercise
from exercises.models import ExerciseScenario, Scenario
from tests.factories import TEST_PASSWORD, TrainerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

THREAD = """Subject: Charged twice on Starter
--- Jane Doe (customer) 2026-11-02 10:14
Hi Tom, I was CHARGED TWICE on my Starter plan!!! Call me on +1 415 555 0142.
My card 4111 1111 1111 1111 shows both. Why does this keep happening?

Thanks,
Jane
--- Tom Reyes (agent) 2026-11-02 11:00
Hi Jane, sorry about that, I am checking the invoices now.
"""


@pytest.fixture
def offline(settings):
    settings.LLM_BASE_URL = ""
    settings.LLM_MODEL = ""


def _log_in(page, trainer):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(trainer.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/trainer/")


def test_trainer_turns_a_pasted_ticket_into_a_published_scenario(page, offline, loaded_content):
    trainer = TrainerFactory(email="tess@example.com")
    _log_in(page, trainer)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Authoring").click()
    page.get_by_role("link", name="Import a ticket").click()
    page.get_by_label("Paste a ticket thread").fill(THREAD)
    page.get_by_label("Exercise type").select_option("tone")
    exercise = Exercise.objects.get(slug="tone-read-and-calibrate")
    page.get_by_label("Exercise (optional)").select_option(str(exercise.pk))
    page.get_by_role("button", name="Find personal data").click()

    page.get_by_role("heading", name="Confirm the redactions").wait_for()
    assert not ScenarioDraft.objects.exists()  # nothing stored before confirming
    rows = page.locator(".redaction-list tbody tr")
    assert rows.filter(has_text="Card number").count() == 1
    phone = rows.filter(has_text="Phone number")
    phone.get_by_label("Undo").check()
    page.get_by_label("Also redact (one per line)").fill("invoices")
    page.get_by_role("button", name="Check again").click()
    page.locator("mark.redaction.undone").first.wait_for()
    assert "invoices" not in page.locator(".redacted-thread").inner_text()
    page.get_by_role("button", name="Confirm and create the draft").click()

    page.wait_for_url("**/authoring/scenarios/*/")
    draft = ScenarioDraft.objects.get()
    stored = json.dumps([draft.data, draft.thread, draft.redactions])
    for secret in ("Jane", "Doe", "Reyes", "4111 1111 1111 1111", "invoices"):
        assert secret not in stored
    assert "+1 415 555 0142" in draft.data["message"]  # the trainer undid that one

    page.get_by_label("Id", exact=True).fill("tone-charged-twice-from-ticket")
    page.get_by_label("Customer's state").select_option("frustrated")
    page.get_by_label("Severity (1 to 10)").fill("7")
    page.get_by_label("Emotional indicators").fill("all_caps: CHARGED TWICE\nexclamations: !!!")
    page.get_by_label("Generic AI draft").fill("Hi! Great question about billing!")
    page.get_by_role("button", name="Save and preview as an agent").click()

    page.wait_for_url("**/preview/")
    assert "CHARGED TWICE" in page.locator("#agent-preview").inner_text()
    page.get_by_label("Customer's state").select_option("frustrated")
    page.get_by_label("Indicators (one per line, words of the message)").fill("CHARGED TWICE")
    page.get_by_label("Reply to the customer").fill(
        "I understand how worrying two charges are. I will check both today and email you."
    )
    page.get_by_role("button", name="Grade this answer (dry run)").click()
    page.locator("#dry-run-result").wait_for()
    assert "Offline grade" in page.locator("#dry-run-result").inner_text()

    page.get_by_role("link", name=draft.title).click()
    page.locator("#draft-ready").wait_for()
    page.get_by_role("button", name="Save and publish").click()
    page.locator(".messages").get_by_text("Published").wait_for()
    scenario = Scenario.objects.get(slug="tone-charged-twice-from-ticket")
    assert scenario.versions.count() == 1
    assert ExerciseScenario.objects.filter(
        exercise__slug="tone-read-and-calibrate", scenario=scenario
    ).exists()


def test_selecting_words_of_an_ai_draft_adds_a_planted_error(page, offline, loaded_content):
    from authoring import services

    trainer = TrainerFactory(email="tess@example.com")
    draft = services.scenario_draft_create(
        user=trainer, scenario_type="audit", title="Audit draft", exercise=None
    )
    _log_in(page, trainer)
    page.goto(f"/authoring/scenarios/{draft.pk}/")
    box = page.get_by_label("The AI draft to audit")
    box.fill("Hello. Starter costs $5 a month. Bye.")
    box.evaluate("el => el.setSelectionRange(7, 31)")
    page.get_by_role("button", name="Mark the selected text as a planted error").click()
    assert "span: 'Starter costs $5 a month'" in page.get_by_label("Planted errors").input_value()
    page.get_by_role("button", name="Save draft").click()
    page.locator(".messages").get_by_text("Draft saved.").wait_for()
    draft.refresh_from_db()
    assert draft.data["errors"][0]["span"] == "Starter costs $5 a month"
