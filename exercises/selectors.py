"""Read operations of the exercises app, shaped for the pages that use them.

Every view reads through these functions; the `*_for_viewer` / `*_for_agent` ones are the
access chokepoint (404 for what does not exist, 403 for what the user may not see).
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from curriculum.access import require_change, require_view
from curriculum.models import Cohort, Exercise, Module, User
from curriculum.selectors import cohort_get_for_trainer
from curriculum.signals import PageSection, sections_from

from . import drafting, layout
from .models import (
    Assignment,
    DraftRequest,
    ExerciseScenario,
    KnowledgeFact,
    Scenario,
    Submission,
    Workspace,
)
from .signals import submission_page_sections, submission_scores

RECENT_SUBMISSIONS = 5
RECENT_DRAFTS = 20
HISTORY_PAGE_SIZE = 50


# ---- agent home ---------------------------------------------------------------------------


@dataclass
class ScenarioStatus:
    slug: str
    title: str
    submitted: bool
    score: int | None = None  # the latest attempt's released score, in percent


def released_scores(*, submission_ids) -> dict[int, int]:
    """{submission id: percent} of the grades their author may see, answered by the apps
    above through exercises.signals.submission_scores (grading: released final grades)."""
    ids = sorted(set(submission_ids))
    scores: dict[int, int] = {}
    if not ids:
        return scores
    for _receiver, response in submission_scores.send(sender=Submission, submission_ids=ids):
        scores.update(response or {})
    return scores


@dataclass
class ExerciseProgress:
    exercise: Exercise
    scenarios: list[ScenarioStatus]

    @property
    def total(self) -> int:
        return len(self.scenarios)

    @property
    def submitted(self) -> int:
        return sum(1 for status in self.scenarios if status.submitted)

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.total) if self.total else 0

    @property
    def next_scenario(self) -> ScenarioStatus | None:
        return next((status for status in self.scenarios if not status.submitted), None)


@dataclass
class ModuleProgress:
    module: Module
    exercises: list[ExerciseProgress] = field(default_factory=list)


@dataclass
class AssignmentProgress:
    """One assignment as the agent sees it: dates, how much is submitted, where to go next."""

    assignment: Assignment
    title: str
    total: int
    submitted: int
    next_exercise_slug: str = ""
    next_scenario_slug: str = ""
    next_scenario_title: str = ""
    now: datetime = field(default_factory=timezone.now)

    @property
    def is_open(self) -> bool:
        return self.assignment.opens_at <= self.now

    @property
    def is_done(self) -> bool:
        return self.total > 0 and self.submitted >= self.total

    @property
    def is_overdue(self) -> bool:
        return not self.is_done and self.assignment.due_at < self.now

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.total) if self.total else 0

    @property
    def has_next(self) -> bool:
        return bool(self.next_scenario_slug)


@dataclass
class AgentOverview:
    modules: list[ModuleProgress]
    next_exercise: ExerciseProgress | None
    assignments: list[AssignmentProgress] = field(default_factory=list)

    @property
    def next_assignment(self) -> AssignmentProgress | None:
        """What to do next: the open, unfinished assignment due first (overdue work first)."""
        return next(
            (a for a in self.assignments if a.is_open and not a.is_done and a.has_next), None
        )

    @property
    def total(self) -> int:
        return sum(e.total for m in self.modules for e in m.exercises)

    @property
    def submitted(self) -> int:
        return sum(e.submitted for m in self.modules for e in m.exercises)

    @property
    def percent(self) -> int:
        return round(100 * self.submitted / self.total) if self.total else 0


def _active_links() -> QuerySet[ExerciseScenario]:
    return (
        ExerciseScenario.objects.filter(scenario__retired_at__isnull=True)
        .select_related("scenario")
        .only("exercise_id", "order", "scenario__slug", "scenario__title")
        .order_by("order", "pk")
    )


def submitted_pairs(*, user: User) -> set[tuple[int, int]]:
    """(exercise id, scenario id) of everything the user has submitted at least once."""
    return set(
        Submission.objects.filter(user=user).values_list("exercise_id", "scenario_id").distinct()
    )


def agent_overview(*, user: User) -> AgentOverview:
    """Every active module and exercise with the agent's progress, and the assignments of
    the agent's cohorts with their due dates, in five queries.

    Every active exercise stays open for practice; assignments decide what comes next.
    """
    modules = list(
        Module.objects.filter(retired_at__isnull=True)
        .order_by("order", "title")
        .prefetch_related(
            Prefetch(
                "exercises",
                queryset=Exercise.objects.filter(retired_at__isnull=True)
                .order_by("order", "title")
                .prefetch_related(Prefetch("scenario_links", queryset=_active_links())),
            )
        )
    )
    done = submitted_pairs(user=user)
    overview = []
    for module in modules:
        progress = ModuleProgress(module=module)
        for exercise in module.exercises.all():
            statuses = [
                ScenarioStatus(
                    slug=link.scenario.slug,
                    title=link.scenario.title,
                    submitted=(exercise.pk, link.scenario_id) in done,
                )
                for link in exercise.scenario_links.all()
            ]
            if statuses:
                progress.exercises.append(ExerciseProgress(exercise=exercise, scenarios=statuses))
        if progress.exercises:
            overview.append(progress)
    next_exercise = next(
        (e for m in overview for e in m.exercises if e.next_scenario is not None), None
    )
    return AgentOverview(
        modules=overview,
        next_exercise=next_exercise,
        assignments=_assignment_progress(user=user, modules=overview, done=done),
    )


def assignment_list_for_agent(*, user: User) -> QuerySet[Assignment]:
    """Assignments of the agent's active cohorts, due first first."""
    return (
        Assignment.objects.filter(cohort__memberships__user=user, cohort__archived_at__isnull=True)
        .select_related("cohort", "module", "exercise", "scenario")
        .order_by("due_at", "pk")
    )


