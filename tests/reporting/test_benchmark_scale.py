"""manage.py benchmark_scale: runs every section present at a tiny size, prints a table and
a one-line summary, removes what it built unless --keep, and refuses to run in production."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from curriculum.models import Cohort, User
from exercises.models import Submission
from grading.console.models import StoredFinalGrade
from reporting.benchmarks import Figure
from reporting.management.commands.benchmark_scale import SECTIONS, section_modules, summary

pytestmark = pytest.mark.django_db(transaction=True)


def _run(*args) -> str:
    out = io.StringIO()
    call_command(
        "benchmark_scale", *args, "--yes-this-is-not-production", stdout=out, stderr=io.StringIO()
    )
    return out.getvalue()


def test_tiny_run_prints_every_figure_and_a_summary_then_cleans_up(loaded_content):
    output = _run("--agents", "3", "--submissions", "2")
    lines = output.strip().splitlines()
    assert lines[0].startswith("benchmark_scale on ")
    for name in (
        "cohort progress page",
        "agent drill-down",
        "grader quality",
        "grades.csv: time to first byte",
        "progress.csv: time to first data row",
        "grades.csv: peak Python heap",
        "progress.csv: total",
    ):
        assert name in output
    assert "failed" not in output
    assert lines[-1].startswith("targets met: ")
    assert not Cohort.objects.filter(slug__startswith="bench-").exists()
    assert not User.objects.filter(email__endswith="@bench.invalid").exists()
    assert Submission.objects.count() == 0 and StoredFinalGrade.objects.count() == 0


def test_keep_leaves_the_floor_with_its_stored_final_grades():
    output = _run("--agents", "2", "--submissions", "3", "--keep", "--sections", "grades")
    assert "kept (--keep)" in output
    assert Cohort.objects.filter(slug__startswith="bench-").count() == 1
    assert Submission.objects.count() == 6
    assert StoredFinalGrade.objects.count() == 6


def test_refuses_without_debug_or_the_explicit_flag(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="not-production"):
        call_command("benchmark_scale", "--agents", "1", "--submissions", "1")


def test_refuses_unknown_sections_and_empty_sizes():
    with pytest.raises(CommandError, match="unknown section"):
        _run("--sections", "grades,nonsense")
    with pytest.raises(CommandError, match="at least 1"):
        _run("--agents", "0")


def test_sections_that_are_not_there_yet_are_skipped():
    present = {m.__name__.rsplit(".", 1)[1] for m in section_modules()}
    assert {"grades", "exports"} <= present <= set(SECTIONS)


def test_summary_counts_the_targets_and_names_the_missed():
    figures = [
        Figure("a", "1", "<= 2x", True),
        Figure("b", "3", "<= 2x", False),
        Figure("info", "5"),
    ]
    assert summary(figures) == "targets met: 1 of 2; missed: b"
    assert summary([Figure("a", "1", "x", True)]) == "targets met: 1 of 1"
