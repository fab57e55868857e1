"""Progress reads: completion per module and exercise, the cohort's average per rubric
criterion, who is behind or overdue, mastery, the per-agent drill-down and the CSV tables.

Everything is computed from a fixed set of queries (memberships, assignments, scenario
links, submissions, final grades) whatever the cohort's size; the rest is arithmetic.

Rules:
* what counts for an agent on a scenario is their latest attempt;
* the scope is what the cohort was assigned (a module: all its exercises and scenarios;
  a scenario: that one), or every active exercise while the cohort has no assignments;
* overdue: an assigned scenario with no submission before its due date, once it is past;
* behind: no overdue work, but completion more than 25 points under the cohort's mean;
* mastery of a module: every exercise in scope has a graded attempt and every rubric
  criterion of them averages at least the cohort's threshold (fractions of the range).
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from curriculum.models import Cohort, Exercise, Membership, Module, User
from exercises.models import Assignment, ExerciseScenario, Submission
from grading.console.grades import FinalGrade, final_grades_for_submissions
from grading.console.models import CohortGradingSettings
from grading.console.services import submission_cohort

BEHIND_MARGIN = 0.25


@dataclass
class Scope:
    exercises: dict[int, Exercise]
    modules: list[Module]
    pairs: list[tuple[int, int]]  # (exercise id, scenario id) in scope
    due: dict[tuple[int, int], object]  # pair -> due date (assigned pairs only)
    assigned: bool


def _scope(cohort: Cohort | None) -> Scope:
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


@dataclass
class Attempts:
    """Each agent's latest attempt per (exercise, scenario), and when they first submitted."""

    latest: dict[tuple[int, int, int], dict]  # (user, exercise, scenario) -> row
    first_at: dict[tuple[int, int, int], object]
    finals: dict[int, FinalGrade]


SUBMISSION_FIELDS = (
    "pk",
    "user_id",
    "exercise_id",
    "scenario_id",
    "attempt",
    "created_at",
    "edit_distance",
    "edit_class",
    "time_on_task_seconds",
)


def _attempts(user_filter: Q, exercise_ids) -> Attempts:
    latest: dict[tuple[int, int, int], dict] = {}
    first_at: dict[tuple[int, int, int], object] = {}
    for row in Submission.objects.filter(user_filter, exercise_id__in=list(exercise_ids)).values(
        *SUBMISSION_FIELDS
    ):
        key = (row["user_id"], row["exercise_id"], row["scenario_id"])
        if key not in latest or row["attempt"] > latest[key]["attempt"]:
            latest[key] = row
        if key not in first_at or row["created_at"] < first_at[key]:
            first_at[key] = row["created_at"]
    finals = final_grades_for_submissions(submission_ids=[r["pk"] for r in latest.values()])
    return Attempts(latest=latest, first_at=first_at, finals=finals)


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
    attempts: Attempts,
    threshold: float,
    released_only: bool,
) -> list[ModuleMastery]:
    by_exercise: dict[int, list[FinalGrade]] = defaultdict(list)
    for ex_id, sc_id in scope.pairs:
        row = attempts.latest.get((user_id, ex_id, sc_id))
        final = attempts.finals.get(row["pk"]) if row else None
        if final is not None and final.total is not None and (final.released or not released_only):
            by_exercise[ex_id].append(final)
    result = []
    for module in scope.modules:
        exercises = [e for e in scope.exercises.values() if e.module_id == module.pk]
        fractions: dict[str, list[float]] = defaultdict(list)
        titles: dict[str, str] = {}
        missing = []
        for exercise in sorted(exercises, key=lambda e: (e.order, e.title)):
            graded = by_exercise.get(exercise.pk, [])
            if not graded:
                missing.append(exercise.title)
            for final in graded:
                for criterion in final.criteria:
                    if criterion.fraction is not None:
                        fractions[criterion.key].append(criterion.fraction)
                        titles.setdefault(criterion.key, criterion.title)
        averages = [(titles[k], sum(v) / len(v)) for k, v in fractions.items()]
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


