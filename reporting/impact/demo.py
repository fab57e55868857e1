"""Realistic ticket histories for the demo cohort, before and after training.

Deterministic (seeded per agent and day) and idempotent (upsert by ticket id). The three
demo agents show the patterns the dashboard is for:

- Ana: what training should do: AHT down ~30%, first response down, CSAT up (most of all
  on her well-edited AI-drafted replies), AI drafts edited substantially.
- Ben: speed bought with quality: heavy AI use, drafts sent almost untouched, AHT down
  ~45% while CSAT falls, and fully AI-drafted replies scoring below AI-assisted ones.
- Chloe: never uses AI; her numbers barely move.

Together they make CSAT spread apart across agents after training.
"""

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from curriculum.models import Cohort, User
from curriculum.services import DEMO_COHORT, DEMO_PASSWORD

from .models import AIUsage, Category, CohortImpact, TicketMetric
from .services import UPSERT_FIELDS, user_grant_support_leader

DEMO_LEADER = ("leader@coachline.example", "Lee Leader")
TRAINING_STARTS_DAYS_AGO = 56
TRAINING_DAYS = 14
BASELINE_DAYS = 90
TICKETS_PER_DAY = 22

BASE_AHT = {Category.SIMPLE: 540, Category.COMPLEX: 960, Category.ESCALATION: 1680}
CATEGORY_WEIGHTS = [(Category.SIMPLE, 0.6), (Category.COMPLEX, 0.3), (Category.ESCALATION, 0.1)]


@dataclass(frozen=True)
class Profile:
    """How one agent works after training (before it, everyone works the same way)."""

    aht_factor: float
    frt_factor: float
    csat_shift: float
    usage: tuple[float, float, float]  # full_ai, ai_assisted, human
    edit_mean: float
    full_ai_csat_penalty: float = 0.0
    ai_csat_bonus: float = 0.0


BEFORE = Profile(1.0, 1.0, 0.0, (0.05, 0.2, 0.75), 0.35)
PROFILES = {
    "ana@coachline.example": Profile(0.68, 0.62, 0.1, (0.15, 0.65, 0.2), 0.32, 0.0, 0.25),
    "ben@coachline.example": Profile(0.55, 0.55, -0.25, (0.7, 0.25, 0.05), 0.03, 0.6),
    "chloe@coachline.example": Profile(0.96, 0.92, 0.05, (0.0, 0.0, 1.0), 0.0),
}


@dataclass(frozen=True)
class TicketDemo:
    cohort: Cohort
    leader: User
    tickets: int
    training_started_on: dt.date
    training_completed_on: dt.date


def _blend(before: Profile, after: Profile, weight: float) -> Profile:
    def mix(a: float, b: float) -> float:
        return a + (b - a) * weight

    return Profile(
        mix(before.aht_factor, after.aht_factor),
        mix(before.frt_factor, after.frt_factor),
        mix(before.csat_shift, after.csat_shift),
        tuple(mix(a, b) for a, b in zip(before.usage, after.usage, strict=True)),
        mix(before.edit_mean, after.edit_mean),
        mix(before.full_ai_csat_penalty, after.full_ai_csat_penalty),
        mix(before.ai_csat_bonus, after.ai_csat_bonus),
    )


