"""benchmark_scale section: the cohort progress page, the agent drill-down and grader quality,
each timed through the real view (RequestFactory, rendered) and as a ratio to hand-written
aggregate SQL that computes the same figures from the same stored final grades, in the same
run. Also the read path before grades were stored (recomputing every final grade from the
grade rows), for comparison."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable

from django.db import connection
from django.db.models import Q
from django.test import RequestFactory

from curriculum.models import Membership
from grading.console.grades import final_grades_compute

from .. import views
from ..progress import cohort_pairs, latest_attempts
from . import Figure
from .floor import Floor, floor_get

RATIO_TARGET = 2.0
REPEAT = 3


def timed(fn: Callable[[], object], repeat: int = REPEAT) -> float:
    """The median wall time of `repeat` calls, in seconds (one warm-up call first)."""
    fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run_sql(statements: list[tuple[str, list]]) -> int:
    """Execute hand-written SQL and fetch every row; returns the row count."""
    rows = 0
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            rows += len(cursor.fetchall())
    return rows


def view_call(view, floor: Floor, **kwargs) -> Callable[[], int]:
    def call() -> int:
        request = RequestFactory().get("/")
        request.user = floor.trainer
        response = view(request, slug=floor.cohort.slug, **kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"the view answered {response.status_code}")
        return len(response.content)

    return call


# ---- the hand-written SQL ----------------------------------------------------------------

LATEST = """
    s.user_id IN (SELECT m.user_id FROM curriculum_membership m WHERE m.cohort_id = %s)
    AND s.exercise_id IN (SELECT e.id FROM curriculum_exercise e WHERE e.module_id = %s)
    AND NOT EXISTS (
        SELECT 1 FROM exercises_submission n
        WHERE n.user_id = s.user_id AND n.exercise_id = s.exercise_id
          AND n.scenario_id = s.scenario_id AND n.attempt > s.attempt)
