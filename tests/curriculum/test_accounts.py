"""Sign-up, login, logout and password reset through django-allauth."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from curriculum.models import User
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


SIGNUP = {
    "full_name": "New Agent",
    "password1": "a-long-unique-passphrase",
    "password2": "a-long-unique-passphrase",
}


def test_signup_creates_an_agent_and_asks_to_check_the_email(client):
    response = client.post(
        reverse("account_signup"), {**SIGNUP, "email": "new.agent@example.com"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in client.session
    user = User.objects.get(email="new.agent@example.com")
    assert user.full_name == "New Agent"
    assert not user.is_trainer
    assert mail.outbox[-1].to == ["new.agent@example.com"]
    # The confirmation link proves the address; then the agent logs in to the agent home.
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    assert link, mail.outbox[-1].body
    client.post(link.group(1))
    assert user.emailaddress_set.get().verified
    client.post(reverse("account_login"), {"login": user.email, "password": SIGNUP["password1"]})
    assert client.get(reverse("home"))["Location"] == reverse("agent-home")


def test_signup_with_a_registered_email_answers_as_for_a_new_one(client, agent):
    """No enumeration: the same "check your email" answer, no second account, and the
    owner of the address is told they already have one."""
    new = client.post(reverse("account_signup"), {**SIGNUP, "email": "fresh@example.com"})
    client.logout()
    taken = client.post(reverse("account_signup"), {**SIGNUP, "email": agent.email.upper()})
    assert taken.status_code == new.status_code == 302
    assert taken["Location"] == new["Location"] == reverse("account_email_verification_sent")
    page = client.get(taken["Location"]).content.decode()
    assert "already" not in page.lower()
    assert User.objects.filter(email__iexact=agent.email).count() == 1
    assert "_auth_user_id" not in client.session
    assert [to.lower() for to in mail.outbox[-1].to] == [agent.email.lower()]
    assert "already" in mail.outbox[-1].body.lower()


def test_signup_with_mismatched_passwords_keeps_what_was_typed(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "typo@example.com",
            "full_name": "Typo Person",
            "password1": "a-long-unique-passphrase",
            "password2": "something-else-entirely",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="typo@example.com").exists()
    body = response.content.decode()
    assert "typo@example.com" in body
    assert "Typo Person" in body


def test_login_with_email_and_logout(client, agent):
    response = client.post(
        reverse("account_login"), {"login": agent.email, "password": TEST_PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("agent-home")
    client.post(reverse("account_logout"))
    assert client.get(reverse("agent-home")).status_code == 302


def test_login_with_wrong_password_fails(client, agent):
    response = client.post(reverse("account_login"), {"login": agent.email, "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_reset_sends_an_email(client, agent):
    client.post(reverse("account_reset_password"), {"email": agent.email})
    assert len(mail.outbox) == 1
    assert agent.email in mail.outbox[0].to


def test_repeated_failed_logins_are_rate_limited(client, agent):
    from django.core.cache import cache

    cache.clear()
    bodies = [
        client.post(
            reverse("account_login"), {"login": agent.email, "password": "wrong"}
        ).content.decode()
        for _ in range(7)
    ]
    assert "Too many failed login attempts" not in bodies[0]
    assert "Too many failed login attempts" in bodies[-1]
    # Even the right password is refused while the limit holds.
    response = client.post(
        reverse("account_login"), {"login": agent.email, "password": TEST_PASSWORD}
    )
    assert "_auth_user_id" not in client.session
    assert "Too many failed login attempts" in response.content.decode()
    cache.clear()


def test_account_emails_are_signed_coachline(client, agent):
    client.post(reverse("account_reset_password"), {"email": agent.email})
    assert mail.outbox[0].subject.startswith("[Coachline] ")


def _failed_logins_from(client, address: str, count: int) -> None:
    for i in range(count):
        client.post(
            reverse("account_login"),
            {"login": f"nobody{i}@example.com", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=address,
        )


@pytest.mark.parametrize(("proxies", "locked_out"), [(0, True), (1, False)])
def test_behind_a_proxy_the_rate_limit_tells_clients_apart(
    client, agent, settings, proxies, locked_out
):
    """Behind one proxy every request has its address: TRUSTED_PROXY_COUNT=1 keeps one
    client's failed logins from locking everyone else out."""
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = proxies
    _failed_logins_from(client, "203.0.113.5", 10)
    other = Client()
    other.post(
        reverse("account_login"),
        {"login": agent.email, "password": TEST_PASSWORD},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert ("_auth_user_id" not in other.session) is locked_out
    cache.clear()
