"""A page that comes back with input errors says so first, in its title ("Error: …"), and
marks the body for the script that focuses the error summary; other pages do not."""

from types import SimpleNamespace

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse

pytestmark = pytest.mark.django_db


class NameForm(forms.Form):
    name = forms.CharField()


def _has_errors(**context) -> str:
    template = Template("{% load page_errors %}{% page_has_errors as e %}{{ e }}")
    return template.render(Context(context))


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"form": NameForm()}, "False"),  # unbound: nothing to report
        ({"form": NameForm(data={"name": "Ada"})}, "False"),
        ({"form": NameForm(data={})}, "True"),
        ({"invite_form": NameForm(data={})}, "True"),  # whatever the view calls it
        ({"errors": {}}, "False"),
        ({"errors": {"reply": ["Write a reply."]}}, "True"),  # the workspace
        ({"errors": ["Score every criterion."]}, "True"),
        ({"page": SimpleNamespace(errors={"accuracy": "Say why."})}, "True"),  # review page
        ({"page": SimpleNamespace(errors={})}, "False"),
        ({"title": "Nothing here"}, "False"),
    ],
)
def test_page_has_errors(context, expected):
    assert _has_errors(**context) == expected


def test_a_form_that_comes_back_says_error_in_the_title(client, trainer):
    client.force_login(trainer)
    page = client.get(reverse("cohorts:create")).content.decode()
    assert "<title>New cohort · Coachline</title>" in page
    assert "data-page-errors" not in page
    page = client.post(reverse("cohorts:create"), {"name": ""}).content.decode()
    assert "<title>Error: New cohort · Coachline</title>" in page
    assert "<body data-page-errors>" in page
    assert 'src="/static/coachline/page.js"' in page
