"""Drafts, imports and the all-or-nothing publish of knowledge-base facts."""

import json

import pytest
from django.core.management import call_command

from exercises.models import KnowledgeFact
from grading.content.loading import content_load_directory
from studio import services
from studio.imports import ImportFormatError, facts_from_csv, facts_from_help_centre
from studio.models import DraftFact
from tests.factories import TrainerFactory

pytestmark = pytest.mark.django_db

HELP = "https://help.tallyfront.example"


def _kiosk(**overrides) -> dict:
    return {
        "id": "not-offered-kiosk",
        "category": "not_offered",
        "title": "Kiosk mode",
        "statement": "There is no kiosk mode.",
        "source_url": f"{HELP}/faq/kiosk",
        "data": {"thing": "kiosk mode", "aliases": ["kiosk"]},
        **overrides,
    }


def test_saving_keeps_a_draft_with_problems_but_confirming_refuses_it(loaded_content):
    trainer = TrainerFactory()
    draft = services.draft_fact_save(
        user=trainer, content=_kiosk(source_url="https://elsewhere.example/kiosk")
    )
    assert DraftFact.objects.get(pk=draft.pk).status == DraftFact.Status.NEEDS_REVIEW
    with pytest.raises(services.DraftInvalidError) as caught:
        services.draft_fact_confirm(draft=draft)
    assert "not under the help site" in str(caught.value.errors[0])
    draft.refresh_from_db()
    assert draft.status == DraftFact.Status.NEEDS_REVIEW


def test_publishing_makes_a_new_fact_version_one_and_removes_the_draft(loaded_content):
    trainer = TrainerFactory()
    draft = services.draft_fact_save(user=trainer, content=_kiosk())
    services.draft_fact_confirm(draft=draft)
    result = services.drafts_publish(user=trainer)
    assert result.published == ["not-offered-kiosk"]
    fact = KnowledgeFact.objects.get(slug="not-offered-kiosk")
    assert (fact.version, fact.category, fact.data["thing"]) == (1, "not_offered", "kiosk mode")
    assert fact.source_path.startswith("knowledge_base/")
    assert not DraftFact.objects.exists()
    assert result.report.counts["fact"]["created"] == 1
    assert result.report.counts["fact"]["unchanged"] == 53


def test_editing_a_published_fact_gives_it_the_next_version(loaded_content):
    trainer = TrainerFactory()
    fact = KnowledgeFact.objects.get(slug="plan-starter")
    draft = services.draft_fact_start_edit(user=trainer, fact=fact)
    assert services.draft_fact_start_edit(user=trainer, fact=fact).pk == draft.pk
    content = {**draft.as_content(), "title": "Starter plan (small teams)"}
    draft = services.draft_fact_save(user=trainer, content=content, draft=draft)
    services.draft_fact_confirm(draft=draft)
    services.drafts_publish(user=trainer)
    fact.refresh_from_db()
    assert (fact.title, fact.version, fact.source_path) == (
        "Starter plan (small teams)",
        2,
        "knowledge_base/plans.yaml",
    )


def test_publishing_is_all_or_nothing(loaded_content):
    trainer = TrainerFactory()
    good = services.draft_fact_save(user=trainer, content=_kiosk())
    services.draft_fact_confirm(draft=good)
    # A draft changed behind the confirmation (or a published fact it breaks): nothing goes.
    bad = services.draft_fact_save(
        user=trainer,
        content={
            "id": "feature-kiosk-reports",
            "category": "feature",
            "title": "Kiosk reports",
            "statement": "Kiosk reports are on Starter.",
            "source_url": f"{HELP}/kiosk-reports",
            "data": {"feature": "Kiosk reports", "aliases": ["kiosk reports"], "plans": ["Gold"]},
        },
    )
    DraftFact.objects.filter(pk=bad.pk).update(status=DraftFact.Status.CONFIRMED)
    with pytest.raises(services.PublishError) as caught:
        services.drafts_publish(user=trainer)
    assert not KnowledgeFact.objects.filter(slug="not-offered-kiosk").exists()
    assert DraftFact.objects.count() == 2
    (problem,) = caught.value.errors
    assert problem.draft_slug == "feature-kiosk-reports"
    assert "unknown plan 'Gold'" in problem.text


def test_drafts_that_need_review_are_not_published(loaded_content):
    trainer = TrainerFactory()
    services.draft_fact_save(user=trainer, content=_kiosk())
    with pytest.raises(services.PublishError, match="No confirmed drafts"):
        services.drafts_publish(user=trainer)
    assert not KnowledgeFact.objects.filter(slug="not-offered-kiosk").exists()


def test_a_published_draft_is_loaded_again_unchanged_after_export(loaded_content, tmp_path):
    trainer = TrainerFactory()
    draft = services.draft_fact_save(user=trainer, content=_kiosk())
    services.draft_fact_confirm(draft=draft)
    services.drafts_publish(user=trainer)
    call_command("export_content", str(tmp_path / "out"))
    report = content_load_directory(path=tmp_path / "out")
    assert not report.changed
    assert report.counts["fact"]["unchanged"] == 54


