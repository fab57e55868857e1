"""Leading-indicator alerts, computed from an ImpactSummary with the cohort's thresholds.

Each alert names the agents behind it, a filter for the tickets behind it, and the
training module that addresses it. Pure functions: tests call them without HTTP.
"""

from dataclasses import dataclass, field

from .models import AIUsage, CohortImpact
from .selectors import BASELINE, PERIOD, ImpactSummary, Slice, csat_spread

# Which module of the shipped curriculum addresses each pattern, and why.
ALERT_MODULES = {
    "aht_csat_tradeoff": "empathy",
    "minimal_editing": "accuracy-auditing",
    "zero_ai": "tone-calibration",
    "csat_spread": "context-management",
    "full_ai_below_assisted": "accuracy-auditing",
    "human_beats_assisted": "context-management",
}
ALERT_TITLES = {
    "aht_csat_tradeoff": "Handle time down while CSAT is down",
    "minimal_editing": "Heavy AI use with minimal editing",
    "zero_ai": "No AI use",
    "csat_spread": "CSAT spreading apart across agents",
    "full_ai_below_assisted": "Fully AI-drafted replies score lower CSAT than AI-assisted ones",
    "human_beats_assisted": "Human-drafted replies clearly beat AI-assisted ones",
}
ALERT_ADVICE = {
    "aht_csat_tradeoff": "Speed is being bought with quality. Review the tickets and coach "
    "replies that acknowledge the customer as well as fix the problem.",
    "minimal_editing": "AI drafts go out nearly untouched. Coach verifying drafts against "
    "the knowledge base before sending.",
    "zero_ai": "The agent is not using AI drafts at all. Start with prompting for the right "
    "tone so drafts are worth editing.",
    "csat_spread": "Some agents are pulling ahead and others falling behind. Look at the "
    "agents below the team average first.",
    "full_ai_below_assisted": "Customers notice unedited drafts: agents are not editing "
    "enough. Coach auditing drafts before sending.",
    "human_beats_assisted": "AI-assisted replies should at least match human ones; the "
    "training is not landing. Coach giving the AI the thread and customer history.",
}


@dataclass(frozen=True)
class Alert:
    kind: str
    detail: str
    severity: str = "warn"
    team: bool = False
    agent_ids: tuple[int, ...] = ()
    agent_names: tuple[str, ...] = ()
    ticket_filter: dict = field(default_factory=dict)

    @property
    def title(self) -> str:
        return ALERT_TITLES[self.kind]

    @property
    def advice(self) -> str:
        return ALERT_ADVICE[self.kind]

    @property
    def module_slug(self) -> str:
        return ALERT_MODULES[self.kind]

    @property
    def agents(self) -> list[tuple[int, str]]:
        """(id, name) of each agent the alert names, for links that say whose page it is."""
        return list(zip(self.agent_ids, self.agent_names, strict=False))


