"""Reads of the impact app: the access chokepoints, and the dashboard's aggregates.

The dashboard runs a fixed handful of grouped queries (agent x category x AI usage, one per
phase; agent x day; rubric averages) and rolls the small results up in Python, so its
query count does not depend on the number of tickets.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import pstdev

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.http import Http404
from django.utils import timezone

from curriculum import access
from curriculum.models import Cohort, User

from . import access as impact_access
from .models import AIUsage, ApiToken, Category, CohortImpact, ImportJob, TicketMetric
from .training_scores import rubric_averages_for_agents

BASELINE = "baseline"
PERIOD = "period"
PHASES = (BASELINE, PERIOD)
DEFAULT_PERIOD_DAYS = 30


# --- Access chokepoints ------------------------------------------------------------


def cohort_list_for_impact(*, user: User) -> QuerySet[Cohort]:
    """Cohorts whose impact the user may see, with agent counts and their settings."""
    if not impact_access.can_use_impact(user):
        return Cohort.objects.none()
    visible = Cohort.objects.filter(impact_access.impact_cohorts_q(user)).values("pk")
    return (
        Cohort.objects.filter(pk__in=visible)
        .select_related("impact")
        .annotate(agent_count=Count("memberships", distinct=True))
        .order_by(F("archived_at").asc(nulls_first=True), "name")
    )


def cohort_impact_get_for_viewer(*, user: User, slug: str, change: bool = False) -> CohortImpact:
    """A cohort's impact settings (unsaved defaults if none yet) if the user may see them.

    Agents get PermissionDenied; leaders and trainers get 404 for cohorts that are not
    theirs, so guessing slugs reveals nothing."""
    if not impact_access.can_use_impact(user):
        raise PermissionDenied("The impact pages are for support leaders and trainers.")
    cohort = Cohort.objects.select_related("impact").filter(slug=slug).first()
    if cohort is None:
        raise Http404("No such cohort.")
    try:
        impact = cohort.impact
    except CohortImpact.DoesNotExist:
        impact = CohortImpact(cohort=cohort)
    allowed = access.can_change(user, impact) if change else access.can_view(user, impact)
    if not allowed:
        raise Http404("No such cohort.")
    return impact


def cohort_agent_find(*, impact: CohortImpact, agent_id: int | None) -> User | None:
    """An agent of the cohort, or None (never someone outside it)."""
    if not agent_id:
        return None
    return User.objects.filter(pk=agent_id, memberships__cohort=impact.cohort).first()


def cohort_agent_get(*, impact: CohortImpact, agent_id: int) -> User:
    """An agent of the cohort, or 404."""
    agent = cohort_agent_find(impact=impact, agent_id=agent_id)
    if agent is None:
        raise Http404("No such agent in this cohort.")
    return agent


def import_job_get_for_viewer(*, user: User, job_id: int) -> ImportJob:
    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or not access.can_view(user, job):
        raise Http404("No such import.")
    return job


def import_job_list_for_user(*, user: User, limit: int = 10) -> list[ImportJob]:
    jobs = ImportJob.objects.all() if user.is_staff else ImportJob.objects.filter(created_by=user)
    return list(jobs.order_by("-created_at")[:limit])


def api_token_list_for_user(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)


# --- Periods -----------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    start: dt.date  # inclusive
    end: dt.date  # inclusive

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        # The team's days, in the site's zone (TIME_ZONE) whoever reads: every reader of a
        # dashboard sees the same numbers (docs/time-zones.md).
        tz = timezone.get_default_timezone()
        start = dt.datetime.combine(self.start, dt.time.min, tzinfo=tz)
        end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        return start, end


def period_default(*, impact: CohortImpact, today: dt.date | None = None) -> Window:
    """After training when the cohort has finished it, else the last 30 days."""
    today = today or timezone.localdate(timezone=timezone.get_default_timezone())
    if impact.training_completed_on and impact.training_completed_on <= today:
        return Window(impact.training_completed_on, today)
    return Window(today - dt.timedelta(days=DEFAULT_PERIOD_DAYS - 1), today)


def baseline_window(*, impact: CohortImpact) -> Window | None:
    """The days before training that every agent is compared against (None without dates)."""
    if not impact.training_started_on:
        return None
    end = impact.training_started_on - dt.timedelta(days=1)
    return Window(end - dt.timedelta(days=impact.baseline_days - 1), end)


# --- Aggregates --------------------------------------------------------------------


@dataclass
class Bucket:
    """Sums and counts of a set of tickets; averages are derived so buckets add up exactly."""

    n: int = 0
    handle: int = 0
    frt: int = 0
    resolution: int = 0
    csat_n: int = 0
    csat_sum: int = 0
    edit_n: int = 0
    minimal_n: int = 0
    substantial_n: int = 0
    d2s_n: int = 0
    d2s_sum: int = 0
    ai_n: int = 0
    escalation_n: int = 0

    def add(self, other: "Bucket") -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @staticmethod
    def _ratio(num, den):
        return num / den if den else None

    @property
    def aht(self) -> float | None:
        return self._ratio(self.handle, self.n)

    @property
    def avg_frt(self) -> float | None:
        return self._ratio(self.frt, self.n)

    @property
    def avg_resolution(self) -> float | None:
        return self._ratio(self.resolution, self.n)

    @property
    def csat(self) -> float | None:
        return self._ratio(self.csat_sum, self.csat_n)

    @property
    def ai_share(self) -> float | None:
        return self._ratio(self.ai_n, self.n)

    @property
    def minimal_share(self) -> float | None:
        return self._ratio(self.minimal_n, self.edit_n)

    @property
    def substantial_share(self) -> float | None:
        return self._ratio(self.substantial_n, self.edit_n)

    @property
    def draft_to_send(self) -> float | None:
        return self._ratio(self.d2s_sum, self.d2s_n)

    @property
    def escalation_rate(self) -> float | None:
        return self._ratio(self.escalation_n, self.n)


@dataclass
class Slice:
    """One group of tickets (the team, or one agent) in one phase."""

    total: Bucket = field(default_factory=Bucket)
    by_category: dict[str, Bucket] = field(
        default_factory=lambda: {value: Bucket() for value in Category.values}
    )
    by_usage: dict[str, Bucket] = field(
        default_factory=lambda: {value: Bucket() for value in AIUsage.values}
    )
    agent_days: int = 0
    active_days: int = 0  # days with at least one ticket (the team's working days)

    @property
    def tickets_per_agent_day(self) -> float | None:
        return self.total.n / self.agent_days if self.agent_days else None


@dataclass(frozen=True)
class WeekPoint:
    week: dt.date
    n: int
    aht: float | None
    csat: float | None
    ai_share: float | None


@dataclass
class ImpactSummary:
    impact: CohortImpact
    period: Window
    baseline: Window | None
    agents: list[User]
    team: dict[str, Slice]
    per_agent: dict[int, dict[str, Slice]]
    weekly: list[WeekPoint]
    rubric: dict[int, dict[str, float]]

    @property
    def cohort(self) -> Cohort:
        return self.impact.cohort

    def agent(self, agent_id: int, phase: str) -> Slice:
        return self.per_agent.get(agent_id, {}).get(phase) or Slice()

    @property
    def active_agents(self) -> int:
        return sum(1 for agent in self.agents if self.agent(agent.pk, PERIOD).total.n)

    @property
    def rubric_team(self) -> dict[str, float]:
        sums: dict[str, list[float]] = defaultdict(list)
        for scores in self.rubric.values():
            for key, value in scores.items():
                sums[key].append(value)
        return {key: sum(values) / len(values) for key, values in sorted(sums.items())}


def _windows(period: Window, baseline: Window | None) -> dict[str, Window]:
    """The phases and their days. A chosen period may overlap the baseline; then the tickets
    of the shared days count in both, so neither phase loses any."""
    return {PERIOD: period} | ({BASELINE: baseline} if baseline is not None else {})


def rubric_averages(*, agent_ids: list[int]) -> dict[int, dict[str, float]]:
    """Training rubric scores per agent and criterion (0..1), from the stored grades."""
    if not agent_ids:
        return {}
    return rubric_averages_for_agents(agent_ids=agent_ids)


def impact_summary(
    *, impact: CohortImpact, period: Window, agent_id: int | None = None
) -> ImpactSummary:
    """Everything the dashboard shows, from a constant number of grouped queries.

    With `agent_id`, the weekly trend is that agent's; the team figures stay the team's so
    the agent can be compared with them."""
    baseline = baseline_window(impact=impact)
    agents = list(
        User.objects.filter(memberships__cohort=impact.cohort)
        .only("pk", "email", "full_name")
        .order_by("full_name", "email")
    )
    agent_ids = [agent.pk for agent in agents]
    tickets = TicketMetric.objects.filter(agent_id__in=agent_ids).order_by()
    minimal = Q(draft_edit_ratio__lte=impact.minimal_edit_ratio)
    substantial = Q(draft_edit_ratio__gte=impact.substantial_edit_ratio)
    windows = _windows(period, baseline)
    team = {phase: Slice() for phase in PHASES}
    per_agent: dict[int, dict[str, Slice]] = defaultdict(lambda: {p: Slice() for p in PHASES})
    for phase, window in windows.items():  # one grouped query per phase
        start, end = window.bounds()
        grouped = (
            tickets.filter(closed_at__gte=start, closed_at__lt=end)
            .values("agent_id", "category", "ai_usage")
            .annotate(
                n=Count("id"),
                handle=Sum("handle_time_seconds"),
                frt=Sum("first_response_seconds"),
                resolution=Sum("resolution_seconds"),
                csat_n=Count("csat"),
                csat_sum=Sum("csat"),
                edit_n=Count("draft_edit_ratio"),
                minimal_n=Count("id", filter=minimal),
                substantial_n=Count("id", filter=substantial),
                d2s_n=Count("draft_to_send_seconds"),
                d2s_sum=Sum("draft_to_send_seconds"),
            )
        )
        for row in grouped:
            bucket = Bucket(
                **{name: row[name] or 0 for name in Bucket.__dataclass_fields__ if name in row},
            )
            bucket.ai_n = bucket.n if row["ai_usage"] != AIUsage.HUMAN else 0
            bucket.escalation_n = bucket.n if row["category"] == Category.ESCALATION else 0
            for target in (team[phase], per_agent[row["agent_id"]][phase]):
                target.total.add(bucket)
                target.by_category[row["category"]].add(bucket)
                target.by_usage[row["ai_usage"]].add(bucket)

    # One row per agent and day, over every day of both phases and up to the period's end:
    # active days (per agent, and for the team) and the weekly trend (baseline through
    # training to the period's end) are rolled up from it.
    span_start = min(window.start for window in windows.values())
    span_end = max(window.end for window in windows.values())
    daily = (
        tickets.filter(
            closed_at__gte=Window(span_start, span_end).bounds()[0],
            closed_at__lt=Window(span_start, span_end).bounds()[1],
        )
        .annotate(day=TruncDate("closed_at", tzinfo=timezone.get_default_timezone()))
        .values("agent_id", "day")
        .annotate(
            n=Count("id"),
            handle=Sum("handle_time_seconds"),
            csat_n=Count("csat"),
            csat_sum=Sum("csat"),
            ai_n=Count("id", filter=~Q(ai_usage=AIUsage.HUMAN)),
        )
    )
    team_days: dict[str, set[dt.date]] = {phase: set() for phase in PHASES}
    weeks: dict[dt.date, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in daily:
        day = row["day"]
        if isinstance(day, str):  # SQLite hands back text for some expressions
            day = dt.date.fromisoformat(day)
        for phase, window in windows.items():
            if window.start <= day <= window.end:
                per_agent[row["agent_id"]][phase].agent_days += 1
                team[phase].agent_days += 1
                team_days[phase].add(day)
        if day <= period.end and (agent_id is None or row["agent_id"] == agent_id):
            week = weeks[day - dt.timedelta(days=day.weekday())]
            for i, name in enumerate(("n", "handle", "csat_n", "csat_sum", "ai_n")):
                week[i] += row[name] or 0
    for phase in PHASES:
        team[phase].active_days = len(team_days[phase])
    weekly = [
        WeekPoint(
            week=week,
            n=n,
            aht=handle / n if n else None,
            csat=csat_sum / csat_n if csat_n else None,
            ai_share=ai_n / n if n else None,
        )
        for week, (n, handle, csat_n, csat_sum, ai_n) in sorted(weeks.items())
    ]
    return ImpactSummary(
        impact=impact,
        period=period,
        baseline=baseline,
        agents=agents,
        team=team,
        per_agent=dict(per_agent),
        weekly=weekly,
        rubric=rubric_averages(agent_ids=agent_ids),
    )


def csat_spread(summary: ImpactSummary, phase: str, *, min_responses: int) -> float | None:
    """Standard deviation of the agents' mean CSAT (agents with enough responses)."""
    means = [
        slice_.total.csat
        for agent in summary.agents
        if (slice_ := summary.agent(agent.pk, phase)).total.csat_n >= min_responses
    ]
    return pstdev(means) if len(means) >= 2 else None


