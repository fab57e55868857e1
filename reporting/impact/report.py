"""Turns an ImpactSummary into what the dashboard shows: comparisons, capacity, chart tables.

Pure functions over the summary (no queries), so the page's query count stays fixed.
"""

import datetime as dt
from dataclasses import dataclass

from django.utils.safestring import SafeString

from . import charts
from .alerts import change_pct
from .models import AIUsage, Category, CohortImpact
from .selectors import BASELINE, PERIOD, ImpactSummary, Slice

# What the training method expects after training, as % change against the baseline.
EXPECTED = {
    "aht": (-35.0, -25.0),
    Category.SIMPLE: (-40.0, -30.0),
    Category.COMPLEX: (-30.0, -20.0),
    Category.ESCALATION: (-20.0, -10.0),
    "csat": (0.0, 5.0),
    "frt": (-40.0, -30.0),
}
CHART_NAMES = (
    "targets",
    "aht-by-category",
    "csat-by-usage",
    "csat-by-category",
    "adoption",
    "agents",
    "weekly",
    "rubric",
)


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def pct(value: float) -> str:
    return f"{value:+.1f}%"


def share(value: float) -> str:
    return f"{value:.0%}"


def score(value: float) -> str:
    return f"{value:.2f}"


def _m(value: float | None) -> float | None:
    return None if value is None else value / 60


@dataclass(frozen=True)
class MetricRow:
    key: str
    label: str
    unit: str  # "min", "score", "share", "count"
    baseline: float | None
    period: float | None
    target_pct: float | None = None
    lower_is_better: bool = True

    @property
    def change(self) -> float | None:
        """% change; for shares, the change in percentage points."""
        if self.unit == "share":
            if self.baseline is None or self.period is None:
                return None
            return 100.0 * (self.period - self.baseline)
        return change_pct(self.baseline, self.period)

    @property
    def change_unit(self) -> str:
        return "points" if self.unit == "share" else "%"

    @property
    def expected(self) -> tuple[float, float] | None:
        return EXPECTED.get(self.key)

    @property
    def meets_target(self) -> bool | None:
        if self.target_pct is None or self.change is None:
            return None
        if self.lower_is_better:
            return self.change <= self.target_pct
        return self.change >= self.target_pct


def comparison_rows(before: Slice, after: Slice, *, impact: CohortImpact) -> list[MetricRow]:
    """Headline metrics, after training (the period) against the baseline, with targets."""
    targets = impact
    b, a = before.total, after.total
    return [
        MetricRow("aht", "Average handle time", "min", _m(b.aht), _m(a.aht),
                  targets.target_aht_change_pct),
        MetricRow("frt", "First response time", "min", _m(b.avg_frt), _m(a.avg_frt),
                  targets.target_frt_change_pct),
        MetricRow("resolution", "Resolution time", "min", _m(b.avg_resolution),
                  _m(a.avg_resolution)),
        MetricRow("csat", "CSAT (1 to 5)", "score", b.csat, a.csat, targets.target_csat_change_pct,
                  lower_is_better=False),
        MetricRow("tickets_per_day", "Tickets per agent per day", "count",
                  before.tickets_per_agent_day, after.tickets_per_agent_day,
                  lower_is_better=False),
        MetricRow("ai_share", "Tickets with AI assistance", "share", b.ai_share, a.ai_share,
                  lower_is_better=False),
        MetricRow("minimal_share", "AI drafts sent with minimal edits", "share",
                  b.minimal_share, a.minimal_share),
        MetricRow("substantial_share", "AI drafts substantially edited", "share",
                  b.substantial_share, a.substantial_share, lower_is_better=False),
        MetricRow("draft_to_send", "Draft-to-send time", "min", _m(b.draft_to_send),
                  _m(a.draft_to_send)),
        MetricRow("escalation_rate", "Escalation rate", "share", b.escalation_rate,
                  a.escalation_rate),
    ]  # fmt: skip


@dataclass(frozen=True)
class Capacity:
    """Equivalent headcount freed by the AHT reduction at the team's current volume."""

    tickets: int
    days: int  # days the team handled tickets in the period
    agents: int
    aht_before: float
    aht_after: float
    hours_per_day: float

    @property
    def volume_per_day(self) -> float:
        return self.tickets / self.days

    @property
    def fte_before(self) -> float:
        return self.volume_per_day * self.aht_before / (self.hours_per_day * 3600)

    @property
    def fte_after(self) -> float:
        return self.volume_per_day * self.aht_after / (self.hours_per_day * 3600)

    @property
    def fte_freed(self) -> float:
        return self.fte_before - self.fte_after

    @property
    def equivalent_agents(self) -> float:
        """How many agents at the baseline AHT it would take to do what the team does now."""
        return self.agents * self.aht_before / self.aht_after

    @property
    def aht_change(self) -> float:
        return change_pct(self.aht_before, self.aht_after)

    @property
    def aht_before_min(self) -> float:
        return self.aht_before / 60

    @property
    def aht_after_min(self) -> float:
        return self.aht_after / 60


