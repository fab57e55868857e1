"""Assignments: work a trainer sets a cohort, with open and due dates, and the emails about it.

Writes (create, change dates, delete), the new-assignment notice and the due-date
reminders, plus this app's part of two things curriculum does without importing it (through
its signals, see exercises.receivers): the cohort page's assignments section and the demo
seed.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from curriculum.dates import format_when, user_zone
from curriculum.mail import Mail, absolute_url, send_templated_mails
from curriculum.models import Cohort, Exercise, Module, User
from curriculum.signals import PageSection

from .errors import AssignmentValidationError
from .models import Assignment, ExerciseScenario, Scenario, Submission
from .tasks import assignment_notify_task

REMINDER_BEFORE_DUE = timedelta(hours=24)


@dataclass(frozen=True)
class Target:
    """What an assignment covers: a whole module, or one scenario of an exercise."""

    module: Module | None = None
    exercise: Exercise | None = None
    scenario: Scenario | None = None


def _check_target(target: Target) -> None:
    if target.module is not None:
        if target.exercise is not None or target.scenario is not None:
            raise AssignmentValidationError("Assign a whole module or one scenario, not both.")
        if target.module.is_retired:
            raise AssignmentValidationError(f"{target.module.title} is no longer taught.")
        return
    if target.exercise is None or target.scenario is None:
        raise AssignmentValidationError("Choose a module or a scenario to assign.")
    if target.exercise.is_retired or target.scenario.is_retired:
        raise AssignmentValidationError(f"{target.scenario.title} is no longer taught.")
    linked = ExerciseScenario.objects.filter(
        exercise=target.exercise, scenario=target.scenario
    ).exists()
    if not linked:
        raise AssignmentValidationError(
            f"{target.scenario.title} is not a scenario of {target.exercise.title}."
        )


def _check_not_assigned(cohort: Cohort, target: Target) -> None:
    """The same module (or scenario) is set once per cohort: move the dates instead."""
    if target.module is not None:
        existing = Assignment.objects.filter(cohort=cohort, module=target.module).first()
        what = target.module.title
    else:
        existing = Assignment.objects.filter(
            cohort=cohort, exercise=target.exercise, scenario=target.scenario
        ).first()
        what = target.scenario.title
    if existing is not None:
        due = timezone.localtime(existing.due_at)
        raise AssignmentValidationError(
            f"{what} is already assigned to {cohort.name} (due {due:%d %b %Y, %H:%M}): "
            "change that assignment's dates instead."
        )


def _check_dates(opens_at: datetime, due_at: datetime) -> None:
    if due_at <= opens_at:
        raise AssignmentValidationError("The due date must come after the open date.")


def _check_cohort(cohort: Cohort) -> None:
    if cohort.is_archived:
        raise AssignmentValidationError(
            f"{cohort.name} is archived: unarchive it before setting work."
        )


@transaction.atomic(durable=True)
def assignment_create(
    *,
    cohort: Cohort,
    target: Target,
    opens_at: datetime,
    due_at: datetime,
    created_by: User | None,
    notify: bool = True,
) -> Assignment:
    """Set a cohort some work; its agents are emailed about it after the commit."""
    _check_cohort(cohort)
    _check_target(target)
    _check_dates(opens_at, due_at)
    _check_not_assigned(cohort, target)
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin fails here, not later
            assignment = Assignment.objects.create(
                cohort=cohort,
                module=target.module,
                exercise=target.exercise,
                scenario=target.scenario,
                opens_at=opens_at,
                due_at=due_at,
                created_by=created_by,
            )
    except IntegrityError:
        _check_not_assigned(cohort, target)
        raise
    if notify:
        assignment_notify_task.delay_on_commit(assignment_id=assignment.pk)
    return assignment


@transaction.atomic(durable=True)
def assignment_update(
    *, assignment: Assignment, opens_at: datetime, due_at: datetime
) -> Assignment:
    """Move an assignment's dates; a new due date gets its own reminder."""
    _check_cohort(assignment.cohort)
    _check_dates(opens_at, due_at)
    fields = ["opens_at", "due_at"]
    if due_at != assignment.due_at:
        assignment.reminded_at = None
        fields.append("reminded_at")
    assignment.opens_at, assignment.due_at = opens_at, due_at
    assignment.save(update_fields=fields)
    return assignment


