"""load_content: validate everything first, load in one go, version edits, retire removals."""

import pytest
import yaml
from django.conf import settings
from django.core.management import CommandError, call_command

from curriculum.models import Exercise, Lesson, Module
from exercises.models import KnowledgeFact, Scenario, ScenarioVersion
from grading.content.loading import (
    ContentValidationError,
    content_check_directory,
    content_load_directory,
)
from grading.models import Criterion, ExampleSubmission, Rubric, RubricVersion

pytestmark = pytest.mark.django_db

CONTENT_MODELS = (
    Module, Lesson, Exercise, KnowledgeFact, Scenario, Rubric, RubricVersion, ExampleSubmission
)  # fmt: skip


def snapshot_counts() -> dict:
    return {model.__name__: model.objects.count() for model in CONTENT_MODELS}


def test_shipped_content_validates():
    _, errors = content_check_directory(path=settings.CONTENT_DIR)
    assert errors == []


def test_shipped_content_has_the_whole_curriculum():
    content_load_directory(path=settings.CONTENT_DIR)
    assert Module.objects.count() == 6
    assert set(Exercise.objects.values_list("type", flat=True)) == {
        "tone", "audit", "context", "empathy", "escalation", "rca"
    }  # fmt: skip
    by_type = {t: Scenario.objects.filter(type=t).count() for t in ("tone", "empathy", "audit")}
    assert by_type["tone"] >= 10
    assert by_type["empathy"] >= 10
    assert by_type["audit"] >= 8
    assert Scenario.objects.filter(type="context").count() >= 4
    assert Scenario.objects.filter(type="escalation").count() >= 5
    assert Scenario.objects.filter(type="rca").count() >= 2
    reply_quality = Rubric.objects.get(slug="reply-quality").current_version
    assert [c.key for c in reply_quality.criteria.all()] == [
        "tone_match", "empathy", "accuracy", "completeness", "next_steps", "personalization"
    ]  # fmt: skip
    assert ExampleSubmission.objects.count() >= 12


def test_reloading_changes_nothing():
    content_load_directory(path=settings.CONTENT_DIR)
    before = snapshot_counts()
    versions = dict(Scenario.objects.values_list("slug", "version"))
    report = content_load_directory(path=settings.CONTENT_DIR)
    assert not report.changed
    assert snapshot_counts() == before
    assert dict(Scenario.objects.values_list("slug", "version")) == versions


def test_editing_a_lesson_bumps_only_its_version(content_copy):
    content_load_directory(path=content_copy.root)
    lesson_path = content_copy.first("modules/*/lessons/*.md")
    lesson_path.write_text(lesson_path.read_text() + "\nOne more paragraph.\n")
    report = content_load_directory(path=content_copy.root)
    assert report.counts["lesson"]["updated"] == 1
    assert Lesson.objects.filter(version=2).count() == 1
    assert "One more paragraph." in Lesson.objects.get(version=2).body_html


def test_editing_a_scenario_keeps_the_old_snapshot(content_copy):
    content_load_directory(path=content_copy.root)
    path = content_copy.first("scenarios/tone/*.yaml")
    data = content_copy.edit(path, lambda d: d.update(title=d["title"] + " (revised)"))
    content_load_directory(path=content_copy.root)
    scenario = Scenario.objects.get(slug=data["id"])
    assert scenario.version == 2
    old, new = ScenarioVersion.objects.filter(scenario=scenario).order_by("number")
    assert not old.data["title"].endswith("(revised)")
    assert new.data["title"].endswith("(revised)")


