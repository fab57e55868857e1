"""Tickets to drafts (nothing stored before the trainer confirms, only redacted text after),
the scenario editor's validation, publishing as immutable versions, the agent preview and
the dry-run grade."""

import json

import pytest
from django.urls import reverse

from authoring import services
from authoring.models import ScenarioDraft
from curriculum.models import Exercise
from exercises.models import ExerciseScenario, Scenario, ScenarioVersion, Submission
from grading.content.loading import content_load_directory
from tests.factories import ScenarioDraftFactory

THREAD = """Subject: Charged twice, Jane Doe
--- Jane Doe (customer) 2026-11-02 10:14
Hi Tom, I was CHARGED TWICE on my Starter plan!!! Call me on +1 415 555 0142.
My card 4111 1111 1111 1111. Why does this keep happening? Who approved this?

Thanks,
Jane
--- Tom Reyes (agent) 2026-11-02 11:00
Hi Jane, sorry about that, I am checking the invoices now.
"""

VALID_TONE = {
    "title": "Charged twice",
    "customer__name": "Maren Halvorsen",
    "customer__company": "Private customer",
    "customer__plan": "Starter",
    "message": "I was CHARGED TWICE on my Starter plan!!! Why does this keep happening?",
    "gold__state": "frustrated",
    "gold__secondary_state": "",
    "gold__severity": "7",
    "gold__indicators": "all_caps: CHARGED TWICE\nexclamations: !!!",
    "drafts__generic": "Hi! Great question!",
    "drafts__calibrated": "Hi Maren, I understand why two charges look wrong.",
}


@pytest.fixture
def tone_exercise(loaded_content):
    return Exercise.objects.get(slug="tone-read-and-calibrate")


def _review(client, **extra):
    return client.post(
        reverse("authoring:ticket-import"),
        {"thread": THREAD, "scenario_type": "tone", **extra},
    )


def _confirm(client, review_response, **extra):
    context = review_response.context
    data = {
        "tickets_json": context["tickets_json"],
        "digest": context["digest"],
        "extra_terms": context["extra_terms"],
        "scenario_type": "tone",
        "action": "confirm",
        **extra,
    }
    return client.post(reverse("authoring:ticket-confirm"), data)


def test_the_review_shows_every_redaction_and_stores_nothing(client, trainer, loaded_content):
    client.force_login(trainer)
    response = _review(client)
    assert response.status_code == 200
    kinds = {row["kind"] for page in response.context["pages"] for row in page.rows}
    assert {"Name", "Phone number", "Card number"} <= kinds
    assert not ScenarioDraft.objects.exists()
    html = response.content.decode()
    assert "[card number]" in html and "Undo" in html


def test_confirming_stores_only_redacted_text_and_the_redaction_list(
    client, trainer, tone_exercise
):
    client.force_login(trainer)
    review = _review(client, exercise=tone_exercise.pk)
    response = _confirm(client, review, exercise=tone_exercise.pk)
    draft = ScenarioDraft.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("authoring:draft-edit", args=[draft.pk])
    stored = json.dumps([draft.data, draft.thread, draft.redactions, draft.title])
    for secret in ("Jane", "Doe", "Reyes", "415 555 0142", "4111 1111 1111 1111"):
        assert secret not in stored
    assert draft.data["customer"]["plan"] == "Starter"
    assert "CHARGED TWICE" in draft.data["message"]
    assert draft.exercise == tone_exercise
    assert {item["kind"] for item in draft.redactions} >= {"name", "phone", "card"}
    assert all(set(item) == {"index", "kind", "field", "replacement", "undone"}
               for item in draft.redactions)  # fmt: skip


def test_an_undone_redaction_keeps_the_original_text(client, trainer, loaded_content):
    client.force_login(trainer)
    review = _review(client)
    phone = next(
        row
        for page in review.context["pages"]
        for row in page.rows
        if row["kind"] == "Phone number"
    )
    _confirm(client, review, undo=[phone["value"]])
    draft = ScenarioDraft.objects.get()
    assert "+1 415 555 0142" in draft.data["message"]
    assert [i["undone"] for i in draft.redactions if i["kind"] == "phone"] == [True]


