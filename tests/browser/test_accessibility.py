"""Accessibility in a real browser, beyond what axe (run on every page state by the `page`
fixture) can see: layouts at a 390 px phone and at 400% zoom, where the keyboard focus goes,
what screen readers hear while an agent types, error pages, and the focus ring's contrast."""

import re

import pytest
from django.conf import settings
from django.test import Client
from factory.django import mute_signals

from exercises.signals import submission_committed
from grading.console.grades import final_grades_refresh
from grading.models import Flag
from tests.browser_fixtures import AccessibilityViolation, new_checked_context, new_checked_page
from tests.factories import (
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

TONE = "tone-charged-twice-caps"
# A 1280 x 1024 window at 400% zoom lays pages out in 320 x 256 CSS pixels (WCAG 1.4.10).
SIZES = {
    "phone-390": {"viewport": {"width": 390, "height": 844}},
    "zoom-400": {"viewport": {"width": 320, "height": 256}, "device_scale_factor": 4},
}
PAGE_WIDTH = "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"


@pytest.fixture
def offline(settings):
    settings.LLM_BASE_URL = ""
    settings.LLM_MODEL = ""
    with mute_signals(submission_committed):  # grading has its own tests
        yield


def _signed_in(browser, live_server, user, **options):
    """A checked page (axe, CSP) of a new context, signed in as `user`."""
    client = Client()
    client.force_login(user)
    context, csp = new_checked_context(browser, live_server.url, **options)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, csp, new_checked_page(context)


def _assert_no_sideways_scroll(page, what):
    scroll_width, client_width = page.evaluate(PAGE_WIDTH)
    assert scroll_width <= client_width, f"{what}: {scroll_width} px wide in {client_width}"


def _flagged_submission():
    """A trainer, an agent of theirs with a graded, flagged submission (in the queue)."""
    version = RubricVersionFactory(
        rubric__slug="console-test", rubric__title="Console test", snapshot=SNAPSHOT
    )
    exercise = exercise_with_scenarios(
        type="tone", scenarios=[TONE], rubric_slug="console-test", title="Read the state"
    )
    trainer = TrainerFactory(full_name="Tess Trainer")
    agent = UserFactory(full_name="Avery Agent")
    MembershipFactory(cohort=CohortFactory(trainers=[trainer]), user=agent)
    # A reply with no spaces: the longest unbreakable text a page has to fit.
    submission = SubmissionFactory(
        user=agent, exercise=exercise, answer={"reply": "x" * 400, "prompt": "Be kind."}
    )
    grade = GradeFactory(submission=submission, rubric_version=version)
    for order, (key, points) in enumerate((("accuracy", 2), ("empathy", 1))):
        CriterionScoreFactory(grade=grade, criterion_key=key, order=order, points=points)
    final_grades_refresh(submission_ids=[submission.pk])
    FlagFactory(submission=submission, reason=Flag.Reason.LLM_FAILED)
    return trainer, agent, exercise, submission


@pytest.mark.parametrize("size", SIZES)
def test_the_workspace_the_queue_and_the_review_page_fit_a_phone_and_400_percent_zoom(
    browser, live_server, offline, size
):
    trainer, agent, exercise, submission = _flagged_submission()

    context, csp, page = _signed_in(browser, live_server, agent, **SIZES[size])
    page.goto(f"/exercises/{exercise.slug}/{TONE}/")
    _assert_no_sideways_scroll(page, "the workspace")
    # The sticky submit bar must not cover the step in hand when the window is short.
    bar = page.locator(".submit-bar").bounding_box()
    position = page.locator(".submit-bar").evaluate("el => getComputedStyle(el).position")
    assert position == "static" or bar["height"] <= SIZES[size]["viewport"]["height"] / 4
    page.locator("#id_reply").fill("word " * 30)
    _assert_no_sideways_scroll(page, "the workspace with a reply")
    context.close()
    assert csp == []

    context, csp, page = _signed_in(browser, live_server, trainer, **SIZES[size])
    page.goto("/grading/console/queue/")
    _assert_no_sideways_scroll(page, "the review queue")
    row = page.locator(f'#review-queue tr[data-submission="{submission.pk}"]')
    review = row.get_by_role("button", name="Review")
    review.scroll_into_view_if_needed()
    assert review.is_visible()
    review.click()
    page.wait_for_url(f"**/grading/console/queue/{submission.pk}/")
    _assert_no_sideways_scroll(page, "the review page")
    # A change without a reason: the page comes back with its errors, still fitting.
    page.locator('tr[data-criterion="accuracy"]').get_by_label("Accuracy level 0").check()
    page.get_by_role("button", name="Save grade and resolve").click()
    page.wait_for_load_state("load")
    page.check_accessibility("the review page with errors")
    _assert_no_sideways_scroll(page, "the review page with errors")
    context.close()
    assert csp == []


def test_screen_readers_hear_the_word_count_and_autosave_on_a_pause_not_per_keystroke(
    browser, live_server, offline
):
    exercise = exercise_with_scenarios(type="tone", scenarios=[TONE])
    agent = UserFactory()
    context, csp, page = _signed_in(browser, live_server, agent)
    page.goto(f"/exercises/{exercise.slug}/{TONE}/")
    counter = page.locator("[data-word-count]")
    spoken_count = page.locator("[data-word-count-announce]")
    spoken_save = page.locator("[data-autosave-announce]")
    # The visible texts are not live regions; the spoken ones are polite status regions.
    assert counter.get_attribute("aria-live") is None
    assert page.locator("[data-autosave-status]").get_attribute("aria-live") is None
    assert spoken_count.get_attribute("role") == "status"
    assert spoken_save.get_attribute("role") == "status"

    page.locator("#id_reply").press_sequentially("Hello")
    assert counter.inner_text() == "1 word"  # shown at once, and singular
    assert spoken_count.inner_text() == ""  # not read out while typing
    page.wait_for_function(
        "() => document.querySelector('[data-word-count-announce]').textContent === '1 word'"
    )
    page.wait_for_function(
        "() => document.querySelector('[data-autosave-announce]').textContent === 'Saved.'"
    )
    page.locator("#id_reply").press_sequentially(" there")
    assert counter.inner_text() == "2 words"
    assert spoken_save.inner_text() == ""  # "Unsaved changes…" is never spoken
    context.close()
    assert csp == []


def test_focus_moves_to_the_draft_after_get_an_ai_draft(page, offline):
    exercise = exercise_with_scenarios(type="tone", scenarios=[TONE])
    agent = UserFactory()
    _log_in(page, agent)
    page.goto(f"/exercises/{exercise.slug}/{TONE}/")
    page.locator("#id_prompt").fill("The customer is frustrated: be empathetic.")
    button = page.get_by_role("button", name="Get an AI draft")
    button.focus()
    page.keyboard.press("Enter")
    page.locator("[data-authored-notice]").wait_for()
    focused = page.evaluate(
        "() => document.activeElement.closest('[data-draft-panel]') !== null"
        " || document.activeElement.hasAttribute('data-draft-panel')"
    )
    assert focused, page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")
    page.check_accessibility("after the AI draft")
    # The button took no `disabled` (which drops focus to the body) and is usable again.
    assert button.get_attribute("aria-disabled") is None and button.is_enabled()


def test_the_audit_add_finding_error_is_announced(page, offline):
    exercise = exercise_with_scenarios(type="audit", scenarios=["audit-sso-on-growth"])
    _log_in(page, UserFactory())
    page.goto(f"/exercises/{exercise.slug}/audit-sso-on-growth/")
    error = page.locator("#finding-error")
    assert error.get_attribute("role") == "alert"
    add = page.get_by_role("button", name="Add finding")
    assert add.get_attribute("aria-describedby") == "finding-error"
    add.click()
    assert error.inner_text().startswith("To add the finding, select or type the wrong passage")
    assert error.is_visible()
    page.check_accessibility("after a refused finding")


def test_a_form_with_errors_says_error_in_the_title_and_focuses_the_error(page):
    trainer = TrainerFactory()
    _log_in(page, trainer, home="**/trainer/")
    page.goto("/cohorts/new/")
    assert not page.title().startswith("Error:")
    page.get_by_role("button", name="Create cohort").click()
    page.wait_for_load_state("load")
    page.check_accessibility("the cohort form with an error")
    assert page.title().startswith("Error: New cohort")
    focused = page.evaluate("() => document.activeElement.className")
    assert "errorlist" in focused or "error" in focused

    page.get_by_label("Cohort name").fill("Autumn intake")
    page.get_by_role("button", name="Create cohort").click()
    page.wait_for_url("**/cohorts/autumn-intake/")
    assert not page.title().startswith("Error:")
    # The flash message: a list inside the live region, not a list turned into one.
    messages = page.locator(".messages")
    assert messages.evaluate("el => el.tagName") == "UL"
    assert messages.evaluate("el => el.parentElement.getAttribute('role')") == "status"
    assert messages.get_attribute("role") is None


def test_hidden_wins_over_the_display_of_buttons(page):
    page.goto("/accounts/login/")
    display = page.evaluate(
        """() => {
            const button = document.createElement("button");
            button.className = "button small"; button.hidden = true; button.textContent = "x";
            document.querySelector("main").appendChild(button);
            return getComputedStyle(button).display;
        }"""
    )
    assert display == "none"


def _luminance(rgb):
    def channel(c):
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a, b):
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _rgb(css):
    return tuple(int(n) for n in re.findall(r"\d+", css)[:3])


