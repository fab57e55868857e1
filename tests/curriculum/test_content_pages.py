"""Module overview and lesson pages, rendered from sanitised Markdown."""

import pytest
from django.urls import reverse
from django.utils import timezone

from curriculum.markdown import render_markdown
from curriculum.models import Lesson, Module

pytestmark = pytest.mark.django_db


def test_module_list_shows_five_modules(client, agent, loaded_content):
    client.force_login(agent)
    response = client.get(reverse("curriculum:module-list"))
    assert response.status_code == 200
    for module in Module.objects.all():
        assert module.title in response.content.decode()
    assert len(response.context["modules"]) == 6


def test_module_list_query_count_does_not_grow(
    client, agent, loaded_content, django_assert_num_queries
):
    client.force_login(agent)
    client.get(reverse("curriculum:module-list"))  # warm the session and user caches
    with django_assert_num_queries(4):
        client.get(reverse("curriculum:module-list"))
    module = Module.objects.first()
    Lesson.objects.bulk_create(
        Lesson(module=module, slug=f"extra-{i}", title=f"Extra {i}", body="x", body_html="x",
               content_hash="x")
        for i in range(30)
    )  # fmt: skip
    with django_assert_num_queries(4):
        client.get(reverse("curriculum:module-list"))


def test_module_detail_lists_lessons_and_exercises(client, agent, loaded_content):
    client.force_login(agent)
    module = Module.objects.get(slug__contains="tone")
    response = client.get(reverse("curriculum:module-detail", args=[module.slug]))
    body = response.content.decode()
    for lesson in module.lessons.all():
        assert lesson.title in body
    for exercise in module.exercises.all():
        assert exercise.title in body


def test_lesson_page_renders_markdown(client, agent, loaded_content):
    client.force_login(agent)
    lesson = Lesson.objects.select_related("module").first()
    response = client.get(
        reverse("curriculum:lesson-detail", args=[lesson.module.slug, lesson.slug])
    )
    assert response.status_code == 200
    assert lesson.body_html in response.content.decode()
    assert "<h" in lesson.body_html or "<p>" in lesson.body_html


def test_retired_lessons_and_modules_are_not_shown(client, agent, loaded_content):
    client.force_login(agent)
    lesson = Lesson.objects.select_related("module").first()
    lesson.retired_at = timezone.now()
    lesson.save(update_fields=["retired_at"])
    url = reverse("curriculum:lesson-detail", args=[lesson.module.slug, lesson.slug])
    assert client.get(url).status_code == 404
    module = lesson.module
    module.retired_at = timezone.now()
    module.save(update_fields=["retired_at"])
    assert client.get(reverse("curriculum:module-detail", args=[module.slug])).status_code == 404


def test_content_pages_require_login(client, loaded_content):
    response = client.get(reverse("curriculum:module-list"))
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("[click](javascript:alert(1))", "javascript:"),
        ('<img src=x onerror="alert(1)">', "onerror"),
        ('<a href="#" onclick="x()">a</a>', "onclick"),
        ("<iframe src='https://evil.example'></iframe>", "<iframe"),
    ],
)
def test_markdown_is_sanitised(source, forbidden):
    assert forbidden not in render_markdown(source)


def test_markdown_keeps_formatting_and_links():
    html = render_markdown("**bold** and [help](https://help.tallyfront.example/a)")
    assert "<strong>bold</strong>" in html
    assert 'href="https://help.tallyfront.example/a"' in html
    assert "nofollow" in html


def test_agents_do_not_see_a_lesson_version_trainers_do(client, agent, loaded_content):
    from tests.factories import TrainerFactory

    lesson = Lesson.objects.select_related("module").first()
    url = reverse("curriculum:lesson-detail", args=[lesson.module.slug, lesson.slug])
    client.force_login(agent)
    assert f"version {lesson.version}" not in client.get(url).content.decode()
    client.force_login(TrainerFactory())
    assert f"version {lesson.version}" in client.get(url).content.decode()


def test_line_breaks_are_kept_only_when_asked():
    text = "Thanks,\nSam\nSupport"
    assert render_markdown(text) == "<p>Thanks,\nSam\nSupport</p>"
    assert render_markdown(text, line_breaks=True).count("<br") == 2