def change_pct(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or before == 0:
        return None
    return 100.0 * (after - before) / before


def _who(name: str | None) -> str:
    return name or "The team"


def _enough(s: CohortImpact) -> int:
    """Fewest tickets (or responses) an alert needs: the cohort's setting, but at least one,
    since no alert can be computed from an empty bucket (a setting of 0 would crash)."""
    return max(s.min_tickets, 1)


def _tradeoff(s: CohortImpact, before: Slice, after: Slice, name: str | None):
    if min(before.total.csat_n, after.total.csat_n) < _enough(s):
        return None
    aht = change_pct(before.total.aht, after.total.aht)
    csat = change_pct(before.total.csat, after.total.csat)
    if aht is not None and csat is not None and aht <= -s.aht_drop_pct and csat <= -s.csat_drop_pct:
        return (
            f"{_who(name)}: AHT {aht:+.0f}% and CSAT {csat:+.1f}% against the baseline "
            f"(thresholds: AHT down {s.aht_drop_pct:g}% while CSAT down {s.csat_drop_pct:g}%).",
            "danger",
        )
    return None


def _minimal_editing(s: CohortImpact, after: Slice, name: str | None):
    total = after.total
    if total.n < _enough(s) or total.edit_n < _enough(s):
        return None
    if (total.ai_share or 0) >= s.heavy_ai_share and (total.minimal_share or 0) >= (
        s.minimal_edit_share
    ):
        return (
            f"{_who(name)}: {total.ai_share:.0%} of tickets used an AI draft and "
            f"{total.minimal_share:.0%} of drafts were sent with at most "
            f"{s.minimal_edit_ratio:.0%} edited (thresholds: {s.heavy_ai_share:.0%} and "
            f"{s.minimal_edit_share:.0%}).",
            "danger",
        )
    return None


def _zero_ai(s: CohortImpact, after: Slice, name: str | None):
    total = after.total
    if total.n < _enough(s) or total.ai_share > s.zero_ai_share:
        return None
    return (
        f"{_who(name)}: {total.ai_share:.0%} of {total.n} tickets used an AI draft "
        f"(threshold: at most {s.zero_ai_share:.0%}).",
        "warn",
    )


def _full_ai_gap(s: CohortImpact, after: Slice, name: str | None):
    full, assisted = after.by_usage[AIUsage.FULL_AI], after.by_usage[AIUsage.AI_ASSISTED]
    if min(full.csat_n, assisted.csat_n) < _enough(s):
        return None
    if full.csat <= assisted.csat - s.full_ai_csat_gap:
        return (
            f"{_who(name)}: fully AI-drafted CSAT {full.csat:.2f} vs AI-assisted "
            f"{assisted.csat:.2f} (threshold: {s.full_ai_csat_gap:g} points lower).",
            "warn",
        )
    return None


def _human_gap(s: CohortImpact, after: Slice, name: str | None):
    human, assisted = after.by_usage[AIUsage.HUMAN], after.by_usage[AIUsage.AI_ASSISTED]
    if min(human.csat_n, assisted.csat_n) < _enough(s):
        return None
    if human.csat >= assisted.csat + s.human_csat_gap:
        return (
            f"{_who(name)}: human-drafted CSAT {human.csat:.2f} vs AI-assisted "
            f"{assisted.csat:.2f} (threshold: {s.human_csat_gap:g} points higher).",
            "warn",
        )
    return None


TICKET_FILTERS = {
    "aht_csat_tradeoff": {"csat_max": 3},
    "full_ai_below_assisted": {"ai_usage": AIUsage.FULL_AI},
    "human_beats_assisted": {"ai_usage": AIUsage.AI_ASSISTED},
    "zero_ai": {},
    "csat_spread": {"csat_max": 3},
}


def alerts_compute(summary: ImpactSummary, *, agent_id: int | None = None) -> list[Alert]:
    """The alerts for a cohort (team-level and per agent), or for one agent of it."""
    s = summary.impact
    checks_after = {
        "minimal_editing": _minimal_editing,
        "zero_ai": _zero_ai,
        "full_ai_below_assisted": _full_ai_gap,
        "human_beats_assisted": _human_gap,
    }
    alerts: list[Alert] = []
    team_before, team_after = summary.team[BASELINE], summary.team[PERIOD]
    agents = [a for a in summary.agents if agent_id is None or a.pk == agent_id]

    def filter_for(kind: str, agent_pk: int | None) -> dict:
        base = {"phase": PERIOD, **TICKET_FILTERS.get(kind, {})}
        if kind == "minimal_editing":
            base.update(ai_usage="ai", max_edit=s.minimal_edit_ratio)
        if agent_pk:
            base["agent"] = agent_pk
        return base

    if agent_id is None:
        found = []
        if summary.baseline and (hit := _tradeoff(s, team_before, team_after, None)):
            found.append(("aht_csat_tradeoff", hit))
        for kind in ("minimal_editing", "full_ai_below_assisted", "human_beats_assisted"):
            if hit := checks_after[kind](s, team_after, None):
                found.append((kind, hit))
        for kind, (detail, severity) in found:
            alerts.append(
                Alert(kind, detail, severity, team=True, ticket_filter=filter_for(kind, None))
            )
        if summary.baseline:
            alerts.extend(_spread_alerts(summary))
    for agent in agents:
        before, after = summary.agent(agent.pk, BASELINE), summary.agent(agent.pk, PERIOD)
        name = agent.display_name
        found = []
        if summary.baseline and (hit := _tradeoff(s, before, after, name)):
            found.append(("aht_csat_tradeoff", hit))
        for kind, check in checks_after.items():
            if hit := check(s, after, name):
                found.append((kind, hit))
        for kind, (detail, severity) in found:
            alerts.append(
                Alert(kind, detail, severity, agent_ids=(agent.pk,), agent_names=(name,),
                      ticket_filter=filter_for(kind, agent.pk))
            )  # fmt: skip
    order = {"danger": 0, "warn": 1}
    return sorted(alerts, key=lambda alert: (order[alert.severity], not alert.team))


def _spread_alerts(summary: ImpactSummary) -> list[Alert]:
    s = summary.impact
    before = csat_spread(summary, BASELINE, min_responses=_enough(s))
    after = csat_spread(summary, PERIOD, min_responses=_enough(s))
    if before is None or after is None or after - before < s.csat_spread_increase:
        return []
    team_csat = summary.team[PERIOD].total.csat or 0
    below = [
        agent
        for agent in summary.agents
        if (slice_ := summary.agent(agent.pk, PERIOD)).total.csat_n >= _enough(s)
        and slice_.total.csat < team_csat
    ]
    detail = (
        f"The standard deviation of agents' mean CSAT grew from {before:.2f} to {after:.2f} "
        f"(threshold: +{s.csat_spread_increase:g}). Below the team's {team_csat:.2f}: "
        + (", ".join(agent.display_name for agent in below) or "nobody")
        + "."
    )
    return [
        Alert(
            "csat_spread",
            detail,
            "warn",
            team=True,
            agent_ids=tuple(agent.pk for agent in below),
            agent_names=tuple(agent.display_name for agent in below),
            ticket_filter={"phase": PERIOD, "csat_max": 3},
        )
    ]
