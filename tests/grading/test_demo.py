"""The demo seed gives the demo agents graded submissions built from the examples."""

import pytest

from curriculum.services import demo_seed
from exercises.models import Submission
from grading.models import Grade

pytestmark = pytest.mark.django_db


def test_demo_agents_get_graded_submissions_once(
    loaded_content, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seed = demo_seed()
    ana, ben, chloe = seed.agents
    for agent in (ana, ben, chloe):
        assert Submission.objects.filter(user=agent).count() == 6
    assert Grade.objects.filter(submission__user__in=seed.agents).count() == 18

    def average(agent):
        totals = Grade.objects.filter(submission__user=agent).values_list("total", flat=True)
        return sum(totals) / len(totals)

    assert average(ana) > average(ben) > average(chloe)
    with django_capture_on_commit_callbacks(execute=True):
        demo_seed()
    assert Submission.objects.filter(user__in=seed.agents).count() == 18
