"""This app's answers to curriculum's signals, connected in ExercisesConfig.ready()."""

from curriculum.models import Cohort, User
from curriculum.signals import PageSection

from . import assignments
from .prompt_library.services import prompt_template_demo_seed


def cohort_page_assignments(sender, *, user: User, cohort: Cohort, **kwargs) -> PageSection:
    """The assignments section of the cohort page (cohort_page_sections)."""
    return assignments.cohort_section(user=user, cohort=cohort)


def demo_seed_assignments(sender, *, cohort: Cohort, trainer: User, **kwargs) -> None:
    """The demo cohort's assignments and prompt-template library (demo_seeded)."""
    assignments.assignment_demo_seed(cohort=cohort, trainer=trainer)
    first_agent = cohort.memberships.select_related("user").order_by("user__email").first()
    prompt_template_demo_seed(trainer=trainer, agent=first_agent.user if first_agent else None)