def test_editing_a_rubric_creates_a_new_version_and_keeps_the_old(content_copy):
    content_load_directory(path=content_copy.root)
    rubric = Rubric.objects.get(slug="reply-quality")
    old_version = rubric.current_version

    def reword(data):
        data["criteria"][0]["levels"][0]["description"] = "Reworded by a trainer."

    content_copy.edit("rubrics/reply-quality.yaml", reword)
    content_load_directory(path=content_copy.root)
    rubric.refresh_from_db()
    assert rubric.version == 2
    assert rubric.current_version != old_version
    old_version.refresh_from_db()
    assert old_version.snapshot["criteria"][0]["levels"][0]["description"] != (
        "Reworded by a trainer."
    )
    assert Criterion.objects.filter(rubric_version=old_version).count() == 6
    # Rubrics that extend reply-quality changed too, so they get a new version as well.
    assert Rubric.objects.get(slug="tone-calibration").version == 2


def test_rubric_versions_are_immutable():
    content_load_directory(path=settings.CONTENT_DIR)
    version = RubricVersion.objects.first()
    version.title = "changed"
    with pytest.raises(ValueError, match="immutable"):
        version.save()


def test_removed_content_is_retired_not_deleted(content_copy):
    content_load_directory(path=content_copy.root)
    exercise_path = content_copy.first("modules/*/exercises/*.yaml")
    exercise = content_copy.read(exercise_path)
    removed = exercise["scenarios"][-1]
    # A scenario may serve several exercises (the orientation reuses audit scenarios).
    for path in content_copy.root.glob("modules/*/exercises/*.yaml"):
        if removed in content_copy.read(path)["scenarios"]:
            content_copy.edit(path, lambda d: d["scenarios"].remove(removed))
    for example in content_copy.root.glob("examples/*.yaml"):
        if content_copy.read(example)["scenario"] == removed:
            example.unlink()
    scenario_file = content_copy.path(f"scenarios/{exercise['type']}/{removed}.yaml")
    if not scenario_file.exists():
        scenario_file = next(
            p for p in content_copy.root.glob("scenarios/*/*.yaml")
            if content_copy.read(p)["id"] == removed
        )  # fmt: skip
    scenario_file.unlink()
    report = content_load_directory(path=content_copy.root)
    assert report.counts["scenario"]["retired"] == 1
    scenario = Scenario.objects.get(slug=removed)
    assert scenario.retired_at is not None
    assert not Exercise.objects.get(slug=exercise["id"]).scenarios.filter(pk=scenario.pk).exists()
    # Putting the file back restores it without a new version.
    content_load_directory(path=settings.CONTENT_DIR)
    scenario.refresh_from_db()
    assert scenario.retired_at is None
    assert scenario.version == 1


def assert_rejected(root, *, file_part: str, field: str, message_part: str = "") -> list:
    with pytest.raises(ContentValidationError) as excinfo:
        content_load_directory(path=root)
    errors = excinfo.value.errors
    matching = [
        e for e in errors
        if file_part in e.path and e.field == field and message_part in e.message
    ]  # fmt: skip
    assert matching, f"no error for {file_part} / {field}: {[str(e) for e in errors]}"
    assert all(model.objects.count() == 0 for model in CONTENT_MODELS), "something was loaded"
    return matching


def test_missing_field_is_reported_with_file_and_field(content_copy):
    path = content_copy.first("modules/*/module.yaml")
    content_copy.edit(path, lambda d: d.pop("title"))
    errors = assert_rejected(
        content_copy.root, file_part=path.parent.name, field="", message_part="title"
    )
    assert errors[0].line is not None


def test_wrong_type_is_reported(content_copy):
    path = content_copy.first("scenarios/tone/*.yaml")
    content_copy.edit(path, lambda d: d["gold"].update(severity="very"))
    assert_rejected(content_copy.root, file_part=path.name, field="gold.severity")


def test_unknown_reference_is_reported(content_copy):
    path = content_copy.first("modules/*/exercises/*.yaml")
    content_copy.edit(path, lambda d: d.update(rubric="no-such-rubric"))
    assert_rejected(content_copy.root, file_part=path.name, field="rubric", message_part="unknown")


