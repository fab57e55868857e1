"""Reporting pages. The role homes read the apps below (the agent's work and mastery, the
trainer's cohorts and review queue); the home route sends every user to theirs. The trainer
console's progress pages, CSV exports and grader quality. Thin: parse, call, render."""

from django.shortcuts import redirect, render

from curriculum.access import agent_required, is_support_leader, is_trainer, trainer_required
from curriculum.csv_export import csv_response
from curriculum.selectors import (
    cohort_list_for_agent,
    cohort_list_for_trainer,
    invitations_pending_for_user,
)
from exercises.selectors import agent_overview
from grading.console.selectors import agent_get_for_console, cohort_get_for_console

from . import progress, quality


def home(request):
    """Send each user to the home of their role."""
    if is_trainer(request.user):
        return redirect("trainer-home")
    if is_support_leader(request.user):
        return redirect("impact:home")
    return redirect("agent-home")


@agent_required
def agent_home(request):
    cohorts = cohort_list_for_agent(user=request.user)
    context = {
        "cohorts": cohorts,
        "overview": agent_overview(user=request.user),
        # Signed up from the navigation, not the invitation link: say it is waiting.
        "pending_invitations": invitations_pending_for_user(user=request.user),
    }
    return render(request, "reporting/agent_home.html", context)


@trainer_required
def trainer_home(request):
    cohorts = cohort_list_for_trainer(user=request.user)
    return render(request, "reporting/trainer_home.html", {"cohorts": cohorts})


# ---- the trainer console's progress and grader quality (routes: reporting/urls.py) ---------


@trainer_required
def cohort_progress(request, slug):
    cohort = cohort_get_for_console(user=request.user, slug=slug)
    overview = progress.cohort_progress(cohort=cohort)
    query = progress.AgentTableQuery.from_params(request.GET)
    context = {
        "cohort": cohort,
        "p": overview,
        "agent_rows": progress.agent_rows_for_table(overview.agents, query),
        "table": query,
        "sorts": [
            (key, label, query.sort_link(key)) for key, (label, _) in progress.AGENT_SORTS.items()
        ],
        "statuses": progress.AGENT_STATUSES,
        # After a release the menu keeps the exercise just released (?exercise=<id>).
        "release_selected": _int_or_none(request.GET.get("exercise")),
    }
    return render(request, "reporting/progress.html", context)


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@trainer_required
def agent_progress(request, slug, user_id):
    cohort = cohort_get_for_console(user=request.user, slug=slug)
    agent = agent_get_for_console(cohort=cohort, user_id=user_id)
    detail = progress.agent_progress(cohort=cohort, agent=agent)
    return render(request, "reporting/agent.html", {"cohort": cohort, "agent": agent, "d": detail})


@trainer_required
def grades_csv(request, slug):
    cohort = cohort_get_for_console(user=request.user, slug=slug)
    header, rows = progress.grades_table(cohort=cohort)
    return csv_response(f"{cohort.slug}-grades.csv", header, rows, stream=True)


@trainer_required
def progress_csv(request, slug):
    cohort = cohort_get_for_console(user=request.user, slug=slug)
    header, rows = progress.progress_table(cohort=cohort)
    return csv_response(f"{cohort.slug}-progress.csv", header, rows, stream=True)


@trainer_required
def grader_quality(request, slug):
    cohort = cohort_get_for_console(user=request.user, slug=slug)
    report = quality.grader_quality(cohort=cohort)
    return render(request, "reporting/quality.html", {"cohort": cohort, "report": report})
