"""The calibration loop's pages, without JavaScript: flagging from the review page, the
inbox, the session's discussion forms (a refused form keeps what was typed), publishing,
concluding and exporting, disputes decided on the review page, and the agents' gallery."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grading.calibration import services
from grading.calibration.models import CalibrationFlag, PublishedExample
from grading.console import services as console_services
from grading.console.models import PeerDisputeDecision
from grading.peer import services as peer_services
from tests.factories import PeerQueueEntryFactory, UserFactory
from tests.grading.console.conftest import peer_review

from .conftest import graded_submission, hand_in

pytestmark = pytest.mark.django_db


def test_a_trainer_flags_from_the_review_page_and_finds_it_in_the_inbox(
    client, trainer, tone_submission
):
    client.force_login(trainer)
    url = reverse("grading:console-calibration-flag", args=[tone_submission.pk])
    refused = client.post(url, {"kind": "exemplary", "criterion": "empathy", "note": ""})
    assert refused.status_code == 400
    assert "Say what makes it exemplary" in refused.content.decode()
    assert not CalibrationFlag.objects.exists()
    response = client.post(
        url, {"kind": "failure", "criterion": "empathy", "note": "Misses the worry."}
    )
    assert response.status_code == 302
    inbox = client.get(reverse("grading:console-calibration-inbox"))
    assert "Misses the worry." in inbox.content.decode()
    assert tone_submission.user.display_name in inbox.content.decode()  # trainers see who


def test_agents_are_kept_out_of_the_inbox_and_the_flag_form(client, agent_in, tone_submission):
    client.force_login(agent_in)
    assert client.get(reverse("grading:console-calibration-inbox")).status_code == 403
    url = reverse("grading:console-calibration-flag", args=[tone_submission.pk])
    assert client.post(url, {"kind": "exemplary", "note": "x"}).status_code == 403


def test_the_session_page_discusses_agrees_and_keeps_a_refused_form(client, revealed, trainer):
    client.force_login(trainer)
    item = revealed.items.get()
    page = client.get(reverse("grading:console-trainer-calibration", args=[revealed.pk]))
    html = page.content.decode()
    assert "data-highlighted" in html and f'id="agree-{item.pk}"' in html
    agree = reverse("grading:console-calibration-agree", args=[revealed.pk, item.pk])
    refused = client.post(agree, {"agreed__accuracy": "2"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "Choose the agreed level of every criterion" in html
    assert 'name="agreed__accuracy" value="2" checked' in html  # kept
    assert client.post(agree, {"agreed__accuracy": "2", "agreed__empathy": "2"}).status_code == 302
    comment = reverse("grading:console-calibration-comment", args=[revealed.pk, item.pk])
    client.post(comment, {"body": "The proration is right."})
    publish = reverse("grading:console-calibration-publish", args=[revealed.pk, item.pk])
    refused = client.post(
        publish,
        {"kind": "exemplary", "title": "Owns it", "commentary": "", "passages": ["Made up"]},
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    assert 'value="Owns it"' in html and "Not found word for word" in html
    published = client.post(
        publish,
        {"kind": "exemplary", "criterion": "empathy", "title": "Owns it",
         "commentary": "Names the worry.", "passages": ["every dollar matters", ""]},
    )  # fmt: skip
    assert published.status_code == 302
    assert PublishedExample.objects.get().passages == ["every dollar matters"]
    conclude = client.post(reverse("grading:console-calibration-conclude", args=[revealed.pk]))
    assert conclude.status_code == 302
    page = client.get(reverse("grading:console-trainer-calibration", args=[revealed.pk]))
    assert 'id="trainer-calibration-concluded"' in page.content.decode()
    csv = client.get(reverse("grading:console-calibration-export", args=[revealed.pk]))
    assert csv["Content-Type"].startswith("text/csv")
    assert "kappa pairs" in csv.content.decode()


def test_an_agent_finds_the_example_in_the_gallery_with_passages_marked(
    client, revealed, trainer, agent_in
):
    item = revealed.items.get()
    services.calibration_agreement_record(
        trainer=trainer, item_id=item.pk, scores={"accuracy": "3", "empathy": "2"}
    )
    published = services.calibration_example_publish(
        trainer=trainer, item_id=item.pk, kind="exemplary", criterion_key="empathy",
        title="Owns the surprise", commentary="Names **the worry**.",
        passages=["every dollar matters"],
    )  # fmt: skip
    reader = UserFactory()
    client.force_login(reader)
    gallery = client.get(reverse("grading:examples"), {"q": "surprise"})
    assert "Owns the surprise" in gallery.content.decode()
    assert (
        client.get(reverse("grading:examples"), {"q": "nothing-like-it"})
        .content.decode()
        .count("gallery-empty")
    )
    detail = client.get(reverse("grading:example", args=[published.pk]))
    html = detail.content.decode()
    assert "<mark>every dollar matters</mark>" in html
    assert "<strong>the worry</strong>" in html
    assert agent_in.display_name not in html and agent_in.email not in html


def test_a_dispute_is_shown_in_full_and_decided_on_the_review_page(
    client, trainer, agent_in, tone_submission
):
    PeerQueueEntryFactory(submission=tone_submission, required=1, active_count=1, completed_count=1)
    review = peer_review(tone_submission, UserFactory(), {"accuracy": 0, "empathy": 0})
    peer_services.peer_review_dispute(
        review_id=review.pk, author=agent_in, reason="The reply did explain the charge."
    )
    client.force_login(trainer)
    page = client.get(reverse("grading:console-review", args=[tone_submission.pk]))
    html = page.content.decode()
    assert "The reply did explain the charge." in html and f'id="dispute-{review.pk}"' in html
    url = reverse("grading:console-dispute-decide", args=[tone_submission.pk, review.pk])
    refused = client.post(url, {"outcome": "upheld", "note": ""})
    assert refused.status_code == 400
    assert 'value="upheld" checked' in refused.content.decode()
    assert client.post(url, {"outcome": "upheld", "note": "Agreed."}).status_code == 302
    assert PeerDisputeDecision.objects.get().outcome == "upheld"


def test_the_session_list_offers_flags_first_and_filters_candidates(
    client, trainer, console_cohort, tone_submission, exercise
):
    services.calibration_flag_create(
        trainer=trainer, submission_id=tone_submission.pk, kind="exemplary",
        criterion_key="", note="Worth discussing.",
    )  # fmt: skip
    client.force_login(trainer)
    url = reverse("grading:console-trainer-calibration-list", args=[console_cohort.slug])
    html = client.get(url).content.decode()
    assert "Worth discussing." in html and "1 submission matches" in html
    html = client.get(url, {"exercise": exercise.pk, "grade_min": "95"}).content.decode()
    assert "0 submissions match" in html
    refused = client.post(url, {"title": "Empty"})
    assert refused.status_code == 400
    assert "Pick at least one flagged item or submission." in refused.content.decode()


def test_a_lesson_links_to_the_published_examples_of_its_module(
    client, revealed, trainer, exercise, agent_in
):
    from tests.factories import LessonFactory

    lesson = LessonFactory(module=exercise.module)
    url = reverse("curriculum:lesson-detail", args=[lesson.module.slug, lesson.slug])
    client.force_login(agent_in)
    assert 'id="lesson-examples"' not in client.get(url).content.decode()  # none yet
    item = revealed.items.get()
    services.calibration_agreement_record(
        trainer=trainer, item_id=item.pk, scores={"accuracy": "3", "empathy": "2"}
    )
    published = services.calibration_example_publish(
        trainer=trainer, item_id=item.pk, kind="exemplary", criterion_key="",
        title="Feelings first", commentary="c", passages=[],
    )  # fmt: skip
    html = client.get(url).content.decode()
    assert 'id="lesson-examples"' in html
    assert reverse("grading:example", args=[published.pk]) in html


def test_the_revealed_session_page_reads_a_constant_number_of_queries(
    client, trainer, co_trainer, console_cohort, agent_in, exercise
):
    """Two sizes (1 and 6 items, each commented): the same count of queries."""

    def revealed_session(n):
        subs = [
            graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1}) for _ in range(n)
        ]
        session = console_services.trainer_calibration_session_create(
            trainer=trainer, cohort=console_cohort, title=f"{n} items",
            submission_ids=[s.pk for s in subs], co_trainer_ids=[co_trainer.pk],
        )  # fmt: skip
        hand_in(session, trainer, {"accuracy": "3", "empathy": "1"})
        hand_in(session, co_trainer, {"accuracy": "0", "empathy": "1"})
        for item in session.items.all():
            services.calibration_comment_add(trainer=trainer, item_id=item.pk, body="b")
        return session

    client.force_login(trainer)
    small, large = revealed_session(1), revealed_session(6)
    counts = []
    for session in (small, large):
        url = reverse("grading:console-trainer-calibration", args=[session.pk])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
