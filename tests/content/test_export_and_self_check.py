"""`export_content` writes the database's content back to files that load unchanged, and
the loader checks the content against itself (the claim checker over what is meant to be
right)."""

import pytest
from django.conf import settings
from django.core.management import call_command

from exercises.models import CompanyProfile, KnowledgeFact
from grading.content.loading import content_check_directory, content_load_directory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("source", ["content", "packs/lumenmail"])
def test_exported_content_loads_again_unchanged(source, tmp_path):
    content_load_directory(path=settings.BASE_DIR / "fixtures" / source)
    versions = dict(KnowledgeFact.objects.values_list("slug", "version"))
    call_command("export_content", str(tmp_path / "one"))
    report = content_load_directory(path=tmp_path / "one")
    assert not report.changed
    assert report.total("restored") == 0, "every item keeps its file"
    assert dict(KnowledgeFact.objects.values_list("slug", "version")) == versions
    # And a second export writes the same files.
    call_command("export_content", str(tmp_path / "two"))
    one = {p.relative_to(tmp_path / "one"): p.read_text() for p in (tmp_path / "one").rglob("*.*")}
    two = {p.relative_to(tmp_path / "two"): p.read_text() for p in (tmp_path / "two").rglob("*.*")}
    assert one == two


def test_the_loaded_company_is_exported_and_used(tmp_path):
    pack = settings.BASE_DIR / "fixtures" / "packs" / "lumenmail"
    content_load_directory(path=pack)
    assert CompanyProfile.objects.get().name != "Tallyfront"
    call_command("export_content", str(tmp_path))
    assert (
        (tmp_path / "company.yaml")
        .read_text()
        .startswith(f"name: {CompanyProfile.objects.get().name}")
    )

    from grading.selectors import knowledge_base_current

    assert knowledge_base_current().company.name == CompanyProfile.objects.get().name


def test_a_good_draft_the_claim_checker_contradicts_is_a_content_error(content_copy):
    path = "scenarios/tone/tone-charged-twice-caps.yaml"
    content_copy.edit(
        path,
        lambda d: d["drafts"].update(
            calibrated=d["drafts"]["calibrated"]
            + "\nBy the way, Starter is $99 per seat a month.\n"
        ),
    )
    _, errors = content_check_directory(path=content_copy.root)
    (error,) = errors
    assert (error.path, error.field) == (path, "drafts.calibrated")
    assert "wrong price" in error.message and "plan-starter" in error.message
    assert "Correct the text or the fact" in error.message


def test_a_full_marks_example_with_a_wrong_claim_is_a_content_error(content_copy):
    path = "examples/audit-strong-sso-on-growth.yaml"
    content_copy.edit(
        path,
        lambda d: d["answer"].update(
            reply=d["answer"]["reply"] + "\nStarter is $99 per seat a month.\n"
        ),
    )
    _, errors = content_check_directory(path=content_copy.root)
    (error,) = errors
    assert (error.path, error.field) == (path, "answer.reply")
    assert "full accuracy marks" in error.message


def test_a_statement_the_checker_contradicts_is_a_content_error(content_copy):
    path = "knowledge_base/rules.yaml"

    def add(data):
        data["facts"].append(
            {
                "id": "rule-starter-note",
                "category": "rule",
                "title": "Starter note",
                "statement": "Starter costs $99 per seat per month billed monthly.",
                "source_url": "https://help.tallyfront.example/plans/starter",
                "data": {"rule": "Starter note", "aliases": ["starter note"], "value": True},
            }
        )

    content_copy.edit(path, add)
    _, errors = content_check_directory(path=content_copy.root)
    (error,) = errors
    assert error.path == path and error.field.endswith(".statement")


def test_the_shipped_content_checks_clean():
    _, errors = content_check_directory(path=settings.CONTENT_DIR)
    assert errors == []
