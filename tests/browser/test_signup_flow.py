"""A new user signs up in a real browser and lands on the agent home."""

import pytest

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
    page.wait_for_url("**/agent/")
    assert page.get_by_role("heading", name="My training").is_visible()
    assert "Browser Agent" in page.locator(".account-nav").inner_text()
    assert User.objects.filter(email="browser.agent@example.com").exists()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/")
    page.goto("/agent/")
    assert "/accounts/login/" in page.url