def test_unknown_fact_in_planted_error_is_reported(content_copy):
    path = next(
        p for p in sorted(content_copy.root.glob("scenarios/audit/*.yaml"))
        if content_copy.read(p)["errors"]
    )  # fmt: skip

    def break_fact(data):
        data["errors"][0]["fact_id"] = "no-such-fact"
        data["errors"][0]["type"] = "wrong_price"

    content_copy.edit(path, break_fact)
    assert_rejected(content_copy.root, file_part=path.name, field="errors[0].fact_id")


def test_span_not_in_draft_is_reported(content_copy):
    path = next(
        p for p in sorted(content_copy.root.glob("scenarios/audit/*.yaml"))
        if content_copy.read(p)["errors"]
    )  # fmt: skip
    content_copy.edit(path, lambda d: d["errors"][0].update(span="words that are not there"))
    assert_rejected(
        content_copy.root, file_part=path.name, field="errors[0].span", message_part="not found"
    )


def test_duplicate_id_is_reported(content_copy):
    original = content_copy.first("scenarios/empathy/*.yaml")
    duplicate = original.with_name("zz-duplicate.yaml")
    duplicate.write_text(original.read_text())
    assert_rejected(
        content_copy.root, file_part="zz-duplicate.yaml", field="id", message_part="duplicate"
    )


def test_yaml_syntax_error_names_the_line(content_copy):
    path = content_copy.first("rubrics/*.yaml")
    path.write_text(path.read_text() + "\n  bad: [unclosed\n")
    errors = assert_rejected(content_copy.root, file_part=path.name, field="", message_part="YAML")
    assert errors[0].line is not None


def test_every_problem_is_reported_at_once(content_copy):
    module_path = content_copy.first("modules/*/module.yaml")
    content_copy.edit(module_path, lambda d: d.pop("title"))
    exercise_path = content_copy.first("modules/*/exercises/*.yaml")
    content_copy.edit(exercise_path, lambda d: d.update(rubric="nope"))
    _, errors = content_check_directory(path=content_copy.root)
    paths = {error.path for error in errors}
    assert any(module_path.parent.name in p for p in paths)
    assert any(exercise_path.name in p for p in paths)


def test_command_loads_and_reports(capsys):
    call_command("load_content")
    out = capsys.readouterr().out
    assert "content loaded" in out
    call_command("load_content")
    assert "content unchanged" in capsys.readouterr().out


def test_command_on_broken_copy_loads_nothing_and_names_file_and_field(content_copy, capsys):
    path = content_copy.first("scenarios/tone/*.yaml")
    content_copy.edit(path, lambda d: d["gold"].update(severity="very"))
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_content", "--path", str(content_copy.root))
    err = capsys.readouterr().err
    assert path.name in err
    assert "gold.severity" in err
    assert Scenario.objects.count() == 0


def test_command_on_missing_directory_fails_clearly(tmp_path):
    with pytest.raises(CommandError):
        call_command("load_content", "--path", str(tmp_path / "nope"))


@pytest.mark.parametrize(
    "title",
    [
        "Card expired (clean draft)",
        "Seats on Starter — no errors",
        "An error-free answer about refunds",
        "Nothing wrong with this one",
    ],
)
def test_an_audit_title_that_gives_the_answer_away_is_reported(content_copy, title):
    path = content_copy.first("scenarios/audit/*.yaml")
    content_copy.edit(path, lambda d: d.update(title=title))
    assert_rejected(
        content_copy.root, file_part=path.name, field="title", message_part="gives the answer away"
    )


def test_a_title_that_only_contains_a_hint_word_inside_another_word_is_fine(content_copy):
    path = content_copy.first("scenarios/audit/*.yaml")
    content_copy.edit(path, lambda d: d.update(title="Cleaning company's invoice reminders"))
    _, errors = content_check_directory(path=content_copy.root)
    assert errors == []


def test_no_shipped_audit_title_says_whether_the_draft_is_clean():
    for path in (settings.CONTENT_DIR / "scenarios" / "audit").glob("*.yaml"):
        title = yaml.safe_load(path.read_text(encoding="utf-8"))["title"]
        assert "clean" not in title.lower(), path.name