def _assignment_progress(
    *, user: User, modules: list[ModuleProgress], done: set[tuple[int, int]]
) -> list[AssignmentProgress]:
    """The agent's assignments with their progress, from the overview already loaded
    (one query more however many assignments there are)."""
    now = timezone.now()
    by_module = {progress.module.pk: progress for progress in modules}
    rows = []
    for assignment in assignment_list_for_agent(user=user):
        if assignment.module_id:
            exercises = by_module.get(assignment.module_id)
            exercises = exercises.exercises if exercises else []
            following = next((e for e in exercises if e.next_scenario is not None), None)
            rows.append(
                AssignmentProgress(
                    assignment=assignment,
                    title=assignment.module.title,
                    total=sum(e.total for e in exercises),
                    submitted=sum(e.submitted for e in exercises),
                    next_exercise_slug=following.exercise.slug if following else "",
                    next_scenario_slug=following.next_scenario.slug if following else "",
                    next_scenario_title=following.next_scenario.title if following else "",
                    now=now,
                )
            )
        else:
            submitted = (assignment.exercise_id, assignment.scenario_id) in done
            rows.append(
                AssignmentProgress(
                    assignment=assignment,
                    title=f"{assignment.exercise.title}: {assignment.scenario.title}",
                    total=1,
                    submitted=int(submitted),
                    next_exercise_slug="" if submitted else assignment.exercise.slug,
                    next_scenario_slug="" if submitted else assignment.scenario.slug,
                    next_scenario_title="" if submitted else assignment.scenario.title,
                    now=now,
                )
            )
    return rows


# ---- exercises and scenarios --------------------------------------------------------------


def exercise_get(*, slug: str) -> Exercise:
    """An active exercise with its module; 404 otherwise."""
    return get_object_or_404(
        Exercise.objects.select_related("module").filter(
            retired_at__isnull=True, module__retired_at__isnull=True
        ),
        slug=slug,
    )


def exercise_progress(
    *, user: User, exercise: Exercise, scores_of: list[Submission] = ()
) -> ExerciseProgress:
    """The exercise's scenarios, each with whether the agent submitted it and the released
    score of their latest attempt; each of `scores_of` (the agent's submissions to this
    exercise) gets its `score` from the same one request."""
    links = list(_active_links().filter(exercise=exercise))
    latest: dict[int, int] = {}  # scenario id -> latest submission id
    for scenario_id, submission_id in (
        Submission.objects.filter(user=user, exercise=exercise)
        .order_by("attempt", "pk")
        .values_list("scenario_id", "pk")
    ):
        latest[scenario_id] = submission_id  # the last one read is the latest attempt
    scores = released_scores(submission_ids=[*latest.values(), *(sub.pk for sub in scores_of)])
    for sub in scores_of:
        sub.score = scores.get(sub.pk)
    statuses = [
        ScenarioStatus(
            slug=link.scenario.slug,
            title=link.scenario.title,
            submitted=link.scenario_id in latest,
            score=scores.get(latest.get(link.scenario_id)),
        )
        for link in links
    ]
    return ExerciseProgress(exercise=exercise, scenarios=statuses)


