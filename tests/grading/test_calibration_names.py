"""The calibration renames changed names only: URL paths and database tables stay."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse


def test_the_calibration_pages_keep_their_paths():
    assert (
        reverse("grading:console-trainer-calibration-list", args=["north"])
        == "/grading/console/cohorts/north/calibration/"
    )
    assert reverse("grading:console-trainer-calibration", args=[7]) == (
        "/grading/console/calibration/7/"
    )
    assert reverse("grading:peer-reviewer-calibration", args=["tone-read-and-calibrate"]) == (
        "/grading/peer/tone-read-and-calibrate/calibrate/"
    )


@pytest.mark.django_db(transaction=True)
def test_the_reviewer_calibration_migration_changes_no_table():
    out = io.StringIO()
    call_command("sqlmigrate", "grading", "0007_reviewer_calibration_names", stdout=out)
    statements = [
        line
        for line in out.getvalue().splitlines()
        if line.strip() and not line.startswith("--") and line not in {"BEGIN;", "COMMIT;"}
    ]
    assert statements == []
