"""Who lands where: login required, role homes, and the access rules."""

import pytest
from django.urls import reverse

from curriculum import access
from tests.factories import CohortFactory, MembershipFactory, TrainerFactory, UserFactory

pytestmark = pytest.mark.django_db

PROTECTED_PAGES = ["home", "agent-home", "trainer-home"]


@pytest.mark.parametrize("name", PROTECTED_PAGES)
def test_anonymous_users_are_sent_to_login(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_landing_page_is_public(client):
    response = client.get(reverse("landing"))
    assert response.status_code == 200
    assert b"Create an account" in response.content


@pytest.mark.parametrize("name", ["account_login", "account_signup", "account_reset_password"])
def test_account_pages_are_public(client, name):
    assert client.get(reverse(name)).status_code == 200


def test_agent_lands_on_agent_home(client, agent):
    client.force_login(agent)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("agent-home")
    assert client.get(reverse("agent-home")).status_code == 200


def test_trainer_lands_on_trainer_home(client, trainer):
    client.force_login(trainer)
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("trainer-home")
    assert client.get(reverse("trainer-home")).status_code == 200


def test_agent_cannot_open_trainer_home(client, agent):
    client.force_login(agent)
    assert client.get(reverse("trainer-home")).status_code == 403


def test_trainer_cannot_open_agent_home(client, trainer):
    client.force_login(trainer)
    assert client.get(reverse("agent-home")).status_code == 403


def test_staff_are_trainers_and_reach_the_admin(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get(reverse("home"))["Location"] == reverse("trainer-home")
    assert client.get(reverse("admin:index")).status_code == 200


def test_logged_in_landing_redirects_home(client, agent):
    client.force_login(agent)
    assert client.get(reverse("landing"))["Location"] == reverse("home")


def test_trainer_home_lists_only_own_cohorts(client, trainer):
    CohortFactory(name="Mine", trainers=[trainer])
    CohortFactory(name="Someone else's", trainers=[TrainerFactory()])
    client.force_login(trainer)
    content = client.get(reverse("trainer-home")).content.decode()
    assert "Mine" in content
    assert "Someone else" not in content


class TestCohortRules:
    def test_trainer_of_cohort_may_view_and_change(self, cohort, trainer):
        assert access.can_view(trainer, cohort)
        assert access.can_change(trainer, cohort)

    def test_other_trainer_may_not_view(self, cohort):
        other = TrainerFactory()
        assert not access.can_view(other, cohort)
        assert not access.can_change(other, cohort)

    def test_member_may_view_not_change(self, cohort, member):
        assert access.can_view(member, cohort)
        assert not access.can_change(member, cohort)

    def test_outsider_agent_may_not_view(self, cohort):
        assert not access.can_view(UserFactory(), cohort)

    def test_staff_may_change_any_cohort(self, cohort):
        staff = UserFactory(is_staff=True)
        assert access.can_change(staff, cohort)

    def test_inactive_user_is_denied(self, cohort, trainer):
        trainer.is_active = False
        assert not access.can_view(trainer, cohort)


class TestUserRules:
    def test_trainer_sees_agents_of_own_cohorts_only(self, cohort, trainer, member):
        stranger = UserFactory()
        assert access.can_view(trainer, member)
        assert not access.can_view(trainer, stranger)

    def test_agent_sees_only_self(self, member):
        other = MembershipFactory(cohort=member.memberships.get().cohort).user
        assert access.can_view(member, member)
        assert not access.can_view(member, other)
        assert not access.can_change(member, other)


def test_object_kind_without_rule_is_a_loud_error(agent):
    from django.contrib.auth.models import Group

    with pytest.raises(LookupError, match="No access rule"):
        access.can_view(agent, Group(name="x"))