def scenario_get_for_exercise(*, exercise: Exercise, slug: str) -> Scenario:
    """An active scenario of the exercise; 404 if it is not one of the exercise's scenarios."""
    return get_object_or_404(
        Scenario.objects.filter(retired_at__isnull=True, exercise_links__exercise=exercise),
        slug=slug,
    )


def knowledge_facts(*, slugs: list[str] | None = None) -> list[KnowledgeFact]:
    """Active facts (all of them, or those slugs in the given order)."""
    facts = KnowledgeFact.objects.filter(retired_at__isnull=True).only(
        "slug", "title", "statement", "source_url", "category"
    )
    if slugs is None:
        return list(facts.order_by("category", "slug"))
    by_slug = {fact.slug: fact for fact in facts.filter(slug__in=slugs)}
    return [by_slug[slug] for slug in slugs if slug in by_slug]


# ---- the workspace ------------------------------------------------------------------------


@dataclass
class WorkspacePage:
    exercise: Exercise
    scenario: Scenario
    workspace: Workspace
    sections: list[layout.Section]
    extra_steps: list[dict]
    drafts: dict[str, DraftRequest]
    relevant_facts: list[KnowledgeFact]
    all_facts: list[KnowledgeFact]
    attempts_used: int
    recent_submissions: list[Submission]
    progress: ExerciseProgress

    @property
    def max_submissions(self) -> int:
        return self.exercise.setting("max_submissions")

    @property
    def attempts_left(self) -> int:
        return max(0, self.max_submissions - self.attempts_used)

    @property
    def primary_draft(self) -> DraftRequest | None:
        variant = drafting.primary_variant(self.exercise.type)
        return self.drafts.get(variant) if variant else None

    @property
    def draft_pending(self) -> bool:
        return any(d.status == DraftRequest.Status.PENDING for d in self.drafts.values())


def workspace_page(*, user: User, exercise: Exercise, scenario: Scenario, workspace: Workspace):
    """Everything the workspace page shows, in a fixed number of queries."""
    require_change(user, workspace)
    latest: dict[str, DraftRequest] = {}
    for draft in workspace.drafts.order_by("-created_at", "-pk")[:RECENT_DRAFTS]:
        latest.setdefault(draft.variant, draft)
    submissions = Submission.objects.filter(user=user, exercise=exercise, scenario=scenario)
    relevant_slugs = list(scenario.data.get("kb_facts") or [])
    all_facts = knowledge_facts() if exercise.type == "audit" else []
    if all_facts:
        by_slug = {fact.slug: fact for fact in all_facts}
        relevant = [by_slug[slug] for slug in relevant_slugs if slug in by_slug]
    else:
        relevant = knowledge_facts(slugs=relevant_slugs)
    sections, extra_steps = layout.workspace_sections(exercise)
    recent = list(
        submissions.only("id", "attempt", "created_at", "edit_class").order_by("-attempt")[
            :RECENT_SUBMISSIONS
        ]
    )
    return WorkspacePage(
        exercise=exercise,
        scenario=scenario,
        workspace=workspace,
        sections=sections,
        extra_steps=extra_steps,
        drafts=latest,
        relevant_facts=relevant,
        all_facts=all_facts,
        attempts_used=submissions.count(),
        recent_submissions=recent,
        progress=exercise_progress(user=user, exercise=exercise, scores_of=recent),
    )


def draft_request_get_for_owner(*, user: User, draft_request_id: int) -> DraftRequest:
    draft = get_object_or_404(DraftRequest.objects.select_related("workspace"), pk=draft_request_id)
    require_view(user, draft)
    return draft


# ---- submissions --------------------------------------------------------------------------


