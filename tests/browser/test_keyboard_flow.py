"""Keyboard only: an agent completes and submits every exercise type, and a peer leaves an
inline comment, with Tab, arrow keys, Space, Enter and typing, never the mouse."""

import re

import pytest
from django.conf import settings
from django.test import Client
from factory.django import mute_signals

from curriculum.models import Exercise
from exercises.models import Submission
from exercises.signals import submission_committed
from grading.models import PeerReview
from grading.peer.rubric import criteria_of
from grading.peer.services import peer_queue_enter
from tests.factories import (
    TEST_PASSWORD,
    CohortFactory,
    MembershipFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
    exercise_with_scenarios,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCENARIOS = {
    "tone": "tone-charged-twice-caps",
    "audit": "audit-sso-on-growth",
    "context": "context-prorated-seat-charge",
    "empathy": "empathy-repeated-card-declines",
    "escalation": "escalation-late-fee-surprise",
    "rca": "rca-sso-certificate-change",
}
REPLY = "Hi, I am sorry about this. I have fixed it and I will check on it with you on Friday."


@pytest.fixture
def offline(settings):
    settings.LLM_BASE_URL = ""
    settings.LLM_MODEL = ""
    with mute_signals(submission_committed):  # grading has its own tests
        yield


# ---- keyboard helpers: every one presses keys; none clicks ---------------------------------


def focused(page, css: str) -> bool:
    return page.evaluate("(css) => !!document.activeElement?.matches(css)", css)


def tab_to(page, css: str, *, limit: int = 400) -> None:
    """Press Tab until the element matching `css` has the focus (it must be reachable)."""
    for _ in range(limit):
        if focused(page, css):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"{css} cannot be reached with Tab")


def type_into(page, css: str, text: str) -> None:
    tab_to(page, css)
    page.keyboard.press("Control+End")
    page.keyboard.type(text)


def choose_radio(page, name: str, value: str) -> None:
    """Tab into the radio group, then arrow keys (which check) until `value` is checked."""
    tab_to(page, f'input[type="radio"][name="{name}"]')
    for _ in range(30):
        if page.evaluate(
            "(v) => document.activeElement.value === v && document.activeElement.checked", value
        ):
            return
        if page.evaluate("(v) => document.activeElement.value === v", value):
            page.keyboard.press("Space")
        else:
            page.keyboard.press("ArrowDown")
    raise AssertionError(f"could not choose {value!r} in {name}")


def tick(page, name: str, value: str) -> None:
    tab_to(page, f'input[type="checkbox"][name="{name}"][value="{value}"]')
    page.keyboard.press("Space")


def choose_option(page, css: str, value: str) -> None:
    tab_to(page, css)
    for _ in range(60):
        if page.evaluate("(v) => document.activeElement.value === v", value):
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"could not choose {value!r} in {css}")


def press_button(page, css: str) -> None:
    tab_to(page, css)
    page.keyboard.press("Enter")


