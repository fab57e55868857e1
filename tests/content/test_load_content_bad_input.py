"""load_content on bad input: size limits, plain-word YAML errors, capped lists, no cascade,
and a refused load that changes nothing."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from curriculum.models import Exercise, Lesson, Module
from exercises.models import KnowledgeFact, Scenario
from grading.content import loading
from grading.content.files import error_lines, read_content
from grading.content.loading import (
    ContentValidationError,
    content_check_directory,
    content_load_directory,
)
from grading.models import ExampleSubmission, Rubric, RubricVersion

pytestmark = pytest.mark.django_db

EXERCISE = "modules/01-tone-calibration/exercises/tone-read-and-calibrate.yaml"


def messages(root) -> list[str]:
    _, errors = content_check_directory(path=root)
    return [str(error) for error in errors]


def test_a_huge_file_is_refused_by_its_size_without_being_read(content_copy, monkeypatch):
    huge = content_copy.path("scenarios/tone/zz-huge.yaml")
    with huge.open("wb") as handle:
        handle.truncate(79_000_000)  # sparse: 79 MB on paper, nothing on disk
    read = []
    for name in ("read_text", "read_bytes"):
        original = getattr(Path, name)

        def spy(self, *args, _original=original, **kwargs):
            read.append(self.name)
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Path, name, spy)
    found = messages(content_copy.root)
    assert [m for m in found if "zz-huge.yaml" in m] == [
        "scenarios/tone/zz-huge.yaml: (file): the file is 79 MB, over the 1 MB limit per "
        "content file (CONTENT_MAX_FILE_BYTES); split it into smaller files"
    ]
    assert "zz-huge.yaml" not in read
    assert len(found) == 1


def test_the_content_size_limit_is_a_setting(content_copy, settings):
    settings.CONTENT_MAX_FILE_BYTES = 100
    found = messages(content_copy.root)
    assert any("company.yaml" in m and "over the 100 bytes limit" in m for m in found)


def test_a_file_that_is_not_utf8_is_named_with_its_line(content_copy):
    path = content_copy.path(EXERCISE)
    path.write_bytes(path.read_bytes().replace(b"Read the state", b"Read the st\xe4te"))
    found = messages(content_copy.root)
    assert f"{EXERCISE}:2: (file): not UTF-8 (byte 0xe4); save the file as UTF-8" in found


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("title: Step 2: check the invoice", "a colon followed by a space inside a value needs"),
        ('title: "never closed', "a quote opened on this line is never closed"),
        ("title: @mention", "a value cannot start with this character"),
        ("title: [a, b", "a [ ] list is not closed"),
    ],
)
def test_yaml_syntax_errors_are_said_in_plain_words_with_the_line(content_copy, line, said):
    path = content_copy.path(EXERCISE)
    lines = path.read_text().splitlines()
    lines[1] = line
    path.write_text("\n".join(lines) + "\n")
    found = [m for m in messages(content_copy.root) if m.startswith(EXERCISE)]
    assert len(found) == 1, found
    assert found[0].startswith(f"{EXERCISE}:2: ")
    assert said in found[0]
    assert "the YAML parser says" in found[0]


def test_an_unquoted_date_says_quote_this_date(content_copy):
    path = content_copy.path("knowledge_base/processes.yaml")
    path.write_text(
        path.read_text().replace('changed_on: "2026-09-15"', "changed_on: 2026-09-15", 1)
    )
    found = [
        m for m in messages(content_copy.root) if m.startswith("knowledge_base/processes.yaml")
    ]
    assert len(found) == 1, found
    assert "quote this date" in found[0]
    assert '("2026-09-15")' in found[0]
    assert "datetime" not in found[0]


def test_an_unquoted_yes_says_quote_it(content_copy):
    path = content_copy.first("examples/tone-*.yaml")
    text = path.read_text()
    assert "draft_tone_fits:" in text
    lines = [
        "  draft_tone_fits: yes" if line.strip().startswith("draft_tone_fits:") else line
        for line in text.splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")
    found = [m for m in messages(content_copy.root) if path.name in m]
    assert any("quote the value" in m and "True" not in m for m in found), found


def test_a_broken_exercise_is_reported_once_not_as_unknown_everywhere(content_copy):
    content_copy.edit(EXERCISE, lambda d: d.update(type="no-such-type"))
    found = messages(content_copy.root)
    assert not [m for m in found if "unknown exercise" in m]
    about = [m for m in found if m.startswith(EXERCISE)]
    assert len(about) == 1
    referring = [m for m in found if not m.startswith(EXERCISE)]
    assert referring, "the examples of the exercise should say why they are not checked"
    assert all(
        "refers to exercise 'tone-read-and-calibrate'" in m and "which has errors above" in m
        for m in referring
    ), referring


def test_an_unparsable_exercise_is_not_unknown_either(content_copy):
    path = content_copy.path(EXERCISE)
    path.write_text(path.read_text() + "\n  - stray: [\n")
    found = messages(content_copy.root)
    assert not [m for m in found if "unknown exercise" in m]
    assert any("refers to exercise 'tone-read-and-calibrate'" in m for m in found)


def test_a_broken_rubric_does_not_make_its_exercises_unknown(content_copy):
    content_copy.edit("rubrics/tone-calibration.yaml", lambda d: d.pop("title"))
    found = messages(content_copy.root)
    assert not [m for m in found if "unknown rubric" in m]
    assert any("refers to rubric 'tone-calibration'" in m for m in found)


def test_an_unreadable_knowledge_base_file_is_named_by_what_refers_to_it(content_copy):
    path = content_copy.path("knowledge_base/processes.yaml")
    path.write_bytes(b"\xff" + path.read_bytes())
    found = messages(content_copy.root)
    unknown = [m for m in found if "unknown knowledge-base fact" in m]
    assert all("it may be in knowledge_base/processes.yaml" in m for m in unknown)


def test_error_lists_are_capped_with_a_count_of_the_rest(content_copy, capsys):
    for path in sorted(content_copy.root.glob("scenarios/*/*.yaml"))[:8]:
        content_copy.edit(path, lambda d: d.pop("title", None) or d.pop("message", None))
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_content", "--path", str(content_copy.root), "--max-errors", "3")
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 4
    assert err[-1].startswith("... and ")
    assert err[-1].endswith("more problem(s) (--max-errors 0 lists all)")


def test_error_lines_lists_everything_when_short_or_unlimited():
    bundle = read_content("/no/such/dir")
    assert error_lines(bundle.errors, 50) == [str(bundle.errors[0])]
    assert len(error_lines(bundle.errors * 70, 0)) == 70
    assert error_lines(bundle.errors * 70, 50)[-1].startswith("... and 20 more")


MODELS = (Module, Lesson, Exercise, KnowledgeFact, Scenario, Rubric, RubricVersion)


def database_state() -> dict:
    state = {m.__name__: sorted(m.objects.values_list("slug", "version")) for m in MODELS[:-1]}
    state["RubricVersion"] = RubricVersion.objects.count()
    state["ExampleSubmission"] = ExampleSubmission.objects.count()
    state["retired"] = Scenario.objects.filter(retired_at__isnull=False).count()
    return state


def test_a_refused_load_changes_nothing(content_copy):
    content_load_directory(path=settings.CONTENT_DIR)
    before = database_state()
    # a valid edit, a removal and one broken file: nothing of it may land
    content_copy.edit(content_copy.first("scenarios/tone/*.yaml"), lambda d: d.update(title="New"))
    content_copy.first("scenarios/empathy/*.yaml").unlink()
    with (content_copy.path("scenarios/tone/zz-huge.yaml")).open("wb") as handle:
        handle.truncate(5_000_000)
    with pytest.raises(ContentValidationError):
        content_load_directory(path=content_copy.root)
    assert database_state() == before


def test_a_load_that_fails_halfway_changes_nothing(content_copy, monkeypatch):
    content_load_directory(path=settings.CONTENT_DIR)
    before = database_state()
    content_copy.edit(content_copy.first("scenarios/tone/*.yaml"), lambda d: d.update(title="New"))
    content_copy.edit("rubrics/tone-calibration.yaml", lambda d: d.update(title="Renamed"))

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(loading, "_load_lessons", fail)
    with pytest.raises(RuntimeError):
        content_load_directory(path=content_copy.root)
    assert database_state() == before
