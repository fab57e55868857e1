"""The calibration loop's writes: flags and the inbox, the discussion of a revealed session,
escalation to a lead trainer, concluding with the outcome kept, and publishing examples."""

import pytest

from grading.calibration import selectors, services
from grading.calibration.errors import CalibrationLoopError, CalibrationValidationError
from grading.calibration.models import (
    CalibrationFlag,
    PublishedExample,
    TrainerCalibrationAgreement,
)
from grading.console import services as console_services
from grading.console.errors import TrainerCalibrationError
from grading.llm.grader import examples_from_database
from grading.models import ExampleSubmission
from grading.peer.selectors import reviewer_calibration_page
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    SubmissionFactory,
    TrainerFactory,
    UserFactory,
)

from .conftest import graded_submission, hand_in

pytestmark = pytest.mark.django_db


# ---- flags and the inbox --------------------------------------------------------------------


def test_a_trainer_flags_a_submission_into_their_inbox(trainer, tone_submission, console_cohort):
    flag = services.calibration_flag_create(
        trainer=trainer,
        submission_id=tone_submission.pk,
        kind="exemplary",
        criterion_key="empathy",
        note="  Names the worry before the fix. ",
    )
    assert (flag.cohort, flag.note, flag.session) == (
        console_cohort,
        "Names the worry before the fix.",
        None,
    )
    assert selectors.calibration_inbox(user=trainer) == [flag]
    # Another cohort's trainer sees nothing of it, and may not flag the agent's work.
    stranger = TrainerFactory()
    CohortFactory(trainers=[stranger])
    assert selectors.calibration_inbox(user=stranger) == []
    with pytest.raises(CalibrationLoopError):
        services.calibration_flag_create(
            trainer=stranger, submission_id=tone_submission.pk, kind="failure",
            criterion_key="", note="x",
        )  # fmt: skip


def test_a_flag_needs_a_kind_a_criterion_of_the_rubric_and_a_note(trainer, tone_submission):
    with pytest.raises(CalibrationValidationError) as caught:
        services.calibration_flag_create(
            trainer=trainer, submission_id=tone_submission.pk, kind="great",
            criterion_key="no-such-criterion", note="   ",
        )  # fmt: skip
    assert set(caught.value.errors) == {"kind", "criterion", "note"}
    assert not CalibrationFlag.objects.exists()


def test_a_session_takes_up_flagged_items_and_they_leave_the_inbox(
    trainer, co_trainer, console_cohort, tone_submission, agent_in, exercise
):
    flag = services.calibration_flag_create(
        trainer=co_trainer, submission_id=tone_submission.pk, kind="failure",
        criterion_key="", note="Polite but misses the deadline.",
    )  # fmt: skip
    other = graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 1})
    session = console_services.trainer_calibration_session_create(
        trainer=trainer, cohort=console_cohort, title="July",
        submission_ids=[other.pk, tone_submission.pk], co_trainer_ids=[co_trainer.pk],
        flag_ids=[flag.pk],
    )  # fmt: skip
    # The flagged item comes first; a submission chosen twice is one item.
    assert [i.submission_id for i in session.items.all()] == [tone_submission.pk, other.pk]
    flag.refresh_from_db()
    assert flag.session == session
    assert selectors.calibration_inbox(user=trainer) == []
    with pytest.raises(TrainerCalibrationError, match="no session has taken up"):
        console_services.trainer_calibration_session_create(
            trainer=trainer, cohort=console_cohort, title="Again", submission_ids=[],
            co_trainer_ids=[], flag_ids=[flag.pk],
        )  # fmt: skip


def test_a_flag_of_another_cohort_cannot_be_taken_into_a_session(trainer, console_cohort):
    foreign = CalibrationFlag.objects.create(
        submission=SubmissionFactory(),
        cohort=CohortFactory(), flagged_by=TrainerFactory(), kind="exemplary", note="x",
    )  # fmt: skip
    with pytest.raises(TrainerCalibrationError):
        console_services.trainer_calibration_session_create(
            trainer=trainer, cohort=console_cohort, title="x", submission_ids=[],
            co_trainer_ids=[], flag_ids=[foreign.pk],
        )  # fmt: skip


# ---- candidates -----------------------------------------------------------------------------


