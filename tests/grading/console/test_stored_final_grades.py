"""Stored final grades: every writer updates them in its own transaction, nothing else
recomputes them, and `rebuild_final_grades` finds and repairs drift."""

import pytest
from django.core.management import call_command

from grading.console import services
from grading.console.grades import final_grades_compute, final_grades_refresh
from grading.console.models import (
    CohortGradingSettings,
    StoredFinalCriterion,
    StoredFinalGrade,
)
from grading.models import RubricVersion
from grading.services import GradeResult, ScoredCriterion, grade_store
from tests.factories import SubmissionFactory, UserFactory

from .conftest import graded_submission, peer_review

pytestmark = pytest.mark.django_db


def _stored(submission):
    row = StoredFinalGrade.objects.get(submission=submission)
    return row, {c.criterion_key: c for c in row.criteria.all()}


def _result(points: dict, grader="offline", total=0.5) -> GradeResult:
    return GradeResult(
        grader=grader,
        total=total,
        criteria=[
            ScoredCriterion(key=k, points=p, max_points=3, rationale="", evidence=[])
            for k, p in points.items()
        ],
        notes=[],
    )


def _review(trainer, submission, scores, reasons=None):
    return services.trainer_review_submit(
        trainer=trainer,
        submission_id=submission.pk,
        data=services.ReviewInput(
            scores={k: str(v) for k, v in scores.items()}, reasons=reasons or {}
        ),
    )


def test_an_automatic_grade_stores_the_final_grade_with_its_source(exercise, agent_in):
    submission = SubmissionFactory(user=agent_in, exercise=exercise)
    assert not StoredFinalGrade.objects.filter(submission=submission).exists()
    version = RubricVersion.objects.get(rubric__slug="console-test")
    grade_store(
        submission_id=submission.pk,
        rubric_version=version,
        result=_result({"accuracy": 2, "empathy": 3}, total=0.83),
    )
    row, criteria = _stored(submission)
    assert (row.source, row.total, row.released) == ("auto", 0.83, True)
    assert (criteria["accuracy"].points, criteria["accuracy"].source) == (2.0, "auto")
    assert criteria["accuracy"].fraction == pytest.approx(2 / 3)
    # The LLM grade that follows replaces the offline points.
    grade_store(
        submission_id=submission.pk,
        rubric_version=version,
        result=_result({"accuracy": 3, "empathy": 3}, grader="llm", total=1.0),
    )
    row, criteria = _stored(submission)
    assert (row.total, criteria["accuracy"].points, criteria["accuracy"].auto_points) == (
        1.0,
        3.0,
        3,
    )


def test_a_second_store_of_the_same_grader_changes_nothing(exercise, agent_in):
    submission = graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 1})
    version = RubricVersion.objects.get(rubric__slug="console-test")
    before = _stored(submission)[0].updated_at
    assert (
        grade_store(
            submission_id=submission.pk,
            rubric_version=version,
            result=_result({"accuracy": 3, "empathy": 3}),
        )
        is None
    )
    row, criteria = _stored(submission)
    assert criteria["accuracy"].points == 1.0 and row.updated_at == before


def test_a_trainer_review_and_override_store_the_trainer_grade(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2})
    review = _review(
        trainer, submission, {"accuracy": 0, "empathy": 2}, reasons={"accuracy": "Wrong price."}
    )
    row, criteria = _stored(submission)
    assert (row.source, row.trainer_review_id, row.trainer_changed) == ("trainer", review.pk, True)
    assert row.total == review.total
    assert (criteria["accuracy"].points, criteria["accuracy"].source) == (0.0, "trainer")
    assert (criteria["accuracy"].auto_points, criteria["accuracy"].trainer_points) == (2, 0)


def test_a_refused_trainer_review_leaves_the_stored_grade(exercise, agent_in, trainer):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2})
    with pytest.raises(services.ReviewValidationError):
        _review(trainer, submission, {"accuracy": 0, "empathy": 2})  # no reason given
    assert _stored(submission)[0].source == "auto"


def test_completed_peer_reviews_combine_into_the_stored_grade(exercise, agent_in):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    peer_review(submission, UserFactory(), {"accuracy": 3, "empathy": 3})
    row, criteria = _stored(submission)
    assert row.source == "combined"
    assert (criteria["accuracy"].points, criteria["accuracy"].peer_points) == (2.5, 3.0)


