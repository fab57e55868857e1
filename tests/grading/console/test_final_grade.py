"""Final grade by precedence (trainer > automatic + peer), overrides and their audit record,
release to agents and the notice when a trainer changed a grade."""

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grading.console import services
from grading.console.errors import ReviewValidationError
from grading.console.models import (
    CohortGradingSettings,
    GradeOverride,
    TrainerReview,
    TrainerScore,
)
from grading.console.selectors import final_grades_for_submissions
from grading.models import Flag, PeerScore
from grading.selectors import feedback_for_submission
from tests.factories import (
    FlagFactory,
    UserFactory,
)

from .conftest import grade, graded_submission, peer_review

pytestmark = pytest.mark.django_db


def _final(submission):
    return final_grades_for_submissions(submission_ids=[submission.pk])[submission.pk]


def _review(trainer, submission, scores, reasons=None, note=""):
    return services.trainer_review_submit(
        trainer=trainer,
        submission_id=submission.pk,
        data=services.ReviewInput(
            scores={k: str(v) for k, v in scores.items()}, reasons=reasons or {}, note=note
        ),
    )


def test_automatic_grade_alone_is_final_with_its_stored_total(exercise, agent_in):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 3})
    final = _final(submission)
    assert final.source == "auto"
    assert final.total == submission.grades.get().total
    assert [(c.key, c.points, c.max_points) for c in final.criteria] == [
        ("accuracy", 2.0, 3),
        ("empathy", 3.0, 3),
    ]


def test_llm_grade_counts_over_offline(exercise, agent_in):
    submission = graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 1})
    grade(submission, {"accuracy": 3, "empathy": 2}, grader="llm")
    final = _final(submission)
    assert final.criterion("accuracy").points == 3
    assert final.criterion("accuracy").auto_points == 3


def test_automatic_and_peer_median_are_averaged_per_criterion(exercise, agent_in):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    for accuracy, empathy in ((1, 3), (3, 3), (3, 2)):
        peer_review(submission, UserFactory(), {"accuracy": accuracy, "empathy": empathy})
    final = _final(submission)
    assert final.source == "combined"
    accuracy, empathy = final.criteria
    assert (accuracy.auto_points, accuracy.peer_points, accuracy.points) == (2, 3.0, 2.5)
    assert (empathy.auto_points, empathy.peer_points, empathy.points) == (1, 3.0, 2.0)
    assert final.total == pytest.approx((2.5 / 3 + 2 / 3) / 2, abs=1e-4)


def test_peer_scores_wait_for_the_required_number_of_reviews(exercise, agent_in):
    exercise.settings = {"peer_reviews_required": 3}
    exercise.save(update_fields=["settings"])
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    peer_review(submission, UserFactory(), {"accuracy": 0, "empathy": 0})
    assert _final(submission).source == "auto"


