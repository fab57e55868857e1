"""The role homes: each reads the apps below (the agent's work and mastery, the trainer's
cohorts and review queue) and the home route sends every user to theirs."""

from django.shortcuts import redirect, render

from curriculum.access import agent_required, is_support_leader, is_trainer, trainer_required
from curriculum.selectors import cohort_list_for_agent, cohort_list_for_trainer
from exercises.selectors import agent_overview


def home(request):
    """Send each user to the home of their role."""
    if is_trainer(request.user):
        return redirect("trainer-home")
    if is_support_leader(request.user):
        return redirect("impact:home")
    return redirect("agent-home")


@agent_required
def agent_home(request):
    context = {
        "cohorts": cohort_list_for_agent(user=request.user),
        "overview": agent_overview(user=request.user),
    }
    return render(request, "reporting/agent_home.html", context)


@trainer_required
def trainer_home(request):
    cohorts = cohort_list_for_trainer(user=request.user)
    return render(request, "reporting/trainer_home.html", {"cohorts": cohorts})
