"""Progress reads: completion per module and exercise, the cohort's average per rubric
criterion, who is behind or overdue, mastery, the per-agent drill-down and the CSV tables.

Everything is computed from a fixed set of queries whatever the cohort's size: the scope
(exercises, scenario links, assignments), then aggregate SQL over the latest attempts and
their stored final grades (`grading`'s StoredFinalGrade / StoredFinalCriterion: counts,
averages per agent, exercise, criterion, and agent x module x criterion). No final grade is
recomputed here; the CSV tables stream their rows in chunks.

Rules:
* what counts for an agent on a scenario is their latest attempt;
* the scope is what the cohort was assigned (a module: all its exercises and scenarios;
  a scenario: that one), or every active exercise while the cohort has no assignments;
* overdue: an assigned scenario with no submission before its due date, once it is past;
* behind: no overdue work, but completion more than 25 points under the cohort's mean;
* mastery of a module: every exercise in scope has a graded attempt and every rubric
  criterion of them averages at least the cohort's threshold (fractions of the range);
* reviewing counts (the cohort's `review_share`, 0 by default): an agent's average and each
  criterion average are (1 - share) x their work + share x the agreement of their peer
  reviews with trainers and the consensus, once that agreement is measured. Applied here,
  when reading, so the stored final grades stay the grades of the work.
"""

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC

from django.db.models import Avg, CharField, Count, Exists, Min, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from curriculum.models import Cohort, Exercise, Membership, Module, User
from exercises.models import Assignment, ExerciseScenario, Submission
from grading.console.grades import FinalGrade, final_grades_for_submissions, points_display
from grading.console.models import (
    CohortGradingSettings,
    StoredFinalCriterion,
)
from grading.console.services import submission_cohort
from grading.peer.scoring import ReviewingShare
from grading.peer.selectors import reviewing_shares_for

BEHIND_MARGIN = 0.25


@dataclass
class Scope:
    exercises: dict[int, Exercise]
    modules: list[Module]
    pairs: list[tuple[int, int]]  # (exercise id, scenario id) in scope
    due: dict[tuple[int, int], object]  # pair -> due date (assigned pairs only)
    assigned: bool


def _scope(cohort: Cohort | None, *, extra_modules=frozenset()) -> Scope:
    """The cohort's scope; `extra_modules` adds every scenario of those modules (an
    agent's own work outside what was assigned)."""
    exercises = {
        e.pk: e
        for e in Exercise.objects.filter(
            retired_at__isnull=True, module__retired_at__isnull=True
        ).select_related("module")
    }
    links = [
        (ex_id, sc_id)
        for ex_id, sc_id in ExerciseScenario.objects.filter(exercise_id__in=exercises)
        .order_by("exercise_id", "order")
        .values_list("exercise_id", "scenario_id")
    ]
    assignments = (
        list(
            Assignment.objects.filter(cohort=cohort).values_list(
                "module_id", "exercise_id", "scenario_id", "due_at"
            )
        )
        if cohort is not None
        else []
    )
    due: dict[tuple[int, int], object] = {}
    if assignments:
        for module_id, exercise_id, scenario_id, due_at in assignments:
            if module_id is not None:
                targets = [p for p in links if exercises[p[0]].module_id == module_id]
            else:
                targets = [(exercise_id, scenario_id)] if exercise_id in exercises else []
            for pair in targets:
                due[pair] = min(due[pair], due_at) if pair in due else due_at
        pairs = [p for p in links if p in due] + [p for p in due if p not in links]
        pairs += [p for p in links if exercises[p[0]].module_id in extra_modules and p not in due]
    else:
        pairs = links
    in_scope = {ex for ex, _ in pairs}
    modules = sorted(
        {exercises[ex].module for ex in in_scope},
        key=lambda m: (m.order, m.title),
    )
    return Scope(
        exercises={pk: e for pk, e in exercises.items() if pk in in_scope},
        modules=modules,
        pairs=pairs,
        due=due,
        assigned=bool(assignments),
    )


def cohort_pairs(*, cohort: Cohort | None) -> list[tuple[int, int]]:
    """The (exercise, scenario) pairs in a cohort's scope (see the module's rules)."""
    return _scope(cohort).pairs


