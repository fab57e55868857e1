"""A cohort's trainer-graded submissions exported for evaluate_grading, and measured by it."""

import io
import json

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from grading.console import services
from grading.console.graded_export import trainer_graded_records
from reporting import quality
from tests.factories import CohortFactory, MembershipFactory, UserFactory

from .conftest import grade, graded_submission

pytestmark = pytest.mark.django_db


def _trainer_grades(trainer, submission, accuracy, empathy=1):
    services.trainer_review_submit(
        trainer=trainer,
        submission_id=submission.pk,
        data=services.ReviewInput(
            scores={"accuracy": str(accuracy), "empathy": str(empathy)},
            reasons={"accuracy": "audit", "empathy": "audit"},
        ),
    )


@pytest.fixture
def reviewed(exercise, agent_in, trainer):
    """The grader-quality page's known table: offline 0,1,2,2 against trainer 0,1,2,3."""
    submissions = []
    for offline, trained in [(0, 0), (1, 1), (2, 2), (2, 3)]:
        submission = graded_submission(agent_in, exercise, {"accuracy": offline, "empathy": 1})
        _trainer_grades(trainer, submission, trained)
        submissions.append(submission)
    grade(submissions[0], {"accuracy": 1, "empathy": 1}, grader="llm")
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3})  # never reviewed
    elsewhere = UserFactory()
    MembershipFactory(cohort=CohortFactory(trainers=[trainer]), user=elsewhere)
    _trainer_grades(trainer, graded_submission(elsewhere, exercise, {"accuracy": 0}), 3)
    return submissions


def test_records_carry_trainer_auto_and_each_graders_points(reviewed, agent_in):
    cohort = agent_in.memberships.get().cohort
    records = list(trainer_graded_records(cohort=cohort))
    assert [r["id"] for r in records] == [f"submission-{s.pk}" for s in reviewed]
    first = records[0]
    assert first["exercise"] == reviewed[0].exercise.slug
    assert first["scenario"] == reviewed[0].scenario.slug
    assert first["answer"] == reviewed[0].answer
    assert first["grades"] == {"accuracy": 0, "empathy": 1}
    assert first["auto"] == {"accuracy": 1, "empathy": 1}  # the LLM grade counts when present
    assert first["offline"] == {"accuracy": 0, "empathy": 1}
    assert first["llm"] == {"accuracy": 1, "empathy": 1}
    assert first["range"] == {"accuracy": [0, 3], "empathy": [0, 3]}
    assert "llm" not in records[1]
    assert all("email" not in json.dumps(r) for r in records)


def test_export_command_feeds_evaluate_grading_with_the_quality_pages_figures(
    reviewed, agent_in, tmp_path
):
    cohort = agent_in.memberships.get().cohort
    path = tmp_path / "graded.jsonl"
    err = io.StringIO()
    call_command(
        "export_trainer_grades", "--cohort", cohort.slug, "--output", str(path), stderr=err
    )
    assert "4 trainer-graded submission(s) written" in err.getvalue()

    out = io.StringIO()
    call_command(
        "evaluate_grading", "--kb", str(settings.CONTENT_DIR), str(path), "--json", stdout=out
    )
    report = json.loads(out.getvalue())
    offline = report["graded"]["graders"]["offline"]["criteria"]["accuracy"]
    page = quality.grader_quality(cohort=cohort).rows[0].offline
    assert (offline["n"], offline["exact"], offline["adjacent"]) == (
        page.n,
        page.exact,
        page.adjacent,
    )
    assert offline["kappa"] == pytest.approx(page.kappa) == pytest.approx(0.875)


def test_export_of_an_unknown_cohort_fails(db, tmp_path):
    with pytest.raises(CommandError, match="no cohort"):
        call_command("export_trainer_grades", "--cohort", "nope", "--output", str(tmp_path / "x"))
