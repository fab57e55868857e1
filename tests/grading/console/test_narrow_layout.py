"""At phone width (390px) the console pages scroll their wide tables inside the table, and
the page itself never scrolls sideways."""

import pytest

from tests.factories import TEST_PASSWORD
from tests.grading.console.conftest import graded_submission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LONG_URL = "https://help.tallyfront.example/troubleshooting/quickbooks-sync-errors-and-fixes"


def _page_width(pg) -> int:
    return pg.evaluate("document.documentElement.scrollWidth")


def test_console_pages_do_not_scroll_sideways_on_a_phone(
    page,
    trainer,
    console_cohort,
    agent_in,
    exercise,
):
    submission = graded_submission(
        agent_in,
        exercise,
        {"accuracy": 2, "empathy": 1},
        answer={"prompt": "Be kind.", "reply": f"Hi Derek, the guide: {LONG_URL} {LONG_URL}"},
    )
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(trainer.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/trainer/")

    # Tables with a visually hidden header cell (the actions column).
    page.goto(f"/cohorts/{console_cohort.slug}/")
    assert _page_width(page) <= 390
    # The review form (hidden legends per criterion) and an answer with a long link.
    page.goto(f"/grading/console/queue/{submission.pk}/")
    answer = page.locator("section[aria-labelledby=answer-heading] .quoted").first
    assert LONG_URL in answer.inner_text()
    assert _page_width(page) <= 390