def _in_pairs(pairs) -> Q:
    """Submissions to the (exercise, scenario) pairs in scope (none when there are none)."""
    condition = Q(pk__in=[])
    for exercise_id, scenario_id in pairs:
        condition |= Q(exercise_id=exercise_id, scenario_id=scenario_id)
    return condition


def latest_attempts(user_filter: Q, pairs):
    """What counts for an agent on a scenario: their latest attempt at each pair in scope,
    as a queryset for aggregate SQL (no newer attempt of the same user, exercise, scenario)."""
    newer = Submission.objects.filter(
        user_id=OuterRef("user_id"),
        exercise_id=OuterRef("exercise_id"),
        scenario_id=OuterRef("scenario_id"),
        attempt__gt=OuterRef("attempt"),
    )
    return (
        Submission.objects.filter(user_filter)
        .filter(_in_pairs(pairs))
        .filter(~Exists(newer))
        .order_by()
    )


@dataclass
class Standing:
    """Mastery inputs per agent, read with aggregate SQL over the stored final grades."""

    graded: set[tuple[int, int]]  # (user, exercise) with a graded latest attempt
    averages: dict[tuple[int, int], list[tuple[str, str, float]]]  # (user, module) -> (key,
    # title, average fraction), in rubric order


def _standing(latest, *, released_only: bool, graded=None) -> Standing:
    """`graded` may be passed when the caller already holds the latest attempts' grades."""
    graded_latest = latest.filter(final_grade__total__isnull=False)
    if released_only:
        graded_latest = graded_latest.filter(final_grade__released=True)
    if graded is None:
        graded = set(graded_latest.values_list("user_id", "exercise_id").distinct())
    averages: dict[tuple[int, int], list[tuple[str, str, float]]] = defaultdict(list)
    user, module = "final__submission__user_id", "final__submission__exercise__module_id"
    for row in (
        StoredFinalCriterion.objects.filter(
            final_id__in=graded_latest.values("pk"), fraction__isnull=False
        )
        .values(user, module, "criterion_key")
        .annotate(title=Min("title"), average=Avg("fraction"), first=Min("order"))
        .order_by(user, module, "first", "criterion_key")
    ):
        averages[(row[user], row[module])].append(
            (row["criterion_key"], row["title"], row["average"])
        )
    return Standing(graded=graded, averages=averages)


# ---- mastery -------------------------------------------------------------------------------


@dataclass
class ModuleMastery:
    module: Module
    mastered: bool
    not_attempted: list[str] = field(default_factory=list)  # exercise titles
    weak: list[tuple[str, int]] = field(default_factory=list)  # (criterion title, percent)
    criteria: list[tuple[str, int]] = field(default_factory=list)  # every criterion average

    @property
    def blockers(self) -> list[str]:
        return [f"Not attempted yet: {title}" for title in self.not_attempted] + [
            f"{title}: {pct}%" for title, pct in self.weak
        ]


def _module_mastery(
    *,
    user_id: int,
    scope: Scope,
    standing: Standing,
    threshold: float,
    reviewing: ReviewingShare | None = None,
):
    reviewing = reviewing or ReviewingShare()
    result = []
    for module in scope.modules:
        exercises = [e for e in scope.exercises.values() if e.module_id == module.pk]
        missing = [
            exercise.title
            for exercise in sorted(exercises, key=lambda e: (e.order, e.title))
            if (user_id, exercise.pk) not in standing.graded
        ]
        averages = [
            (title, reviewing.blend(avg))
            for _key, title, avg in standing.averages.get((user_id, module.pk), [])
        ]
        weak = [(title, round(100 * avg)) for title, avg in averages if avg < threshold]
        result.append(
            ModuleMastery(
                module=module,
                mastered=bool(averages) and not missing and not weak,
                not_attempted=missing,
                weak=sorted(weak, key=lambda w: w[1]),
                criteria=[(title, round(100 * avg)) for title, avg in averages],
            )
        )
    return result


