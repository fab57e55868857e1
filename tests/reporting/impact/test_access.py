"""Who sees the impact pages: never agents; leaders only their cohorts; no URL guessing."""

import pytest
from django.urls import reverse

from curriculum import access
from reporting.impact.models import CohortImpact, ImportJob
from reporting.impact.services import cohort_impact_add_leader
from tests.factories import (
    CohortFactory,
    CohortImpactFactory,
    MembershipFactory,
    SupportLeaderFactory,
    TrainerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def cohort_pages(slug, agent_id):
    return [
        reverse("impact:cohort-dashboard", args=[slug]),
        reverse("impact:agent-dashboard", args=[slug, agent_id]),
        reverse("impact:ticket-list", args=[slug]),
        reverse("impact:cohort-settings", args=[slug]),
        reverse("impact:chart-csv", args=[slug, "agents"]),
    ]


@pytest.fixture
def other(db):
    """Another cohort with its own leader and agent."""
    other_leader = SupportLeaderFactory()
    impact = CohortImpactFactory(cohort=CohortFactory(), leaders=[other_leader])
    agent = MembershipFactory(cohort=impact.cohort).user
    job = ImportJob.objects.create(created_by=other_leader, source=ImportJob.Source.API)
    return impact, agent, job


def test_agents_never_see_any_impact_page(client, impact, agents, other):
    client.force_login(agents[0])
    urls = [reverse("impact:home"), reverse("impact:import-detail", args=[other[2].pk])]
    urls += cohort_pages(impact.cohort.slug, agents[0].pk)
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.post(reverse("impact:import-create")).status_code == 403


def test_agents_do_not_get_the_nav_link(client, impact, agents):
    client.force_login(agents[0])
    html = client.get(reverse("agent-home")).content.decode()
    assert reverse("impact:home") not in html


def test_leaders_see_their_cohorts_and_the_nav_link(client, leader, impact, agents, other):
    client.force_login(leader)
    home = client.get(reverse("impact:home"))
    assert list(home.context["cohorts"]) == [impact.cohort]
    assert f'href="{reverse("impact:home")}"' in home.content.decode()
    for url in cohort_pages(impact.cohort.slug, agents[0].pk):
        assert client.get(url).status_code == 200, url


def test_leaders_get_404_for_other_cohorts_agents_and_imports(client, leader, impact, agents,
                                                               other):  # fmt: skip
    other_impact, other_agent, other_job = other
    client.force_login(leader)
    for url in cohort_pages(other_impact.cohort.slug, other_agent.pk):
        assert client.get(url).status_code == 404, url
    # An agent of another cohort, through the leader's own cohort URL:
    url = reverse("impact:agent-dashboard", args=[impact.cohort.slug, other_agent.pk])
    assert client.get(url).status_code == 404
    csv_url = reverse("impact:chart-csv", args=[impact.cohort.slug, "agents"])
    assert client.get(csv_url, {"agent": other_agent.pk}).status_code == 404
    assert client.get(reverse("impact:import-detail", args=[other_job.pk])).status_code == 404
    assert client.get(reverse("impact:cohort-dashboard", args=["no-such"])).status_code == 404


def test_a_leader_of_no_cohort_sees_an_empty_list(client, impact):
    client.force_login(SupportLeaderFactory())
    response = client.get(reverse("impact:home"))
    assert response.status_code == 200 and not response.context["cohorts"]
    url = reverse("impact:cohort-dashboard", args=[impact.cohort.slug])
    assert client.get(url).status_code == 404


def test_trainers_see_the_cohorts_they_run_without_settings_rows(client, trainer, cohort, other):
    member = MembershipFactory(cohort=cohort).user
    client.force_login(trainer)
    assert not CohortImpact.objects.filter(cohort=cohort).exists()
    for url in cohort_pages(cohort.slug, member.pk):
        assert client.get(url).status_code == 200, url
    other_impact, other_agent, _ = other
    for url in cohort_pages(other_impact.cohort.slug, other_agent.pk):
        assert client.get(url).status_code == 404, url


def test_staff_see_every_cohort(client, impact, other):
    client.force_login(UserFactory(is_staff=True))
    cohorts = set(client.get(reverse("impact:home")).context["cohorts"])
    assert cohorts == {impact.cohort, other[0].cohort}


def test_a_leader_who_leaves_the_group_loses_access(client, leader, impact):
    leader.groups.clear()
    client.force_login(leader)
    url = reverse("impact:cohort-dashboard", args=[impact.cohort.slug])
    assert client.get(url).status_code == 403


def test_anonymous_users_are_sent_to_login(client, impact):
    response = client.get(reverse("impact:cohort-dashboard", args=[impact.cohort.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


class TestRules:
    """The rules in reporting/impact/access.py, by role x object kind."""

    def test_cohort_impact_view_and_change(self, impact, leader, trainer, agents):
        outsider_leader, outsider_trainer = SupportLeaderFactory(), TrainerFactory()
        staff = UserFactory(is_staff=True)
        expected = {leader: True, trainer: True, staff: True, agents[0]: False,
                    outsider_leader: False, outsider_trainer: False}  # fmt: skip
        for user, allowed in expected.items():
            assert access.can_view(user, impact) is allowed, user
            assert access.can_change(user, impact) is allowed, user

    def test_import_jobs_are_their_creators_and_never_changed(self, leader, other):
        job = other[2]
        assert access.can_view(job.created_by, job)
        assert not access.can_view(leader, job)
        assert not access.can_change(job.created_by, job)

    def test_ticket_rows_are_seen_by_whoever_sees_the_agents_cohort(
        self, impact, leader, trainer, agents
    ):
        from reporting.impact.models import ApiToken, ImportRejection, TicketMetric

        metric = TicketMetric(agent=agents[0])
        staff = UserFactory(is_staff=True)
        expected = {leader: True, trainer: True, staff: True, agents[0]: False,
                    SupportLeaderFactory(): False, TrainerFactory(): False}  # fmt: skip
        for user, allowed in expected.items():
            assert access.can_view(user, metric) is allowed, user
            # Ticket rows change only by a new import.
            assert not access.can_change(user, metric)
        token = ApiToken(user=leader)
        assert access.can_view(leader, token) and access.can_change(leader, token)
        assert not access.can_view(trainer, token) and access.can_view(staff, token)
        rejection = ImportRejection(job=ImportJob(created_by=leader))
        assert access.can_view(leader, rejection)
        assert not access.can_view(trainer, rejection)
        assert not access.can_change(leader, rejection)

    def test_attaching_a_leader_grants_the_role(self, cohort):
        user = UserFactory()
        assert not access.is_support_leader(user)
        cohort_impact_add_leader(cohort=cohort, user=user)
        assert access.is_support_leader(user)
        assert CohortImpact.objects.get(cohort=cohort).leaders.filter(pk=user.pk).exists()


def test_support_leader_lands_on_the_impact_home(client, db):
    from django.urls import reverse

    from tests.factories import SupportLeaderFactory

    client.force_login(SupportLeaderFactory())
    assert client.get(reverse("home"))["Location"] == reverse("impact:home")


def test_support_leader_navigation_has_no_agent_pages(client, db):
    from django.urls import reverse

    from tests.factories import TEST_PASSWORD, SupportLeaderFactory

    leader = SupportLeaderFactory()
    client.post(reverse("account_login"), {"login": leader.email, "password": TEST_PASSWORD})
    page = client.get(reverse("impact:home")).content.decode()
    assert reverse("impact:home") in page
    assert reverse("exercises:submission-list") not in page
    assert "My training" not in page


def test_trainer_attaches_and_detaches_a_leader(client, db):
    from django.urls import reverse

    from curriculum.access import is_support_leader
    from reporting.impact.models import CohortImpact
    from tests.factories import CohortFactory, TrainerFactory, UserFactory

    trainer = TrainerFactory()
    cohort = CohortFactory(trainers=[trainer])
    future_leader = UserFactory(email="lead@example.com")
    client.force_login(trainer)
    url = reverse("impact:cohort-leaders", args=[cohort.slug])
    response = client.post(url, {"email": "LEAD@example.com"})
    assert response.status_code == 302
    future_leader.refresh_from_db()
    assert is_support_leader(future_leader)
    assert CohortImpact.objects.get(cohort=cohort).leaders.filter(pk=future_leader.pk).exists()
    settings_page = client.get(reverse("impact:cohort-settings", args=[cohort.slug]))
    assert "lead@example.com" in settings_page.content.decode()

    client.post(url, {"remove": str(future_leader.pk)})
    assert not CohortImpact.objects.get(cohort=cohort).leaders.exists()


def test_adding_an_unknown_email_says_so(client, db):
    from django.urls import reverse

    from reporting.impact.models import CohortImpact
    from tests.factories import CohortFactory, TrainerFactory

    trainer = TrainerFactory()
    cohort = CohortFactory(trainers=[trainer])
    client.force_login(trainer)
    response = client.post(
        reverse("impact:cohort-leaders", args=[cohort.slug]),
        {"email": "nobody@example.com"},
        follow=True,
    )
    assert "No account uses nobody@example.com" in response.content.decode()
    assert not CohortImpact.objects.filter(cohort=cohort, leaders__isnull=False).exists()


def test_other_trainers_and_leaders_cannot_manage_leaders(client, db):
    from django.urls import reverse

    from tests.factories import CohortFactory, SupportLeaderFactory, TrainerFactory

    cohort = CohortFactory(trainers=[TrainerFactory()])
    url = reverse("impact:cohort-leaders", args=[cohort.slug])
    for outsider in (TrainerFactory(), SupportLeaderFactory()):
        client.force_login(outsider)
        assert client.post(url, {"email": outsider.email}).status_code in {403, 404}


def test_an_agent_in_training_cannot_be_made_a_leader(client, db):
    from reporting.impact.services import LeaderNotAllowedError
    from tests.factories import CohortFactory, MembershipFactory, TrainerFactory, UserFactory

    trainer = TrainerFactory()
    cohort = CohortFactory(trainers=[trainer])
    agent = UserFactory(email="agent@example.com")
    MembershipFactory(cohort=CohortFactory(), user=agent)
    with pytest.raises(LeaderNotAllowedError):
        cohort_impact_add_leader(cohort=cohort, user=agent)
    client.force_login(trainer)
    response = client.post(
        reverse("impact:cohort-leaders", args=[cohort.slug]),
        {"email": "agent@example.com"},
        follow=True,
    )
    assert "agents cannot see the support leaders" in response.content.decode()
    assert not access.is_support_leader(agent)
    assert not CohortImpact.objects.filter(cohort=cohort, leaders=agent).exists()
    # Someone who trained in a cohort that is now archived may lead.
    from django.utils import timezone

    from curriculum.models import Cohort

    Cohort.objects.filter(memberships__user=agent).update(archived_at=timezone.now())
    cohort_impact_add_leader(cohort=cohort, user=agent)
    assert access.is_support_leader(agent)
