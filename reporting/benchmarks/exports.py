"""benchmark_scale section: the two CSV exports (grades.csv, progress.csv) through the real
views, read as a client reads a stream: time to the first byte, total time (as a ratio to
reading the same rows with hand-written SQL), and the peak Python heap while streaming
(`tracemalloc`, in a second pass so its overhead stays out of the timings)."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

from django.db import connection
from django.test import RequestFactory

from .. import views
from . import Figure
from .floor import CRITERIA, Floor, floor_get
from .grades import progress_sql, run_sql

FIRST_BYTE_TARGET = 1.0  # seconds
MEMORY_TARGET = 300 * 1024 * 1024  # bytes


def _stream(view, floor: Floor) -> tuple[float, float, float, int]:
    """(seconds to the first byte, to the first data row, in all; bytes) of one download."""
    started = time.perf_counter()
    request = RequestFactory().get("/")
    request.user = floor.trainer
    response = view(request, slug=floor.cohort.slug)
    if response.status_code != 200:
        raise RuntimeError(f"the view answered {response.status_code}")
    first = first_row = None
    size = 0
    for chunk in response.streaming_content:
        if first is None:
            first = time.perf_counter() - started
        elif first_row is None:
            first_row = time.perf_counter() - started
        size += len(chunk)
    response.close()
    total = time.perf_counter() - started
    return first or 0.0, first_row or total, total, size


def _peak_memory(view, floor: Floor) -> int:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        _stream(view, floor)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def grades_sql_read(floor: Floor) -> int:
    """The grades.csv rows by hand-written SQL, read through a cursor in batches."""
    pivot = ", ".join(
        f"MAX(CASE WHEN c.criterion_key = '{key}' THEN c.points END)" for key in CRITERIA
    )
    sql = f"""
        SELECT u.email, u.full_name, mo.slug, e.slug, sc.slug, s.attempt, s.created_at,
            f.total, f.source, f.released, {pivot},
            s.edit_class, s.edit_distance, s.time_on_task_seconds
        FROM exercises_submission s
        JOIN curriculum_user u ON u.id = s.user_id
        JOIN curriculum_exercise e ON e.id = s.exercise_id
        JOIN curriculum_module mo ON mo.id = e.module_id
        JOIN exercises_scenario sc ON sc.id = s.scenario_id
        LEFT JOIN grading_storedfinalgrade f ON f.submission_id = s.id
        LEFT JOIN grading_storedfinalcriterion c ON c.final_id = s.id
        WHERE s.user_id IN (SELECT m.user_id FROM curriculum_membership m WHERE m.cohort_id = %s)
        GROUP BY s.id, u.email, u.full_name, mo.slug, mo."order", e.slug, e."order", sc.slug,
            s.attempt, s.created_at, f.total, f.source, f.released,
            s.edit_class, s.edit_distance, s.time_on_task_seconds
        ORDER BY u.email, mo."order", e."order", sc.slug, s.attempt
    """  # noqa: S608 - constant fragments
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, [floor.cohort.pk])
        while batch := cursor.fetchmany(2000):
            rows += len(batch)
    return rows


def _figures(
    name: str, view, floor: Floor, bound: Callable[[], object], log: Callable[[str], None]
) -> list[Figure]:
    log(f"streaming {name}")
    _stream(view, floor)  # warm-up
    first, first_row, total, size = _stream(view, floor)
    started = time.perf_counter()
    bound()
    sql = time.perf_counter() - started
    peak = _peak_memory(view, floor)
    return [
        Figure(
            name=f"{name}: time to first byte (header line)",
            value=f"{first:.3f} s ({size / 1e6:.1f} MB in all)",
        ),
        Figure(
            name=f"{name}: time to first data row",
            value=f"{first_row:.3f} s",
            target=f"<= {FIRST_BYTE_TARGET:.0f} s",
            met=first_row <= FIRST_BYTE_TARGET,
        ),
        Figure(
            name=f"{name}: total",
            value=f"{total:.2f} s, {total / sql if sql else float('inf'):.1f}x reading the "
            f"rows by SQL ({sql:.2f} s)",
        ),
        Figure(
            name=f"{name}: peak Python heap (tracemalloc)",
            value=f"{peak / 1e6:.1f} MB",
            target=f"< {MEMORY_TARGET // (1024 * 1024)} MB",
            met=peak < MEMORY_TARGET,
        ),
    ]


def measure(*, agents: int, submissions: int, log: Callable[[str], None]) -> list[Figure]:
    floor = floor_get(agents=agents, submissions=submissions, log=log)
    return [
        *_figures("grades.csv", views.grades_csv, floor, lambda: grades_sql_read(floor), log),
        *_figures(
            "progress.csv",
            views.progress_csv,
            floor,
            lambda: run_sql(progress_sql(floor)),
            log,
        ),
    ]
