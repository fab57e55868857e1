"""An agent logs in, does a tone exercise in a real browser and finds the submission."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from factory.django import mute_signals

from exercises.models import Submission, Workspace
from exercises.signals import submission_committed
from tests.factories import TEST_PASSWORD, UserFactory, WorkspaceFactory, exercise_with_scenarios

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCENARIO = "tone-charged-twice-caps"


@pytest.fixture
def offline(settings):
    settings.LLM_BASE_URL = ""
    settings.LLM_MODEL = ""
    # Grading has its own tests; here the submission only has to be made.
    with mute_signals(submission_committed):
        yield


def test_agent_completes_a_tone_exercise_and_sees_the_diff(page, offline):
    exercise = exercise_with_scenarios(
        type="tone", scenarios=[SCENARIO, "tone-confused-credit-note"], title="Read the state"
    )
    agent = UserFactory(email="flow.agent@example.com")

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(agent.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/agent/")
    assert page.get_by_text("0 / 2 submitted").is_visible()

    page.locator("[data-next-step]").click()
    page.wait_for_url(f"**/exercises/{exercise.slug}/{SCENARIO}/")
    page.get_by_label("Frustrated").check()
    page.locator("#id_indicators").fill("CHARGED TWICE\n!!!")
    page.locator("#id_prompt").fill(
        "The customer is frustrated about a second charge. Be empathetic and "
        "solution-oriented: explain the $7.50 proration and the next bill."
    )
    page.get_by_role("button", name="Get an AI draft").click()
    notice = page.locator("[data-authored-notice]")
    notice.wait_for()
    assert "No language model is configured" in notice.inner_text()
    assert "tone-calibrated draft" in notice.inner_text()

    reply = page.locator("#id_reply")
    assert "Let me explain exactly what the second one is" in reply.input_value()
    page.get_by_label("Partly").check()
    reply.fill(
        reply.input_value().replace(
            "Sam, Tallyfront Support",
            "I'll keep an eye on your next bill myself and write to you on the 1st to "
            "confirm it came to $45.\n\nSam",
        )
    )
    page.wait_for_function(
        "() => document.querySelector('[data-autosave-status]').textContent.startsWith('Saved')"
    )
    assert Workspace.objects.get(user=agent).answer["draft_tone_fits"] == "partly"

    page.locator("[data-submit]").click()
    page.wait_for_url(re.compile(r".*/submissions/\d+/$"))
    assert page.get_by_role("heading", name="What you changed in the AI draft").is_visible()
    inserted = page.locator(".word-diff ins").all_inner_texts()
    assert any("keep an eye on your next bill" in text for text in inserted)
    assert "Light edit" in page.locator(".metrics").inner_text()

    submission = Submission.objects.get(user=agent)
    assert submission.edit_class == "light"
    assert submission.answer["identified_state"] == "frustrated"

    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="My submissions").click()
    page.wait_for_url("**/submissions/")
    assert page.get_by_role("cell", name=exercise.scenarios.get(slug=SCENARIO).title).is_visible()
    nav.get_by_role("link", name="My training").click()
    page.wait_for_url("**/agent/")
    assert page.get_by_text("1 / 2 submitted").is_visible()


def test_agent_marks_an_audit_finding_by_selecting_text(page, offline, live_server):
    exercise = exercise_with_scenarios(type="audit", scenarios=["audit-sso-on-growth"])
    agent = UserFactory(email="audit.agent@example.com")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(agent.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/agent/")
    page.goto(f"/exercises/{exercise.slug}/audit-sso-on-growth/")

    wrong = "On your Growth plan you can set it up yourself"
    draft = page.locator("[data-audit-draft]")
    # Select the wrong passage with the mouse, as an agent would.
    draft.evaluate(
        """(el, wrong) => {
            const node = el.firstChild;
            const start = node.textContent.indexOf(wrong);
            const range = document.createRange();
            range.setStart(node, start);
            range.setEnd(node, start + wrong.length);
            const selection = window.getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            el.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
        }""",
        wrong,
    )
    assert page.locator("#id_new_finding_span").input_value() == wrong
    page.locator("#id_new_finding_type").select_option("invented_feature")
    page.locator("#id_new_finding_correction").fill("SSO is Enterprise only.")
    page.locator("#id_new_finding_fact_id").select_option("feature-sso-saml")
    page.get_by_role("button", name="Add finding").click()
    assert page.locator("[data-audit-draft] mark").inner_text() == wrong
    assert page.locator("[data-findings-list] li").count() == 1
    badge = page.locator("[data-findings-list] .badge")
    assert badge.inner_text() == "Invented feature"
    page.get_by_label("Pricing accuracy").check()
    page.wait_for_function(
        "() => document.querySelector('[data-autosave-status]').textContent.startsWith('Saved')"
    )
    (finding,) = Workspace.objects.get(user=agent).answer["findings"]
    start = exercise.scenarios.get().data["draft"].index(wrong)
    assert finding == {
        "span": wrong,
        "type": "invented_feature",
        "correction": "SSO is Enterprise only.",
        "fact_id": "feature-sso-saml",
        "start": start,
        "end": start + len(wrong),
    }

    # A reload restores everything, highlights included.
    page.reload()
    assert page.locator("[data-audit-draft] mark").inner_text() == wrong
    assert page.get_by_label("Pricing accuracy").is_checked()
    assert badge.inner_text() == "Invented feature"


def _log_in(page, agent):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(agent.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/agent/")


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (0, "Saved just now"),
        (1, "Saved 1 minute ago"),
        (5, "Saved 5 minutes ago"),
        (180, "Saved 3 hours ago"),
    ],
)
def test_the_save_status_says_just_now_and_pluralises(page, offline, minutes, shown):
    exercise = exercise_with_scenarios(type="tone", scenarios=[SCENARIO])
    agent = UserFactory()
    workspace = WorkspaceFactory(
        user=agent, exercise=exercise, scenario=exercise.scenarios.get(), revision=1
    )
    saved_at = timezone.now() - timedelta(minutes=minutes, seconds=10)
    Workspace.objects.filter(pk=workspace.pk).update(updated_at=saved_at)
    _log_in(page, agent)
    page.goto(f"/exercises/{exercise.slug}/{SCENARIO}/")
    status = page.locator("[data-autosave-status]")
    assert status.inner_text() == shown
    # An autosave is "just now" too, not a clock time or "0 minutes ago".
    page.locator("#id_prompt").fill("Be kind.")
    page.wait_for_function(
        "() => document.querySelector('[data-autosave-status]').textContent.startsWith('Saved')"
    )
    assert status.inner_text() == "Saved just now"


def test_autosave_keeps_the_typing_and_retries_while_the_database_is_busy(page, offline):
    """The server answers 503 "someone else is saving this" twice (a row lock): the page
    says it is retrying, keeps the text, and saves it once the server accepts it."""
    import json

    from curriculum.middleware import BUSY_MESSAGE

    exercise = exercise_with_scenarios(type="tone", scenarios=[SCENARIO])
    agent = UserFactory()
    _log_in(page, agent)
    page.goto(f"/exercises/{exercise.slug}/{SCENARIO}/")
    busy = {"left": 2}

    def handle(route):
        if busy["left"] > 0:
            busy["left"] -= 1
            route.fulfill(
                status=503,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body=json.dumps({"error": "busy", "message": BUSY_MESSAGE}),
            )
        else:
            route.continue_()

    page.route("**/save/", handle)
    page.locator("#id_prompt").fill("Typed while someone else held the lock.")
    status = page.locator("[data-autosave-status]")
    page.wait_for_function(
        "() => document.querySelector('[data-autosave-status]').textContent"
        ".includes('Not saved yet — retrying')"
    )
    assert "Your text is kept" in status.inner_text()
    assert page.locator("#id_prompt").input_value() == "Typed while someone else held the lock."
    page.wait_for_function(
        "() => document.querySelector('[data-autosave-status]').textContent.startsWith('Saved')",
        timeout=20000,
    )
    assert busy["left"] == 0
    workspace = Workspace.objects.get(user=agent)
    assert workspace.answer["prompt"] == "Typed while someone else held the lock."
