"""Each leading-indicator alert on data built to trigger it, and on data built not to."""

from pathlib import Path

import pytest
import yaml
from django.conf import settings

from reporting.impact import selectors
from reporting.impact.alerts import ALERT_MODULES, alerts_compute
from tests.reporting.impact.conftest import AFTER_DAY, BEFORE_DAY, make_tickets

pytestmark = pytest.mark.django_db
N = 30  # above the default minimum of 20 tickets per alert


def fired(impact, agent_id=None) -> set[tuple[str, str]]:
    impact.refresh_from_db()
    summary = selectors.impact_summary(
        impact=impact, period=selectors.period_default(impact=impact)
    )
    return {
        (alert.kind, "team" if alert.team else alert.agent_names[0])
        for alert in alerts_compute(summary, agent_id=agent_id)
    }


def kinds(found) -> set[str]:
    return {kind for kind, _ in found}


@pytest.mark.parametrize(("after_aht", "after_csat", "expected"), [
    (400, 3, True),   # AHT -33%, CSAT -25%
    (400, 4, False),  # faster and CSAT holds: what training should do
    (590, 3, False),  # CSAT down but AHT barely moved
])  # fmt: skip
def test_aht_down_while_csat_down(impact, agents, after_aht, after_csat, expected):
    ana = agents[0]
    make_tickets(ana, BEFORE_DAY, N, handle_time_seconds=600, csat=4)
    make_tickets(ana, AFTER_DAY, N, handle_time_seconds=after_aht, csat=after_csat)
    found = fired(impact)
    assert (("aht_csat_tradeoff", ana.display_name) in found) is expected
    assert (("aht_csat_tradeoff", "team") in found) is expected


@pytest.mark.parametrize(("edit", "expected"), [(0.02, True), (0.3, False)])
def test_heavy_ai_use_with_minimal_editing(impact, agents, edit, expected):
    ben = agents[1]
    make_tickets(ben, AFTER_DAY, N, ai_usage="full_ai", draft_edit_ratio=edit)
    assert (("minimal_editing", ben.display_name) in fired(impact)) is expected


def test_minimal_editing_threshold_is_tunable(impact, agents):
    make_tickets(agents[1], AFTER_DAY, N, ai_usage="full_ai", draft_edit_ratio=0.02)
    impact.minimal_edit_share = 0.95  # 100% of drafts are minimal: still fires
    impact.heavy_ai_share = 1.01  # nobody can reach it
    impact.save()
    assert "minimal_editing" not in kinds(fired(impact))


@pytest.mark.parametrize(
    ("human", "assisted", "expected"),
    [(N, 0, True), (N - 1, 1, False), (10, 0, False)],  # the last: too few tickets to judge
)
def test_zero_ai_use(impact, agents, human, assisted, expected):
    cy = agents[2]
    make_tickets(cy, AFTER_DAY, human, ai_usage="human", draft_edit_ratio=None)
    if assisted:
        make_tickets(cy, AFTER_DAY, assisted, ai_usage="ai_assisted")
    assert (("zero_ai", cy.display_name) in fired(impact)) is expected


@pytest.mark.parametrize(("ana_after", "ben_after", "expected"), [(5, 3, True), (4, 4, False)])
def test_csat_spread_widening(impact, agents, ana_after, ben_after, expected):
    ana, ben, _ = agents
    for agent in (ana, ben):
        make_tickets(agent, BEFORE_DAY, N, csat=4)
    make_tickets(ana, AFTER_DAY, N, csat=ana_after)
    make_tickets(ben, AFTER_DAY, N, csat=ben_after)
    impact.refresh_from_db()
    summary = selectors.impact_summary(
        impact=impact, period=selectors.period_default(impact=impact)
    )
    spread = [a for a in alerts_compute(summary) if a.kind == "csat_spread"]
    assert bool(spread) is expected
    if expected:
        assert spread[0].agent_ids == (ben.pk,)  # the agent below the team average


@pytest.mark.parametrize(("full_ai_csat", "expected"), [(3, True), (4, False)])
def test_fully_ai_drafted_scoring_below_ai_assisted(impact, agents, full_ai_csat, expected):
    ben = agents[1]
    make_tickets(ben, AFTER_DAY, 25, ai_usage="full_ai", csat=full_ai_csat, draft_edit_ratio=0.3)
    make_tickets(ben, AFTER_DAY, 25, ai_usage="ai_assisted", csat=4)
    found = fired(impact)
    assert (("full_ai_below_assisted", ben.display_name) in found) is expected
    assert (("full_ai_below_assisted", "team") in found) is expected


@pytest.mark.parametrize(("human_csat", "expected"), [(5, True), (4, False)])
def test_human_drafted_clearly_beating_ai_assisted(impact, agents, human_csat, expected):
    ana = agents[0]
    make_tickets(ana, AFTER_DAY, 25, ai_usage="human", csat=human_csat, draft_edit_ratio=None)
    make_tickets(ana, AFTER_DAY, 25, ai_usage="ai_assisted", csat=4)
    assert (("human_beats_assisted", "team") in fired(impact)) is expected


def test_no_alerts_without_tickets(impact, agents):
    assert fired(impact) == set()


def test_agent_view_only_shows_that_agents_alerts(impact, agents):
    ana, ben, _ = agents
    make_tickets(ben, AFTER_DAY, N, ai_usage="full_ai", draft_edit_ratio=0.0)
    assert fired(impact, agent_id=ana.pk) == set()
    assert fired(impact, agent_id=ben.pk) == {("minimal_editing", ben.display_name)}


def test_alerts_suggest_modules_of_the_shipped_curriculum():
    modules = Path(settings.BASE_DIR) / "fixtures" / "content" / "modules"
    shipped = {yaml.safe_load(path.read_text())["id"] for path in modules.glob("*/module.yaml")}
    assert set(ALERT_MODULES.values()) <= shipped
    assert ALERT_MODULES["minimal_editing"] == "accuracy-auditing"


def test_a_minimum_of_zero_tickets_does_not_break_the_alerts(impact, agents):
    # With min_tickets=0 the checks used to read the CSAT or AI share of empty buckets
    # (None) and the dashboard answered 500.
    impact.min_tickets = 0
    impact.save(update_fields=["min_tickets"])
    ana, ben, _ = agents
    make_tickets(ana, BEFORE_DAY, 5, ai_usage="human", csat=5, draft_edit_ratio=None)
    make_tickets(ana, AFTER_DAY, 5, ai_usage="ai_assisted", csat=4)
    make_tickets(ben, AFTER_DAY, 5, ai_usage="human", csat=3, draft_edit_ratio=None)
    found = fired(impact)
    assert ("zero_ai", ben.display_name) in found  # one ticket is enough now
    assert ("human_beats_assisted", ana.display_name) not in found  # Ana has no human ticket