def test_candidates_filter_by_exercise_grade_criterion_and_flag(
    trainer, console_cohort, agent_in, exercise
):
    strong = graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3})
    weak_empathy = graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 0})
    filters = selectors.CandidateFilters

    def ids(f):
        found, _ = selectors.calibration_candidates(cohort=console_cohort, filters=f)
        return [pk for pk, _ in found]

    assert ids(filters()) == [weak_empathy.pk, strong.pk]
    assert ids(filters(exercise=exercise.pk + 999)) == []
    assert ids(filters(grade_min=90)) == [strong.pk]
    assert ids(filters(criterion="empathy", grade_max=10)) == [weak_empathy.pk]
    assert ids(filters(flagged_only=True)) == []
    services.calibration_flag_create(
        trainer=trainer,
        submission_id=strong.pk,
        kind="exemplary",
        criterion_key="empathy",
        note="n",
    )
    assert ids(filters(flagged_only=True, criterion="empathy")) == [strong.pk]
    assert ids(filters(flagged_only=True, criterion="accuracy")) == []
    _, total = selectors.calibration_candidates(cohort=console_cohort, filters=filters())
    assert total == 2


# ---- discussion -----------------------------------------------------------------------------


def test_discussion_opens_only_after_everyone_handed_in(session, trainer, co_trainer):
    item = session.items.get()
    hand_in(session, trainer, {"accuracy": "3", "empathy": "2"})
    with pytest.raises(CalibrationLoopError, match="every trainer has handed in"):
        services.calibration_comment_add(trainer=trainer, item_id=item.pk, body="Too early")
    hand_in(session, co_trainer, {"accuracy": "1", "empathy": "2"})
    comment = services.calibration_comment_add(
        trainer=co_trainer, item_id=item.pk, body="I read it as a guess"
    )
    assert comment.author == co_trainer
    with pytest.raises(CalibrationLoopError, match="do not take part"):
        services.calibration_comment_add(trainer=TrainerFactory(), item_id=item.pk, body="Hi")
    with pytest.raises(CalibrationValidationError):
        services.calibration_comment_add(trainer=trainer, item_id=item.pk, body=" ")


def test_far_apart_criteria_are_highlighted(revealed):
    item = revealed.items.get()
    assert selectors.calibration_discussion(session=revealed)[item.pk].highlighted == {"accuracy"}


def test_agreed_scores_cover_every_criterion_and_can_be_corrected(revealed, trainer, co_trainer):
    item = revealed.items.get()
    with pytest.raises(CalibrationValidationError) as caught:
        services.calibration_agreement_record(
            trainer=trainer, item_id=item.pk, scores={"accuracy": "2"}
        )
    assert set(caught.value.errors) == {"agreed__empathy"}
    assert not TrainerCalibrationAgreement.objects.exists()
    services.calibration_agreement_record(
        trainer=trainer, item_id=item.pk, scores={"accuracy": "2", "empathy": "2"}
    )
    services.calibration_agreement_record(
        trainer=co_trainer, item_id=item.pk, scores={"accuracy": "3", "empathy": "2"}
    )
    agreed = dict(TrainerCalibrationAgreement.objects.values_list("criterion_key", "points"))
    assert agreed == {"accuracy": 3, "empathy": 2}


def test_an_escalated_item_is_settled_by_the_lead_only(revealed, trainer, co_trainer, lead):
    item = revealed.items.get()
    services.calibration_agreement_record(
        trainer=trainer, item_id=item.pk, scores={"accuracy": "2", "empathy": "2"}
    )
    with pytest.raises(CalibrationValidationError) as caught:
        services.calibration_escalate(
            trainer=trainer, item_id=item.pk, lead_id=TrainerFactory().pk, reason=""
        )
    assert set(caught.value.errors) == {"lead", "reason"}
    services.calibration_escalate(
        trainer=trainer, item_id=item.pk, lead_id=lead.pk, reason="3 or 1: is the $7.50 right?"
    )
    assert not TrainerCalibrationAgreement.objects.exists()  # set aside until the decision
    with pytest.raises(CalibrationLoopError, match="lead trainer"):
        services.calibration_agreement_record(
            trainer=trainer, item_id=item.pk, scores={"accuracy": "2", "empathy": "2"}
        )
    with pytest.raises(CalibrationLoopError):
        services.calibration_example_publish(
            trainer=trainer, item_id=item.pk, kind="exemplary", criterion_key="",
            title="t", commentary="c", passages=[],
        )  # fmt: skip
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.calibration_escalation_decide(
            lead=co_trainer, item_id=item.pk, scores={}, note="x"
        )
    with pytest.raises(CalibrationValidationError) as caught:
        services.calibration_escalation_decide(
            lead=lead, item_id=item.pk, scores={"accuracy": "3"}, note=""
        )
    assert set(caught.value.errors) == {"decision_note", "decided__empathy"}
    escalation = services.calibration_escalation_decide(
        lead=lead, item_id=item.pk, scores={"accuracy": "3", "empathy": "2"},
        note="The KB confirms the proration.",
    )  # fmt: skip
    assert escalation.decided_at is not None
    rows = list(
        TrainerCalibrationAgreement.objects.values_list("criterion_key", "points", "by_lead")
    )
    assert sorted(rows) == [("accuracy", 3, True), ("empathy", 2, True)]
    with pytest.raises(CalibrationLoopError, match="already"):
        services.calibration_escalation_decide(lead=lead, item_id=item.pk, scores={}, note="x")


