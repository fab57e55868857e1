"""The reporting tests build on the trainer console's fixtures (a cohort, an agent in it,
an exercise with a rubric)."""

from tests.grading.console.conftest import (  # noqa: F401 - fixtures
    agent_in,
    console_cohort,
    exercise,
    other_trainer,
    rubric_version,
)