@transaction.atomic(durable=True)
def assignment_delete(*, assignment: Assignment) -> None:
    """Withdraw an assignment; submissions made for it stay."""
    assignment.delete()


# ---- emails -------------------------------------------------------------------------------


def assignment_title(assignment: Assignment) -> str:
    if assignment.module_id:
        return f"{assignment.module.title} (whole module)"
    return f"{assignment.exercise.title}: {assignment.scenario.title}"


def _assignment_url(assignment: Assignment) -> str:
    if assignment.module_id:
        return absolute_url(reverse("curriculum:module-detail", args=[assignment.module.slug]))
    return absolute_url(
        reverse("exercises:workspace", args=[assignment.exercise.slug, assignment.scenario.slug])
    )


def _loaded(assignment_id: int) -> Assignment | None:
    return (
        Assignment.objects.select_related("cohort", "module", "exercise", "scenario")
        .filter(pk=assignment_id)
        .first()
    )


def _mail(
    assignment: Assignment,
    agents: list[User],
    *,
    template: str,
    subject: Callable[[tzinfo], str],
) -> int:
    """One email per agent, its dates (body and `subject(zone)`) in the agent's zone."""
    context = {
        "assignment": assignment,
        "title": assignment_title(assignment),
        "url": _assignment_url(assignment),
        "home_url": absolute_url(reverse("agent-home")),
    }
    messages = []
    for agent in agents:
        zone = user_zone(agent)
        body_context = {**context, "agent": agent}
        messages.append(Mail(agent.email, subject(zone), template, body_context, zone))
    return send_templated_mails(messages=messages)


def _cohort_agents(cohort: Cohort) -> QuerySet[User]:
    return User.objects.filter(memberships__cohort=cohort, is_active=True).order_by("email")


def _claim(assignment_id: int, field: str, now: datetime) -> bool:
    """Mark the email as sent before sending: a redelivered task finds it taken."""
    claimed = Assignment.objects.filter(pk=assignment_id, **{f"{field}__isnull": True}).update(
        **{field: now}
    )
    return claimed == 1


def _release(assignment_id: int, field: str, now: datetime) -> None:
    Assignment.objects.filter(pk=assignment_id, **{field: now}).update(**{field: None})


def assignment_notify(*, assignment_id: int) -> int:
    """Tell every agent of the cohort about a new assignment, once; returns emails sent.

    `notified_at` is claimed first so a redelivered task sends nothing; if sending fails
    the claim is released for the retry. Work due within a day gets no separate reminder.
    """
    now = timezone.now()
    if not _claim(assignment_id, "notified_at", now):
        return 0
    assignment = _loaded(assignment_id)
    if assignment is None or assignment.cohort.is_archived:
        return 0
    agents = list(_cohort_agents(assignment.cohort))
    try:
        sent = _mail(
            assignment,
            agents,
            template="exercises/email/assignment_new.txt",
            subject=lambda zone: (
                f"New assignment in {assignment.cohort.name}: {assignment_title(assignment)}"
            ),
        )
    except Exception:
        _release(assignment_id, "notified_at", now)
        raise
    if assignment.due_at - now <= REMINDER_BEFORE_DUE:
        Assignment.objects.filter(pk=assignment_id, reminded_at__isnull=True).update(
            reminded_at=now
        )
    return sent


def _unfinished_agents(assignment: Assignment) -> list[User]:
    """Agents of the cohort who have not yet submitted everything the assignment covers."""
    agents = list(_cohort_agents(assignment.cohort))
    if assignment.module_id:
        pairs = set(
            ExerciseScenario.objects.filter(
                exercise__module_id=assignment.module_id,
                exercise__retired_at__isnull=True,
                scenario__retired_at__isnull=True,
            ).values_list("exercise_id", "scenario_id")
        )
        submissions = Submission.objects.filter(
            user__in=agents, exercise__module_id=assignment.module_id
        )
    else:
        pairs = {(assignment.exercise_id, assignment.scenario_id)}
        submissions = Submission.objects.filter(
            user__in=agents, exercise_id=assignment.exercise_id, scenario_id=assignment.scenario_id
        )
    done: dict[int, set[tuple[int, int]]] = {}
    for user_id, exercise_id, scenario_id in submissions.values_list(
        "user_id", "exercise_id", "scenario_id"
    ).distinct():
        done.setdefault(user_id, set()).add((exercise_id, scenario_id))
    return [agent for agent in agents if not pairs <= done.get(agent.pk, set())]


