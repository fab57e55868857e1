"""Fixtures of the impact tests: a cohort with training dates, its leader and agents, and a
helper that bulk-creates tickets before or after training."""

import datetime as dt

import pytest
from django.utils import timezone

from reporting.impact.models import TicketMetric
from tests.factories import (
    CohortImpactFactory,
    MembershipFactory,
    SupportLeaderFactory,
    TicketMetricFactory,
    UserFactory,
)

TODAY = dt.date(2025, 6, 30)
TRAINING_START = dt.date(2025, 5, 1)
TRAINING_END = dt.date(2025, 5, 15)
BEFORE_DAY = dt.date(2025, 4, 10)  # inside the 90-day baseline
AFTER_DAY = dt.date(2025, 6, 10)  # inside the default period (training end → today)


@pytest.fixture(autouse=True)
def _import_files_in_tmp(settings, tmp_path):
    settings.IMPACT_IMPORT_ROOT = tmp_path / "imports"


@pytest.fixture
def leader(db):
    return SupportLeaderFactory()


@pytest.fixture
def impact(cohort, leader):
    return CohortImpactFactory(
        cohort=cohort,
        leaders=[leader],
        training_started_on=TRAINING_START,
        training_completed_on=TRAINING_END,
    )


@pytest.fixture
def agents(impact):
    return [
        MembershipFactory(cohort=impact.cohort, user=UserFactory(full_name=name)).user
        for name in ("Ana Able", "Ben Bold", "Cy Calm")
    ]


@pytest.fixture(autouse=True)
def _frozen_today(monkeypatch):
    """The default period ends 'today'; pin it so dates in the tests stay inside."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def make_tickets(agent, day: dt.date, count: int, *, prefix: str = "", **fields):
    """Bulk-create `count` tickets of `agent` closed on `day` (spread over the hours)."""
    tag = prefix or f"{agent.pk}-{day:%Y%m%d}-{fields.get('ai_usage', 'x')}"
    start = TicketMetric.objects.filter(ticket_id__startswith=f"{tag}-").count()
    tickets = [
        TicketMetricFactory.build(
            ticket_id=f"{tag}-{start + i}",
            agent=agent,
            closed_at=at(day, 8 + i % 10),
            **fields,
        )
        for i in range(count)
    ]
    return TicketMetric.objects.bulk_create(tickets)