def _tickets_for_day(agent: User, key: str, day: dt.date, profile: Profile) -> list[TicketMetric]:
    rng = random.Random(f"{agent.email}:{day.isoformat()}")  # noqa: S311 - demo data
    tz = timezone.get_default_timezone()  # the team's days (docs/time-zones.md)
    tickets = []
    for i in range(max(0, round(rng.gauss(TICKETS_PER_DAY, 3)))):
        category = rng.choices([c for c, _ in CATEGORY_WEIGHTS], [w for _, w in CATEGORY_WEIGHTS])[
            0
        ]
        usage = rng.choices(list(AIUsage.values), profile.usage)[0]
        aht = max(60, rng.gauss(BASE_AHT[category] * profile.aht_factor, 90))
        frt = max(30, rng.gauss(2700 * profile.frt_factor, 600))
        csat_mean = 4.0 + profile.csat_shift
        if usage != AIUsage.HUMAN:
            csat_mean += profile.ai_csat_bonus
        if usage == AIUsage.FULL_AI:
            csat_mean -= profile.full_ai_csat_penalty
        csat = None
        if rng.random() < 0.4:
            csat = min(5, max(1, round(rng.gauss(csat_mean, 0.7))))
        edit = draft_to_send = None
        if usage != AIUsage.HUMAN:
            spread = 0.08 if profile.edit_mean < 0.1 else 0.12
            edit = min(1.0, max(0.0, rng.gauss(profile.edit_mean, spread)))
            draft_to_send = max(10, round(rng.gauss(30 + 400 * edit, 30)))
        closed = dt.datetime.combine(day, dt.time(8), tzinfo=tz) + dt.timedelta(
            minutes=rng.randint(0, 9 * 60)
        )
        tickets.append(
            TicketMetric(
                ticket_id=f"DEMO-{key}-{day:%Y%m%d}-{i:02d}",
                agent=agent,
                closed_at=closed,
                category=category,
                handle_time_seconds=round(aht),
                first_response_seconds=round(frt),
                resolution_seconds=round(frt + aht + rng.expovariate(1 / 7200)),
                csat=csat,
                ai_usage=usage,
                draft_edit_ratio=None if edit is None else round(edit, 3),
                draft_to_send_seconds=draft_to_send,
                imported_at=timezone.now(),
            )
        )
    return tickets


@transaction.atomic(durable=True)
def ticket_demo_generate(*, today: dt.date | None = None) -> TicketDemo:
    """Add a support leader to the demo cohort and upsert its ticket history (run
    `seed_demo` first: the cohort and its agents come from there)."""
    today = today or timezone.localdate()
    cohort = Cohort.objects.filter(slug=DEMO_COHORT[0]).first()
    if cohort is None:
        raise Cohort.DoesNotExist("The demo cohort does not exist; run `manage.py seed_demo`.")
    email, name = DEMO_LEADER
    leader, created = User.objects.get_or_create(email=email, defaults={"full_name": name})
    if created:
        leader.set_password(DEMO_PASSWORD)
        leader.save(update_fields=["password"])
    user_grant_support_leader(user=leader)
    impact, _ = CohortImpact.objects.get_or_create(cohort=cohort)
    impact.leaders.add(leader)
    if impact.training_started_on is None:
        impact.training_started_on = today - dt.timedelta(days=TRAINING_STARTS_DAYS_AGO)
        impact.training_completed_on = impact.training_started_on + dt.timedelta(days=TRAINING_DAYS)
        impact.baseline_days = BASELINE_DAYS
        impact.save(update_fields=["training_started_on", "training_completed_on", "baseline_days"])
    start = impact.training_started_on
    end = impact.training_completed_on or start
    first_day = start - dt.timedelta(days=impact.baseline_days)
    agents = list(User.objects.filter(memberships__cohort=cohort, email__in=PROFILES))
    tickets: list[TicketMetric] = []
    for agent in agents:
        key = agent.email.split("@")[0]
        day = first_day
        while day < today:
            if day.weekday() < 5:
                if day < start:
                    profile = BEFORE
                elif day >= end:
                    profile = PROFILES[agent.email]
                else:
                    progress = (day - start).days / max((end - start).days, 1)
                    profile = _blend(BEFORE, PROFILES[agent.email], progress)
                tickets.extend(_tickets_for_day(agent, key, day, profile))
            day += dt.timedelta(days=1)
    TicketMetric.objects.bulk_create(
        tickets,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["ticket_id"],
        update_fields=UPSERT_FIELDS,
    )
    return TicketDemo(
        cohort=cohort,
        leader=leader,
        tickets=len(tickets),
        training_started_on=start,
        training_completed_on=end,
    )