def capacity(summary: ImpactSummary) -> Capacity | None:
    before, after = summary.team[BASELINE].total, summary.team[PERIOD].total
    if not (before.n and after.n) or not after.handle:
        return None
    return Capacity(
        tickets=after.n,
        days=summary.team[PERIOD].active_days or summary.period.days,
        agents=summary.active_agents,
        aht_before=before.aht,
        aht_after=after.aht,
        hours_per_day=summary.impact.productive_hours_per_day or 6.0,
    )


@dataclass(frozen=True)
class AgentRow:
    agent_id: int
    name: str
    tickets: int
    tickets_per_day: float | None
    aht: float | None
    aht_vs_team: float | None
    aht_change: float | None
    frt_change: float | None
    csat: float | None
    csat_vs_team: float | None
    csat_change: float | None
    ai_share: float | None
    minimal_share: float | None


def agent_rows(summary: ImpactSummary) -> list[AgentRow]:
    team = summary.team[PERIOD].total
    rows = []
    for agent in summary.agents:
        before, after = summary.agent(agent.pk, BASELINE), summary.agent(agent.pk, PERIOD)
        a, b = after.total, before.total
        rows.append(
            AgentRow(
                agent_id=agent.pk,
                name=agent.display_name,
                tickets=a.n,
                tickets_per_day=after.tickets_per_agent_day,
                aht=_m(a.aht),
                aht_vs_team=change_pct(team.aht, a.aht),
                aht_change=change_pct(b.aht, a.aht),
                frt_change=change_pct(b.avg_frt, a.avg_frt),
                csat=a.csat,
                csat_vs_team=None if a.csat is None or team.csat is None else a.csat - team.csat,
                csat_change=change_pct(b.csat, a.csat),
                ai_share=a.ai_share,
                minimal_share=a.minimal_share,
            )
        )
    return rows


# --- Chart tables ------------------------------------------------------------------


def chart_tables(summary: ImpactSummary, *, agent_id: int | None = None) -> dict:
    """Every chart's table, for the team or (with agent_id) one agent."""
    if agent_id:
        before, after = summary.agent(agent_id, BASELINE), summary.agent(agent_id, PERIOD)
    else:
        before, after = summary.team[BASELINE], summary.team[PERIOD]
    tables = {}
    rows = comparison_rows(before, after, impact=summary.impact)
    tables["targets"] = charts.ChartTable(
        "targets",
        "After training vs baseline, against target",
        ["metric", "unit", "baseline", "after", "change", "change_unit", "target_change_pct",
         "expected_low_pct", "expected_high_pct"],
        [[r.label, r.unit, r.baseline, r.period, r.change, r.change_unit, r.target_pct,
          *(r.expected or (None, None))] for r in rows],
    )  # fmt: skip
    tables["aht-by-category"] = charts.ChartTable(
        "aht-by-category",
        "Average handle time by category (minutes)",
        ["category", "baseline_min", "after_min", "change_pct", "expected_low_pct",
         "expected_high_pct", "baseline_tickets", "after_tickets"],
        [[label, _m(before.by_category[key].aht), _m(after.by_category[key].aht),
          change_pct(before.by_category[key].aht, after.by_category[key].aht),
          *EXPECTED[key], before.by_category[key].n, after.by_category[key].n]
         for key, label in Category.choices],
    )  # fmt: skip
    tables["csat-by-usage"] = charts.ChartTable(
        "csat-by-usage",
        "CSAT by AI usage",
        ["ai_usage", "baseline_csat", "after_csat", "baseline_responses", "after_responses",
         "after_tickets"],
        [[label, before.by_usage[key].csat, after.by_usage[key].csat,
          before.by_usage[key].csat_n, after.by_usage[key].csat_n, after.by_usage[key].n]
         for key, label in AIUsage.choices],
    )  # fmt: skip
    tables["csat-by-category"] = charts.ChartTable(
        "csat-by-category",
        "CSAT by category",
        ["category", "baseline_csat", "after_csat", "baseline_responses", "after_responses"],
        [[label, before.by_category[key].csat, after.by_category[key].csat,
          before.by_category[key].csat_n, after.by_category[key].csat_n]
         for key, label in Category.choices],
    )  # fmt: skip
    people = [(a.pk, a.display_name) for a in summary.agents if not agent_id or a.pk == agent_id]
    adoption_rows = []
    for label, slice_ in [("Team", summary.team[PERIOD])] + [
        (name, summary.agent(pk, PERIOD)) for pk, name in people
    ]:
        t = slice_.total
        adoption_rows.append(
            [label, t.n]
            + [slice_.by_usage[key].n / t.n if t.n else None for key in AIUsage.values]
            + [t.minimal_share, t.substantial_share, _m(t.draft_to_send)]
        )
    tables["adoption"] = charts.ChartTable(
        "adoption",
        "AI adoption after training",
        ["who", "tickets", "full_ai_share", "ai_assisted_share", "human_share",
         "minimal_edit_share", "substantial_edit_share", "draft_to_send_min"],
        adoption_rows,
    )  # fmt: skip
    tables["agents"] = charts.ChartTable(
        "agents",
        "Agents against the team and their own baseline",
        ["agent", "tickets", "tickets_per_day", "aht_min", "aht_vs_team_pct",
         "aht_change_pct", "frt_change_pct", "csat", "csat_vs_team", "csat_change_pct",
         "ai_share", "minimal_edit_share"],
        [[r.name, r.tickets, r.tickets_per_day, r.aht, r.aht_vs_team, r.aht_change,
          r.frt_change, r.csat, r.csat_vs_team, r.csat_change, r.ai_share, r.minimal_share]
         for r in agent_rows(summary) if not agent_id or r.agent_id == agent_id],
    )  # fmt: skip
    tables["weekly"] = charts.ChartTable(
        "weekly",
        "Week by week",
        ["week", "tickets", "aht_min", "csat", "ai_share"],
        [[p.week.isoformat(), p.n, _m(p.aht), p.csat, p.ai_share] for p in summary.weekly],
    )
    rubric = summary.rubric.get(agent_id, {}) if agent_id else summary.rubric_team
    team_rubric = summary.rubric_team
    tables["rubric"] = charts.ChartTable(
        "rubric",
        "Training rubric scores (share of the maximum)",
        ["criterion", "score", "team_score"],
        [[key, value, team_rubric.get(key)] for key, value in sorted(rubric.items())],
    )
    return tables


