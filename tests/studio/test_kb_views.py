"""The studio's knowledge-base pages: trainers only, no lost work, constant queries."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from exercises.models import KnowledgeFact
from studio.models import DraftFact
from tests.factories import TrainerFactory, UserFactory

pytestmark = pytest.mark.django_db

HELP = "https://help.tallyfront.example"


@pytest.fixture
def trainer_client(client, loaded_content):
    client.force_login(TrainerFactory())
    return client


def _post_fact(client, **overrides):
    data = {
        "id": "not-offered-kiosk",
        "category": "not_offered",
        "title": "Kiosk mode",
        "statement": "There is no kiosk mode.",
        "source_url": f"{HELP}/faq/kiosk",
        "data": "thing: kiosk mode\naliases: [kiosk]\n",
        "action": "save",
        **overrides,
    }
    return client.post(reverse("studio:draft-new", args=[data["category"]]), data)


def test_agents_may_not_open_the_studio(client, loaded_content):
    client.force_login(UserFactory())
    assert client.get(reverse("studio:kb")).status_code == 403
    assert _post_fact(client).status_code == 403
    assert not DraftFact.objects.exists()


def test_the_index_lists_facts_and_drafts_in_constant_queries(
    trainer_client, django_assert_num_queries
):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = trainer_client.get(reverse("studio:kb"))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for n in range(5):
        DraftFact.objects.create(slug=f"d-{n}", category="rule", title=f"Draft {n}")
    with django_assert_num_queries(few):
        response = trainer_client.get(reverse("studio:kb"))
    assert "Draft 4" in response.text and "Starter plan" in response.text


def test_a_new_fact_with_a_loader_problem_is_saved_and_shows_the_problem(trainer_client):
    response = _post_fact(trainer_client, source_url="https://elsewhere.example/kiosk")
    draft = DraftFact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("studio:draft-edit", args=[draft.pk])
    page = trainer_client.get(response["Location"])
    assert "is not under the help site" in page.text
    assert draft.status == DraftFact.Status.NEEDS_REVIEW


def test_data_that_is_not_yaml_is_kept_in_the_form_and_not_saved(trainer_client):
    response = _post_fact(trainer_client, data="thing: kiosk mode\naliases: [kiosk\n")
    assert response.status_code == 200
    assert "not valid YAML" in response.text
    assert "aliases: [kiosk" in response.text
    assert not DraftFact.objects.exists()


def test_save_and_confirm_then_publish(trainer_client):
    response = _post_fact(trainer_client, action="confirm")
    assert response.status_code == 302
    assert DraftFact.objects.get().status == DraftFact.Status.CONFIRMED
    response = trainer_client.post(reverse("studio:publish"))
    assert response.status_code == 302
    assert KnowledgeFact.objects.get(slug="not-offered-kiosk").version == 1
    assert not DraftFact.objects.exists()


def test_a_failed_publish_lists_the_problem_by_draft(trainer_client):
    _post_fact(trainer_client)
    draft = DraftFact.objects.get()
    DraftFact.objects.filter(pk=draft.pk).update(
        status=DraftFact.Status.CONFIRMED, data={"thing": 3}
    )
    response = trainer_client.post(reverse("studio:publish"))
    assert response.status_code == 200
    assert "Nothing was published" in response.text
    assert reverse("studio:draft-edit", args=[draft.pk]) in response.text
    assert not KnowledgeFact.objects.filter(slug="not-offered-kiosk").exists()


def test_try_a_sentence_works_without_javascript(trainer_client):
    response = trainer_client.get(
        reverse("studio:kb"), {"sentence": "Starter is $25 per seat a month.", "plan": ""}
    )
    assert "Rejected" in response.text
    assert "plan-starter" in response.text


def test_editing_a_published_fact_opens_a_draft_with_its_id_locked(trainer_client):
    response = trainer_client.post(reverse("studio:fact-edit", args=["plan-starter"]))
    draft = DraftFact.objects.get(slug="plan-starter")
    assert response["Location"] == reverse("studio:draft-edit", args=[draft.pk])
    page = trainer_client.get(response["Location"])
    assert "A published fact keeps its id." in page.text
    assert "edits the published fact (v1)" in page.text


def test_a_help_centre_upload_makes_drafts_to_review(trainer_client):
    export = {
        "articles": [
            {
                "title": "Kiosk mode is not available",
                "body": "<p>We do not offer a kiosk mode.</p>",
                "html_url": f"{HELP}/faq/kiosk",
            }
        ]
    }
    upload = SimpleUploadedFile("export.json", json.dumps(export).encode(), "application/json")
    response = trainer_client.post(reverse("studio:import-help-centre"), {"json_file": upload})
    assert response.status_code == 302
    draft = DraftFact.objects.get()
    assert (draft.category, draft.status, draft.origin) == (
        "not_offered",
        DraftFact.Status.NEEDS_REVIEW,
        DraftFact.Origin.HELP_CENTRE,
    )
    page = trainer_client.get(reverse("studio:draft-edit", args=[draft.pk]))
    assert "What the import read" in page.text


def test_a_csv_upload_lists_the_rows_left_out(trainer_client):
    csv = (
        f"id,category,title,statement,source_url,data\nx,colour,Blue,It is blue.,{HELP}/blue,\n"
    ).encode()
    response = trainer_client.post(
        reverse("studio:import-csv"), {"file": SimpleUploadedFile("facts.csv", csv, "text/csv")}
    )
    assert response.status_code == 200
    assert "row 2: category" in response.text
    assert not DraftFact.objects.exists()


def test_confirming_from_the_list_refuses_a_draft_with_problems(trainer_client):
    _post_fact(trainer_client, source_url="https://elsewhere.example/kiosk")
    draft = DraftFact.objects.get()
    response = trainer_client.post(reverse("studio:draft-confirm", args=[draft.pk]))
    assert response["Location"] == reverse("studio:draft-edit", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == DraftFact.Status.NEEDS_REVIEW
    DraftFact.objects.filter(pk=draft.pk).update(source_url=f"{HELP}/faq/kiosk")
    response = trainer_client.post(reverse("studio:draft-confirm", args=[draft.pk]))
    assert response["Location"] == reverse("studio:kb")
    draft.refresh_from_db()
    assert draft.status == DraftFact.Status.CONFIRMED


def test_a_second_draft_with_the_same_id_is_refused_by_its_field(trainer_client):
    _post_fact(trainer_client)
    response = _post_fact(trainer_client, title="Kiosk mode again")
    assert response.status_code == 200
    assert "duplicate fact id" in response.text
    assert DraftFact.objects.count() == 1


def test_editing_a_draft_into_a_problem_saves_it_and_says_so(trainer_client):
    _post_fact(trainer_client)
    draft = DraftFact.objects.get()
    url = reverse("studio:draft-edit", args=[draft.pk])
    response = trainer_client.post(
        url,
        {
            **draft.as_content(),
            "data": "thing: kiosk mode\naliases: [kiosk]\n",
            "statement": "There is no kiosk mode at all.",
            "source_url": "https://elsewhere.example/kiosk",
            "action": "confirm",
        },
        follow=True,
    )
    draft.refresh_from_db()
    assert draft.statement == "There is no kiosk mode at all."
    assert draft.status == DraftFact.Status.NEEDS_REVIEW
    assert "Saved as a draft with problems" in response.text
    assert "is not under the help site" in response.text
