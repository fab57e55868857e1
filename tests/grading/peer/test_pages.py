"""The peer-review pages: what each role sees, anonymity, bad input, query counts."""

import pytest
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from curriculum.access import can_change, can_view
from curriculum.models import Membership, User
from exercises.models import Scenario, Submission
from grading.models import Flag, PeerReview
from grading.peer import services
from tests.factories import (
    TONE_ANSWER,
    CohortFactory,
    GradeReleaseFactory,
    MembershipFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
)
from text_analysis import vocabulary

from .conftest import SCENARIOS, agents_in, finish, submit


@pytest.fixture
def author(peer_cohort):
    user = UserFactory(full_name="Authorina Quill", email="authorina.secret@example.com")
    MembershipFactory(cohort=peer_cohort, user=user)
    return user


@pytest.fixture
def reviewers(peer_cohort):
    names = [("Revo Primus", "revo.primus@example.com"), ("Revo Secundus", "revo.two@example.com")]
    users = []
    for name, email in names:
        user = UserFactory(full_name=name, email=email)
        MembershipFactory(cohort=peer_cohort, user=user)
        users.append(user)
    return users


@pytest.fixture
def reviewed(tone, author, reviewers):
    """The author's submission reviewed by both reviewers (each also submitted)."""
    target = submit(author)
    for reviewer in reviewers:
        submit(reviewer)
    reviews = []
    for reviewer in reviewers:
        review = services.peer_review_next(reviewer=reviewer, exercise=tone)
        while review.submission != target:
            finish(review)
            review = services.peer_review_next(reviewer=reviewer, exercise=tone)
        reviews.append(review)
    start = target.answer["reply"].index("second charge")
    finish(
        reviews[0],
        {"tone_match": 3},
        comments="Warm **opening**.",
        inline=[services.InlineInput("reply", "second charge", "Nicely named.", start, start + 13)],
    )
    finish(reviews[1], {"tone_match": 2})
    # The author gives their own two reviews, so nothing holds their feedback back.
    for _ in range(2):
        review = services.peer_review_next(reviewer=author, exercise=tone)
        if review:
            finish(review)
    return target, reviews


# ---- the agent's page and the form -------------------------------------------------------


