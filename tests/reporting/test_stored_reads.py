"""Reports read the stored final grades: the streamed grades.csv equals the export computed
the old way (final grades recomputed from every grade row), and the agent drill-down keeps
its query count as the agent's work grows."""

import csv
import io

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from curriculum.csv_export import csv_text
from exercises.models import Submission
from grading.console import services
from grading.console.grades import final_grades_compute
from grading.console.models import CohortGradingSettings
from reporting import progress
from tests.factories import MembershipFactory, SubmissionFactory, UserFactory
from tests.grading.console.conftest import grade, graded_submission, peer_review

pytestmark = pytest.mark.django_db


def _old_grades_table(cohort):
    """grades.csv as it was computed before the grades were stored (the reference)."""
    submissions = list(
        Submission.objects.filter(user__memberships__cohort=cohort)
        .select_related("user", "exercise__module", "scenario")
        .order_by(
            "user__email", "exercise__module__order", "exercise__order", "scenario__slug", "attempt"
        )
    )
    finals = final_grades_compute(submission_ids=[s.pk for s in submissions])
    keys: list[str] = []
    for final in finals.values():
        for criterion in final.criteria:
            if criterion.key not in keys:
                keys.append(criterion.key)
    header = ["agent_email", "agent_name", "module", "exercise", "scenario", "attempt",
              "submitted_at_utc", "final_percent", "source", "released", *keys, "edit_class",
              "edit_distance", "time_on_task_seconds"]  # fmt: skip
    rows = []
    for s in submissions:
        final = finals.get(s.pk)
        points = {c.key: c for c in final.criteria} if final else {}
        rows.append([
            s.user.email, s.user.full_name, s.exercise.module.slug, s.exercise.slug,
            s.scenario.slug, s.attempt, s.created_at.isoformat(),
            final.percent if final else "", final.source if final else "",
            ("yes" if final.released else "no") if final else "",
            *[(points[k].display if k in points and points[k].points is not None else "")
              for k in keys],
            s.edit_class, "" if s.edit_distance is None else round(s.edit_distance, 3),
            s.time_on_task_seconds,
        ])  # fmt: skip
    return csv_text(header, rows)


@pytest.fixture
def mixed_cohort(exercise, console_cohort, agent_in, trainer):
    """Automatic, combined (a half point), trainer-graded, ungraded, held and released work
    of three agents, one with a formula for a name."""
    CohortGradingSettings.objects.create(cohort=console_cohort, release_mode="on_release")
    agent_in.full_name = "=HYPERLINK(1)"
    agent_in.save(update_fields=["full_name"])
    others = [UserFactory(full_name=f"Agent {i}") for i in range(2)]
    for other in others:
        MembershipFactory(cohort=console_cohort, user=other)
    first = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3}, attempt=2)
    combined = graded_submission(others[0], exercise, {"accuracy": 2, "empathy": 0})
    peer_review(combined, UserFactory(), {"accuracy": 3, "empathy": 1})
    reviewed = graded_submission(others[1], exercise, {"accuracy": 1, "empathy": 1})
    services.trainer_review_submit(
        trainer=trainer,
        submission_id=reviewed.pk,
        data=services.ReviewInput(
            scores={"accuracy": "3", "empathy": "1"}, reasons={"accuracy": "Right after all."}
        ),
    )
    SubmissionFactory(user=others[1], exercise=exercise, attempt=2)  # not graded yet
    services.grade_release(trainer=trainer, submission_id=first.pk)
    return console_cohort


def test_streamed_grades_csv_equals_the_recomputed_export(client, mixed_cohort, trainer):
    client.force_login(trainer)
    response = client.get(reverse("grading:console-grades-csv", args=[mixed_cohort.slug]))
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Disposition"].endswith(f'{mixed_cohort.slug}-grades.csv"')
    streamed = b"".join(response.streaming_content).decode()
    assert streamed == _old_grades_table(mixed_cohort)
    rows = list(csv.DictReader(io.StringIO(streamed)))
    assert len(rows) == 5
    assert {r["accuracy"] for r in rows} >= {"2.5", "3", ""}
    assert {r["source"] for r in rows} == {"auto", "combined", "trainer", ""}
    assert rows[0]["agent_name"].startswith("'=") or rows[-1]["agent_name"].startswith("'=")


def test_grades_table_reads_in_chunks_and_yields_every_row(mixed_cohort):
    header, rows = progress.grades_table(cohort=mixed_cohort, chunk_size=2)
    assert header[:2] == ["agent_email", "agent_name"]
    assert len(list(rows)) == 5


def test_an_empty_cohort_exports_only_the_header(client, console_cohort, trainer):
    client.force_login(trainer)
    response = client.get(reverse("grading:console-grades-csv", args=[console_cohort.slug]))
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 and lines[0].startswith("agent_email,agent_name,module")


def test_exports_refuse_a_trainer_of_another_cohort(client, mixed_cohort, other_trainer):
    client.force_login(other_trainer)
    for name in ("grading:console-grades-csv", "grading:console-progress-csv"):
        response = client.get(reverse(name, args=[mixed_cohort.slug]))
        assert response.status_code in {403, 404}


def _page_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_agent_drill_down_query_count_is_the_same_with_2_and_40_submissions(
    client, exercise, console_cohort, agent_in, trainer
):
    client.force_login(trainer)
    url = reverse("grading:console-agent", args=[console_cohort.slug, agent_in.pk])
    for attempt in (1, 2):
        graded_submission(agent_in, exercise, {"accuracy": 1, "empathy": 2}, attempt=attempt)
    small = _page_queries(client, url)
    for attempt in range(3, 41):
        submission = graded_submission(
            agent_in, exercise, {"accuracy": attempt % 4, "empathy": 2}, attempt=attempt
        )
        if attempt % 5 == 0:
            peer_review(submission, UserFactory(), {"accuracy": 3, "empathy": 3})
    large = _page_queries(client, url)
    assert small == large
    detail = progress.agent_progress(cohort=console_cohort, agent=agent_in)
    assert len(detail.submissions) == 40
    assert sum(row.latest for row in detail.submissions) == 1


def test_agent_mastery_query_count_is_constant(
    exercise, console_cohort, agent_in, django_assert_num_queries
):
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 3})
    with django_assert_num_queries(8):
        progress.mastery_for_agent(user=agent_in)
    for attempt in range(2, 12):
        grade(SubmissionFactory(user=agent_in, exercise=exercise, attempt=attempt),
              {"accuracy": 3, "empathy": 3})  # fmt: skip
    with django_assert_num_queries(8):
        (mastery,) = progress.mastery_for_agent(user=agent_in)
    assert mastery.mastered


def test_progress_csv_rows_are_the_same_in_chunks_as_in_one(mixed_cohort):
    _header, whole = progress.progress_table(cohort=mixed_cohort, chunk_size=1000)
    _header, chunked = progress.progress_table(cohort=mixed_cohort, chunk_size=1)
    whole = list(whole)
    assert len(whole) == 3 and list(chunked) == whole
    overview = progress.cohort_progress(cohort=mixed_cohort)
    assert [r[0] for r in whole] == [a.user.email for a in overview.agents]
    assert [r[7] for r in whole] == ["yes" if a.behind else "no" for a in overview.agents]
    assert [r[8] for r in whole] == [a.mastered for a in overview.agents]