def log_in(page, user) -> None:
    page.goto("/accounts/login/")
    type_into(page, 'input[name="login"]', user.email)
    type_into(page, 'input[name="password"]', TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/agent/")


def wait_saved(page) -> None:
    page.wait_for_function(
        "() => document.querySelector('[data-autosave-status]').textContent.startsWith('Saved')"
    )


# ---- what each exercise type asks for ------------------------------------------------------


def fill_tone(page, scenario):
    choose_radio(page, "identified_state", "frustrated")
    type_into(page, "#id_indicators", "CHARGED TWICE")
    type_into(page, "#id_prompt", "Frustrated customer: be empathetic and solution-oriented.")
    choose_radio(page, "draft_tone_fits", "partly")
    type_into(page, "#id_reply", REPLY)


def fill_audit(page, scenario):
    # Pick the wrong passage by typing its words (with a typo), not by selecting it.
    type_into(page, "#id_new_finding_span", "On your Growth plan you can set it up yorself")
    press_button(page, "[data-find-passage]")
    feedback = page.locator("[data-passage-feedback]")
    feedback.filter(has_text="Matched in the draft").wait_for()
    assert "“On your Growth plan you can set it up yourself”" in feedback.inner_text()
    assert "Not word for word" in feedback.inner_text()
    # The finder moved the focus on to the error type.
    assert focused(page, "#id_new_finding_type")
    choose_option(page, "#id_new_finding_type", "invented_feature")
    type_into(page, "#id_new_finding_correction", "SSO is on Enterprise only.")
    choose_option(page, "#id_new_finding_fact_id", "feature-sso-saml")
    press_button(page, "[data-add-finding]")
    page.locator("[data-findings-list] li q").wait_for()
    assert page.locator("[data-audit-draft] mark").inner_text() == (
        "On your Growth plan you can set it up yourself"
    )
    # The same passage and type again is refused with a message, not counted twice.
    type_into(page, "#id_new_finding_span", "on your growth plan you can set it up yourself")
    press_button(page, "[data-find-passage]")
    feedback.filter(has_text="Matched in the draft").wait_for()
    choose_option(page, "#id_new_finding_type", "invented_feature")
    type_into(page, "#id_new_finding_correction", "Again.")
    choose_option(page, "#id_new_finding_fact_id", "feature-sso-saml")
    press_button(page, "[data-add-finding]")
    error = page.locator("[data-finding-error]")
    error.filter(has_text="already finding 1").wait_for()
    assert page.locator("[data-findings-list] li").count() == 1
    for key in ("technical_accuracy", "feature_availability", "pricing_accuracy"):
        tick(page, "checklist", key)


def fill_context(page, scenario):
    type_into(page, "#id_summary", "Second follow-up about a $7.50 charge after adding a seat.")
    ticket = scenario.data["profile"]["past_tickets"][0]["id"]
    tick(page, "relevant_history", ticket)
    type_into(page, "#id_prompt", "Explain the proration; do not repeat the earlier answer.")
    type_into(page, "#id_reply", REPLY)


def fill_empathy(page, scenario):
    choose_radio(page, "dimension", "repeated_failure")
    type_into(page, "#id_prompt", "Acknowledge four declines, then fix the card.")
    choose_radio(page, "draft_empathy_rating", "2")
    type_into(page, "#id_reply", REPLY)


def fill_escalation(page, scenario):
    choose_option(page, "#id_sentiment__primary_emotion", "confused")
    choose_option(page, "#id_sentiment__severity", "6")
    type_into(page, "#id_sentiment__key_concerns", "An unexpected late fee")
    choose_radio(page, "sentiment__relationship_risk", "medium")
    type_into(page, "#id_sentiment__strategy", "Explain the fee, then waive it once.")
    for key in ("acknowledge_first", "lead_solution", "avoid", "follow_up", "key_message"):
        type_into(page, f"#id_plan__{key}", f"Plan: {key.replace('_', ' ')}.")
    type_into(page, "#id_reply", REPLY)


def fill_rca(page, scenario):
    for detail in scenario.data["technical_details"]:
        choose_radio(page, f"classification__{detail['id']}", "internal")
    for key in (
        "incident_summary",
        "root_cause",
        "immediate_response",
        "preventative_measures",
        "customer_impact",
    ):
        type_into(page, f"#id_report__{key}", f"What happened: {key.replace('_', ' ')}.")


FILL = {
    "tone": fill_tone,
    "audit": fill_audit,
    "context": fill_context,
    "empathy": fill_empathy,
    "escalation": fill_escalation,
    "rca": fill_rca,
}


@pytest.mark.parametrize("exercise_type", list(SCENARIOS))
def test_an_agent_completes_and_submits_every_exercise_type_with_the_keyboard_only(
    page, offline, exercise_type
):
    exercise = exercise_with_scenarios(type=exercise_type, scenarios=[SCENARIOS[exercise_type]])
    scenario = exercise.scenarios.get()
    agent = UserFactory()
    log_in(page, agent)
    page.goto(f"/exercises/{exercise.slug}/{scenario.slug}/")
    FILL[exercise_type](page, scenario)
    wait_saved(page)
    press_button(page, "[data-submit]")
    page.wait_for_url(re.compile(r".*/submissions/\d+/$"))
    submission = Submission.objects.get(user=agent)
    assert submission.attempt == 1
    if exercise_type == "audit":
        (finding,) = submission.answer["findings"]
        assert finding["span"] == "On your Growth plan you can set it up yourself"
        assert finding["type"] == "invented_feature"
    elif exercise_type == "rca":
        assert set(submission.answer["classification"].values()) == {"internal"}
    else:
        assert submission.answer["reply"].endswith(REPLY)


# ---- a peer's inline comment -----------------------------------------------------------------


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


def test_a_peer_leaves_an_inline_comment_with_the_keyboard_only(
    browser, live_server, loaded_content
):
    exercise = Exercise.objects.get(slug="tone-read-and-calibrate")
    exercise.settings = {**exercise.settings, "self_assessment": False}
    exercise.save(update_fields=["settings"])
    cohort = CohortFactory(trainers=[TrainerFactory()])
    author, reviewer = UserFactory(), UserFactory()
    for agent in (author, reviewer):
        MembershipFactory(cohort=cohort, user=agent)
    target = SubmissionFactory(user=author, shipped_tone=True)
    peer_queue_enter(submission_id=target.pk)
    peer_queue_enter(submission_id=SubmissionFactory(user=reviewer, shipped_tone=True).pk)
    criteria = criteria_of(
        Exercise.objects.get(pk=exercise.pk).examples.first().rubric_version.snapshot
    )

    context, page = _page_for(browser, live_server, reviewer)
    page.goto("/grading/peer/")
    press_button(page, "form[action$='/next/'] button")
    page.wait_for_url("**/grading/peer/reviews/*/")
    # The tone reviewer sees the state and indicators the author chose.
    choices = page.locator("section[aria-labelledby='choices-heading']")
    assert "Emotional state" in choices.inner_text()
    for criterion in criteria:
        choose_radio(page, f"score__{criterion.key}", str(criterion.levels[-2].points))
    type_into(page, "#id_acknowledges_feelings", "Yes: it names the second charge.")
    type_into(page, "#id_would_feel_heard", "Yes.")
    type_into(page, "#id_more_empathetic", "Mention the small business earlier.")
    # Pick the passage by typing a few of its words, loosely.
    choose_option(page, "#manual-field", "reply")
    type_into(page, "#manual-quote", "SECOND  charge")
    type_into(page, "#manual-body", "Good that you name it.")
    press_button(page, "[data-find-passage]")
    feedback = page.locator("[data-passage-feedback]")
    feedback.filter(has_text="Matched in the reply").wait_for()
    assert "Added as comment 1." in feedback.inner_text()
    assert page.locator(".peer-inline-list q").inner_text().lower() == "second charge"
    press_button(page, "form.peer-form button[type=submit]")
    page.wait_for_url("**/grading/peer/")
    assert "Review handed in" in page.content()
    context.close()

    review = PeerReview.objects.get(reviewer=reviewer, status="completed")
    (comment,) = review.inline_comments.all()
    assert comment.body == "Good that you name it."
    assert target.answer["reply"][comment.start : comment.end] == comment.quote
    assert comment.quote.lower() == "second charge"


def test_a_reply_with_no_spaces_does_not_widen_the_page(page, offline):
    exercise = exercise_with_scenarios(type="tone", scenarios=[SCENARIOS["tone"]])
    agent = UserFactory()
    submission = SubmissionFactory(
        user=agent,
        exercise=exercise,
        scenario=exercise.scenarios.get(),
        answer={
            "identified_state": "frustrated",
            "indicators": ["x" * 400],
            "prompt": "p" * 3000,
            "draft_tone_fits": "no",
            "reply": "Hi,\nThanks\n" + "a" * 5000,
        },
    )
    log_in(page, agent)
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(f"/submissions/{submission.pk}/")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390
    # Single line breaks of the reply are kept.
    assert page.locator(".final-reply br").count() >= 2


def test_a_stale_second_tab_cannot_submit_after_its_conflict_warning(page, offline):
    exercise = exercise_with_scenarios(type="tone", scenarios=[SCENARIOS["tone"]])
    scenario = exercise.scenarios.get()
    agent = UserFactory()
    log_in(page, agent)
    url = f"/exercises/{exercise.slug}/{scenario.slug}/"
    page.goto(url)
    other = page.context.new_page()
    other.goto(url)
    fill_tone(page, scenario)  # the first tab saves a newer revision
    wait_saved(page)
    type_into(other, "#id_prompt", "Typed in the old tab.")
    other.locator("[data-conflict-notice]").wait_for()
    press_button(other, "[data-submit]")
    status = other.locator("[data-autosave-status]")
    assert status.inner_text().startswith("Not submitted")
    assert other.url.endswith(url)
    assert not Submission.objects.exists()
    # The current tab still submits its first attempt.
    press_button(page, "[data-submit]")
    page.wait_for_url(re.compile(r".*/submissions/\d+/$"))
    assert Submission.objects.get().attempt == 1
