"""The `loaded_content` fixture: the first test of the session runs the loader, later ones
insert the rows it wrote in bulk; either way the database holds what the loader writes."""

import pytest
from django.conf import settings

from curriculum.models import Exercise, Module
from grading.content.loading import content_load_directory
from grading.models import Rubric
from tests.factories import ExerciseFactory, ModuleFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("run", ["first or reused", "reused"])
def test_the_loaded_content_is_what_the_loader_writes(loaded_content, content_rows, run):
    assert content_rows.rows, "the rows are kept after the first load of the session"
    for model, rows in content_rows.rows.items():
        assert model.objects.count() == len(rows), model._meta.label
    assert loaded_content.total("created") > 0
    # Loading the files again finds everything current: nothing created, updated, retired.
    assert not content_load_directory(path=settings.CONTENT_DIR).changed
    rubric = Rubric.objects.get(slug="tone-calibration")
    assert rubric.current_version.rubric_id == rubric.pk
    # New rows get keys past the reused ones.
    assert ExerciseFactory().pk > max(Exercise.objects.exclude(slug__startswith="test-")
                                      .values_list("pk", flat=True))  # fmt: skip


def test_content_made_by_the_test_first_gets_the_real_loader(db, content_rows, request):
    ModuleFactory(slug="tone-calibration-draft")
    report = request.getfixturevalue("loaded_content")
    assert report.total("created") > 0
    assert not content_load_directory(path=settings.CONTENT_DIR).changed


def test_rows_kept_from_another_content_directory_are_not_reused(db):
    from grading.content.loading import LoadReport
    from tests.conftest import ContentRows

    kept = ContentRows()
    kept.report, kept.path, kept.rows = LoadReport(), "/another/content", {}
    kept.load()
    assert Module.objects.exists()  # the loader ran; reusing would have inserted nothing
