"""Accepting an invitation: a new user signs up through django-allauth from the link, an
existing user logs in, and expired, used, wrong and mistargeted links get a clear page."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from curriculum import services
from curriculum.errors import InvitationWrongAccountError
from curriculum.models import Membership, User
from tests.factories import TEST_PASSWORD, InvitationFactory, TrainerFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSPHRASE = "a-long-unique-passphrase"


@pytest.fixture
def invitation(cohort, trainer):
    return InvitationFactory(
        cohort=cohort, email="invitee@example.com", full_name="In Vitee", invited_by=trainer
    )


def _url(invitation) -> str:
    return reverse("cohorts:invitation-accept", args=[invitation.token])


def test_a_new_user_signs_up_from_the_link_and_joins_the_cohort(client, invitation, cohort):
    page = client.get(_url(invitation))
    assert page.status_code == 200
    assert cohort.name in page.content.decode()
    signup_url = page.context["signup_url"]
    query = parse_qs(urlsplit(signup_url).query)
    assert query == {"email": ["invitee@example.com"], "next": [_url(invitation)]}

    form = client.get(signup_url)
    assert 'value="invitee@example.com"' in form.content.decode()
    response = client.post(
        signup_url,
        {
            "email": "invitee@example.com",
            "full_name": "In Vitee",
            "password1": PASSPHRASE,
            "password2": PASSPHRASE,
            "next": _url(invitation),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == _url(invitation)
    user = User.objects.get(email="invitee@example.com")
    # The link proved the address: allauth counts it as verified (no second email needed).
    assert user.emailaddress_set.get().verified

    joined = client.post(_url(invitation), follow=True)
    assert joined.redirect_chain[-1][0] == reverse("agent-home")
    assert Membership.objects.filter(cohort=cohort, user=user).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    assert f"Welcome to {cohort.name}" in joined.content.decode()


def test_an_existing_user_logs_in_from_the_link_and_joins(client, cohort, trainer):
    agent = UserFactory(email="existing@example.com")
    invitation = InvitationFactory(cohort=cohort, email="Existing@Example.com")
    page = client.get(_url(invitation))
    assert page.context["has_account"]
    login_url = page.context["login_url"]
    response = client.post(
        login_url, {"login": agent.email, "password": TEST_PASSWORD, "next": _url(invitation)}
    )
    assert response["Location"] == _url(invitation)
    assert "Join " + cohort.name in client.get(_url(invitation)).content.decode()
    client.post(_url(invitation))
    assert Membership.objects.filter(cohort=cohort, user=agent).exists()


def test_the_invited_name_fills_an_empty_profile_name(cohort):
    agent = UserFactory(email="noname@example.com", full_name="")
    invitation = InvitationFactory(cohort=cohort, email=agent.email, full_name="Known Name")
    services.invitation_accept(token=invitation.token, user=agent)
    agent.refresh_from_db()
    assert agent.full_name == "Known Name"


def test_an_expired_link_says_so(client, invitation):
    invitation.expires_at = timezone.now() - timedelta(minutes=1)
    invitation.save(update_fields=["expires_at"])
    response = client.get(_url(invitation))
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    assert "new invitation" in response.content.decode()


def test_a_used_link_cannot_be_used_again(client, invitation, cohort):
    first = UserFactory(email=invitation.email)
    services.invitation_accept(token=invitation.token, user=first)
    client.force_login(UserFactory())
    response = client.post(_url(invitation))
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    assert cohort.memberships.count() == 1


def test_whoever_used_the_link_is_sent_home_instead(client, invitation):
    agent = UserFactory(email=invitation.email)
    services.invitation_accept(token=invitation.token, user=agent)
    client.force_login(agent)
    response = client.get(_url(invitation))
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_a_wrong_token_is_404_with_a_clear_page(client):
    response = client.get(reverse("cohorts:invitation-accept", args=["not-a-token"]))
    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()


def test_a_withdrawn_or_replaced_link_stops_working(client, invitation):
    old = _url(invitation)
    services.invitation_resend(invitation=invitation)
    assert client.get(old).status_code == 404
    assert client.get(_url(invitation)).status_code == 200


def test_another_account_cannot_accept_someone_elses_invitation(client, invitation, cohort):
    other = UserFactory(email="someone.else@example.com")
    client.force_login(other)
    page = client.get(_url(invitation))
    assert "this invitation is for" in page.content.decode()
    response = client.post(_url(invitation))
    assert response.status_code == 403
    assert not cohort.memberships.exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    with pytest.raises(InvitationWrongAccountError):
        services.invitation_accept(token=invitation.token, user=other)


def test_trainer_accounts_do_not_join_as_agents(client, cohort):
    colleague = TrainerFactory(email="colleague@example.com")
    invitation = InvitationFactory(cohort=cohort, email=colleague.email)
    client.force_login(colleague)
    response = client.post(_url(invitation))
    assert response.status_code == 400
    assert "co-trainer" in response.content.decode()
    assert not cohort.memberships.exists()


def test_support_leaders_do_not_join_as_agents(client, cohort):
    from tests.factories import SupportLeaderFactory

    leader = SupportLeaderFactory(email="lead@example.com")
    invitation = InvitationFactory(cohort=cohort, email=leader.email)
    client.force_login(leader)
    response = client.post(_url(invitation))
    assert response.status_code == 400
    assert "Support leader accounts do not join" in response.content.decode()
    assert not cohort.memberships.exists()


def test_an_archived_cohort_cannot_be_joined(client, invitation, cohort):
    services.cohort_set_archived(cohort=cohort, archived=True)
    response = client.get(_url(invitation))
    assert response.status_code == 400
    assert "archived" in response.content.decode()


def test_an_anonymous_post_changes_nothing(client, invitation, cohort):
    response = client.post(_url(invitation))
    assert response.status_code == 200
    assert not cohort.memberships.exists()


# ---- signed up from the navigation, not the link ---------------------------------------------


def _agent_with_address(email: str, *, confirmed: bool) -> User:
    from allauth.account.models import EmailAddress

    agent = UserFactory(email=email)
    EmailAddress.objects.create(user=agent, email=email, primary=True, verified=confirmed)
    return agent


def test_an_agent_who_signed_up_without_the_link_is_told_and_joins(client, invitation, cohort):
    agent = _agent_with_address("Invitee@Example.com", confirmed=True)
    client.force_login(agent)
    home = client.get(reverse("agent-home")).content.decode()
    assert f"invited you to {cohort.name}" in home
    assert f"Join {cohort.name}" in home
    url = reverse("cohorts:invitation-join-pending", args=[invitation.pk])
    response = client.post(url, follow=True)
    assert f"Welcome to {cohort.name}!" in response.content.decode()
    assert Membership.objects.filter(cohort=cohort, user=agent).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_by == agent
    home = client.get(reverse("agent-home")).content.decode()
    assert "invited you to" not in home and "not in a cohort yet" not in home


def test_an_unconfirmed_address_is_pointed_at_the_email_and_cannot_join(client, invitation, cohort):
    agent = _agent_with_address("invitee@example.com", confirmed=False)
    client.force_login(agent)
    home = client.get(reverse("agent-home")).content.decode()
    assert "Open the link in that email" in home
    assert f"Join {cohort.name}" not in home
    response = client.post(
        reverse("cohorts:invitation-join-pending", args=[invitation.pk]), follow=True
    )
    assert "Confirm your address" in response.content.decode()
    assert not Membership.objects.filter(user=agent).exists()


def test_someone_elses_invitation_cannot_be_joined(client, invitation, cohort):
    agent = _agent_with_address("other@example.com", confirmed=True)
    client.force_login(agent)
    assert "invited you to" not in client.get(reverse("agent-home")).content.decode()
    response = client.post(
        reverse("cohorts:invitation-join-pending", args=[invitation.pk]), follow=True
    )
    assert "was not sent to your address" in response.content.decode()
    assert not Membership.objects.filter(user=agent).exists()


def test_expired_and_archived_invitations_are_not_offered(client, cohort, trainer):
    from tests.factories import CohortFactory

    InvitationFactory(
        cohort=cohort, email="late@example.com", expires_at=timezone.now() - timedelta(days=1)
    )
    archived = CohortFactory(trainers=[trainer], archived_at=timezone.now())
    InvitationFactory(cohort=archived, email="late@example.com")
    agent = _agent_with_address("late@example.com", confirmed=True)
    client.force_login(agent)
    assert "invited you to" not in client.get(reverse("agent-home")).content.decode()


def test_a_trainer_cannot_use_the_agents_join_button(client, cohort, trainer):
    invitation = InvitationFactory(cohort=cohort, email=trainer.email)
    client.force_login(trainer)
    response = client.post(reverse("cohorts:invitation-join-pending", args=[invitation.pk]))
    assert response.status_code == 403