def test_a_session_concludes_once_settled_and_keeps_its_outcome(revealed, trainer, co_trainer):
    item = revealed.items.get()
    with pytest.raises(CalibrationLoopError, match="1 item is not settled"):
        services.trainer_calibration_conclude(trainer=trainer, session_id=revealed.pk)
    services.calibration_agreement_record(
        trainer=trainer, item_id=item.pk, scores={"accuracy": "2", "empathy": "2"}
    )
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):  # only the session's creator (or staff) concludes
        services.trainer_calibration_conclude(trainer=co_trainer, session_id=revealed.pk)
    concluded = services.trainer_calibration_conclude(trainer=trainer, session_id=revealed.pk)
    outcome = concluded.outcome
    # Two trainers, two criteria: accuracy 3 vs 1 differ, empathy 2 vs 2 agree.
    assert (outcome["pairs"], outcome["agreement_before"], outcome["agreement_after"]) == (
        2,
        0.5,
        1.0,
    )
    assert outcome["kappa_pairs"] == 2
    with pytest.raises(CalibrationLoopError, match="concluded"):
        services.calibration_comment_add(trainer=trainer, item_id=item.pk, body="late")
    rows = selectors.calibration_session_export(session=concluded)
    assert rows[0][4] == "Accuracy" and rows[0][6:] == [2, 2, "trainers", ""]
    assert "Cora Co-trainer: 1" in rows[0][5]
    assert any(r[4:6] == ["kappa pairs", 2] for r in rows if len(r) > 5)


# ---- publishing -----------------------------------------------------------------------------


def _agree(item, trainer):
    services.calibration_agreement_record(
        trainer=trainer, item_id=item.pk, scores={"accuracy": "3", "empathy": "2"}
    )


def test_publishing_needs_agreement_and_passages_from_the_answer(revealed, trainer):
    item = revealed.items.get()
    publish = {
        "trainer": trainer, "item_id": item.pk, "kind": "exemplary", "criterion_key": "empathy",
        "title": "Owns the surprise", "commentary": "It names the worry first.",
    }  # fmt: skip
    with pytest.raises(CalibrationLoopError, match="Agree on every criterion"):
        services.calibration_example_publish(**publish, passages=[])
    _agree(item, trainer)
    with pytest.raises(CalibrationValidationError) as caught:
        services.calibration_example_publish(
            **{**publish, "title": "", "kind": "x"}, passages=["not in the reply"]
        )
    assert set(caught.value.errors) == {"title", "kind", "passages"}
    assert not PublishedExample.objects.exists() and not ExampleSubmission.objects.exists()


def test_one_publish_feeds_the_gallery_the_practice_set_and_the_llm_examples(
    revealed, trainer, exercise
):
    item = revealed.items.get()
    _agree(item, trainer)
    passage = "I understand that every dollar matters"
    published = services.calibration_example_publish(
        trainer=trainer, item_id=item.pk, kind="exemplary", criterion_key="empathy",
        title="Owns the surprise", commentary="It names **the worry** first.", passages=[passage],
    )  # fmt: skip
    assert "<strong>the worry</strong>" in published.commentary_html
    example = published.example
    criteria = example.trainer_grade["criteria"]
    assert {key: value["points"] for key, value in criteria.items()} == {
        "accuracy": 3,
        "empathy": 2,
    }
    assert criteria["empathy"]["comment"] == published.commentary  # what the LLM is shown
    # The reviewers' practice set: an agent practising before peer review gets it.
    page = reviewer_calibration_page(user=UserFactory(), exercise=exercise)
    assert page.example == example
    # The LLM grader's graded examples.
    assert example.slug in {e.slug for e in examples_from_database()}
    # The gallery, with the passage marked and nothing of the author.
    entries, total = selectors.gallery_examples(
        filters=selectors.GalleryFilters(criterion="empathy")
    )
    assert total == 1
    segments = entries[0].fields[0][1]
    assert (passage, True) in segments
    assert item.submission.user.display_name not in str(entries[0].__dict__.get("fields"))
    with pytest.raises(CalibrationLoopError, match="published already"):
        services.calibration_example_publish(
            trainer=trainer, item_id=item.pk, kind="exemplary", criterion_key="",
            title="t", commentary="c", passages=[],
        )  # fmt: skip
    # Withdrawing takes it out of all three.
    services.calibration_example_withdraw(trainer=trainer, published_id=published.pk)
    assert selectors.gallery_examples(filters=selectors.GalleryFilters())[1] == 0
    assert example.slug not in {e.slug for e in examples_from_database()}
    assert reviewer_calibration_page(user=UserFactory(), exercise=exercise).example is None


