"""The demo seed gives the calibration pages something to show: one finished monthly cycle
(concluded, with published examples) and one open cycle (flags in the inbox, a session the
demo trainer still has to score)."""

import pytest

from curriculum.services import demo_seed
from grading.calibration import selectors
from grading.calibration.demo import FINISHED_TITLE, OPEN_TITLE
from grading.calibration.models import PublishedExample
from grading.console.models import TrainerCalibrationSession

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_a_finished_and_an_open_calibration_cycle_once(
    loaded_content, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        seed = demo_seed()
    finished = TrainerCalibrationSession.objects.get(title=FINISHED_TITLE)
    assert finished.concluded_at is not None
    assert finished.outcome["pairs"] > 0 and finished.outcome["agreement_after"] == 1.0
    published = PublishedExample.objects.filter(item__session=finished)
    assert sorted(published.values_list("kind", flat=True)) == ["exemplary", "failure"]
    assert selectors.gallery_examples(filters=selectors.GalleryFilters())[1] == 2
    opened = TrainerCalibrationSession.objects.get(title=OPEN_TITLE)
    assert opened.concluded_at is None
    mine = opened.participants.get(trainer=seed.trainer)
    assert mine.submitted_at is None  # the demo trainer scores it
    assert opened.participants.exclude(trainer=seed.trainer).get().submitted_at is not None
    assert len(selectors.calibration_inbox(user=seed.trainer)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        demo_seed()
    assert TrainerCalibrationSession.objects.count() == 2
    assert PublishedExample.objects.count() == 2