def chart_svgs(
    tables: dict, summary: ImpactSummary, *, agent_name: str | None = None
) -> dict[str, SafeString]:
    """The SVG of each chart, drawn from its table (`agent_name` on an agent's dashboard)."""
    svgs = {}
    t = tables["targets"]
    change_rows = [r for r in t.rows if r[6] is not None]
    svgs["targets"] = charts.bar_chart(
        title=t.title,
        labels=[r[0] for r in change_rows],
        series=[("change after training", [r[4] for r in change_rows])],
        markers=[r[6] for r in change_rows],
        fmt=pct,
    )
    t = tables["aht-by-category"]
    svgs["aht-by-category"] = charts.bar_chart(
        title=t.title,
        labels=[r[0] for r in t.rows],
        series=[("baseline", [r[1] for r in t.rows]), ("after", [r[2] for r in t.rows])],
        fmt=lambda v: f"{v:.1f} min",
    )
    for name in ("csat-by-usage", "csat-by-category"):
        t = tables[name]
        svgs[name] = charts.bar_chart(
            title=t.title,
            labels=[r[0] for r in t.rows],
            series=[("baseline", [r[1] for r in t.rows]), ("after", [r[2] for r in t.rows])],
            fmt=score,
        )
    t = tables["adoption"]
    svgs["adoption"] = charts.stacked_chart(
        title=t.title,
        labels=[r[0] for r in t.rows],
        parts=[(label, [r[2 + i] for r in t.rows]) for i, label in enumerate(AIUsage.labels)],
    )
    t = tables["agents"]
    svgs["agents"] = charts.bar_chart(
        title="AHT change against each agent's own baseline",
        labels=[r[0] for r in t.rows],
        series=[("AHT change", [r[5] for r in t.rows])],
        markers=[summary.impact.target_aht_change_pct] * len(t.rows),
        fmt=pct,
    )
    weeks = _every_week(tables["weekly"].rows)
    marker = None
    if summary.impact.training_started_on:
        start = summary.impact.training_started_on.isoformat()
        marker = next((i for i, r in enumerate(weeks) if r[0] >= start), None)
    labels = [r[0] for r in weeks]
    svgs["weekly-aht"] = charts.line_chart(
        title="Average handle time by week", labels=labels, values=[r[2] for r in weeks],
        fmt=lambda v: f"{v:.1f} min", marker_index=marker,
    )  # fmt: skip
    svgs["weekly-csat"] = charts.line_chart(
        title="CSAT by week", labels=labels, values=[r[3] for r in weeks], fmt=score,
        marker_index=marker,
    )  # fmt: skip
    t = tables["rubric"]
    if t.rows:
        # The team in the comparison colour, the agent in the highlight one; on the team's
        # dashboard both columns are the team, so one series.
        series = [("team", [r[2] for r in t.rows])]
        if agent_name:
            series.append((agent_name, [r[1] for r in t.rows]))
        svgs["rubric"] = charts.bar_chart(
            title=t.title,
            labels=[r[0].replace("_", " ").capitalize() for r in t.rows],
            series=series,
            fmt=share,
        )
    return svgs


def _every_week(rows: list[list]) -> list[list]:
    """The weekly table's rows with the weeks between them that had no tickets put back
    (as empty values), so a chart spaces weeks by time and leaves a gap where one is
    missing instead of drawing two distant weeks side by side."""
    by_week = {dt.date.fromisoformat(row[0]): row for row in rows}
    if not by_week:
        return []
    week, last = min(by_week), max(by_week)
    filled = []
    while week <= last:
        filled.append(by_week.get(week) or [week.isoformat(), 0, None, None, None])
        week += dt.timedelta(days=7)
    return filled