def mastery_threshold(cohort: Cohort | None) -> float:
    """The share of a criterion's range that counts as mastered in the cohort."""
    if cohort is None:
        return CohortGradingSettings.DEFAULT_MASTERY_THRESHOLD
    found = CohortGradingSettings.objects.filter(cohort=cohort).first()
    return found.mastery_threshold if found else CohortGradingSettings.DEFAULT_MASTERY_THRESHOLD


def review_share(cohort: Cohort | None) -> float:
    """The share of an agent's grade and mastery that reviewing accuracy makes up (0: none)."""
    if cohort is None:
        return 0.0
    found = CohortGradingSettings.objects.filter(cohort=cohort).first()
    return found.review_share if found else 0.0


def mastery_for_agent(*, user: User) -> list[ModuleMastery]:
    """An agent's mastery per module, from the grades they may see (their current cohort's
    threshold): the modules assigned to their cohort and every module they have work in
    (every module while they are in no cohort)."""
    return agent_standing(user=user, with_grade=False).mastery


@dataclass
class AgentStanding:
    """What the agent sees of their own standing: mastery, and how reviewing counts."""

    mastery: list[ModuleMastery]
    threshold: float
    reviewing: ReviewingShare
    work_average: float | None  # mean released final grade of the latest attempts in scope

    @property
    def average(self) -> float | None:
        return self.reviewing.blend(self.work_average)

    @property
    def work_percent(self) -> int | None:
        return None if self.work_average is None else round(100 * self.work_average)

    @property
    def percent(self) -> int | None:
        return None if self.average is None else round(100 * self.average)


def agent_standing(*, user: User, with_grade: bool = True) -> AgentStanding:
    """The signed-in agent's mastery and grade, with reviewing's share, from the grades
    they may see (released ones); `with_grade=False` leaves the grade out (one query less)."""
    cohort = submission_cohort(user_id=user.pk)
    worked = (
        set(
            Submission.objects.filter(user=user)
            .values_list("exercise__module_id", flat=True)
            .distinct()
        )
        if cohort is not None
        else frozenset()
    )
    scope = _scope(cohort, extra_modules=worked)
    latest = latest_attempts(Q(user_id=user.pk), scope.pairs)
    standing = _standing(latest, released_only=True)
    settings = CohortGradingSettings.objects.filter(cohort=cohort).first() if cohort else None
    threshold = (
        settings.mastery_threshold if settings else CohortGradingSettings.DEFAULT_MASTERY_THRESHOLD
    )
    share = settings.review_share if settings else 0.0
    reviewing = reviewing_shares_for(user_ids=[user.pk], share=share)[user.pk]
    work = None
    if with_grade:
        graded = latest.filter(final_grade__total__isnull=False, final_grade__released=True)
        work = graded.aggregate(average=Avg("final_grade__total"))["average"]
    return AgentStanding(
        mastery=_module_mastery(
            user_id=user.pk,
            scope=scope,
            standing=standing,
            threshold=threshold,
            reviewing=reviewing,
        ),
        threshold=threshold,
        reviewing=reviewing,
        work_average=work,
    )


# ---- the cohort dashboard --------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    percent: int
    detail: str = ""
    warn: bool = False


@dataclass
class AgentRow:
    user: User
    done: int
    total: int
    average: int | None
    overdue: int
    behind: bool
    mastered: int
    mastered_modules: list[int] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


@dataclass
class ExerciseRow:
    exercise: Exercise
    percent: int
    submitted: int
    average: int | None


@dataclass
class ModuleRow:
    module: Module
    percent: int
    exercises: list[ExerciseRow]
    mastered: int


@dataclass
class CohortProgress:
    agents: list[AgentRow]
    modules: list[ModuleRow]
    criteria: list[Bar]  # weakest first
    module_bars: list[Bar]
    assigned: bool
    threshold: float
    release_mode: str
    exercises: list[Exercise]
    graded: int
    review_share: float = 0.0

    @property
    def overdue(self) -> list[AgentRow]:
        return [a for a in self.agents if a.overdue]

    @property
    def behind(self) -> list[AgentRow]:
        return [a for a in self.agents if a.behind]

    @property
    def weakest(self) -> Bar | None:
        return self.criteria[0] if self.criteria else None


# ---- the agent table's sorting and filtering (server-side: works without JavaScript) --------

