"""The JSON endpoint: bearer token or session (with CSRF), payload checks, row report."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from reporting.impact.models import ImportJob, TicketMetric
from reporting.impact.services import MAX_API_TICKETS, api_token_create

pytestmark = pytest.mark.django_db
URL = "/impact/api/tickets/"


def ticket(agent, ticket_id="T-1", **extra):
    return {
        "ticket_id": ticket_id,
        "agent_email": agent.email,
        "closed_at": "2025-06-01T10:00:00Z",
        "category": "complex",
        "handle_time_seconds": 900,
        "first_response_seconds": 600,
        "resolution_seconds": 7200,
        "csat": 4,
        "ai_usage": "ai_assisted",
        "draft_edit_ratio": 0.25,
        "draft_to_send_seconds": 80,
    } | extra


def post(client, payload, **headers):
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload)
    return client.post(URL, body, content_type="application/json", headers=headers)


@pytest.fixture
def token(leader):
    return api_token_create(user=leader, name="help desk")[1]


def test_url_is_where_the_readme_says():
    assert reverse("impact:api-tickets") == URL


def test_token_import_creates_and_reports_rows(client, token, agents):
    payload = {"tickets": [ticket(agents[0]), ticket(agents[1], "T-2", csat=None),
                           ticket(agents[0], "T-3", category="urgent"), "nonsense"]}  # fmt: skip
    response = post(client, payload, authorization=f"Bearer {token}")
    assert response.status_code == 200
    data = response.json()
    assert (data["received"], data["created"], data["updated"]) == (4, 2, 0)
    assert [(r["index"], r["ticket_id"]) for r in data["rejected"]] == [(2, "T-3"), (3, "")]
    assert "category" in data["rejected"][0]["reason"]
    assert TicketMetric.objects.get(ticket_id="T-2").csat is None
    assert ImportJob.objects.get(pk=data["import_id"]).source == ImportJob.Source.API


def test_posting_the_same_tickets_again_updates_them(client, token, agents):
    payload = {"tickets": [ticket(agents[0])]}
    post(client, payload, authorization=f"Bearer {token}")
    data = post(client, payload, authorization=f"Bearer {token}").json()
    assert (data["created"], data["updated"]) == (0, 1)
    assert TicketMetric.objects.count() == 1


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (None, "Authentication required"),
        ("Bearer wrong-token", "Unknown or revoked token"),
        ("Token abc", "Use 'Authorization: Bearer <token>'"),
    ],
)
def test_requests_without_valid_credentials_get_401(client, agents, header, message):
    headers = {"authorization": header} if header else {}
    response = post(client, {"tickets": [ticket(agents[0])]}, **headers)
    assert response.status_code == 401
    assert message in response.json()["error"]
    assert not TicketMetric.objects.exists()


def test_a_revoked_token_is_refused(client, leader, agents, token):
    leader.impact_api_tokens.update(revoked_at="2025-01-01T00:00:00Z")
    assert post(client, {"tickets": [ticket(agents[0])]},
                authorization=f"Bearer {token}").status_code == 401  # fmt: skip


def test_agents_may_not_import_even_with_a_token(client, agents):
    agent_token = api_token_create(user=agents[0], name="mine")[1]
    response = post(client, {"tickets": [ticket(agents[0])]}, authorization=f"Bearer {agent_token}")
    assert response.status_code == 403


def test_session_auth_needs_the_csrf_token(leader, agents):
    client = Client(enforce_csrf_checks=True)
    client.force_login(leader)
    assert post(client, {"tickets": [ticket(agents[0])]}).status_code == 403
    client.get(reverse("impact:home"))  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    response = post(client, {"tickets": [ticket(agents[0])]}, x_csrftoken=csrf)
    assert response.status_code == 200 and response.json()["created"] == 1


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{not json", "not valid JSON"),
        ([1, 2], 'Expected a JSON object {"tickets": [...]}'),
        ({"rows": []}, 'Expected a JSON object {"tickets": [...]}'),
        ({"tickets": []}, '"tickets" is empty'),
    ],
)
def test_bad_payloads_get_400_with_the_reason(client, token, payload, message):
    response = post(client, payload, authorization=f"Bearer {token}")
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_too_many_tickets_in_one_request_get_400(client, token, agents):
    payload = {"tickets": [ticket(agents[0], f"T-{i}") for i in range(MAX_API_TICKETS + 1)]}
    response = post(client, payload, authorization=f"Bearer {token}")
    assert response.status_code == 400 and "at most 1000" in response.json()["error"]
    assert not TicketMetric.objects.exists()


def test_get_is_not_allowed(client, token):
    assert client.get(URL, headers={"authorization": f"Bearer {token}"}).status_code == 405


@pytest.mark.parametrize("depth", [65, 100_000])
def test_deeply_nested_json_gets_400_not_500(client, token, depth):
    body = '{"tickets": [' + "[" * depth + "]" * depth + "]}"
    response = post(client, body, Authorization=f"Bearer {token}")
    assert response.status_code == 400
    assert "nested more than 64 levels deep" in response.json()["error"]
    assert not ImportJob.objects.exists()


def test_nesting_inside_strings_is_just_text(client, token, agents):
    payload = {"tickets": [ticket(agents[0], category="[" * 500)]}
    response = post(client, payload, Authorization=f"Bearer {token}")
    assert response.status_code == 200
    assert response.json()["rejected"][0]["reason"]  # an unknown category, not a 400


def test_a_body_over_the_limit_gets_413_before_it_is_read(client, token, settings, monkeypatch):
    settings.IMPACT_API_MAX_BODY_BYTES = 1000
    read = []
    from django.core.handlers.wsgi import WSGIRequest

    original = WSGIRequest.body

    def spy(self):
        read.append(True)
        return original.fget(self)

    monkeypatch.setattr(WSGIRequest, "body", property(spy))
    response = post(
        client, {"tickets": [{"ticket_id": "x" * 2000}]}, Authorization=f"Bearer {token}"
    )
    assert response.status_code == 413
    assert "larger than 1,000 bytes (IMPACT_API_MAX_BODY_BYTES)" in response.json()["error"]
    assert not read