# --- Ticket list (the drill-down behind alerts) --------------------------------------


@dataclass(frozen=True)
class TicketFilter:
    agent_id: int | None = None
    category: str = ""
    ai_usage: tuple[str, ...] = ()
    max_edit: float | None = None
    phase: str = ""
    csat_max: int | None = None


def ticket_list_for_cohort(
    *, impact: CohortImpact, period: Window, filters: TicketFilter
) -> QuerySet[TicketMetric]:
    agents = User.objects.filter(memberships__cohort=impact.cohort).values("pk")
    tickets = TicketMetric.objects.filter(agent_id__in=agents).select_related("agent")
    baseline = baseline_window(impact=impact)
    window = baseline if filters.phase == BASELINE and baseline else period
    start, end = window.bounds()
    tickets = tickets.filter(closed_at__gte=start, closed_at__lt=end)
    if filters.agent_id:
        tickets = tickets.filter(agent_id=filters.agent_id)
    if filters.category:
        tickets = tickets.filter(category=filters.category)
    if filters.ai_usage:
        tickets = tickets.filter(ai_usage__in=filters.ai_usage)
    if filters.max_edit is not None:
        tickets = tickets.filter(draft_edit_ratio__lte=filters.max_edit)
    if filters.csat_max is not None:
        tickets = tickets.filter(csat__lte=filters.csat_max)
    return tickets.order_by("-closed_at", "ticket_id")