def test_release_mode_and_releases_update_the_stored_release_state(
    exercise, agent_in, trainer, console_cohort
):
    services.cohort_settings_update(
        user=trainer,
        cohort=console_cohort,
        release_mode=CohortGradingSettings.ReleaseMode.ON_RELEASE,
        audit_rate=0.12,
        mastery_threshold=0.7,
    )
    held = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2})
    other = graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 2})
    assert not _stored(held)[0].released
    services.grade_release(trainer=trainer, submission_id=held.pk)
    assert _stored(held)[0].released and not _stored(other)[0].released
    # Back to immediate release: the whole cohort's stored grades are recomputed.
    services.cohort_settings_update(
        user=trainer,
        cohort=console_cohort,
        release_mode=CohortGradingSettings.ReleaseMode.IMMEDIATE,
        audit_rate=0.12,
        mastery_threshold=0.7,
    )
    assert _stored(other)[0].released
    # Only the release state was brought up to date, and nothing else drifted.
    assert final_grades_refresh(submission_ids=[held.pk, other.pk], check_only=True) == []


def test_releasing_an_exercise_marks_its_stored_grades_released(
    exercise, agent_in, trainer, console_cohort
):
    CohortGradingSettings.objects.create(cohort=console_cohort, release_mode="on_release")
    submissions = [graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2})
                   for _ in range(2)]  # fmt: skip
    assert (
        services.grade_release_exercise(
            trainer=trainer, cohort=console_cohort, exercise_id=exercise.pk
        )
        == 2
    )
    assert all(_stored(s)[0].released for s in submissions)


def test_refresh_reports_only_what_changed_and_removes_what_lost_its_grade(exercise, agent_in):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2})
    ungraded = SubmissionFactory(user=agent_in, exercise=exercise)
    assert final_grades_refresh(submission_ids=[submission.pk, ungraded.pk]) == []
    submission.grades.all().delete()
    assert final_grades_refresh(submission_ids=[submission.pk]) == [submission.pk]
    assert not StoredFinalGrade.objects.filter(submission=submission).exists()
    assert not StoredFinalCriterion.objects.filter(final_id=submission.pk).exists()


def test_stored_grades_equal_the_computed_ones(exercise, agent_in, trainer):
    subs = [graded_submission(agent_in, exercise, {"accuracy": p, "empathy": 3 - p})
            for p in range(4)]  # fmt: skip
    peer_review(subs[1], UserFactory(), {"accuracy": 0, "empathy": 1})
    _review(trainer, subs[2], {"accuracy": 2, "empathy": 1})
    ids = [s.pk for s in subs]
    from grading.console.grades import final_grades_for_submissions

    assert final_grades_for_submissions(submission_ids=ids) == final_grades_compute(
        submission_ids=ids
    )


def test_rebuild_check_reports_drift_and_exits_non_zero_then_rebuild_repairs_it(
    exercise, agent_in, console_cohort, capsys
):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2})
    graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 1})
    call_command("rebuild_final_grades", "--check")
    assert "2 submission(s) checked, 0 differ" in capsys.readouterr().out
    StoredFinalCriterion.objects.filter(final_id=submission.pk, criterion_key="accuracy").update(
        points=0
    )
    with pytest.raises(SystemExit) as exited:
        call_command("rebuild_final_grades", "--check", "--cohort", str(console_cohort.pk))
    assert exited.value.code == 1
    assert f"1 differ from the recomputed grade: {submission.pk}" in capsys.readouterr().out
    call_command("rebuild_final_grades", "--cohort", console_cohort.slug)
    assert f"1 rewritten: {submission.pk}" in capsys.readouterr().out
    assert _stored(submission)[1]["accuracy"].points == 2.0
    call_command("rebuild_final_grades", "--check")
    assert "0 differ" in capsys.readouterr().out


def test_rebuild_refuses_an_unknown_cohort():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no cohort"):
        call_command("rebuild_final_grades", "--cohort", "404")


def test_release_refresh_changes_only_the_release_state(exercise, agent_in, console_cohort):
    from grading.console.grades import final_grades_refresh_release

    CohortGradingSettings.objects.create(cohort=console_cohort, release_mode="on_release")
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 2})
    assert not _stored(submission)[0].released
    assert final_grades_refresh_release(submission_ids=[submission.pk]) == 0
    CohortGradingSettings.objects.filter(cohort=console_cohort).update(release_mode="immediate")
    assert final_grades_refresh_release(submission_ids=[submission.pk]) == 1
    assert _stored(submission)[0].released
    assert final_grades_refresh(submission_ids=[submission.pk], check_only=True) == []


def test_the_data_migration_fills_the_rows_of_existing_grades(exercise, agent_in):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("grading.migrations.0009_fill_stored_final_grades")
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    StoredFinalGrade.objects.all().delete()
    migration.fill(apps, None)
    row, criteria = _stored(submission)
    assert row.source == "auto" and criteria["empathy"].points == 1.0