def test_loading_content_keeps_examples_published_from_sessions(revealed, trainer):
    from django.db.models import Q

    from grading.content.loading import LoadReport, _retire

    item = revealed.items.get()
    _agree(item, trainer)
    published = services.calibration_example_publish(
        trainer=trainer, item_id=item.pk, kind="failure", criterion_key="",
        title="t", commentary="c", passages=[],
    )  # fmt: skip
    _retire(
        ExampleSubmission, set(), LoadReport(), "example", keep=Q(published_example__isnull=False)
    )
    published.example.refresh_from_db()
    assert published.example.retired_at is None


def test_gallery_search_and_weak_criteria_links(revealed, trainer, exercise, agent_in):
    item = revealed.items.get()
    _agree(item, trainer)
    services.calibration_example_publish(
        trainer=trainer, item_id=item.pk, kind="exemplary", criterion_key="empathy",
        title="Owns the surprise", commentary="Names the worry.", passages=[],
    )  # fmt: skip
    search = lambda q: selectors.gallery_examples(filters=selectors.GalleryFilters(q=q))[1]  # noqa: E731
    assert search("refund worry") == 0
    assert search("prorated WORRY") == 1  # every word, anywhere: title, commentary, answer
    weak = graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 1})
    from grading.selectors import feedback_for_submission

    feedback = feedback_for_submission(submission=weak, viewer=agent_in)
    assert selectors.weak_criteria_with_examples(submission=weak, feedback=feedback) == {
        "empathy": 1
    }


def test_gallery_reads_a_constant_number_of_queries(
    django_assert_num_queries, revealed, trainer, co_trainer, console_cohort, agent_in, exercise
):
    def publish_session(n):
        subs = [
            graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2}) for _ in range(n)
        ]
        s = console_services.trainer_calibration_session_create(
            trainer=trainer, cohort=console_cohort, title="x", submission_ids=[x.pk for x in subs],
            co_trainer_ids=[co_trainer.pk],
        )  # fmt: skip
        hand_in(s, trainer, {"accuracy": "2", "empathy": "2"})
        hand_in(s, co_trainer, {"accuracy": "2", "empathy": "2"})
        for it in s.items.all():
            _agree(it, trainer)
            services.calibration_example_publish(
                trainer=trainer, item_id=it.pk, kind="exemplary", criterion_key="",
                title="t", commentary="c", passages=[],
            )  # fmt: skip

    publish_session(1)
    with django_assert_num_queries(3):  # count, rows, the rubric
        selectors.gallery_examples(filters=selectors.GalleryFilters())
    publish_session(4)
    with django_assert_num_queries(3):
        entries, total = selectors.gallery_examples(filters=selectors.GalleryFilters())
    assert total == len(entries) == 5


def test_the_inbox_reads_a_constant_number_of_queries(
    django_assert_num_queries, trainer, agent_in, exercise
):
    for _ in range(2):
        services.calibration_flag_create(
            trainer=trainer, submission_id=graded_submission(agent_in, exercise).pk,
            kind="exemplary", criterion_key="", note="n",
        )  # fmt: skip
    with django_assert_num_queries(1):
        assert len(selectors.calibration_inbox(user=trainer)) == 2
    other = UserFactory()
    MembershipFactory(cohort=CohortFactory(trainers=[trainer]), user=other)
    for _ in range(5):
        services.calibration_flag_create(
            trainer=trainer, submission_id=graded_submission(other, exercise).pk,
            kind="failure", criterion_key="", note="n",
        )  # fmt: skip
    with django_assert_num_queries(1):
        assert len(selectors.calibration_inbox(user=trainer)) == 7
