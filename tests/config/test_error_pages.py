"""Error pages with DEBUG off: the site's own pages, never Django's bare defaults."""

import pytest
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import SuspiciousOperation
from django.template import loader
from django.test import Client
from django.urls import include, path, reverse

from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@login_not_required
def _server_error(request):
    raise RuntimeError("boom")


@login_not_required
def _bad_request(request):
    raise SuspiciousOperation("tampered")


urlpatterns = [
    path("boom/", _server_error),
    path("bad/", _bad_request),
    path("", include("config.urls")),
]


@pytest.fixture
def failing_urls(settings):
    settings.ROOT_URLCONF = __name__


def test_unknown_page_is_the_sites_own_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert "coachline/app" in body  # the site's stylesheet, inside the base layout
    assert reverse("account_login") in body
    assert "The requested resource was not found on this server" not in body


def test_unknown_page_for_a_logged_in_user_links_home(client, agent):
    client.force_login(agent)
    body = client.get("/no-such-page/").content.decode()
    assert "Go to your home" in body
    assert agent.display_name in body  # the navigation of whoever is logged in


def test_forbidden_page_explains_why(client, agent):
    client.force_login(agent)
    response = client.get(reverse("trainer-home"))
    assert response.status_code == 403
    body = response.content.decode()
    assert "You do not have access to this page" in body
    assert "This page is for trainers." in body
    assert agent.email in body
    assert "<h1>403 Forbidden</h1>" not in body


def test_server_error_page_is_the_sites_own(failing_urls, client):
    client.raise_request_exception = False
    response = client.get("/boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert "Something went wrong on our side" in body
    assert "<h1>Server Error (500)</h1>" not in body


def test_server_error_page_needs_no_context_processors_database_or_static_files(
    django_assert_num_queries,
):
    with django_assert_num_queries(0):
        body = loader.get_template("500.html").render()
    assert "Something went wrong on our side" in body
    assert "{% static" not in loader.get_template("500.html").template.source
    assert "/static/" not in body


def test_bad_request_page_is_the_sites_own(failing_urls, client):
    response = client.get("/bad/")
    assert response.status_code == 400
    body = response.content.decode()
    assert "This request could not be understood" in body
    assert "<h1>Bad Request (400)</h1>" not in body


def test_csrf_failure_is_the_sites_own_page_with_the_reason():
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("account_login"), {"login": "a@example.com", "password": "x"})
    assert response.status_code == 403
    body = response.content.decode()
    assert "Your form could not be sent" in body
    assert "CSRF cookie not set" in body  # the reason, for whoever diagnoses it
    assert "coachline/app" in body
    assert "Forbidden <span>(403)" not in body


def test_csrf_failure_page_keeps_the_logged_in_navigation(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    response = client.post(reverse("account_logout"))
    assert response.status_code == 403
    body = response.content.decode()
    assert agent.display_name in body
    assert "Go to your home" in body


def test_rate_limited_sign_up_gets_the_sites_own_429(client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.ACCOUNT_RATE_LIMITS = {"signup": "1/m/ip"}
    data = {"email": "one@example.com", "full_name": "One", "password1": "p-4-long-passphrase"}
    client.post(reverse("account_signup"), {**data, "password2": data["password1"]})
    client.logout()
    response = client.post(
        reverse("account_signup"),
        {**data, "email": "two@example.com", "password2": data["password1"]},
    )
    cache.clear()
    assert response.status_code == 429
    body = response.content.decode()
    assert "Too many attempts" in body
    assert "coachline/app" in body


def test_admin_login_goes_through_the_rate_limited_account_login(client, agent):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    # Posting a password to the admin's own form authenticates nobody.
    staff = UserFactory(is_staff=True, is_superuser=True)
    response = client.post("/admin/login/", {"username": staff.email, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_admin_refuses_logged_in_non_staff_and_admits_staff(client, agent):
    client.force_login(agent)
    assert client.get("/admin/", follow=True).status_code == 403
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert client.get("/admin/").status_code == 200
