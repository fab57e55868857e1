"""A new user signs up in a real browser, confirms the address and lands on the agent home."""

import re

import pytest
from django.core import mail

from curriculum.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_user_signs_up_and_lands_on_agent_home(page):
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    page.get_by_label("Email").fill("browser.agent@example.com")
    page.get_by_label("Your name").fill("Browser Agent")
    page.locator("#id_password1").fill("a-long-unique-passphrase")
    page.locator("#id_password2").fill("a-long-unique-passphrase")
    page.get_by_role("button", name="Sign Up").click()
    # The same answer whether or not the address has an account: check your email.
    page.wait_for_url("**/accounts/confirm-email/")
    assert page.get_by_role("heading", name="Verify Your Email Address").is_visible()
    link = re.search(r"https?://[^/\s]+(/accounts/confirm-email/\S+/)", mail.outbox[-1].body)
    page.goto(link.group(1))
    page.get_by_role("button", name="Confirm").click()
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("browser.agent@example.com")
    page.get_by_label("Password").fill("a-long-unique-passphrase")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url("**/agent/")
    assert page.get_by_role("heading", name="My training").is_visible()
    assert "Browser Agent" in page.locator(".account-nav").inner_text()
    assert User.objects.filter(email="browser.agent@example.com").exists()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/")
    page.goto("/agent/")
    assert "/accounts/login/" in page.url
