"""The dashboard: before/after on a known small table, agent vs team, capacity, charts and
their CSVs, the period, the settings form, and a query count that does not grow."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reporting.impact import report, selectors
from reporting.impact.models import TicketMetric
from tests.reporting.impact.conftest import (
    AFTER_DAY,
    BEFORE_DAY,
    TODAY,
    TRAINING_START,
    at,
    make_tickets,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_table(impact, agents):
    """Ana: simple 600 s and 900 s before (CSAT 4, 5), 450 s twice after (CSAT 4, 4).
    Ben: complex 1200 s before (CSAT 3), 900 s after (no CSAT).
    Plus tickets that must not count: during training, and before the baseline window."""
    ana, ben, _ = agents
    make_tickets(ana, BEFORE_DAY, 1, prefix="a-b1", handle_time_seconds=600, csat=4)
    make_tickets(ana, BEFORE_DAY, 1, prefix="a-b2", handle_time_seconds=900, csat=5)
    make_tickets(ana, AFTER_DAY, 2, prefix="a-a", handle_time_seconds=450, csat=4)
    make_tickets(ben, BEFORE_DAY, 1, prefix="b-b", category="complex",
                 handle_time_seconds=1200, csat=3)  # fmt: skip
    make_tickets(ben, AFTER_DAY, 1, prefix="b-a", category="complex",
                 handle_time_seconds=900, csat=None)  # fmt: skip
    make_tickets(ana, TRAINING_START + dt.timedelta(days=3), 5, prefix="during",
                 handle_time_seconds=5000)  # fmt: skip
    make_tickets(ana, dt.date(2025, 1, 1), 5, prefix="old", handle_time_seconds=5000)
    return impact


def summary_of(impact):
    return selectors.impact_summary(impact=impact, period=selectors.period_default(impact=impact))


def test_windows_come_from_the_training_dates(impact):
    assert selectors.period_default(impact=impact) == selectors.Window(dt.date(2025, 5, 15), TODAY)
    assert selectors.baseline_window(impact=impact) == selectors.Window(
        dt.date(2025, 1, 31), dt.date(2025, 4, 30)
    )


def test_team_after_training_against_its_baseline(known_table):
    summary = summary_of(known_table)
    rows = {row.key: row for row in report.comparison_rows(
        summary.team["baseline"], summary.team["period"], impact=known_table)}  # fmt: skip
    assert rows["aht"].baseline == pytest.approx(15.0)  # (600 + 900 + 1200) / 3 s = 15 min
    assert rows["aht"].period == pytest.approx(10.0)  # (450 + 450 + 900) / 3 s
    assert rows["aht"].change == pytest.approx(-100 / 3)
    assert rows["aht"].meets_target  # target -30%
    assert rows["csat"].baseline == pytest.approx(4.0) and rows["csat"].period == 4.0
    assert rows["csat"].change == 0
    assert rows["tickets_per_day"].period == pytest.approx(1.5)  # 3 tickets, 2 agent-days


def test_each_agent_against_the_team_and_their_own_baseline(known_table, agents):
    ana, ben, cy = agents
    rows = {row.agent_id: row for row in report.agent_rows(summary_of(known_table))}
    assert rows[ana.pk].aht_change == pytest.approx(-40.0)  # 750 s → 450 s
    assert rows[ana.pk].aht_vs_team == pytest.approx(-25.0)  # 450 s vs the team's 600 s
    assert rows[ana.pk].csat_change == pytest.approx(100 * (4 - 4.5) / 4.5)
    assert rows[ben.pk].aht_change == pytest.approx(-25.0)
    assert rows[ben.pk].csat is None
    assert rows[cy.pk].tickets == 0 and rows[cy.pk].aht is None


def test_aht_by_category(known_table):
    table = report.chart_tables(summary_of(known_table))["aht-by-category"]
    by_category = {row[0]: row for row in table.rows}
    assert by_category["Simple"][1:4] == [12.5, 7.5, pytest.approx(-40.0)]
    assert by_category["Complex"][1:4] == [20.0, 15.0, pytest.approx(-25.0)]
    assert by_category["Escalation"][1] is None


def test_capacity_freed_by_the_aht_reduction(known_table):
    capacity = report.capacity(summary_of(known_table))
    assert (capacity.tickets, capacity.days, capacity.agents) == (3, 1, 2)
    assert capacity.equivalent_agents == pytest.approx(3.0)  # 2 agents x 900 s / 600 s
    assert capacity.fte_before == pytest.approx(3 * 900 / (6 * 3600))
    assert capacity.fte_freed == pytest.approx(3 * 300 / (6 * 3600))


def test_the_dashboard_page_shows_comparisons_charts_and_csv_links(client, leader, known_table):
    client.force_login(leader)
    response = client.get(reverse("impact:cohort-dashboard", args=[known_table.cohort.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Average handle time" in html and "-33.3%" in html
    assert html.count("<svg") >= 8
    assert "now have the handling capacity of 3.0" in html
    for name in report.CHART_NAMES:
        if name != "rubric":
            assert reverse("impact:chart-csv", args=[known_table.cohort.slug, name]) in html


@pytest.mark.parametrize("name", report.CHART_NAMES)
def test_every_chart_has_its_numbers_as_csv(client, leader, known_table, name):
    client.force_login(leader)
    url = reverse("impact:chart-csv", args=[known_table.cohort.slug, name])
    response = client.get(url + "?date_from=2025-05-15&date_to=2025-06-30")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"{name}-2025-05-15-2025-06-30.csv" in response["Content-Disposition"]
    header = next(csv.reader(io.StringIO(response.content.decode())))
    assert header == report.chart_tables(summary_of(known_table))[name].columns


def test_unknown_chart_is_404(client, leader, impact):
    client.force_login(leader)
    assert client.get(f"/impact/cohorts/{impact.cohort.slug}/charts/nope.csv").status_code == 404


def test_the_agent_dashboard_compares_with_the_team(client, leader, known_table, agents):
    client.force_login(leader)
    ana = agents[0]
    url = reverse("impact:agent-dashboard", args=[known_table.cohort.slug, ana.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert response.context["agent"] == ana
    row, team_row = response.context["comparison"][0]
    assert (row.baseline, row.period, team_row.period) == (12.5, 7.5, 10.0)
    csv_text = client.get(
        reverse("impact:chart-csv", args=[known_table.cohort.slug, "agents"]) + f"?agent={ana.pk}"
    ).content.decode()
    assert csv_text.count("\n") == 2 and ana.display_name in csv_text


def test_a_chosen_period_is_used_and_a_bad_one_falls_back(client, leader, known_table):
    client.force_login(leader)
    url = reverse("impact:cohort-dashboard", args=[known_table.cohort.slug])
    response = client.get(url, {"date_from": "2025-06-10", "date_to": "2025-06-10"})
    assert response.context["period"] == selectors.Window(AFTER_DAY, AFTER_DAY)
    response = client.get(url, {"date_from": "2025-06-10", "date_to": "2025-06-01"})
    assert response.context["period"] == selectors.period_default(impact=known_table)
    assert "must end on or after its start" in response.content.decode()


def test_ticket_list_follows_the_alert_filters(client, leader, known_table, agents):
    client.force_login(leader)
    url = reverse("impact:ticket-list", args=[known_table.cohort.slug])
    page = client.get(url, {"agent": agents[0].pk, "phase": "period"}).context["page"]
    assert {t.ticket_id for t in page} == {"a-a-0", "a-a-1"}
    page = client.get(url, {"phase": "baseline", "csat_max": 3}).context["page"]
    assert [t.ticket_id for t in page] == ["b-b-0"]
    page = client.get(url, {"agent": "x"}).context["page"]
    assert len(page) == 0  # a bad filter matches nothing rather than everything


def test_ticket_list_names_the_agent_it_is_filtered_to_and_offers_everyone(
    client, leader, known_table, agents
):
    client.force_login(leader)
    url = reverse("impact:ticket-list", args=[known_table.cohort.slug])
    response = client.get(url, {"agent": agents[0].pk, "phase": "period", "csat_max": 5})
    html = response.content.decode()
    assert f"of {agents[0].display_name} (" in html
    assert 'href="?phase=period&amp;csat_max=5">show every agent</a>' in html
    # Links to an agent's dashboard keep the period the list shows.
    period = response.context["period"]
    assert f"?date_from={period.start.isoformat()}&amp;date_to={period.end.isoformat()}" in html
    # An id from outside the cohort names nobody.
    from tests.factories import UserFactory

    outsider = UserFactory(full_name="Oscar Outside")
    html = client.get(url, {"agent": outsider.pk}).content.decode()
    assert "Oscar Outside" not in html and "outside this cohort" in html


def test_ticket_list_shows_durations_in_minutes(client, leader, impact, agents):
    # The times are stored in seconds; the list used to print 704 s as "704.0 min".
    make_tickets(agents[0], AFTER_DAY, 1, prefix="dur", handle_time_seconds=704,
                 first_response_seconds=90, draft_to_send_seconds=30)  # fmt: skip
    client.force_login(leader)
    url = reverse("impact:ticket-list", args=[impact.cohort.slug])
    page = client.get(url, {"phase": "period"})
    row = page.content.decode().split("dur-0", 1)[1].split("</tr>", 1)[0]
    assert "11.7 min" in row and "1.5 min" in row and "0.5 min" in row
    assert "704.0 min" not in row


def test_the_ticket_list_without_filters_lists_the_period(client, leader, known_table):
    # Without a query string the filter form was unbound, hence "invalid", and the list
    # showed no tickets at all.
    client.force_login(leader)
    page = client.get(reverse("impact:ticket-list", args=[known_table.cohort.slug]))
    assert {t.ticket_id for t in page.context["page"]} == {"a-a-0", "a-a-1", "b-a-0"}


def test_a_period_overlapping_the_baseline_keeps_the_baseline_tickets(known_table):
    # The period used to take the shared days' tickets away from the baseline, which then
    # showed 0 tickets and no comparison at all.
    period = selectors.Window(BEFORE_DAY, TODAY)
    summary = selectors.impact_summary(impact=known_table, period=period)
    assert summary.team["baseline"].total.n == 3
    assert summary.team["baseline"].total.aht == pytest.approx(900)
    assert summary.team["baseline"].agent_days == 2
    assert summary.team["period"].total.n == 3 + 5 + 3  # baseline day, training, after


def test_baseline_days_count_when_the_period_ends_before_the_baseline_does(known_table):
    # Active days were counted only up to the period's end, so a period inside the
    # baseline lost the baseline's later days (and its tickets per agent per day).
    period = selectors.Window(dt.date(2025, 2, 1), dt.date(2025, 2, 28))
    summary = selectors.impact_summary(impact=known_table, period=period)
    assert summary.team["baseline"].agent_days == 2  # Ana and Ben on BEFORE_DAY (10 April)
    assert summary.team["baseline"].tickets_per_agent_day == pytest.approx(1.5)


def test_the_dashboard_says_when_the_period_overlaps_the_baseline(client, leader, known_table):
    client.force_login(leader)
    url = reverse("impact:cohort-dashboard", args=[known_table.cohort.slug])
    page = client.get(url, {"date_from": "2025-04-01", "date_to": "2025-06-30"}).content.decode()
    assert "The period overlaps the baseline" in page
    assert "The period overlaps the baseline" not in client.get(url).content.decode()


def test_the_team_rubric_chart_has_one_series_and_the_agents_names_the_agent(
    client, leader, known_table, agents, monkeypatch
):
    scores = {agents[0].pk: {"tone_match": 0.5}, agents[1].pk: {"tone_match": 1.0}}
    monkeypatch.setattr(selectors, "rubric_averages", lambda *, agent_ids: scores)
    client.force_login(leader)
    slug = known_table.cohort.slug
    team = client.get(reverse("impact:cohort-dashboard", args=[slug])).context["svgs"]["rubric"]
    assert "Tone match" in team and "tone_match" not in team
    assert ">score<" not in team and team.count("<title>Tone match:") == 1
    agent_page = client.get(reverse("impact:agent-dashboard", args=[slug, agents[0].pk]))
    svg = agent_page.context["svgs"]["rubric"]
    assert f">{agents[0].display_name}<" in svg and ">team<" in svg
    # Two series: each bar's tooltip names its series, and the second one is patterned.
    assert "Tone match, team: 75%" in svg
    assert f"Tone match, {agents[0].display_name}: 50%" in svg
    assert 'fill="url(#chart-training-rubric-scores-share-of-the-maximum-p1)"' in svg


def test_leaders_tune_targets_and_thresholds(client, leader, impact):
    client.force_login(leader)
    url = reverse("impact:cohort-settings", args=[impact.cohort.slug])
    form = client.get(url).context["form"]
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    data |= {"target_aht_change_pct": -25, "min_tickets": 10}
    response = client.post(url, data)
    assert response.status_code == 302
    impact.refresh_from_db()
    assert (impact.target_aht_change_pct, impact.min_tickets) == (-25, 10)
    response = client.post(url, data | {"heavy_ai_share": 150})
    assert response.status_code == 400
    assert "between 0 and 100" in response.content.decode()
    for bad, says in [
        ({"minimal_edit_ratio": 50, "substantial_edit_ratio": 20}, "more of the draft than"),
        ({"zero_ai_share": -1}, "between 0 and 100"),
        ({"minimal_edit_share": "half"}, "Enter a number"),
        ({"aht_drop_pct": -5}, "as a positive percentage"),
        ({"csat_drop_pct": -1}, "as a positive percentage"),
    ]:
        response = client.post(url, data | bad)
        assert response.status_code == 400, bad
        assert says in response.content.decode(), bad
    impact.refresh_from_db()
    assert impact.aht_drop_pct >= 0 and impact.minimal_edit_ratio < impact.substantial_edit_ratio


def _bulk_tickets(agents, count: int, start: int) -> None:
    days = [BEFORE_DAY - dt.timedelta(days=d) for d in range(20)]
    days += [AFTER_DAY + dt.timedelta(days=d) for d in range(15)]
    usages, categories = ["full_ai", "ai_assisted", "human"], ["simple", "complex", "escalation"]
    batch = []
    for i in range(start, start + count):
        usage = usages[i % 3]
        batch.append(
            TicketMetric(
                ticket_id=f"Q-{i}", agent=agents[i % len(agents)], closed_at=at(days[i % 35]),
                category=categories[(i // 3) % 3], handle_time_seconds=300 + i % 900,
                first_response_seconds=600, resolution_seconds=3600, csat=1 + i % 5 or None,
                ai_usage=usage, draft_edit_ratio=None if usage == "human" else (i % 100) / 100,
                draft_to_send_seconds=None if usage == "human" else 60, imported_at=at(TODAY),
            )
        )  # fmt: skip
        if len(batch) == 5000:
            TicketMetric.objects.bulk_create(batch)
            batch = []
    TicketMetric.objects.bulk_create(batch)


def _copy_tickets_in_the_database(copies: int) -> None:
    """Grow the table by copying its Q- tickets with new ids, INSERT ... SELECT.

    bulk_create spends ~7 s of Python preparing 99,000 rows; the copy takes well under one,
    and the query-count check only needs the rows to be there."""
    table = connection.ops.quote_name(TicketMetric._meta.db_table)
    columns = [f.column for f in TicketMetric._meta.concrete_fields if not f.primary_key]
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    select = ", ".join(
        "ticket_id || %s" if c == "ticket_id" else connection.ops.quote_name(c) for c in columns
    )
    with connection.cursor() as cursor:
        for copy in range(1, copies + 1):
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {select} FROM {table} "  # noqa: S608
                "WHERE ticket_id LIKE %s AND ticket_id NOT LIKE %s",
                [f"-c{copy}", "Q-%", "%-c%"],
            )


def test_query_count_is_the_same_for_1000_and_100000_tickets(client, leader, impact, agents):
    client.force_login(leader)
    slug = impact.cohort.slug
    pages = [
        reverse("impact:cohort-dashboard", args=[slug]),
        reverse("impact:agent-dashboard", args=[slug, agents[0].pk]),
        reverse("impact:ticket-list", args=[slug]),
        reverse("impact:chart-csv", args=[slug, "weekly"]),
    ]
    client.get(pages[0])  # warm the session

    def counts():
        result = []
        for url in pages:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            result.append(len(queries))
        return result

    _bulk_tickets(agents, 1_000, 0)
    small = counts()
    _copy_tickets_in_the_database(99)
    assert TicketMetric.objects.count() == 100_000
    assert counts() == small
    assert max(small) <= 20


def test_every_share_in_the_settings_is_a_percentage(client, leader, impact):
    """Shares are typed as percentages like the targets, and stored as fractions."""
    impact.heavy_ai_share, impact.zero_ai_share = 0.7, 0.025
    impact.save(update_fields=["heavy_ai_share", "zero_ai_share"])
    client.force_login(leader)
    url = reverse("impact:cohort-settings", args=[impact.cohort.slug])
    page = client.get(url)
    form = page.context["form"]
    assert (form.initial["heavy_ai_share"], form.initial["zero_ai_share"]) == (70, 2.5)
    body = page.content.decode()
    assert "(0 to 1)" not in body and "share of tickets with an AI draft (%)" in body
    data = {name: ("" if value is None else value) for name, value in form.initial.items()}
    assert client.post(url, data).status_code == 302  # saved unchanged: nothing moves
    impact.refresh_from_db()
    assert (impact.heavy_ai_share, impact.zero_ai_share) == (0.7, 0.025)
    assert client.post(url, data | {"heavy_ai_share": 55}).status_code == 302
    impact.refresh_from_db()
    assert impact.heavy_ai_share == 0.55


def test_a_weekly_chart_leaves_a_gap_for_a_week_without_tickets():
    from reporting.impact import charts
    from reporting.impact.report import _every_week

    rows = [["2026-01-05", 3, 5.0, 4.0, 0.5], ["2026-01-26", 2, 6.0, 4.5, 0.4]]
    weeks = _every_week(rows)
    assert [r[0] for r in weeks] == ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"]
    assert weeks[1][2] is None and weeks[2][2] is None
    svg = charts.line_chart(
        title="AHT", labels=[r[0] for r in weeks], values=[r[2] for r in weeks], fmt=str
    )
    # Two points three weeks apart: spaced by time, and not joined across the gap.
    points = svg.count('r="3"')  # the data points (a fill pattern may draw circles too)
    assert points == 2 and "<polyline" not in svg
    joined = charts.line_chart(title="AHT", labels=["a", "b"], values=[1.0, 2.0], fmt=str)
    assert joined.count("<polyline") == 1
    assert _every_week([]) == []


@pytest.mark.parametrize(("agents", "verb"), [(1, "1 agent now has"), (2, "2 agents now have")])
def test_the_capacity_headline_agrees_in_number(agents, verb):
    from django.template import Context, Template
    from django.template.loader import get_template

    # The dashboard's own headline sentence, rendered with one and with two agents.
    source = get_template("impact/dashboard.html").template.source
    start = source.index("{{ capacity.agents }} agent")
    sentence = source[start : source.index(" the handling capacity", start)]
    rendered = Template(sentence).render(Context({"capacity": {"agents": agents}}))
    assert rendered == verb


def test_every_impact_chart_has_a_description_and_a_table(client, leader, known_table):
    client.force_login(leader)
    html = client.get(
        reverse("impact:cohort-dashboard", args=[known_table.cohort.slug])
    ).content.decode()
    figures = html.count('<figure class="impact-figure">')
    assert figures >= 8
    assert html.count('<p class="chart-description">') == figures
    assert html.count('<details class="chart-data">') == figures
    assert '<th scope="col">Baseline (min)</th>' in html
    assert "the numbers as a table</summary>" in html


def test_the_impact_pages_forms_have_sound_ids(client, leader, impact):
    from tests.curriculum.test_page_ids import assert_ids_sound

    client.force_login(leader)
    for url in (
        reverse("impact:cohort-settings", args=[impact.cohort.slug]),
        reverse("impact:home"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_ids_sound(response.content.decode())
