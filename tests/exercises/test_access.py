"""Access rules for the exercises app's objects, every role against every object kind."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404

from curriculum import access
from exercises import selectors
from exercises.models import DraftRequest, Workspace
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    SubmissionFactory,
    SupportLeaderFactory,
    TrainerFactory,
    UserFactory,
    scenario_from_fixture,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    submission = SubmissionFactory()
    owner = submission.user
    cohort_trainer = TrainerFactory()
    MembershipFactory(cohort=CohortFactory(trainers=[cohort_trainer]), user=owner)
    workspace = Workspace.objects.create(
        user=owner, exercise=submission.exercise, scenario=submission.scenario
    )
    draft = DraftRequest.objects.create(workspace=workspace, prompt="p")
    roles = {
        "owner": owner,
        "other_agent": UserFactory(),
        "cohort_trainer": cohort_trainer,
        "other_trainer": TrainerFactory(),
        "staff": UserFactory(is_staff=True),
        "support_leader": SupportLeaderFactory(),
    }
    return roles, {"submission": submission, "workspace": workspace, "draft": draft}


VIEW = {
    "submission": {"owner", "cohort_trainer", "staff"},
    "workspace": {"owner"},
    "draft": {"owner"},
}
CHANGE = {"submission": set(), "workspace": {"owner"}, "draft": {"owner"}}


@pytest.mark.parametrize("kind", list(VIEW))
@pytest.mark.parametrize(
    "role",
    ["owner", "other_agent", "cohort_trainer", "other_trainer", "staff", "support_leader"],
)
def test_view_and_change_rules(world, kind, role):
    roles, objects = world
    user, obj = roles[role], objects[kind]
    assert access.can_view(user, obj) is (role in VIEW[kind])
    assert access.can_change(user, obj) is (role in CHANGE[kind])


def test_scenarios_are_readable_by_everyone_signed_in_and_changed_by_trainers():
    scenario = scenario_from_fixture("tone-charged-twice-caps")
    assert access.can_view(UserFactory(), scenario)
    assert not access.can_change(UserFactory(), scenario)
    assert access.can_change(TrainerFactory(), scenario)


def test_an_owner_made_support_leader_can_no_longer_change_their_work(world):
    roles, objects = world
    owner = roles["owner"]
    owner.groups.add(Group.objects.get(name=access.SUPPORT_LEADERS_GROUP))
    owner.refresh_from_db()
    assert not access.can_change(owner, objects["workspace"])
    assert not access.can_change(owner, objects["draft"])


def test_inactive_owners_lose_access(world):
    roles, objects = world
    roles["owner"].is_active = False
    assert not access.can_view(roles["owner"], objects["submission"])


def test_the_submission_selector_is_the_chokepoint(world):
    roles, objects = world
    submission = objects["submission"]
    got = selectors.submission_get_for_viewer(user=roles["owner"], submission_id=submission.pk)
    assert got == submission
    with pytest.raises(PermissionDenied):
        selectors.submission_get_for_viewer(user=roles["other_agent"], submission_id=submission.pk)
    with pytest.raises(Http404):
        selectors.submission_get_for_viewer(user=roles["owner"], submission_id=10**9)


def test_the_draft_selector_is_owner_only(world):
    roles, objects = world
    with pytest.raises(PermissionDenied):
        selectors.draft_request_get_for_owner(
            user=roles["cohort_trainer"], draft_request_id=objects["draft"].pk
        )