def test_trainer_grade_takes_precedence_and_keeps_other_scores_apart(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    peer_review(submission, UserFactory(), {"accuracy": 3, "empathy": 3})
    _review(trainer, submission, {"accuracy": 0, "empathy": 2}, {"accuracy": "Wrong price."})
    final = _final(submission)
    assert final.source == "trainer"
    accuracy = final.criterion("accuracy")
    assert (accuracy.points, accuracy.trainer_points) == (0, 0)
    assert (accuracy.auto_points, accuracy.peer_points) == (2, 3.0)  # still there, apart
    assert submission.grades.get().scores.get(criterion_key="accuracy").points == 2
    # Accuracy is critical: its lowest level caps the total at 0.5.
    assert final.total == pytest.approx(min(0.5, (0 + 2 / 3) / 2), abs=1e-4)


def test_override_needs_a_reason_and_nothing_is_saved_without(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    with pytest.raises(ReviewValidationError) as caught:
        _review(trainer, submission, {"accuracy": 3, "empathy": 1})
    assert set(caught.value.errors) == {"reason__accuracy"}
    assert not TrainerReview.objects.exists()
    assert not GradeOverride.objects.exists()


def test_override_leaves_an_audit_record(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    for points in ({"accuracy": 3, "empathy": 2}, {"accuracy": 3, "empathy": 2}):
        peer_review(submission, UserFactory(), points)
    review = _review(
        trainer,
        submission,
        {"accuracy": 1, "empathy": 2},  # empathy: combined 1.5 prefills as 2 -> unchanged
        {"accuracy": "Quotes the old refund window.", "empathy": "ignored"},
    )
    record = GradeOverride.objects.get()
    assert review.changed
    assert record.review == review
    assert record.trainer == trainer
    assert record.submission == submission
    assert record.criterion_key == "accuracy"
    assert (record.from_source, record.from_points, record.to_points) == ("combined", 2.5, 1)
    assert (record.auto_points, record.peer_points) == (2, 3.0)
    assert record.reason == "Quotes the old refund window."
    assert record.created_at is not None
    with pytest.raises(ValueError, match="audit trail"):
        record.save()


def test_confirming_the_prefilled_grade_is_no_override(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    review = _review(trainer, submission, {"accuracy": 2, "empathy": 1})
    assert not review.changed
    assert not GradeOverride.objects.exists()
    assert _final(submission).source == "trainer"


def test_a_later_trainer_grade_overrides_an_earlier_one(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    _review(trainer, submission, {"accuracy": 2, "empathy": 1})
    with pytest.raises(ReviewValidationError):
        _review(trainer, submission, {"accuracy": 3, "empathy": 1})
    _review(trainer, submission, {"accuracy": 3, "empathy": 1}, {"accuracy": "Re-read."})
    assert GradeOverride.objects.get().from_source == "trainer"
    assert _final(submission).criterion("accuracy").points == 3


def test_reviewing_resolves_the_items_flags(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    FlagFactory(submission=submission, reason=Flag.Reason.LLM_FAILED)
    FlagFactory(submission=submission, reason=Flag.Reason.DISPUTE)
    _review(trainer, submission, {"accuracy": 2, "empathy": 1})
    assert not Flag.objects.filter(resolved_at__isnull=True).exists()


def test_invalid_level_is_refused(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    with pytest.raises(ReviewValidationError) as caught:
        _review(trainer, submission, {"accuracy": 7, "empathy": ""})
    assert set(caught.value.errors) == {"score__accuracy", "score__empathy"}


@pytest.mark.parametrize("score_model", [TrainerScore, PeerScore])
def test_human_scores_outside_the_rubric_range_are_refused_by_the_database(
    exercise, agent_in, trainer, score_model
):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    if score_model is TrainerScore:
        _review(trainer, submission, {"accuracy": 2, "empathy": 1})
        review = TrainerReview.objects.get(submission=submission)
    else:
        review = peer_review(submission, UserFactory(), {"accuracy": 2})
    with pytest.raises(IntegrityError), transaction.atomic():
        score_model.objects.create(
            review=review, criterion_key="extra", points=4, min_points=0, max_points=3
        )
    score_model.objects.create(review=review, criterion_key="extra", points=None, max_points=3)


# ---- release and notice ------------------------------------------------------------------


def _on_release(cohort):
    CohortGradingSettings.objects.update_or_create(
        cohort=cohort, defaults={"release_mode": CohortGradingSettings.ReleaseMode.ON_RELEASE}
    )


def test_grades_are_visible_at_once_by_default(exercise, agent_in):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    assert _final(submission).released
    feedback = feedback_for_submission(submission=submission, viewer=agent_in)
    assert not feedback.held and feedback.grade is not None


def test_held_grades_are_hidden_from_the_agent_until_released(
    exercise, agent_in, trainer, console_cohort
):
    _on_release(console_cohort)
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    assert not _final(submission).released
    held = feedback_for_submission(submission=submission, viewer=agent_in)
    assert held.held and held.grade is None and held.criteria == [] and not held.pending
    as_trainer = feedback_for_submission(submission=submission, viewer=trainer)
    assert not as_trainer.held and as_trainer.criteria

    services.grade_release(trainer=trainer, submission_id=submission.pk)
    assert _final(submission).released
    assert not feedback_for_submission(submission=submission, viewer=agent_in).held


def test_switching_to_release_by_hand_keeps_the_grades_agents_already_see(
    exercise, agent_in, trainer, console_cohort
):
    seen = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    waiting = graded_submission(agent_in, exercise)  # not graded yet
    services.cohort_settings_update(
        user=trainer,
        cohort=console_cohort,
        release_mode=CohortGradingSettings.ReleaseMode.ON_RELEASE,
        audit_rate=0.12,
        mastery_threshold=0.7,
    )
    assert not feedback_for_submission(submission=seen, viewer=agent_in).held
    grade(waiting, {"accuracy": 1, "empathy": 1})
    assert feedback_for_submission(submission=waiting, viewer=agent_in).held
    later = graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3})
    assert feedback_for_submission(submission=later, viewer=agent_in).held


def test_bulk_release_per_exercise(exercise, agent_in, trainer, console_cohort):
    _on_release(console_cohort)
    first = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    second = graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 1})
    ungraded = graded_submission(agent_in, exercise)
    count = services.grade_release_exercise(
        trainer=trainer, cohort=console_cohort, exercise_id=exercise.pk
    )
    assert count == 2
    finals = final_grades_for_submissions(submission_ids=[first.pk, second.pk, ungraded.pk])
    assert finals[first.pk].released and finals[second.pk].released
    assert ungraded.pk not in finals


def test_agent_is_emailed_after_commit_when_a_trainer_changed_the_grade(
    exercise, agent_in, trainer, django_capture_on_commit_callbacks
):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _review(trainer, submission, {"accuracy": 3, "empathy": 1}, {"accuracy": "Right."}, "Good")
    assert mail.outbox == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [agent_in.email]
    assert "changed its grade" in mail.outbox[0].body
    # Told once, even when the task runs again.
    assert services.trainer_review_notify(review_id=TrainerReview.objects.get().pk) is False
    feedback = feedback_for_submission(submission=submission, viewer=agent_in)
    assert feedback.final.trainer_changed and feedback.final.trainer_note == "Good"


def test_no_email_when_the_trainer_confirms(
    exercise, agent_in, trainer, django_capture_on_commit_callbacks
):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    with django_capture_on_commit_callbacks(execute=True):
        _review(trainer, submission, {"accuracy": 2, "empathy": 1})
    assert mail.outbox == []


def test_held_grade_change_is_told_on_release(
    exercise, agent_in, trainer, console_cohort, django_capture_on_commit_callbacks
):
    _on_release(console_cohort)
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    with django_capture_on_commit_callbacks(execute=True):
        _review(trainer, submission, {"accuracy": 0, "empathy": 1}, {"accuracy": "Wrong plan."})
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        services.grade_release(trainer=trainer, submission_id=submission.pk)
    assert len(mail.outbox) == 1


def test_submission_page_shows_the_trainer_notice(client, exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    _review(trainer, submission, {"accuracy": 3, "empathy": 1}, {"accuracy": "Right."})
    client.force_login(agent_in)
    body = client.get(reverse("grading:submission-feedback", args=[submission.pk])).content
    assert b"A trainer reviewed this submission and changed your grade" in body
    assert b"Right." not in body  # the override reason is for trainers


def test_final_grades_use_constant_queries(exercise, agent_in):
    def count(n):
        ids = []
        for _ in range(n):
            submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
            peer_review(submission, UserFactory(), {"accuracy": 1, "empathy": 1})
            ids.append(submission.pk)
        with CaptureQueriesContext(connection) as ctx:
            finals = final_grades_for_submissions(submission_ids=ids)
        assert len(finals) == n
        return len(ctx.captured_queries)

    assert count(2) == count(20)
