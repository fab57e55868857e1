"""The trainer's forms: every id on a page is unique, and every label, aria-describedby and
aria-labelledby points at an element that exists (help texts used to be referenced by ids
no element had, and the cohort page had two `id_email` fields)."""

from collections import Counter
from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids: list[str] = []
        self.references: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.references.append(("label for", attrs["for"]))
        for name in ("aria-describedby", "aria-labelledby"):
            for ref in (attrs.get(name) or "").split():
                self.references.append((name, ref))


def assert_ids_sound(html: str) -> None:
    parser = _Ids()
    parser.feed(html)
    duplicates = [i for i, n in Counter(parser.ids).items() if n > 1]
    assert duplicates == []
    dangling = [(kind, ref) for kind, ref in parser.references if ref not in parser.ids]
    assert dangling == []


def test_the_cohort_page_and_the_trainer_forms_have_sound_ids(client, trainer, cohort):
    client.force_login(trainer)
    for url in (
        reverse("cohorts:detail", args=[cohort.slug]),
        reverse("cohorts:create"),
        reverse("exercises:assignment-create", args=[cohort.slug]),
        reverse("grading:console-settings", args=[cohort.slug]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_ids_sound(response.content.decode())


def test_the_cohort_page_keeps_sound_ids_when_its_forms_come_back(client, trainer, cohort):
    client.force_login(trainer)
    html = client.get(reverse("cohorts:detail", args=[cohort.slug])).content.decode()
    # The co-trainer field is labelled by its own label.
    assert '<label for="id_trainer_email">' in html and 'id="id_trainer_email"' in html
    assert 'aria-describedby="id_trainer_email_helptext"' in html