# --- Imports -------------------------------------------------------------------------------

CSV = (
    "id,category,title,statement,source_url,data\n"
    f"not-offered-kiosk,not_offered,Kiosk mode,There is no kiosk mode.,{HELP}/faq/kiosk,"
    '"{thing: kiosk mode, aliases: [kiosk]}"\n'
    f"bad-kind,colour,Blue,It is blue.,{HELP}/blue,\n"
    f'bad-data,rule,Broken,Broken.,{HELP}/x,"{{rule: [unclosed"\n'
)


def test_csv_rows_become_drafts_and_bad_rows_are_named():
    result = facts_from_csv(CSV.encode())
    assert [f.slug for f in result.facts] == ["not-offered-kiosk"]
    assert result.facts[0].data == {"thing": "kiosk mode", "aliases": ["kiosk"]}
    assert result.problems[0].startswith("row 3: category 'colour' is not one of")
    assert result.problems[1].startswith("row 4: data:")


def test_a_csv_without_the_columns_is_refused():
    with pytest.raises(ImportFormatError, match="missing: statement, source_url, data"):
        facts_from_csv(b"id,category,title\nx,plan,X\n")
    with pytest.raises(ImportFormatError, match="not UTF-8"):
        facts_from_csv("id,category\n\xe9".encode("latin-1"))


def test_imported_facts_need_review_and_never_overwrite(loaded_content):
    trainer = TrainerFactory()
    facts = facts_from_csv(CSV.encode()).facts
    facts[0].slug = "plan-starter"  # an id already published
    (draft,) = services.drafts_import(user=trainer, facts=facts, origin=DraftFact.Origin.CSV)
    assert draft.slug == "plan-starter-2"
    assert draft.status == DraftFact.Status.NEEDS_REVIEW
    assert KnowledgeFact.objects.get(slug="plan-starter").title == "Starter plan"


ZENDESK = {
    "articles": [
        {
            "id": 1,
            "title": "Change your billing email",
            "body": "<p>To change where invoices go, open Settings &gt; Billing &gt; "
            "Billing contact. Save, and new invoices go there.</p>",
            "html_url": f"{HELP}/billing/billing-email",
            "section_id": 42,
            "label_names": ["billing"],
            "draft": False,
        },
        {
            "id": 2,
            "title": "Card payments not working",
            "body": "<p>If card payments fail, try these steps.</p><ol><li>Reconnect your payment"
            " provider</li><li>Check the card is not expired</li></ol>",
            "html_url": f"{HELP}/payments/card-troubleshooting",
            "label_names": [],
        },
        {"id": 3, "title": "Unfinished", "body": "<p>x</p>", "draft": True},
    ]
}


def test_a_help_centre_json_export_becomes_draft_facts():
    raw = json.dumps(ZENDESK).encode()
    result = facts_from_help_centre(json_file=("export.json", raw))
    process, trouble = result.facts
    assert process.category == "process"
    assert process.data["current_path"] == "Settings > Billing > Billing contact"
    assert process.source_url == f"{HELP}/billing/billing-email"
    assert process.statement.startswith("To change where invoices go")
    assert trouble.category == "troubleshooting"
    assert trouble.data["steps"] == [
        "Reconnect your payment provider",
        "Check the card is not expired",
    ]


def test_markdown_articles_become_draft_facts():
    article = (
        "---\ntitle: Refunds\nurl: https://help.tallyfront.example/billing/refunds\n"
        "section: Billing\n---\nWe refund a charge within 30 days of the charge date.\n"
    )
    result = facts_from_help_centre(
        markdown_files=[("refunds.md", article.encode()), ("empty.md", b"no title here")],
        json_file=None,
    )
    (fact,) = result.facts
    assert (fact.category, fact.title, fact.section) == ("policy", "Refunds", "Billing")
    assert result.problems == ["empty.md: no title (add `title:` front matter or a # heading)"]


def test_a_broken_json_export_says_where():
    with pytest.raises(ImportFormatError, match="line 1, column"):
        facts_from_help_centre(json_file=("x.json", b"{not json"))
    with pytest.raises(ImportFormatError, match="expected a list of articles"):
        facts_from_help_centre(json_file=("x.json", b'{"total": 3}'))


def test_publishing_before_any_content_is_loaded_says_what_to_do(settings, tmp_path):
    settings.CONTENT_DIR = tmp_path  # no company.yaml, nothing loaded
    draft = DraftFact.objects.create(
        slug="x", category="rule", title="X", status=DraftFact.Status.CONFIRMED
    )
    with pytest.raises(services.PublishError, match="load content once"):
        services.drafts_publish(user=draft.created_by)
    assert DraftFact.objects.filter(pk=draft.pk).exists()
