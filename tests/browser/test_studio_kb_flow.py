"""A trainer adds a fact in the studio's form in a real browser: the loader's problem shows
by its field and nothing typed is lost, the fixed fact is confirmed and published, and
"try a sentence" rejects an offer of the thing the company does not sell, naming the fact."""

import pytest
from django.conf import settings

from exercises.models import KnowledgeFact
from grading.content.loading import content_load_directory
from studio.models import DraftFact
from tests.factories import TEST_PASSWORD, TrainerFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_trainer_adds_a_fact_publishes_it_and_tries_a_sentence(page):
    content_load_directory(path=settings.CONTENT_DIR)
    trainer = TrainerFactory(email="tess@example.com")

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(trainer.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/trainer/")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge base").click()
    page.wait_for_url("**/studio/kb/")
    page.get_by_role("link", name="Not offered").click()
    page.wait_for_url("**/studio/kb/new/not_offered/")

    page.get_by_label("Id").fill("not-offered-kiosk")
    page.get_by_label("Title").fill("Kiosk mode")
    page.get_by_label("Statement").fill("There is no kiosk mode.")
    page.get_by_label("Source URL").fill("https://elsewhere.example/kiosk")
    page.get_by_label("Data (YAML)").fill("thing: kiosk mode\naliases: [kiosk]\n")
    page.get_by_role("button", name="Save draft").click()

    page.wait_for_url("**/studio/kb/drafts/*/")
    assert "is not under the help site" in page.locator(".studio-fact-form").inner_text()
    assert page.get_by_label("Data (YAML)").input_value().startswith("thing: kiosk mode")
    assert page.get_by_label("Statement").input_value() == "There is no kiosk mode."

    page.get_by_label("Source URL").fill("https://help.tallyfront.example/faq/kiosk")
    page.get_by_role("button", name="Save and confirm").click()
    page.wait_for_url("**/studio/kb/")
    assert DraftFact.objects.get().status == DraftFact.Status.CONFIRMED

    page.get_by_role("button", name="Publish 1 confirmed draft").click()
    page.wait_for_url("**/studio/kb/")
    assert "Published 1 fact(s): not-offered-kiosk." in page.locator(".messages").inner_text()
    assert KnowledgeFact.objects.get(slug="not-offered-kiosk").version == 1

    page.get_by_role("textbox", name="Sentence").fill(
        "You can switch on kiosk mode under Settings."
    )
    page.get_by_role("button", name="Check").click()
    result = page.get_by_test_id("try-result")
    assert "Rejected" in result.inner_text()
    assert "not-offered-kiosk" in result.inner_text()

    page.get_by_role("textbox", name="Sentence").fill(
        "Starter is $15 per seat a month billed monthly."
    )
    page.get_by_label("Customer's plan").select_option("Starter")
    page.get_by_role("button", name="Check").click()
    result = page.get_by_test_id("try-result")
    assert "Accepted" in result.inner_text()
    assert "plan-starter" in result.inner_text()