AGENT_SORTS = {
    "name": ("Agent", lambda r: (r.user.display_name.casefold(), r.user.email)),
    "completion": ("Completion", lambda r: (r.percent, r.done)),
    "average": ("Average", lambda r: (-1 if r.average is None else r.average,)),
    "status": ("Status", lambda r: (r.overdue, r.behind)),
    "mastered": ("Modules mastered", lambda r: (r.mastered,)),
}
AGENT_STATUSES = (
    ("", "Every agent"),
    ("overdue", "Overdue"),
    ("behind", "Behind"),
    ("on_track", "On track"),
)


@dataclass(frozen=True)
class AgentTableQuery:
    """What the trainer asked of the agent table: `sort` is a key of AGENT_SORTS, with a
    leading "-" for descending; `status` one of AGENT_STATUSES; `q` a piece of name or email."""

    sort: str = "name"
    status: str = ""
    q: str = ""

    @classmethod
    def from_params(cls, params) -> "AgentTableQuery":
        sort = (params.get("sort") or "name").strip()
        if sort.removeprefix("-") not in AGENT_SORTS:
            sort = "name"
        status = params.get("status") or ""
        if status not in dict(AGENT_STATUSES):
            status = ""
        return cls(sort=sort, status=status, q=(params.get("q") or "").strip()[:100])

    @property
    def key(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    def sort_link(self, key: str) -> str:
        """The `sort` value of a column header's link: ascending first, then toggled."""
        return f"-{key}" if self.key == key and not self.descending else key


def agent_rows_for_table(rows: list["AgentRow"], query: AgentTableQuery) -> list["AgentRow"]:
    """The agent rows the table shows: filtered by status and by name or email, sorted
    (ties by name)."""
    needle = query.q.casefold()
    shown = [
        row
        for row in rows
        if (not needle or needle in row.user.display_name.casefold()
            or needle in row.user.email.casefold())
        and (
            not query.status
            or (query.status == "overdue" and row.overdue)
            or (query.status == "behind" and row.behind)
            or (query.status == "on_track" and not row.overdue and not row.behind)
        )
    ]  # fmt: skip
    by_name = AGENT_SORTS["name"][1]
    shown.sort(key=by_name)
    shown.sort(key=AGENT_SORTS[query.key][1], reverse=query.descending)
    return shown


def _overdue(in_cohort: Q, scope: Scope, now) -> dict[int, int]:
    """Per agent, the assigned pairs past their due date with no submission by then: the
    past-due count less the pairs each agent handed in on time (one query)."""
    past_due = {pair: due_at for pair, due_at in scope.due.items() if due_at < now}
    if not past_due:
        return defaultdict(int)
    on_time = Q(pk__in=[])
    for (exercise_id, scenario_id), due_at in past_due.items():
        on_time |= Q(exercise_id=exercise_id, scenario_id=scenario_id, created_at__lte=due_at)
    handed_in = dict(
        Submission.objects.filter(in_cohort)
        .filter(on_time)
        .values("user_id")
        .annotate(
            pairs=Count(
                Concat(
                    Cast("exercise_id", CharField()),
                    Value("-"),
                    Cast("scenario_id", CharField()),
                    output_field=CharField(),
                ),
                distinct=True,
            )
        )
        .order_by()
        .values_list("user_id", "pairs")
    )
    counts: dict[int, int] = defaultdict(lambda: len(past_due))
    counts.update({user_id: len(past_due) - n for user_id, n in handed_in.items()})
    return counts


def _agent_rows(
    members, scope: Scope, user_filter: Q, threshold: float, now, share: float = 0.0
) -> list[AgentRow]:
    """The rows of these memberships' agents (`user_filter` selects the same agents):
    completion, average, overdue and mastery by aggregate SQL; `behind` is left False (it
    needs the whole cohort's mean). Five queries, two more when reviewing counts."""
    latest = latest_attempts(user_filter, scope.pairs)
    graded = Q(final_grade__total__isnull=False)
    by_user = {
        row["user_id"]: row
        for row in latest.values("user_id").annotate(
            done=Count("pk"), average=Avg("final_grade__total", filter=graded)
        )
    }
    overdue_by_user = _overdue(user_filter, scope, now)
    standing = _standing(latest, released_only=False)
    reviewing = reviewing_shares_for(user_ids=[m.user_id for m in members], share=share)
    rows = []
    for membership in members:
        user = membership.user
        figures = by_user.get(user.pk, {})
        mastery = _module_mastery(
            user_id=user.pk,
            scope=scope,
            standing=standing,
            threshold=threshold,
            reviewing=reviewing[user.pk],
        )
        average = reviewing[user.pk].blend(figures.get("average"))
        mastered = [item.module.pk for item in mastery if item.mastered]
        rows.append(
            AgentRow(
                user=user,
                done=figures.get("done", 0),
                total=len(scope.pairs),
                average=None if average is None else round(100 * average),
                overdue=overdue_by_user[user.pk],
                behind=False,
                mastered=len(mastered),
                mastered_modules=mastered,
            )
        )
    return rows


def _is_behind(row: AgentRow, mean: float) -> bool:
    return not row.overdue and row.percent < mean - 100 * BEHIND_MARGIN


def cohort_progress(*, cohort: Cohort, now=None) -> CohortProgress:
    """The cohort dashboard in a constant number of queries, its figures summed by the
    database over the stored final grades."""
    now = now or timezone.now()
    members = list(
        Membership.objects.filter(cohort=cohort).select_related("user").order_by("user__email")
    )
    scope = _scope(cohort)
    in_cohort = Q(user_id__in=Membership.objects.filter(cohort=cohort).values("user_id"))
    latest = latest_attempts(in_cohort, scope.pairs)
    settings = CohortGradingSettings.objects.filter(cohort=cohort).first()
    threshold = (
        settings.mastery_threshold if settings else CohortGradingSettings.DEFAULT_MASTERY_THRESHOLD
    )
    pairs_by_exercise: dict[int, list[int]] = defaultdict(list)
    for ex_id, sc_id in scope.pairs:
        pairs_by_exercise[ex_id].append(sc_id)
    graded = Q(final_grade__total__isnull=False)
    by_exercise = {
        row["exercise_id"]: row
        for row in latest.values("exercise_id").annotate(
            done=Count("pk"),
            average=Avg("final_grade__total", filter=graded),
            graded=Count("pk", filter=graded),
        )
    }
    criterion_rows = list(
        StoredFinalCriterion.objects.filter(
            final_id__in=latest.filter(graded).values("pk"), fraction__isnull=False
        )
        .values("criterion_key")
        .annotate(title=Min("title"), average=Avg("fraction"), count=Count("pk"))
        .order_by()
    )
    rows = _agent_rows(
        members, scope, in_cohort, threshold, now, share=settings.review_share if settings else 0
    )
    mastered_by_module: dict[int, int] = defaultdict(int)
    for row in rows:
        for module_id in row.mastered_modules:
            mastered_by_module[module_id] += 1
    if rows:
        mean = sum(r.percent for r in rows) / len(rows)
        for row in rows:
            row.behind = _is_behind(row, mean)
    agents = len(members)
    modules = []
    for module in scope.modules:
        exercise_rows = []
        done_m = total_m = 0
        for exercise in sorted(
            (e for e in scope.exercises.values() if e.module_id == module.pk),
            key=lambda e: (e.order, e.title),
        ):
            total = agents * len(pairs_by_exercise[exercise.pk])
            figures = by_exercise.get(exercise.pk, {})
            done = figures.get("done", 0)
            done_m += done
            total_m += total
            average = figures.get("average")
            exercise_rows.append(
                ExerciseRow(
                    exercise=exercise,
                    percent=round(100 * done / total) if total else 0,
                    submitted=done,
                    average=None if average is None else round(100 * average),
                )
            )
        modules.append(
            ModuleRow(
                module=module,
                percent=round(100 * done_m / total_m) if total_m else 0,
                exercises=exercise_rows,
                mastered=mastered_by_module[module.pk],
            )
        )
    criteria = sorted(
        (
            Bar(
                label=row["title"],
                percent=round(100 * row["average"]),
                detail=f"{row['count']} graded",
                warn=row["average"] < threshold,
            )
            for row in criterion_rows
        ),
        key=lambda bar: (bar.percent, bar.label),
    )
    return CohortProgress(
        agents=rows,
        modules=modules,
        criteria=criteria,
        module_bars=[
            Bar(label=m.module.title, percent=m.percent, detail=f"{m.mastered} mastered")
            for m in modules
        ],
        assigned=scope.assigned,
        threshold=threshold,
        release_mode=(
            settings.release_mode if settings else CohortGradingSettings.ReleaseMode.IMMEDIATE
        ),
        exercises=sorted(scope.exercises.values(), key=lambda e: (e.module.order, e.order)),
        graded=sum(row["graded"] for row in by_exercise.values()),
        review_share=settings.review_share if settings else 0.0,
    )


# ---- one agent -------------------------------------------------------------------------------


@dataclass
class SubmissionRow:
    submission: Submission
    final: FinalGrade | None
    latest: bool


@dataclass
class AgentProgress:
    submissions: list[SubmissionRow]
    mastery: list[ModuleMastery]
    threshold: float
    reviewing: ReviewingShare = field(default_factory=ReviewingShare)


def agent_progress(*, cohort: Cohort, agent: User) -> AgentProgress:
    """Every submission of one agent with its stored final grade, edit metric and time on
    task, and their mastery (aggregate SQL). Constant queries."""
    scope = _scope(cohort)
    latest = latest_attempts(Q(user_id=agent.pk), scope.pairs)
    newer = Submission.objects.filter(
        user_id=OuterRef("user_id"),
        exercise_id=OuterRef("exercise_id"),
        scenario_id=OuterRef("scenario_id"),
        attempt__gt=OuterRef("attempt"),
    )
    submissions = list(
        Submission.objects.filter(user=agent)
        .annotate(newest=~Exists(newer))
        .select_related("exercise__module", "scenario")
        .order_by("-created_at", "-pk")
    )
    finals = final_grades_for_submissions(submission_ids=[s.pk for s in submissions])
    in_scope = set(scope.pairs)
    latest_ids = {
        s.pk for s in submissions if s.newest and (s.exercise_id, s.scenario_id) in in_scope
    }
    graded = {
        (agent.pk, s.exercise_id)
        for s in submissions
        if s.pk in latest_ids and s.pk in finals and finals[s.pk].total is not None
    }
    threshold = mastery_threshold(cohort)
    reviewing = reviewing_shares_for(user_ids=[agent.pk], share=review_share(cohort))[agent.pk]
    latest_any: dict[tuple[int, int], int] = {}
    for s in submissions:
        latest_any.setdefault((s.exercise_id, s.scenario_id), s.pk)
    return AgentProgress(
        submissions=[
            SubmissionRow(
                submission=s,
                final=finals.get(s.pk),
                latest=s.pk in latest_ids or latest_any[(s.exercise_id, s.scenario_id)] == s.pk,
            )
            for s in submissions
        ],
        mastery=_module_mastery(
            user_id=agent.pk,
            scope=scope,
            standing=_standing(latest, released_only=False, graded=graded),
            threshold=threshold,
            reviewing=reviewing,
        ),
        threshold=threshold,
        reviewing=reviewing,
    )


# ---- CSV tables ------------------------------------------------------------------------------


# Written through the one CSV writer, curriculum.csv_export (formula cells escaped).


EXPORT_CHUNK = 2000


def grades_table(*, cohort: Cohort, chunk_size: int = EXPORT_CHUNK) -> tuple[list[str], Iterator]:
    """Every submission of the cohort's agents with its stored final grade per criterion:
    the header, and the rows as a generator that reads them as it goes (one query for the
    criterion columns, one streamed query, a server-side cursor on PostgreSQL, and one query
    for the criterion points of each `chunk_size` rows)."""
    in_cohort = Q(user_id__in=Membership.objects.filter(cohort=cohort).values("user_id"))
    keys = list(
        StoredFinalCriterion.objects.filter(
            final__submission__in=Submission.objects.filter(in_cohort)
        )
        .values("criterion_key")
        .annotate(first=Min("final_id"), position=Min("order"))
        .order_by("first", "position", "criterion_key")
        .values_list("criterion_key", flat=True)
    )
    header = [
        "agent_email",
        "agent_name",
        "module",
        "exercise",
        "scenario",
        "attempt",
        "submitted_at_utc",
        "final_percent",
        "source",
        "released",
        *keys,
        "edit_class",
        "edit_distance",
        "time_on_task_seconds",
    ]
    submissions = (
        Submission.objects.filter(in_cohort)
        .values_list(
            "pk",
            "user__email",
            "user__full_name",
            "exercise__module__slug",
            "exercise__slug",
            "scenario__slug",
            "attempt",
            "created_at",
            "final_grade__submission_id",
            "final_grade__total",
            "final_grade__source",
            "final_grade__released",
            "edit_class",
            "edit_distance",
            "time_on_task_seconds",
        )
        .order_by(
            "user__email", "exercise__module__order", "exercise__order", "scenario__slug", "attempt"
        )
    )
    column = {key: i for i, key in enumerate(keys)}

    def batch_rows(batch):
        # The criterion points of this batch in one query (a per-row subquery in the main
        # query would make the database compute every row's before sorting the first out).
        points = {pk: [""] * len(keys) for pk, *_ in batch}
        for final_id, key, value in StoredFinalCriterion.objects.filter(
            final_id__in=[row[0] for row in batch if row[8] is not None]
        ).values_list("final_id", "criterion_key", "points"):
            if value is not None and key in column:
                points[final_id][column[key]] = points_display(value)
        for pk, *head, created_at, final, total, source, released, edit, distance, secs in batch:
            yield [
                *head,
                created_at.astimezone(UTC).isoformat(),
                ("" if total is None else round(100 * total)) if final else "",
                source if final else "",
                ("yes" if released else "no") if final else "",
                *points[pk],
                edit,
                "" if distance is None else round(distance, 3),
                secs,
            ]

    def rows():
        batch = []
        for row in submissions.iterator(chunk_size=chunk_size):
            batch.append(row)
            if len(batch) == chunk_size:
                yield from batch_rows(batch)
                batch = []
        if batch:
            yield from batch_rows(batch)

    return header, rows()


PROGRESS_CHUNK = 200


def progress_table(
    *, cohort: Cohort, chunk_size: int | None = None, now=None
) -> tuple[list[str], Iterator]:
    """One row per agent: completion, average, overdue, behind, mastery. The rows are a
    generator that works through the agents `chunk_size` at a time (one query for the
    cohort's mean completion, then five aggregate queries per chunk), so the download
    starts before the last agent is summed (`PROGRESS_CHUNK` agents at a time by default)."""
    chunk_size = chunk_size or PROGRESS_CHUNK
    header = [
        "agent_email",
        "agent_name",
        "completed",
        "in_scope",
        "completion_percent",
        "average_percent",
        "overdue",
        "behind",
        "modules_mastered",
    ]

    def rows():
        moment = now or timezone.now()
        scope = _scope(cohort)
        threshold = mastery_threshold(cohort)
        share = review_share(cohort)
        members = list(
            Membership.objects.filter(cohort=cohort).select_related("user").order_by("user__email")
        )
        if not members:
            return
        in_cohort = Q(user_id__in=Membership.objects.filter(cohort=cohort).values("user_id"))
        done = dict(
            latest_attempts(in_cohort, scope.pairs)
            .values("user_id")
            .annotate(done=Count("pk"))
            .values_list("user_id", "done")
        )
        total = len(scope.pairs)
        percents = [round(100 * done.get(m.user_id, 0) / total) if total else 0 for m in members]
        mean = sum(percents) / len(percents)
        for start in range(0, len(members), chunk_size):
            chunk = members[start : start + chunk_size]
            user_filter = Q(user_id__in=[m.user_id for m in chunk])
            for row in _agent_rows(chunk, scope, user_filter, threshold, moment, share):
                yield [
                    row.user.email,
                    row.user.full_name,
                    row.done,
                    row.total,
                    row.percent,
                    "" if row.average is None else row.average,
                    row.overdue,
                    "yes" if _is_behind(row, mean) else "no",
                    row.mastered,
                ]

    return header, rows()