def assignment_remind(*, assignment_id: int, now: datetime | None = None) -> int:
    """Remind the agents who have not finished that the work is due soon, once."""
    now = now or timezone.now()
    if not _claim(assignment_id, "reminded_at", now):
        return 0
    assignment = _loaded(assignment_id)
    if assignment is None or assignment.cohort.is_archived:
        return 0
    try:
        return _mail(
            assignment,
            _unfinished_agents(assignment),
            template="exercises/email/assignment_reminder.txt",
            subject=lambda zone: (
                f"Due {format_when(assignment.due_at, zone=zone)}: {assignment_title(assignment)}"
            ),
        )
    except Exception:
        _release(assignment_id, "reminded_at", now)
        raise


def assignments_due_for_reminder(*, now: datetime | None = None) -> list[int]:
    """Open assignments of active cohorts due within a day and not yet reminded."""
    now = now or timezone.now()
    return list(
        Assignment.objects.filter(
            reminded_at__isnull=True,
            opens_at__lte=now,
            due_at__gt=now,
            due_at__lte=now + REMINDER_BEFORE_DUE,
            cohort__archived_at__isnull=True,
        )
        .order_by("due_at")
        .values_list("pk", flat=True)
    )


def assignment_reminders_send(*, now: datetime | None = None) -> int:
    """The periodic job: send every reminder that is due; returns emails sent.

    Safe to run as often as you like, and on several beat schedulers at once: each
    reminder is claimed before it is sent.
    """
    now = now or timezone.now()
    return sum(
        assignment_remind(assignment_id=assignment_id, now=now)
        for assignment_id in assignments_due_for_reminder(now=now)
    )


# ---- this app's part of curriculum's pages and demo (exercises.receivers) ----------------


def cohort_section(*, user: User, cohort: Cohort) -> PageSection:
    """The assignments part of the cohort page."""
    from .selectors import assignment_list_for_cohort

    return PageSection(
        template="exercises/assignments/cohort_section.html",
        context={"assignments": assignment_list_for_cohort(cohort=cohort), "now": timezone.now()},
    )


DEMO_MODULE_DUE_DAYS = 7
DEMO_OVERDUE_SCENARIO = "tone-charged-twice-caps"


def assignment_demo_seed(*, cohort: Cohort, trainer: User) -> list[Assignment]:
    """Two demo assignments: the first module due in a week, and one scenario overdue.

    Idempotent, runs inside demo_seed's transaction, and skips what the loaded content
    does not have (run `load_content` first). No emails: the demo agents are made up.
    """
    now = timezone.now()
    made: list[Assignment] = []
    module = Module.objects.filter(retired_at__isnull=True).order_by("order", "title").first()
    if module is not None:
        assignment, _ = Assignment.objects.get_or_create(
            cohort=cohort,
            module=module,
            defaults={
                "opens_at": now - timedelta(days=1),
                "due_at": now + timedelta(days=DEMO_MODULE_DUE_DAYS),
                "created_by": trainer,
                "notified_at": now,
            },
        )
        made.append(assignment)
    link = (
        ExerciseScenario.objects.select_related("exercise", "scenario")
        .filter(
            scenario__slug=DEMO_OVERDUE_SCENARIO,
            exercise__retired_at__isnull=True,
            scenario__retired_at__isnull=True,
        )
        .first()
    )
    if link is not None:
        assignment, _ = Assignment.objects.get_or_create(
            cohort=cohort,
            exercise=link.exercise,
            scenario=link.scenario,
            defaults={
                "opens_at": now - timedelta(days=10),
                "due_at": now - timedelta(days=2),
                "created_by": trainer,
                "notified_at": now - timedelta(days=10),
                "reminded_at": now - timedelta(days=3),
            },
        )
        made.append(assignment)
    return made
