"""Granting roles on a fresh installation: the groups exist after migrate, and commands
make the first trainer and support leaders."""

from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from curriculum import access
from curriculum.models import TRAINERS_GROUP
from tests.factories import CohortFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_role_groups_exist_after_migrate():
    assert Group.objects.filter(name=TRAINERS_GROUP).exists()
    assert Group.objects.filter(name=access.SUPPORT_LEADERS_GROUP).exists()


def test_grant_trainer_makes_a_trainer_and_optionally_staff():
    user = UserFactory(email="first.trainer@example.com")
    out = StringIO()
    call_command("grant_trainer", "FIRST.trainer@example.com", stdout=out)
    user.refresh_from_db()
    assert access.is_trainer(user) and not user.is_staff
    assert "is now a trainer" in out.getvalue()
    call_command("grant_trainer", user.email, "--staff", stdout=StringIO())
    user.refresh_from_db()
    assert user.is_staff


def test_grant_trainer_names_an_unknown_email():
    with pytest.raises(CommandError, match=r"No account uses nobody@example\.com"):
        call_command("grant_trainer", "nobody@example.com")


def test_grant_support_leader_with_and_without_cohorts():
    from reporting.impact.models import CohortImpact

    leader = UserFactory(email="lead@example.com")
    call_command("grant_support_leader", leader.email, stdout=StringIO())
    assert access.is_support_leader(leader)
    cohort = CohortFactory()
    call_command("grant_support_leader", leader.email, "--cohort", cohort.slug, stdout=StringIO())
    assert CohortImpact.objects.get(cohort=cohort).leaders.filter(pk=leader.pk).exists()
    with pytest.raises(CommandError, match="No cohort with the slug nope"):
        call_command("grant_support_leader", leader.email, "--cohort", "nope")


def test_grant_support_leader_refuses_an_agent_in_training():
    agent = UserFactory()
    MembershipFactory(cohort=CohortFactory(), user=agent)
    with pytest.raises(CommandError, match="agents cannot see the support leaders"):
        call_command("grant_support_leader", agent.email)
    assert not access.is_support_leader(agent)


# ---- the role model ----------------------------------------------------------------------


def test_roles_are_derived_by_one_function():
    from django.contrib.auth.models import AnonymousUser

    from curriculum.roles import Role, user_roles
    from tests.factories import SupportLeaderFactory, TrainerFactory

    both = TrainerFactory()
    both.groups.add(Group.objects.get(name=access.SUPPORT_LEADERS_GROUP))
    assert user_roles(UserFactory()) == {Role.AGENT}
    assert user_roles(TrainerFactory()) == {Role.TRAINER}
    assert user_roles(SupportLeaderFactory()) == {Role.SUPPORT_LEADER}
    assert user_roles(UserFactory(is_staff=True)) == {Role.STAFF, Role.TRAINER}
    assert user_roles(both) == {Role.TRAINER, Role.SUPPORT_LEADER}
    assert user_roles(UserFactory(is_active=False)) == frozenset()
    assert user_roles(AnonymousUser()) == frozenset()


def test_roles_cost_one_query_and_none_for_staff(django_assert_num_queries):
    from curriculum.roles import Role, user_roles

    leader = UserFactory()
    leader.groups.add(Group.objects.get(name=access.SUPPORT_LEADERS_GROUP))
    staff = UserFactory(is_staff=True)
    with django_assert_num_queries(1):
        assert access.is_support_leader(leader) and not access.is_agent(leader)
        assert not access.is_trainer(leader) and Role.SUPPORT_LEADER in user_roles(leader)
    with django_assert_num_queries(0):
        assert access.is_trainer(staff) and access.is_staff(staff)


def test_a_grant_is_seen_at_once():
    user = UserFactory(email="promoted@example.com")
    assert access.is_agent(user)
    call_command("grant_trainer", user.email, stdout=StringIO())
    user.refresh_from_db()
    assert access.is_trainer(user) and not access.is_agent(user)
    other = UserFactory()
    assert access.is_agent(other)
    from curriculum.services import user_grant_trainer

    user_grant_trainer(user=other)
    assert access.is_trainer(other) and not access.is_agent(other)


# ---- support leaders are not agents ---------------------------------------------------------


@pytest.fixture
def leader():
    from tests.factories import SupportLeaderFactory

    return SupportLeaderFactory()


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("get", "agent-home", []),
        ("get", "exercises:exercise-detail", ["any-exercise"]),
        ("get", "exercises:workspace", ["any-exercise", "any-scenario"]),
        ("post", "exercises:workspace-save", ["any-exercise", "any-scenario"]),
        ("post", "exercises:workspace-submit", ["any-exercise", "any-scenario"]),
        ("post", "exercises:draft-request", ["any-exercise", "any-scenario"]),
        ("post", "exercises:passage-find", ["any-exercise", "any-scenario"]),
        ("post", "grading:peer-review-passage", [1]),
        ("get", "exercises:submission-list", []),
        ("get", "grading:peer-home", []),
        ("post", "grading:peer-next", ["any-exercise"]),
        ("get", "grading:peer-review", [1]),
        ("post", "grading:peer-review", [1]),
    ],
)
def test_support_leaders_are_refused_agent_pages_answers_and_peer_reviews(
    client, leader, method, name, args
):
    from django.urls import reverse

    client.force_login(leader)
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 403


def test_support_leaders_land_on_the_impact_pages_not_the_agent_home(client, leader):
    from django.urls import reverse

    client.force_login(leader)
    assert client.get(reverse("home"))["Location"] == reverse("impact:home")


def test_a_leader_may_not_change_work_or_reviews_in_their_name(leader):
    from exercises.models import Workspace
    from grading.peer.models import PeerReview

    assert not access.can_change(leader, Workspace(user=leader))
    assert not access.can_change(leader, PeerReview(reviewer=leader, status="in_progress"))
    agent = UserFactory()
    assert access.can_change(agent, Workspace(user=agent))
    assert access.can_change(agent, PeerReview(reviewer=agent, status="in_progress"))


def test_the_peer_review_service_refuses_a_support_leader(leader):
    from grading.peer import services
    from grading.peer.errors import PeerReviewNotAllowedError
    from tests.factories import ExerciseFactory

    with pytest.raises(PeerReviewNotAllowedError, match="for agents"):
        services.peer_review_next(reviewer=leader, exercise=ExerciseFactory())
