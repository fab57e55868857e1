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