# Every background a focusable control sits on: the page, cards, soft message and badge
# colours, the accent of buttons and the dark text colour.
BACKGROUNDS = ["#ffffff", "#f6f7f9", "#e6f0f7", "#e3f4ea", "#fff3d6", "#fde8e6", "#1f5f8b",
               "#164766", "#1b1f24", "#b42318", "#1d7a45"]  # fmt: skip


def test_the_focus_ring_is_at_least_3_to_1_against_every_background(page):
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")  # the skip link, then into the page
    page.keyboard.press("Tab")
    style = page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow]; }"""
    )
    outline_style, outline_width, outline_color, box_shadow = style
    assert outline_style == "solid" and float(outline_width.rstrip("px")) >= 2
    ring, halo = _rgb(outline_color), _rgb(box_shadow)
    for background in BACKGROUNDS:
        bg = tuple(int(background[i : i + 2], 16) for i in (1, 3, 5))
        # The ring or its halo (drawn on both sides of it) stands out by at least 3:1.
        best = max(_contrast(ring, bg), _contrast(halo, bg))
        assert best >= 3, f"focus ring on {background}: {best:.2f}:1"
    assert _contrast(ring, halo) >= 3  # the ring against its own halo


def test_the_axe_check_fails_on_a_serious_violation(page):
    """The check itself: a page with an unlabelled field fails with the rule named; the
    site's CSP stays on (the page fixture would fail on a violation)."""
    page.route(
        "**/probe/",
        lambda route: route.fulfill(
            status=200,
            headers={"Content-Type": "text/html", "Content-Security-Policy": "script-src 'self'"},
            body="<!doctype html><html lang=en><title>Probe</title><main><input></main></html>",
        ),
    )
    with pytest.raises(AccessibilityViolation, match=r"label \(critical\)"):
        page.goto("/probe/")
    page.goto("/accounts/login/")  # a clean page, for the fixture's final check


def _log_in(page, user, home="**/agent/"):
    from tests.factories import TEST_PASSWORD

    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(home)