def mastery_for_agent(*, user: User) -> list[ModuleMastery]:
    """An agent's mastery per module, from the grades they may see (their current cohort's
    threshold and assignments; every module while they are in no cohort)."""
    cohort = submission_cohort(user_id=user.pk)
    scope = _scope(cohort)
    attempts = _attempts(Q(user_id=user.pk), scope.exercises)
    return _module_mastery(
        user_id=user.pk,
        scope=scope,
        attempts=attempts,
        threshold=mastery_threshold(cohort),
        released_only=True,
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

    @property
    def overdue(self) -> list[AgentRow]:
        return [a for a in self.agents if a.overdue]

    @property
    def behind(self) -> list[AgentRow]:
        return [a for a in self.agents if a.behind]

    @property
    def weakest(self) -> Bar | None:
        return self.criteria[0] if self.criteria else None


def _average(values: list[float]) -> int | None:
    return round(100 * sum(values) / len(values)) if values else None


def cohort_progress(*, cohort: Cohort, now=None) -> CohortProgress:
    """The cohort dashboard in a constant number of queries."""
    now = now or timezone.now()
    members = list(
        Membership.objects.filter(cohort=cohort).select_related("user").order_by("user__email")
    )
    scope = _scope(cohort)
    attempts = _attempts(
        Q(user_id__in=Membership.objects.filter(cohort=cohort).values("user_id")),
        scope.exercises,
    )
    settings = CohortGradingSettings.objects.filter(cohort=cohort).first()
    threshold = (
        settings.mastery_threshold if settings else CohortGradingSettings.DEFAULT_MASTERY_THRESHOLD
    )
    pairs_by_exercise: dict[int, list[int]] = defaultdict(list)
    for ex_id, sc_id in scope.pairs:
        pairs_by_exercise[ex_id].append(sc_id)
    criterion_values: dict[str, list[float]] = defaultdict(list)
    criterion_titles: dict[str, str] = {}
    exercise_done: dict[int, int] = defaultdict(int)
    exercise_scores: dict[int, list[float]] = defaultdict(list)
    mastered_by_module: dict[int, int] = defaultdict(int)
    rows = []
    for membership in members:
        user = membership.user
        done = overdue = 0
        totals = []
        for ex_id, sc_id in scope.pairs:
            key = (user.pk, ex_id, sc_id)
            row = attempts.latest.get(key)
            if row is not None:
                done += 1
                exercise_done[ex_id] += 1
                final = attempts.finals.get(row["pk"])
                if final is not None and final.total is not None:
                    totals.append(final.total)
                    exercise_scores[ex_id].append(final.total)
                    for criterion in final.criteria:
                        if criterion.fraction is not None:
                            criterion_values[criterion.key].append(criterion.fraction)
                            criterion_titles.setdefault(criterion.key, criterion.title)
            due_at = scope.due.get((ex_id, sc_id))
            if due_at is not None and due_at < now:
                first = attempts.first_at.get(key)
                if first is None or first > due_at:
                    overdue += 1
        mastery = _module_mastery(
            user_id=user.pk,
            scope=scope,
            attempts=attempts,
            threshold=threshold,
            released_only=False,
        )
        for item in mastery:
            if item.mastered:
                mastered_by_module[item.module.pk] += 1
        rows.append(
            AgentRow(
                user=user,
                done=done,
                total=len(scope.pairs),
                average=_average(totals),
                overdue=overdue,
                behind=False,
                mastered=sum(1 for m in mastery if m.mastered),
            )
        )
    if rows:
        mean = sum(r.percent for r in rows) / len(rows)
        for row in rows:
            row.behind = not row.overdue and row.percent < mean - 100 * BEHIND_MARGIN
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
            done_m += exercise_done[exercise.pk]
            total_m += total
            exercise_rows.append(
                ExerciseRow(
                    exercise=exercise,
                    percent=round(100 * exercise_done[exercise.pk] / total) if total else 0,
                    submitted=exercise_done[exercise.pk],
                    average=_average(exercise_scores[exercise.pk]),
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
                label=criterion_titles[key],
                percent=_average(values) or 0,
                detail=f"{len(values)} graded",
                warn=(sum(values) / len(values)) < threshold,
            )
            for key, values in criterion_values.items()
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
        graded=sum(len(v) for v in exercise_scores.values()),
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


def agent_progress(*, cohort: Cohort, agent: User) -> AgentProgress:
    """Every submission of one agent with its final grade, edit metric and time on task."""
    scope = _scope(cohort)
    attempts = _attempts(Q(user_id=agent.pk), scope.exercises)
    submissions = list(
        Submission.objects.filter(user=agent)
        .select_related("exercise__module", "scenario")
        .order_by("-created_at", "-pk")
    )
    finals = final_grades_for_submissions(submission_ids=[s.pk for s in submissions])
    latest_ids = {row["pk"] for row in attempts.latest.values()}
    threshold = mastery_threshold(cohort)
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
            attempts=attempts,
            threshold=threshold,
            released_only=False,
        ),
        threshold=threshold,
    )


# ---- CSV tables ------------------------------------------------------------------------------


# Written through the one CSV writer, curriculum.csv_export (formula cells escaped).


def grades_table(*, cohort: Cohort) -> tuple[list[str], list[list]]:
    """Every submission of the cohort's agents with its final grade per criterion."""
    submissions = list(
        Submission.objects.filter(
            user_id__in=Membership.objects.filter(cohort=cohort).values("user_id")
        )
        .select_related("user", "exercise__module", "scenario")
        .order_by(
            "user__email", "exercise__module__order", "exercise__order", "scenario__slug", "attempt"
        )
    )
    finals = final_grades_for_submissions(submission_ids=[s.pk for s in submissions])
    keys: list[str] = []
    for final in finals.values():
        for criterion in final.criteria:
            if criterion.key not in keys:
                keys.append(criterion.key)
    header = [
        "agent_email",
        "agent_name",
        "module",
        "exercise",
        "scenario",
        "attempt",
        "submitted_at",
        "final_percent",
        "source",
        "released",
        *keys,
        "edit_class",
        "edit_distance",
        "time_on_task_seconds",
    ]
    rows = []
    for s in submissions:
        final = finals.get(s.pk)
        points = {c.key: c for c in final.criteria} if final else {}
        rows.append(
            [
                s.user.email,
                s.user.full_name,
                s.exercise.module.slug,
                s.exercise.slug,
                s.scenario.slug,
                s.attempt,
                s.created_at.isoformat(),
                final.percent if final else "",
                final.source if final else "",
                ("yes" if final.released else "no") if final else "",
                *[
                    (points[k].display if k in points and points[k].points is not None else "")
                    for k in keys
                ],
                s.edit_class,
                "" if s.edit_distance is None else round(s.edit_distance, 3),
                s.time_on_task_seconds,
            ]
        )
    return header, rows


def progress_table(*, cohort: Cohort) -> tuple[list[str], list[list]]:
    """One row per agent: completion, average, overdue, behind, mastery, module completion."""
    overview = cohort_progress(cohort=cohort)
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
    rows = [
        [
            row.user.email,
            row.user.full_name,
            row.done,
            row.total,
            row.percent,
            "" if row.average is None else row.average,
            row.overdue,
            "yes" if row.behind else "no",
            row.mastered,
        ]
        for row in overview.agents
    ]
    return header, rows