def submission_get_for_viewer(*, user: User, submission_id: int) -> Submission:
    """A submission the user may see (author, their cohort's trainers, staff); 404 / 403."""
    submission = get_object_or_404(
        Submission.objects.select_related(
            "user", "exercise__module", "scenario", "scenario_version"
        ),
        pk=submission_id,
    )
    require_view(user, submission)
    return submission


def submission_page_sections_for(*, submission: Submission, viewer: User) -> list[PageSection]:
    """The parts of the submission page that the apps above add (grading: the grade, then
    the peer reviews), asked through exercises.signals.submission_page_sections."""
    responses = submission_page_sections.send(
        sender=Submission, submission=submission, viewer=viewer
    )
    return sections_from(responses)


def submission_list_for_user(*, user: User, page: int | str | None = 1) -> Page:
    """The agent's own submissions, newest first, one page at a time."""
    submissions = (
        Submission.objects.filter(user=user)
        .select_related("exercise", "scenario")
        .only(
            "id",
            "attempt",
            "created_at",
            "edit_class",
            "edit_distance",
            "time_on_task_seconds",
            "exercise__slug",
            "exercise__title",
            "exercise__type",
            "scenario__slug",
            "scenario__title",
        )
        .order_by("-created_at", "-pk")
    )
    found = Paginator(submissions, HISTORY_PAGE_SIZE).get_page(page)
    scores = released_scores(submission_ids=[sub.pk for sub in found])
    for sub in found:
        sub.score = scores.get(sub.pk)
    return found


# ---- assignments (the trainer console) ----------------------------------------------------


def assignment_list_for_cohort(*, cohort: Cohort) -> list[Assignment]:
    """A cohort's assignments for its page, due first first, in one query."""
    return list(
        Assignment.objects.filter(cohort=cohort)
        .select_related("module", "exercise", "scenario", "created_by")
        .order_by("due_at", "pk")
    )


def assignment_get_for_trainer(*, user: User, slug: str, assignment_id: int) -> Assignment:
    """An assignment of a cohort the user manages; 404 if missing, 403 otherwise."""
    cohort = cohort_get_for_trainer(user=user, slug=slug)
    assignment = get_object_or_404(
        Assignment.objects.select_related("cohort", "module", "exercise", "scenario"),
        pk=assignment_id,
        cohort=cohort,
    )
    require_change(user, assignment)
    return assignment


def assignment_target_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """What can be assigned, grouped for a <select>: whole modules, then each exercise's
    scenarios. Values are "module:<id>" and "scenario:<exercise id>:<scenario id>"."""
    modules = Module.objects.filter(retired_at__isnull=True).order_by("order", "title")
    groups: list[tuple[str, list[tuple[str, str]]]] = [
        ("Whole modules", [(f"module:{m.pk}", m.title) for m in modules])
    ]
    links = (
        ExerciseScenario.objects.filter(
            exercise__retired_at__isnull=True,
            exercise__module__retired_at__isnull=True,
            scenario__retired_at__isnull=True,
        )
        .select_related("exercise__module", "scenario")
        .order_by("exercise__module__order", "exercise__order", "exercise__title", "order")
    )
    by_exercise: dict[int, tuple[str, list[tuple[str, str]]]] = {}
    for link in links:
        label = f"{link.exercise.module.title}: {link.exercise.title}"
        group = by_exercise.setdefault(link.exercise_id, (label, []))
        group[1].append((f"scenario:{link.exercise_id}:{link.scenario_id}", link.scenario.title))
    groups.extend(by_exercise.values())
    return [group for group in groups if group[1]]


def assignment_target_resolve(value: str) -> dict:
    """The model objects behind a target choice value; {} if it names nothing active."""
    kind, _, rest = value.partition(":")
    try:
        if kind == "module":
            return {"module": Module.objects.get(pk=int(rest), retired_at__isnull=True)}
        if kind == "scenario":
            exercise_id, _, scenario_id = rest.partition(":")
            link = ExerciseScenario.objects.select_related("exercise", "scenario").get(
                exercise_id=int(exercise_id),
                scenario_id=int(scenario_id),
                exercise__retired_at__isnull=True,
                scenario__retired_at__isnull=True,
            )
            return {"exercise": link.exercise, "scenario": link.scenario}
    except (ValueError, Module.DoesNotExist, ExerciseScenario.DoesNotExist):
        return {}
    return {}
