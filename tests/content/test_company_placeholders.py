"""Lessons teach the method for any company: `{{ company }}` in a lesson, a module summary
or exercise instructions is the company of company.yaml, and the curriculum pages count
what is loaded."""

import pytest
from django.urls import reverse

from curriculum.models import Exercise, Lesson, Module
from grading.content.loading import content_load_directory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LESSON = "tone-calibrated-prompts"


def _rename_company(content_copy, name: str) -> None:
    content_copy.edit("company.yaml", lambda d: d.update(name=name))


def test_the_company_name_comes_from_the_company_file(content_copy):
    _rename_company(content_copy, "Northwind Broadband")
    content_load_directory(path=content_copy.root)
    lesson = Lesson.objects.get(slug__startswith="tone-calibrated")
    assert "{{ company }}" in lesson.body
    assert "know Northwind Broadband" in lesson.body_html and "{{" not in lesson.body_html
    module = Module.objects.get(slug="accuracy-auditing")
    assert "the Northwind Broadband knowledge base" in module.summary_html
    exercise = Exercise.objects.get(slug="tone-read-and-calibrate")
    assert "real-looking Northwind Broadband ticket" in exercise.instructions_html


def test_renaming_the_company_renders_only_what_names_it_again(content_copy):
    content_load_directory(path=content_copy.root)
    before = dict(Lesson.objects.values_list("slug", "version"))
    _rename_company(content_copy, "Northwind Broadband")
    report = content_load_directory(path=content_copy.root)
    after = dict(Lesson.objects.values_list("slug", "version"))
    bumped = sorted(slug for slug in after if after[slug] != before[slug])
    named = sorted(
        Lesson.objects.filter(body__contains="{{ company }}").values_list("slug", flat=True)
    )
    assert bumped == named and named
    assert report.counts["lesson"]["unchanged"] == len(before) - len(named)


def test_no_curriculum_page_names_the_demo_company_when_another_is_loaded(client, content_copy):
    _rename_company(content_copy, "Northwind Broadband")
    content_load_directory(path=content_copy.root)
    client.force_login(UserFactory())
    pages = [reverse("curriculum:module-list")]
    for module in Module.objects.all():
        pages.append(reverse("curriculum:module-detail", args=[module.slug]))
        for lesson in module.lessons.all():
            pages.append(reverse("curriculum:lesson-detail", args=[module.slug, lesson.slug]))
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Tallyfront" not in response.text, url


def test_the_module_count_comes_from_the_data(client, content_copy):
    client.force_login(UserFactory())
    content_load_directory(path=content_copy.root)
    assert Module.objects.filter(retired_at=None).count() == 6  # the orientation and five skills
    assert "Six modules on working" in client.get(reverse("curriculum:module-list")).text
    Module.objects.filter(slug="empathy").update(retired_at="2026-01-01T00:00:00Z")
    assert "Five modules on working" in client.get(reverse("curriculum:module-list")).text
