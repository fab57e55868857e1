"""The demo generator, the benchmark and the token commands."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from reporting.impact import selectors
from reporting.impact.alerts import alerts_compute
from reporting.impact.models import ApiToken, CohortImpact, TicketMetric
from reporting.impact.services import api_token_authenticate

pytestmark = pytest.mark.django_db


def test_generate_ticket_demo_refuses_to_run_in_production_mode(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="Refusing to create demo accounts"):
        call_command("generate_ticket_demo", stdout=StringIO())


def test_generate_ticket_demo_is_idempotent_and_shows_the_warning_patterns(settings):
    settings.DEBUG = True
    call_command("generate_ticket_demo", stdout=StringIO())
    count = TicketMetric.objects.count()
    assert count > 3000
    call_command("generate_ticket_demo", stdout=StringIO())
    assert TicketMetric.objects.count() == count
    impact = CohortImpact.objects.select_related("cohort").get(cohort__slug="demo-cohort")
    assert impact.leaders.filter(email="leader@coachline.example").exists()
    summary = selectors.impact_summary(
        impact=impact, period=selectors.period_default(impact=impact)
    )
    found = {(a.kind, a.agent_names[0] if a.agent_names and not a.team else "team")
             for a in alerts_compute(summary)}  # fmt: skip
    assert ("aht_csat_tradeoff", "Ben Okafor") in found
    assert ("minimal_editing", "Ben Okafor") in found
    assert ("zero_ai", "Chloe Martin") in found
    assert ("csat_spread", "team") in found
    assert not any(name == "Ana Alvarez" for _, name in found), found


def test_benchmark_prints_throughput_and_cleans_up():
    out = StringIO()
    call_command("benchmark_impact", rows=500, agents=5, stdout=out)
    text = out.getvalue()
    assert re.search(r"import: 500 rows in [\d.]+s = [\d,]+ rows/s \(500 new, 0 rejected", text)
    assert re.search(r"dashboard \(warm\): [\d,]+ ms, \d+ queries", text)
    assert not TicketMetric.objects.exists()


def test_impact_token_command_prints_a_working_token(leader):
    out = StringIO()
    call_command("impact_token", leader.email, stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    assert api_token_authenticate(raw_key=raw) == leader
    assert ApiToken.objects.get().key_hash != raw
