"""Content-Security-Policy (django-csp): every page sends it, nothing inline runs without
the request's nonce, and no template needs 'unsafe-inline'."""

import base64
import hashlib
import re
from pathlib import Path

import pytest
from csp.middleware import CSPMiddleware
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parents[2]
STANDALONE = "curriculum/templates/errors/standalone.html"  # allowed by its hash
TEMPLATE_DIRS = ["templates", "curriculum", "exercises", "grading", "studio", "reporting"]


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in header.split(";")) if part
    }


@pytest.mark.parametrize("name", ["landing", "account_login", "account_signup"])
def test_public_pages_send_the_policy(client, name):
    directives = policy(client.get(reverse(name)))
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"][0] == "'self'"
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]


def test_signed_in_pages_send_the_policy_without_unsafe_inline(client, agent, trainer):
    for user, name in ((agent, "agent-home"), (trainer, "trainer-home")):
        client.force_login(user)
        response = client.get(reverse(name))
        assert response.status_code == 200
        header = response["Content-Security-Policy"]
        assert "unsafe-inline" not in header and "unsafe-eval" not in header
        assert "http:" not in header and "https:" not in header  # nothing from elsewhere


def test_an_inline_script_needs_the_requests_nonce():
    middleware = CSPMiddleware(lambda request: HttpResponse())
    request = RequestFactory().get("/")
    middleware.process_request(request)
    nonce = str(request.csp_nonce)  # a template would write nonce="{{ request.csp_nonce }}"
    response = middleware.process_response(request, HttpResponse())
    assert f"'nonce-{nonce}'" in policy(response)["script-src"]
    assert f"'nonce-{nonce}'" in policy(response)["style-src"]


def _templates():
    for folder in TEMPLATE_DIRS:
        yield from (PROJECT_DIR / folder).rglob("*.html")


def test_no_template_has_inline_script_style_or_event_handlers():
    offences = []
    for path in _templates():
        source = path.read_text()
        name = str(path.relative_to(PROJECT_DIR))
        for tag in re.findall(r"<script\b[^>]*>", source):
            if "src=" not in tag and "csp_nonce" not in tag:
                offences.append(f"{name}: inline script {tag}")
        for tag in re.findall(r"<style\b[^>]*>", source):
            if "csp_nonce" not in tag and name != STANDALONE:
                offences.append(f"{name}: inline style element {tag}")
        if re.search(r"\sstyle=", source):
            offences.append(f"{name}: style attribute")
        if re.search(r"\son[a-z]+=", source):
            offences.append(f"{name}: inline event handler")
        if "javascript:" in source:
            offences.append(f"{name}: javascript: URL")
    assert offences == []


def test_the_error_pages_inline_style_is_allowed_by_its_hash(settings):
    """The 400/500 pages have no request (so no nonce) and no static files: their one
    <style> block is allowed by its hash, kept in step with the template."""
    source = (PROJECT_DIR / "curriculum/templates/errors/standalone.html").read_text()
    blocks = re.findall(r"<style>(.*?)</style>", source, re.S)
    assert len(blocks) == 1
    digest = base64.b64encode(hashlib.sha256(blocks[0].encode()).digest()).decode()
    assert f"'sha256-{digest}'" == settings.ERROR_PAGE_STYLE_HASH
    style_src = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"]
    assert settings.ERROR_PAGE_STYLE_HASH in style_src