"""


def progress_sql(floor: Floor) -> list[tuple[str, list]]:
    """Completion and average per agent and per exercise, the average per criterion, the
    per agent x module x criterion averages and the graded exercises that decide mastery (of
    latest attempts), the pairs each agent handed in by the due date, and the agents."""
    p = [floor.cohort.pk, floor.module.pk]
    return [
        (
            f"""SELECT s.user_id, COUNT(*), AVG(f.total) FROM exercises_submission s
            LEFT JOIN grading_storedfinalgrade f ON f.submission_id = s.id
            WHERE {LATEST} GROUP BY s.user_id""",  # noqa: S608 - constant fragments
            p,
        ),
        (
            f"""SELECT s.exercise_id, COUNT(*), AVG(f.total), COUNT(f.total)
            FROM exercises_submission s
            LEFT JOIN grading_storedfinalgrade f ON f.submission_id = s.id
            WHERE {LATEST} GROUP BY s.exercise_id""",  # noqa: S608 - constant fragments
            p,
        ),
        (
            f"""SELECT c.criterion_key, MIN(c.title), AVG(c.fraction), COUNT(*)
            FROM grading_storedfinalcriterion c
            JOIN grading_storedfinalgrade f ON f.submission_id = c.final_id
            JOIN exercises_submission s ON s.id = f.submission_id
            WHERE {LATEST} AND f.total IS NOT NULL AND c.fraction IS NOT NULL
            GROUP BY c.criterion_key""",  # noqa: S608 - constant fragments
            p,
        ),
        (
            f"""SELECT s.user_id, e.module_id, c.criterion_key, AVG(c.fraction)
            FROM grading_storedfinalcriterion c
            JOIN grading_storedfinalgrade f ON f.submission_id = c.final_id
            JOIN exercises_submission s ON s.id = f.submission_id
            JOIN curriculum_exercise e ON e.id = s.exercise_id
            WHERE {LATEST} AND f.total IS NOT NULL AND c.fraction IS NOT NULL
            GROUP BY s.user_id, e.module_id, c.criterion_key""",  # noqa: S608 - constant fragments
            p,
        ),
        (
            f"""SELECT DISTINCT s.user_id, s.exercise_id FROM exercises_submission s
            JOIN grading_storedfinalgrade f ON f.submission_id = s.id
            WHERE {LATEST} AND f.total IS NOT NULL""",  # noqa: S608 - constant fragments
            p,
        ),
        (
            """SELECT s.user_id, COUNT(DISTINCT s.scenario_id) FROM exercises_submission s
            WHERE s.user_id IN (SELECT m.user_id FROM curriculum_membership m
                                WHERE m.cohort_id = %s)
              AND s.exercise_id IN (SELECT e.id FROM curriculum_exercise e WHERE e.module_id = %s)
              AND s.created_at <= (SELECT MIN(a.due_at) FROM exercises_assignment a
                                   WHERE a.cohort_id = %s)
            GROUP BY s.user_id""",
            [floor.cohort.pk, floor.module.pk, floor.cohort.pk],
        ),
        (
            """SELECT u.id, u.email, u.full_name FROM curriculum_membership m
            JOIN curriculum_user u ON u.id = m.user_id WHERE m.cohort_id = %s
            ORDER BY u.email""",
            [floor.cohort.pk],
        ),
    ]


def drill_down_sql(floor: Floor, user_id: int) -> list[tuple[str, list]]:
    """One agent's submissions with their final grade and criteria, and their mastery."""
    latest = LATEST.replace(
        "s.user_id IN (SELECT m.user_id FROM curriculum_membership m WHERE m.cohort_id = %s)",
        "s.user_id = %s",
    )
    return [
        (
            """SELECT s.id, s.attempt, s.created_at, s.edit_class, s.edit_distance,
                s.time_on_task_seconds, e.title, sc.title, f.total, f.source, f.released
            FROM exercises_submission s
            JOIN curriculum_exercise e ON e.id = s.exercise_id
            JOIN exercises_scenario sc ON sc.id = s.scenario_id
            LEFT JOIN grading_storedfinalgrade f ON f.submission_id = s.id
            WHERE s.user_id = %s ORDER BY s.created_at DESC, s.id DESC""",
            [user_id],
        ),
        (
            """SELECT c.final_id, c.criterion_key, c.title, c.points, c.source
            FROM grading_storedfinalcriterion c
            JOIN exercises_submission s ON s.id = c.final_id
            WHERE s.user_id = %s ORDER BY c.final_id, c."order" """,
            [user_id],
        ),
        (
            f"""SELECT e.module_id, c.criterion_key, AVG(c.fraction)
            FROM grading_storedfinalcriterion c
            JOIN grading_storedfinalgrade f ON f.submission_id = c.final_id
            JOIN exercises_submission s ON s.id = f.submission_id
            JOIN curriculum_exercise e ON e.id = s.exercise_id
            WHERE {latest} AND f.total IS NOT NULL AND c.fraction IS NOT NULL
            GROUP BY e.module_id, c.criterion_key""",  # noqa: S608 - constant fragments
            [user_id, floor.module.pk],
        ),
    ]