def test_changed_terms_are_shown_again_before_anything_is_stored(client, trainer, loaded_content):
    client.force_login(trainer)
    review = _review(client)
    response = _confirm(client, review, extra_terms="invoices")
    assert response.status_code == 200
    assert "check it again" in response.content.decode()
    assert not ScenarioDraft.objects.exists()
    again = _confirm(client, response)
    assert again.status_code == 302
    assert "invoices" not in json.dumps(ScenarioDraft.objects.get().thread)


def test_a_damaged_review_form_is_refused_without_storing(client, trainer, loaded_content):
    client.force_login(trainer)
    response = client.post(
        reverse("authoring:ticket-confirm"), {"tickets_json": "{nope", "action": "confirm"}
    )
    assert response.status_code == 302
    assert not ScenarioDraft.objects.exists()


def test_an_unreadable_export_says_why(client, trainer, loaded_content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(trainer)
    upload = SimpleUploadedFile("t.json", b"{broken", content_type="application/json")
    response = client.post(
        reverse("authoring:ticket-import"), {"export": upload, "scenario_type": "tone"}
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.content.decode()


def test_agents_cannot_open_the_authoring_pages(client, agent, loaded_content):
    client.force_login(agent)
    draft = ScenarioDraftFactory()
    for url in (
        reverse("authoring:home"),
        reverse("authoring:ticket-import"),
        reverse("authoring:draft-edit", args=[draft.pk]),
        reverse("authoring:draft-preview", args=[draft.pk]),
        reverse("authoring:rubric-list"),
    ):
        assert client.get(url).status_code == 403, url


def _draft(tone_exercise, trainer):
    return services.scenario_draft_create(
        user=trainer, scenario_type="tone", title="Charged twice", exercise=tone_exercise
    )


def test_a_new_draft_lists_what_the_loader_would_refuse(client, trainer, tone_exercise):
    client.force_login(trainer)
    draft = _draft(tone_exercise, trainer)
    response = client.get(reverse("authoring:draft-edit", args=[draft.pk]))
    assert response.status_code == 200
    problems = response.context["errors"]
    assert "message" in problems and "customer__plan" in problems
    assert response.context["problem_count"] > 0


def test_an_indicator_not_in_the_message_is_shown_on_its_field(client, trainer, tone_exercise):
    client.force_login(trainer)
    draft = _draft(tone_exercise, trainer)
    post = {**VALID_TONE, "slug": draft.slug, "exercise": tone_exercise.pk, "action": "save"}
    post["gold__indicators"] = "all_caps: NOT THERE"
    client.post(reverse("authoring:draft-edit", args=[draft.pk]), post)
    response = client.get(reverse("authoring:draft-edit", args=[draft.pk]))
    assert any("NOT THERE" in e for e in response.context["errors"]["gold__indicators"])


def test_yaml_that_does_not_parse_is_not_saved_and_the_typed_text_stays(
    client, trainer, loaded_content
):
    client.force_login(trainer)
    draft = services.scenario_draft_create(
        user=trainer, scenario_type="audit", title="Audit", exercise=None
    )
    post = {"slug": draft.slug, "title": "Audit", "draft": "Costs $5", "errors": "- id: [oops"}
    response = client.post(reverse("authoring:draft-edit", args=[draft.pk]), post)
    assert response.status_code == 400
    assert "- id: [oops" in response.content.decode()
    assert any("line" in e for e in response.context["errors"]["errors"])
    draft.refresh_from_db()
    assert draft.data.get("draft") == ""


def test_publishing_creates_the_scenario_version_and_its_place_in_the_exercise(
    client, trainer, tone_exercise
):
    client.force_login(trainer)
    draft = _draft(tone_exercise, trainer)
    post = {**VALID_TONE, "slug": "tone-charged-twice-browser", "exercise": tone_exercise.pk}
    response = client.post(
        reverse("authoring:draft-edit", args=[draft.pk]), {**post, "action": "publish"}
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    scenario = Scenario.objects.get(slug="tone-charged-twice-browser")
    assert scenario.version == 1 and scenario.source_path.startswith("browser:")
    assert ScenarioVersion.objects.filter(scenario=scenario, number=1).exists()
    assert ExerciseScenario.objects.filter(exercise=tone_exercise, scenario=scenario).exists()
    # Unchanged: no new version. Changed: the next one, the first kept.
    client.post(reverse("authoring:draft-edit", args=[draft.pk]), {**post, "action": "publish"})
    assert scenario.versions.count() == 1
    post["drafts__generic"] = "Hello, thanks for writing."
    client.post(reverse("authoring:draft-edit", args=[draft.pk]), {**post, "action": "publish"})
    assert list(scenario.versions.values_list("number", flat=True)) == [2, 1]
    # Once published, the id stays.
    post["slug"] = "another-id"
    response = client.post(
        reverse("authoring:draft-edit", args=[draft.pk]), {**post, "action": "publish"}
    )
    assert response.status_code == 400
    assert any("cannot change" in e for e in response.context["errors"]["slug"])
    assert not Scenario.objects.filter(slug="another-id").exists()


def test_an_invalid_draft_is_saved_but_not_published(client, trainer, tone_exercise):
    client.force_login(trainer)
    draft = _draft(tone_exercise, trainer)
    post = {**VALID_TONE, "slug": draft.slug, "exercise": tone_exercise.pk, "action": "publish"}
    post["customer__plan"] = "Platinum"
    response = client.post(reverse("authoring:draft-edit", args=[draft.pk]), post)
    assert response.status_code == 400
    assert any("Platinum" in e for e in response.context["errors"]["customer__plan"])
    assert not Scenario.objects.filter(slug=draft.slug).exists()
    draft.refresh_from_db()
    assert draft.data["customer"]["plan"] == "Platinum"  # what was typed is kept


def test_an_id_of_a_scenario_from_the_files_is_refused(client, trainer, tone_exercise):
    client.force_login(trainer)
    draft = _draft(tone_exercise, trainer)
    post = {**VALID_TONE, "slug": "tone-charged-twice-caps", "exercise": tone_exercise.pk}
    response = client.post(
        reverse("authoring:draft-edit", args=[draft.pk]), {**post, "action": "publish"}
    )
    assert response.status_code == 400
    assert any("taken" in e for e in response.context["errors"]["slug"])


def test_load_content_keeps_a_scenario_published_in_the_browser(trainer, tone_exercise, settings):
    draft = _draft(tone_exercise, trainer)
    from django.http import QueryDict

    from authoring import editor

    post = QueryDict(mutable=True)
    post.update({**VALID_TONE, "slug": "tone-from-browser"})
    data, errors = editor.data_from_post(scenario_type="tone", post=post, facts=[])
    assert not errors
    services.scenario_draft_update(draft_id=draft.pk, data=data, exercise=tone_exercise)
    services.scenario_draft_publish(draft_id=draft.pk)
    report = content_load_directory(path=settings.CONTENT_DIR)
    scenario = Scenario.objects.get(slug="tone-from-browser")
    assert scenario.retired_at is None
    assert ExerciseScenario.objects.filter(exercise=tone_exercise, scenario=scenario).exists()
    assert not report.total("retired")


def test_the_preview_shows_the_scenario_and_grades_a_typed_answer_without_storing(
    client, trainer, tone_exercise
):
    client.force_login(trainer)
    draft = _draft(tone_exercise, trainer)
    post = {**VALID_TONE, "slug": draft.slug, "exercise": tone_exercise.pk, "action": "save"}
    client.post(reverse("authoring:draft-edit", args=[draft.pk]), post)
    url = reverse("authoring:draft-preview", args=[draft.pk])
    page = client.get(url)
    assert "CHARGED TWICE" in page.content.decode()
    answer = {
        "identified_state": "frustrated",
        "indicators": "CHARGED TWICE\n!!!",
        "prompt": "Write a calm, empathetic reply that explains both charges.",
        "reply": "Hi Maren, I understand how worrying two charges are. I will check both "
        "invoices today and email you by 5pm.",
    }
    response = client.post(url, answer)
    result = response.context["result"]
    assert result is not None and 0 <= result.total <= 1
    state = next(row for row in result.rows if row.key == "state_identification")
    assert state.points == state.max_points
    assert not Submission.objects.exists()


def test_the_draft_list_uses_a_fixed_number_of_queries(
    client, trainer, tone_exercise, django_assert_num_queries
):
    client.force_login(trainer)
    url = reverse("authoring:home")
    ScenarioDraftFactory(exercise=tone_exercise)
    client.get(url)
    with django_assert_num_queries(5) as one:
        assert client.get(url).status_code == 200
    for _ in range(6):
        draft = ScenarioDraftFactory(exercise=tone_exercise)
        ScenarioDraft.objects.filter(pk=draft.pk).update(status="published")
    with django_assert_num_queries(len(one.captured_queries)):
        client.get(url)
