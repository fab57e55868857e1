"""Three agents review each other in a real browser; the author sees the combined feedback."""

import pytest
from django.conf import settings
from django.test import Client

from curriculum.models import Exercise
from grading.models import PeerQueueEntry, PeerReview
from grading.peer.rubric import criteria_of
from grading.peer.services import peer_queue_enter
from tests.browser_fixtures import new_checked_context, new_checked_page
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SELECT_PASSAGE = """([text]) => {
  const passage = document.querySelector('.peer-passage[data-field="reply"]');
  const node = passage.firstChild;
  const start = node.textContent.indexOf(text);
  const range = document.createRange();
  range.setStart(node, start);
  range.setEnd(node, start + text.length);
  const selection = window.getSelection();
  selection.removeAllRanges();
  selection.addRange(range);
  document.dispatchEvent(new Event('selectionchange'));
}"""


def _page_for(browser, live_server, user):
    client = Client()
    client.force_login(user)
    context, _csp = new_checked_context(browser, live_server.url)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context, new_checked_page(context)


def test_three_agents_review_each_other_and_see_combined_feedback(
    browser, live_server, loaded_content
):
    exercise = Exercise.objects.get(slug="tone-read-and-calibrate")
    exercise.settings = {**exercise.settings, "self_assessment": False}
    exercise.save(update_fields=["settings"])
    cohort = CohortFactory(trainers=[TrainerFactory()])
    agents = [UserFactory(full_name=name) for name in ("Ada Author", "Bo Brown", "Cy Clark")]
    for agent in agents:
        MembershipFactory(cohort=cohort, user=agent)
    submissions = [SubmissionFactory(user=agent, shipped_tone=True) for agent in agents]
    for submission in submissions:  # as grading's receiver of submission_committed does
        peer_queue_enter(submission_id=submission.pk)
    criteria = criteria_of(
        Exercise.objects.get(pk=exercise.pk).examples.first().rubric_version.snapshot
    )

    for index, agent in enumerate(agents):
        context, page = _page_for(browser, live_server, agent)
        for _turn in range(2):
            page.goto("/grading/peer/")
            page.get_by_role("button", name="Review next").click()
            page.wait_for_url("**/grading/peer/reviews/*/")
            for other in agents:  # anonymous: no author name anywhere on the page
                assert other == agent or other.full_name not in page.content()
            for criterion in criteria:
                points = 3 if (criterion.key == "empathy" and index == 0) else 2
                page.locator(f'input[name="score__{criterion.key}"][value="{points}"]').check()
            page.get_by_label("Does this response acknowledge the customer's feelings?").fill(
                "Yes: it names the surprise of the second charge."
            )
            page.get_by_label("Would I feel heard?").fill("Yes.")
            page.get_by_label("What could make this more empathetic?").fill(
                "Mention the three-person business earlier."
            )
            page.evaluate(SELECT_PASSAGE, ["second charge"])
            page.get_by_role("button", name="Comment on the selected passage").click()
            page.locator(".peer-inline-list textarea").last.fill(f"Good naming ({agent.pk}).")
            page.get_by_role("button", name="Hand in the review").click()
            page.wait_for_url("**/grading/peer/")
            assert "Review handed in" in page.content()
        assert "You have given 2 of 2 reviews" in page.locator("main").inner_text()
        context.close()

    assert PeerReview.objects.filter(status="completed").count() == 6
    assert all(e.completed_count == 2 for e in PeerQueueEntry.objects.all())

    author, target = agents[0], submissions[0]
    context, page = _page_for(browser, live_server, author)
    page.goto("/grading/peer/")
    page.get_by_role("link", name="See reviews").click()
    page.wait_for_url(f"**/grading/peer/submissions/{target.pk}/")
    feedback = page.locator("#peer-feedback")
    text = feedback.inner_text()
    assert "Reviewer 1" in text and "Reviewer 2" in text
    for other in agents[1:]:
        assert other.full_name not in page.content() and other.email not in page.content()
    assert feedback.locator("mark.peer-inline").first.inner_text().startswith("second charge")
    assert "Mention the three-person business earlier." in text
    # Rate a review: the page comes back with the rating kept.
    feedback.get_by_label("How helpful was this review?").first.select_option("5")
    feedback.get_by_role("button", name="Rate").first.click()
    page.wait_for_url(f"**/grading/peer/submissions/{target.pk}/*")
    assert "Thanks for rating the review." in page.content()
    context.close()