def quality_sql(floor: Floor) -> list[tuple[str, list]]:
    """(grader points, trainer points) pair counts per criterion and grader, and for peers,
    over the cohort's trainer-reviewed stored final grades."""
    reviewed = """f.trainer_review_id IS NOT NULL AND c.trainer_points IS NOT NULL
        AND s.user_id IN (SELECT m.user_id FROM curriculum_membership m WHERE m.cohort_id = %s)"""
    return [
        (
            f"""SELECT c.criterion_key, g.grader, cs.points, c.trainer_points, COUNT(*)
            FROM grading_storedfinalcriterion c
            JOIN grading_storedfinalgrade f ON f.submission_id = c.final_id
            JOIN exercises_submission s ON s.id = f.submission_id
            JOIN grading_grade g ON g.submission_id = s.id
            JOIN grading_criterionscore cs
              ON cs.grade_id = g.id AND cs.criterion_key = c.criterion_key
            WHERE {reviewed} AND cs.points IS NOT NULL
            GROUP BY c.criterion_key, g.grader, cs.points, c.trainer_points""",  # noqa: S608 - constant fragments
            [floor.cohort.pk],
        ),
        (
            f"""SELECT c.criterion_key, c.peer_points, c.trainer_points, COUNT(*)
            FROM grading_storedfinalcriterion c
            JOIN grading_storedfinalgrade f ON f.submission_id = c.final_id
            JOIN exercises_submission s ON s.id = f.submission_id
            WHERE {reviewed} AND c.peer_points IS NOT NULL
            GROUP BY c.criterion_key, c.peer_points, c.trainer_points""",  # noqa: S608 - constant fragments
            [floor.cohort.pk],
        ),
    ]


# ---- the section ---------------------------------------------------------------------------


def _ratio_figure(name: str, product: float, bound: float) -> Figure:
    ratio = product / bound if bound > 0 else float("inf")
    return Figure(
        name=name,
        value=f"{product:.3f} s, {ratio:.1f}x the aggregate SQL ({bound:.3f} s)",
        target=f"<= {RATIO_TARGET:.0f}x",
        met=ratio <= RATIO_TARGET,
    )


def measure(*, agents: int, submissions: int, log: Callable[[str], None]) -> list[Figure]:
    floor = floor_get(agents=agents, submissions=submissions, log=log)
    agent_id = floor.user_ids[len(floor.user_ids) // 2]
    figures = [
        Figure(
            name="floor built (bulk)",
            value=(
                f"{floor.counts['submissions']} submissions, {floor.counts['grades']} grades, "
                f"{floor.counts['scores']} criterion scores, {floor.counts['reviews']} trainer "
                f"reviews in {floor.timings['build']:.1f} s"
            ),
        ),
        Figure(
            name="stored final grades rebuilt",
            value=(
                f"{floor.counts['submissions'] / max(floor.timings['rebuild'], 1e-9):,.0f} "
                f"submissions/s ({floor.timings['rebuild']:.1f} s)"
            ),
        ),
    ]
    log("timing the cohort progress page")
    figures.append(
        _ratio_figure(
            "cohort progress page",
            timed(view_call(views.cohort_progress, floor)),
            timed(lambda: run_sql(progress_sql(floor))),
        )
    )
    log("timing the agent drill-down")
    figures.append(
        _ratio_figure(
            "agent drill-down",
            timed(view_call(views.agent_progress, floor, user_id=agent_id)),
            timed(lambda: run_sql(drill_down_sql(floor, agent_id))),
        )
    )
    log("timing grader quality")
    figures.append(
        _ratio_figure(
            "grader quality",
            timed(view_call(views.grader_quality, floor)),
            timed(lambda: run_sql(quality_sql(floor))),
        )
    )
    log("timing the read path before stored grades (recompute the latest final grades)")
    in_cohort = Q(user_id__in=Membership.objects.filter(cohort=floor.cohort).values("user_id"))
    latest_ids = list(
        latest_attempts(in_cohort, cohort_pairs(cohort=floor.cohort)).values_list("pk", flat=True)
    )
    started = time.perf_counter()
    final_grades_compute(submission_ids=latest_ids)
    recompute = time.perf_counter() - started
    # The recompute leaves millions of model instances in reference cycles: collect them
    # now, or a later measurement pays for the full collection (seconds at this size).
    gc.collect()
    figures.append(
        Figure(
            name="before: recomputing the latest final grades",
            value=(
                f"{recompute:.2f} s for {len(latest_ids)} latest attempts (what the progress "
                "page did on every view before the grades were stored)"
            ),
        )
    )
    return figures
