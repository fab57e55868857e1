"""Every chart's text alternative: a sentence about it and its numbers as a table, on the
impact dashboard and the trainer's progress page; series told apart by pattern as well as
colour; in-bar labels legible."""

import re
from types import SimpleNamespace

import pytest
from django.urls import reverse

from reporting.impact.charts import ChartTable, bar_chart, stacked_chart
from reporting.templatetags.progress_charts import bars_description
from tests.grading.console.conftest import graded_submission

pytestmark = pytest.mark.django_db


def test_a_chart_table_reads_as_text_for_people():
    table = ChartTable(
        "aht",
        "Handle time by category",
        ["category", "baseline_min", "change_pct", "ai_share", "tickets"],
        [["Billing", 12.5, -20.0, 0.4, 3], ["Technical", 30.0, None, 0.25, 1]],
    )
    assert table.headers == ["Category", "Baseline (min)", "Change (%)", "Ai share", "Tickets"]
    assert table.display_rows == [
        ["Billing", "12.5", "-20.0%", "40%", "3"],
        ["Technical", "30", "—", "25%", "1"],
    ]
    assert table.description == (
        "Handle time by category: 2 rows; highest baseline (min): Technical (30), "
        "lowest: Billing (12.5). The table of numbers below lists every value."
    )


def test_an_empty_chart_table_says_so():
    assert ChartTable("x", "Week by week", ["week", "tickets"]).description == (
        "Week by week: no data."
    )


def test_series_after_the_first_are_patterned_and_named_in_their_tooltips():
    svg = bar_chart(
        title="CSAT by category",
        labels=["Billing"],
        series=[("baseline", [4.0]), ("after", [4.5])],
        fmt=str,
    )
    assert '<pattern id="chart-csat-by-category-p1"' in svg
    # The second bar and its legend swatch carry the hatch; the first stays solid.
    assert svg.count('fill="url(#chart-csat-by-category-p1)"') == 2
    assert "<title>Billing, after: 4.5</title>" in svg
    assert "<title>Billing, baseline: 4.0</title>" in svg
    single = bar_chart(title="Targets", labels=["AHT"], series=[("change", [-5.0])], fmt=str)
    assert "url(#" not in single


def test_in_bar_labels_are_dark_on_light_fills():
    svg = stacked_chart(
        title="Adoption", labels=["Team"], parts=[("Fully AI", [0.4]), ("Assisted", [0.6])]
    )
    labels = re.findall(r'<text [^>]*class="inbar( dark)?" stroke="(#[0-9a-f]{6})"', svg)
    # #1f5f8b (dark blue) takes white text; #5fa8d3 (light blue) takes dark text.
    assert labels == [("", "#1f5f8b"), (" dark", "#5fa8d3")]
    assert 'fill="url(#chart-adoption-p1)"' in svg


def test_the_progress_chart_description_names_the_extremes_and_the_threshold():
    bars = [
        SimpleNamespace(label="Acknowledges the customer's feelings", percent=40, warn=True),
        SimpleNamespace(label="Accuracy", percent=90, warn=False),
    ]
    assert bars_description(bars, 0.7) == (
        "2 bars; highest Accuracy at 90%; lowest Acknowledges the customer's feelings at 40%; "
        "1 below the mastery threshold of 70% (marked ▼). The table below lists every value."
    )
    assert bars_description([], 0.7) == "No data."


def test_the_progress_charts_have_a_description_and_a_table_with_full_names(
    client, trainer, console_cohort, exercise, agent_in
):
    graded_submission(agent_in, exercise, {"accuracy": 3, "empathy": 1})
    client.force_login(trainer)
    html = client.get(
        reverse("grading:console-progress", args=[console_cohort.slug])
    ).content.decode()
    assert html.count('class="chart-description"') == 2
    assert html.count('<details class="chart-data">') == 2
    assert 'aria-describedby="criteria-chart-desc"' in html
    assert '<th scope="row">Empathy</th>' in html
    assert "below the mastery threshold" in html
