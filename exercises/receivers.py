"""This app's answers to curriculum's signals, connected in ExercisesConfig.ready()."""

from curriculum.models import Cohort, User
from curriculum.signals import PageSection

from . import assignments


def cohort_page_assignments(sender, *, user: User, cohort: Cohort, **kwargs) -> PageSection:
    """The assignments section of the cohort page (cohort_page_sections)."""
    return assignments.cohort_section(user=user, cohort=cohort)


def demo_seed_assignments(sender, *, cohort: Cohort, trainer: User, **kwargs) -> None:
    """The demo cohort's assignments (demo_seeded)."""
    assignments.assignment_demo_seed(cohort=cohort, trainer=trainer)