def test_agent_page_shows_progress_and_review_next(client, tone, author, reviewers):
    submit(author)
    submit(reviewers[0])
    client.force_login(author)
    page = client.get(reverse("grading:peer-home"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "You have given <strong>0 of 2</strong> reviews" in html
    assert "Review next" in html
    response = client.post(reverse("grading:peer-next", args=[tone.slug]))
    review = PeerReview.objects.get(reviewer=author)
    assert response.url == reverse("grading:peer-review", args=[review.pk])


def test_giving_more_reviews_than_asked_is_not_shown_as_a_fraction(client, tone, author):
    submit(author)
    for other in agents_in(author.memberships.get().cohort, 3):
        submit(other)
    for _ in range(tone.setting("peer_reviews_to_give") + 1):
        finish(services.peer_review_next(reviewer=author, exercise=tone))
    client.force_login(author)
    html = client.get(reverse("grading:peer-home")).content.decode()
    given = tone.setting("peer_reviews_to_give") + 1
    assert f"You have given <strong>{given}</strong> reviews, more than the" in html
    assert f"{given} of " not in html


def test_nothing_left_is_said_plainly_and_does_not_block(client, tone, author):
    submit(author)
    client.force_login(author)
    html = client.get(reverse("grading:peer-home")).content.decode()
    assert "nothing left for you to review right now" in html
    assert "You are not blocked" in html
    response = client.post(reverse("grading:peer-next", args=[tone.slug]), follow=True)
    assert "You are not blocked" in response.content.decode()


def test_the_form_shows_rubric_questions_and_the_work(client, tone, author, reviewers):
    submit(author)
    submit(reviewers[0])
    review = services.peer_review_next(reviewer=reviewers[0], exercise=tone)
    client.force_login(reviewers[0])
    html = client.get(reverse("grading:peer-review", args=[review.pk])).content.decode()
    assert "Does this response acknowledge the customer&#x27;s feelings?" in html
    assert "Would I feel heard?" in html
    assert "What could make this more empathetic?" in html
    assert 'name="score__tone_match"' in html and 'name="score__state_identification"' in html
    assert 'data-field="reply"' in html


def test_a_tone_reviewer_sees_the_authors_state_and_indicators(client, tone, author, reviewers):
    submission = submit(author)
    submit(reviewers[0])
    review = services.peer_review_next(reviewer=reviewers[0], exercise=tone)
    assert review.submission_id == submission.pk
    client.force_login(reviewers[0])
    html = client.get(reverse("grading:peer-review", args=[review.pk])).content.decode()
    section = html[html.index('id="choices-heading"') : html.index('id="work-heading"')]
    assert "What they identified" in section
    state = dict(vocabulary.STATES)[submission.answer["identified_state"]]
    assert f"<dt>Emotional state</dt>\n      <dd><p>{state}</p>" in section
    for indicator in submission.answer["indicators"]:
        assert f"<li>{escape(indicator)}</li>" in section


def test_bad_input_keeps_everything_typed(client, tone, author, reviewers):
    submit(author)
    submit(reviewers[0])
    review = services.peer_review_next(reviewer=reviewers[0], exercise=tone)
    client.force_login(reviewers[0])
    response = client.post(
        reverse("grading:peer-review", args=[review.pk]),
        {
            "score__tone_match": "3",
            "score__empathy": "9",
            "acknowledges_feelings": "It names the double charge worry.",
            "would_feel_heard": "",
            "more_empathetic": "Say sorry once, not twice.",
            "comments": "My **free** comment",
            "inline_field": ["reply"],
            "inline_start": [""],
            "inline_end": [""],
            "inline_quote": ["prorated cost"],
            "inline_body": ["Explain this."],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing you typed was lost" in html
    assert "It names the double charge worry." in html
    assert "Say sorry once, not twice." in html
    assert "My **free** comment" in html
    assert 'value="3" checked' in html
    assert "Explain this." in html and 'value="prorated cost"' in html
    assert "Choose one of the levels (0 to 3 points)." in html
    review.refresh_from_db()
    assert review.status == PeerReview.Status.IN_PROGRESS


def test_a_passage_not_in_the_text_comes_back_editable_next_to_its_error(
    client, tone, author, reviewers
):
    submit(author)
    submit(reviewers[0])
    review = services.peer_review_next(reviewer=reviewers[0], exercise=tone)
    from grading.peer.rubric import criteria_of

    data = {f"score__{c.key}": "2" for c in criteria_of(review.rubric_version.snapshot)}
    data |= {"acknowledges_feelings": "Yes", "would_feel_heard": "Yes", "more_empathetic": "-"}
    client.force_login(reviewers[0])
    url = reverse("grading:peer-review", args=[review.pk])
    refused = client.post(
        url,
        data
        | {
            "inline_field": ["reply", "reply"],
            "inline_start": ["", ""],
            "inline_end": ["", ""],
            "inline_quote": ["prorated cost", "a refund of forty pounds"],
            "inline_body": ["Explain this.", "Too vague."],
        },
    )
    assert refused.status_code == 400
    html = refused.content.decode()
    item = html[html.index("a refund of forty pounds") - 1500 : html.index("Too vague.")]
    assert (
        '<ul class="errorlist" id="inline-1-error"><li>No passage of the reply to the customer '
        "matches “a refund of forty pounds”"
    ) in item
    assert '<select name="inline_field" id="inline-field-2">' in item
    assert 'name="inline_quote" id="inline-quote-2" rows="2" aria-invalid="true"' in item
    assert ">a refund of forty pounds</textarea>" in item
    # The comment that was fine stays as it was, with no error.
    assert '<input type="hidden" name="inline_quote" value="prorated cost">' in html
    assert "inline-0-error" not in html
    # Corrected in place, the review goes through with both comments.
    fixed = data | {
        "inline_field": ["reply", "reply"],
        "inline_start": ["", ""],
        "inline_end": ["", ""],
        "inline_quote": ["prorated cost", "biling  HISTORY"],
        "inline_body": ["Explain this.", "Too vague."],
    }
    assert client.post(url, fixed).status_code == 302
    # A typed passage is anchored to the reply's own words (case, spacing and typos aside).
    assert sorted(review.inline_comments.values_list("quote", flat=True)) == [
        "Billing history",
        "prorated cost",
    ]


def test_the_keyboard_passage_finder_says_what_it_matched(client, tone, author, reviewers):
    submit(author)
    submit(reviewers[0])
    review = services.peer_review_next(reviewer=reviewers[0], exercise=tone)
    url = reverse("grading:peer-review-passage", args=[review.pk])
    client.force_login(reviewers[0])
    found = client.post(url, {"field": "reply", "text": "biling history"}).json()
    reply = review.submission.answer["reply"]
    assert found["found"] and not found["exact"]
    assert reply[found["start"] : found["end"]] == found["text"] == "Billing history"
    assert found["message"].startswith("Matched in the reply to the customer: “Billing history”.")
    missing = client.post(url, {"field": "reply", "text": "a refund of forty pounds"}).json()
    assert missing == {
        "found": False,
        "message": "No passage of the reply to the customer matches “a refund of forty pounds”. "
        "Check the words against the reply to the customer, or select the passage.",
    }
    assert client.post(url, {"field": "nowhere", "text": "x"}).status_code == 400
    # Only the review's reviewer may ask.
    client.force_login(reviewers[1])
    assert client.post(url, {"field": "reply", "text": "Billing history"}).status_code == 403


def test_an_empty_form_is_refused_without_losing_the_review(client, tone, author, reviewers):
    submit(author)
    submit(reviewers[0])
    review = services.peer_review_next(reviewer=reviewers[0], exercise=tone)
    client.force_login(reviewers[0])
    response = client.post(reverse("grading:peer-review", args=[review.pk]), {})
    assert response.status_code == 400
    assert "Choose a level" in response.content.decode()


def test_handing_in_through_the_form(client, tone, author, reviewers):
    submit(author)
    submit(reviewers[0])
    review = services.peer_review_next(reviewer=reviewers[0], exercise=tone)
    from grading.peer.rubric import criteria_of

    data = {f"score__{c.key}": "2" for c in criteria_of(review.rubric_version.snapshot)}
    data |= {"acknowledges_feelings": "Yes", "would_feel_heard": "Yes", "more_empathetic": "-"}
    data |= {"inline_field": "reply", "inline_start": "", "inline_end": "", "inline_quote": "",
             "inline_body": ""}  # fmt: skip
    client.force_login(reviewers[0])
    response = client.post(reverse("grading:peer-review", args=[review.pk]), data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.status == PeerReview.Status.COMPLETED


def test_reporting_from_the_form(client, tone, author, reviewers):
    submit(author)
    submit(reviewers[0])
    review = services.peer_review_next(reviewer=reviewers[0], exercise=tone)
    client.force_login(reviewers[0])
    url = reverse("grading:peer-review-report", args=[review.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    client.post(url, {"reason": "Abusive language"})
    assert Flag.objects.filter(reason=Flag.Reason.INAPPROPRIATE).count() == 1


# ---- the author's summary and anonymity --------------------------------------------------


def test_author_sees_the_summary_with_inline_comments(client, reviewed, author):
    target, _reviews = reviewed
    client.force_login(author)
    html = client.get(reverse("grading:peer-submission", args=[target.pk])).content.decode()
    assert "Reviewer 1" in html and "Reviewer 2" in html
    assert "<strong>2.5</strong> / 3" in html  # median of 3 and 2 on tone_match
    assert '<mark class="peer-inline" title="1.1: Nicely named.">second charge<sup>1.1</sup>' in (
        html
    )
    assert "Warm <strong>opening</strong>." in html  # Markdown, sanitised
    assert "How helpful was this review?" in html


def test_author_sees_peer_scores_only_once_grades_are_released(
    client, reviewed, author, peer_cohort, peer_trainer
):
    from grading.console.models import CohortGradingSettings

    CohortGradingSettings.objects.update_or_create(
        cohort=peer_cohort,
        defaults={"release_mode": CohortGradingSettings.ReleaseMode.ON_RELEASE},
    )
    target, _reviews = reviewed
    client.force_login(author)
    url = reverse("grading:peer-submission", args=[target.pk])
    held = client.get(url).content.decode()
    assert "Reviewer 1" not in held
    assert "once your trainer releases them" in held
    GradeReleaseFactory(submission=target, released_by=peer_trainer)
    assert "Reviewer 1" in client.get(url).content.decode()


def test_reviews_are_anonymous_both_ways(client, reviewed, author, reviewers, tone):
    target, _reviews = reviewed
    client.force_login(author)
    for url in (
        reverse("grading:peer-submission", args=[target.pk]),
        reverse("grading:peer-home"),
    ):
        html = client.get(url).content.decode()
        for reviewer in reviewers:
            assert reviewer.email not in html and reviewer.full_name not in html
    # A reviewer working on the author's submission never sees who wrote it.
    another = submit(author, scenario=SCENARIOS[1])
    services.peer_queue_sync()
    review = services.peer_review_allocate(
        trainer=TrainerFactory(), cohort=Membership.objects.get(user=author).cohort,
        submission_id=another.pk, reviewer_id=reviewers[0].pk,
    )  # fmt: skip
    client.force_login(reviewers[0])
    for url in (reverse("grading:peer-review", args=[review.pk]), reverse("grading:peer-home")):
        html = client.get(url).content.decode()
        assert author.email not in html and author.full_name not in html
    # Nor can they open the submission itself.
    assert client.get(reverse("exercises:submission-detail", args=[another.pk])).status_code in {
        403,
        404,
    }
    assert client.get(reverse("grading:peer-submission", args=[another.pk])).status_code == 403


def test_trainers_see_who_reviewed(client, reviewed, peer_trainer, reviewers):
    target, _reviews = reviewed
    client.force_login(peer_trainer)
    html = client.get(reverse("grading:peer-submission", args=[target.pk])).content.decode()
    assert reviewers[0].email in html


def test_author_waits_until_enough_reviews_are_in(client, tone, author, reviewers):
    target = submit(author)
    submit(reviewers[0])
    finish(services.peer_review_next(reviewer=reviewers[0], exercise=tone))
    client.force_login(author)
    html = client.get(reverse("grading:peer-submission", args=[target.pk])).content.decode()
    assert "1 of 2 peer reviews are in" in html
    assert "Reviewer 1" not in html


def test_author_who_owes_reviews_sees_them_after_giving_theirs(client, reviewed, tone, author):
    target, _ = reviewed
    # Undo the author's own reviews: now they owe two while one is available.
    PeerReview.objects.filter(reviewer=author).delete()
    extra = UserFactory()
    MembershipFactory(cohort=Membership.objects.get(user=author).cohort, user=extra)
    submit(extra)
    client.force_login(author)
    html = client.get(reverse("grading:peer-submission", args=[target.pk])).content.decode()
    assert "Give your own 2 reviews to see them" in html


def test_rate_and_dispute_through_the_page(client, reviewed, author):
    _target, reviews = reviewed
    client.force_login(author)
    client.post(reverse("grading:peer-review-rate", args=[reviews[0].pk]), {"helpfulness": "5"})
    client.post(reverse("grading:peer-review-dispute", args=[reviews[1].pk]), {"reason": "Unfair"})
    reviews[0].refresh_from_db()
    reviews[1].refresh_from_db()
    assert reviews[0].helpfulness == 5 and reviews[1].dispute_reason == "Unfair"


def test_a_refused_rating_or_dispute_lands_where_its_message_shows(client, reviewed, author):
    target, reviews = reviewed
    client.force_login(author)
    page = reverse("grading:peer-submission", args=[target.pk])
    rate = reverse("grading:peer-review-rate", args=[reviews[0].pk])
    dispute = reverse("grading:peer-review-dispute", args=[reviews[1].pk])
    # The messages show above the page: an #anchor would scroll past the error.
    assert client.post(rate, {"helpfulness": ""}).url == page
    assert client.post(dispute, {"reason": "x" * (services.MAX_TEXT + 1)}).url == page
    assert client.post(rate, {"helpfulness": "4"}).url == f"{page}#peer-review-{reviews[0].pk}"


def test_the_rating_and_dispute_forms_refuse_bad_input_before_it_is_sent(client, reviewed, author):
    target, reviews = reviewed
    client.force_login(author)
    html = client.get(reverse("grading:peer-submission", args=[target.pk])).content.decode()
    assert f'id="helpfulness-{reviews[0].pk}" required' in html
    assert f'maxlength="{services.MAX_TEXT}" required' in html


def test_template_tag_renders_for_the_submission_page(reviewed, author):
    target, _ = reviewed
    request = RequestFactory().get("/")
    request.user = author
    html = Template("{% load peer_review_tags %}{% peer_review_feedback submission %}").render(
        Context({"submission": target, "request": request, "csrf_token": "t"})
    )
    assert 'id="peer-feedback"' in html and "Reviewer 2" in html


def test_template_tag_is_silent_without_peer_review(loaded_content, author):
    sub = SubmissionFactory(user=author, shipped_tone=True, exercise_slug="audit-the-draft",
                            scenario_slug=_audit_slug(),
                            answer={"findings": [], "reply": "x", "checklist": []})  # fmt: skip
    request = RequestFactory().get("/")
    request.user = author
    html = Template("{% load peer_review_tags %}{% peer_review_feedback s %}").render(
        Context({"s": sub, "request": request})
    )
    assert html.strip() == ""


def _audit_slug():
    from curriculum.models import Exercise

    return Exercise.objects.get(slug="audit-the-draft").scenarios.first().slug


# ---- access ------------------------------------------------------------------------------


def test_access_to_a_review_by_role(client, tone, author, reviewers, peer_trainer):
    submit(author)
    submit(reviewers[0])
    review = services.peer_review_next(reviewer=reviewers[0], exercise=tone)
    other_trainer = TrainerFactory()
    (stranger,) = agents_in(CohortFactory(), 1)
    url = reverse("grading:peer-review", args=[review.pk])
    for user, status in [
        (reviewers[0], 200),
        (reviewers[1], 403),
        (review.submission.user, 403),
        (stranger, 403),
        (peer_trainer, 403),  # trainers read reviews on the submission, not in the form
        (other_trainer, 403),
    ]:
        client.force_login(user)
        assert client.get(url).status_code == status, user
    assert client.get(reverse("grading:peer-review", args=[99999])).status_code in {403, 404}
    # The rules themselves.
    assert can_view(reviewers[0], review) and can_change(reviewers[0], review)
    assert not can_view(review.submission.user, review)  # not finished yet
    assert can_view(peer_trainer, review) and not can_change(peer_trainer, review)
    assert not can_view(other_trainer, review) and not can_view(stranger, review)
    finish(review)
    review.refresh_from_db()
    assert can_view(review.submission.user, review) and not can_change(reviewers[0], review)


def test_trainer_page_by_role(client, tone, peer_cohort, peer_trainer, author, reviewers):
    submit(author)
    url = reverse("grading:peer-cohort", args=[peer_cohort.slug])
    for user, status in [(peer_trainer, 200), (TrainerFactory(), 403), (author, 403)]:
        client.force_login(user)
        assert client.get(url).status_code == status
    client.force_login(author)
    allocate = reverse("grading:peer-allocate", args=[peer_cohort.slug])
    assert client.post(allocate, {}).status_code == 403


def test_trainer_page_shows_accuracy_flags_waiting_and_allocates(
    client, reviewed, peer_cohort, peer_trainer, reviewers, author, tone
):
    waiting = submit(reviewers[0], scenario=SCENARIOS[1])
    client.force_login(peer_trainer)
    html = client.get(reverse("grading:peer-cohort", args=[peer_cohort.slug])).content.decode()
    assert "Revo Primus" in html and "Submissions waiting for reviews" in html
    assert "No calibrated reviewer" in html  # flag from the reviewed submission
    assert f'value="{waiting.pk}"' in html
    response = client.post(
        reverse("grading:peer-allocate", args=[peer_cohort.slug]),
        {"submission": waiting.pk, "reviewer": author.pk},
    )
    assert response.status_code == 302
    assert PeerReview.objects.filter(submission=waiting, reviewer=author, source="manual").exists()


def test_agent_pages_are_for_agents(client, peer_trainer, tone):
    client.force_login(peer_trainer)
    assert client.get(reverse("grading:peer-home")).status_code == 403
    assert client.get(reverse("grading:peer-cohort-list")).status_code == 200


# ---- query counts ------------------------------------------------------------------------


def _populate(cohort, exercise, n: int, start: int) -> list[User]:
    users = User.objects.bulk_create(
        [User(email=f"bulk{start + i}@example.com", password="!") for i in range(n)]
    )
    Membership.objects.bulk_create([Membership(cohort=cohort, user=u) for u in users])
    scenario = Scenario.objects.get(slug=SCENARIOS[0])
    version = scenario.versions.order_by("-number").first()
    Submission.objects.bulk_create(
        [
            SubmissionFactory.build(
                user=u,
                exercise=exercise,
                scenario=scenario,
                scenario_version=version,
                attempt=1,
                answer=TONE_ANSWER,
                edit_class="substantial",
            )
            for u in users
        ]
    )
    services.peer_queue_sync()  # bulk-created: filled as `manage.py peer_queue_fill` does
    return users


def _count(client, url) -> int:
    client.get(url)  # warm (sessions, caches)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_queue_pages_use_the_same_queries_for_10_and_300_submissions(
    client, tone, peer_cohort, peer_trainer, django_assert_num_queries
):
    users = _populate(peer_cohort, tone, 10, 0)
    # Some finished reviews so accuracy and summaries have data.
    for reviewer in users[:4]:
        finish(services.peer_review_next(reviewer=reviewer, exercise=tone))
    agent_url, trainer_url = (
        reverse("grading:peer-home"),
        reverse("grading:peer-cohort", args=[peer_cohort.slug]),
    )
    client.force_login(users[0])
    agent_small = _count(client, agent_url)
    client.force_login(peer_trainer)
    trainer_small = _count(client, trainer_url)

    more = _populate(peer_cohort, tone, 290, 10)
    for reviewer in more[:20]:
        finish(services.peer_review_next(reviewer=reviewer, exercise=tone))
    assert Submission.objects.count() == 300
    client.force_login(users[0])
    client.get(agent_url)
    with django_assert_num_queries(agent_small):
        client.get(agent_url)
    client.force_login(peer_trainer)
    client.get(trainer_url)
    with django_assert_num_queries(trainer_small):
        client.get(trainer_url)


# ---- reviewer calibration pages -----------------------------------------------------------


def test_review_next_sends_uncalibrated_reviewers_to_reviewer_calibration(
    client, tone, author, reviewers
):
    from .conftest import configure

    configure(tone, peer_calibration=True)
    submit(author)
    submit(reviewers[0])
    client.force_login(author)
    response = client.post(reverse("grading:peer-next", args=[tone.slug]))
    assert response.url == reverse("grading:peer-reviewer-calibration", args=[tone.slug])


def test_reviewer_calibration_page_scores_an_example_and_shows_the_trainer(client, tone, author):
    from grading.models import CalibrationAttempt, ExampleSubmission

    client.force_login(author)
    url = reverse("grading:peer-reviewer-calibration", args=[tone.slug])
    html = client.get(url).content.decode()
    assert "Calibrate your reviewing" in html
    example = ExampleSubmission.objects.filter(exercise=tone).order_by("slug").first()
    assert f'name="example" value="{example.pk}"' in html
    # Incomplete: refused, what was chosen is kept.
    response = client.post(url, {"example": example.pk, "score__tone_match": "2"})
    assert response.status_code == 400
    assert 'value="2" checked' in response.content.decode()
    grade = example.trainer_grade["criteria"]
    data = {f"score__{key}": str(item["points"]) for key, item in grade.items()}
    response = client.post(url, {"example": example.pk, **data})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Close to the trainer" in html and "Trainer's comment" in html
    assert CalibrationAttempt.objects.get(reviewer=author).passed
