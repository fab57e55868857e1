"""Trainer calibration: the submission picker finds any of the cohort's submissions
(filters, pages, numbers), and "1 vs n/a" is disagreement, not a spread of 0."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from exercises.models import Submission
from grading.console.models import TrainerCalibrationSession
from grading.console.trainer_calibration import (
    TRAINER_CALIBRATION_PAGE_SIZE,
    TrainerCalibrationCriterion,
)
from tests.factories import (
    CohortFactory,
    MembershipFactory,
    SubmissionFactory,
    UserFactory,
    exercise_with_scenarios,
)

pytestmark = pytest.mark.django_db


def _url(cohort):
    return reverse("grading:console-trainer-calibration-list", args=[cohort.slug])


@pytest.fixture
def many(exercise, agent_in, console_cohort):
    """More submissions than a page, the oldest 100 days ago; one of another exercise."""
    subs = [SubmissionFactory(user=agent_in, exercise=exercise) for _ in range(70)]
    oldest = subs[0]
    Submission.objects.filter(pk=oldest.pk).update(created_at=timezone.now() - timedelta(days=100))
    other_exercise = exercise_with_scenarios(
        type="tone", scenarios=["tone-charged-twice-caps"], rubric_slug="console-test",
        title="Another exercise",
    )  # fmt: skip
    other = SubmissionFactory(user=agent_in, exercise=other_exercise)
    return {"subs": subs, "oldest": oldest, "other": other, "other_exercise": other_exercise}


def _listed(body: str) -> set[int]:
    import re

    fieldset = body.split('id="candidates"')[1].split("</fieldset>")[0]
    return {int(v) for v in re.findall(r'name="submissions" value="(\d+)"', fieldset)}


def test_the_picker_pages_through_every_submission(client, trainer, console_cohort, many):
    client.force_login(trainer)
    first = client.get(_url(console_cohort)).content.decode()
    assert len(_listed(first)) == TRAINER_CALIBRATION_PAGE_SIZE
    assert many["oldest"].pk not in _listed(first)
    assert "71 found" in first
    last = client.get(_url(console_cohort), {"page": 3}).content.decode()
    assert many["oldest"].pk in _listed(last)


def test_the_picker_filters_by_exercise_and_date(client, trainer, console_cohort, many):
    client.force_login(trainer)
    body = client.get(_url(console_cohort), {"exercise": many["other_exercise"].pk}).content
    assert _listed(body.decode()) == {many["other"].pk}
    old_day = (timezone.now() - timedelta(days=100)).date()
    body = client.get(
        _url(console_cohort), {"since": old_day.isoformat(), "until": old_day.isoformat()}
    ).content.decode()
    assert _listed(body) == {many["oldest"].pk}


@pytest.mark.parametrize(
    "params", [{"exercise": "abc"}, {"since": "31/31/2026"}, {"page": "-4"}, {"page": "x"}]
)
def test_bad_filters_are_ignored_and_said(client, trainer, console_cohort, many, params):
    client.force_login(trainer)
    response = client.get(_url(console_cohort), params)
    assert response.status_code == 200
    listed = _listed(response.content.decode())
    if "page" in params:  # Django's paginator shows the first or the last page
        assert listed
    else:  # the bad filter is dropped: every submission, first page
        assert len(listed) == TRAINER_CALIBRATION_PAGE_SIZE


def test_a_session_from_a_later_page_keeps_the_filter(client, trainer, console_cohort, many):
    client.force_login(trainer)
    response = client.post(
        _url(console_cohort) + "?page=3",
        {"title": "Old one", "submissions": [many["oldest"].pk]},
    )
    assert response.status_code == 302
    session = TrainerCalibrationSession.objects.get(title="Old one")
    assert list(session.items.values_list("submission_id", flat=True)) == [many["oldest"].pk]


def test_a_session_by_submission_numbers(client, trainer, console_cohort, many):
    client.force_login(trainer)
    numbers = f"#{many['oldest'].pk}, {many['other'].pk}"
    response = client.post(
        _url(console_cohort), {"title": "By number", "submission_numbers": numbers}
    )
    assert response.status_code == 302
    session = TrainerCalibrationSession.objects.get(title="By number")
    assert set(session.items.values_list("submission_id", flat=True)) == {
        many["oldest"].pk,
        many["other"].pk,
    }


@pytest.mark.parametrize(
    ("numbers", "message"),
    [("", "Pick at least one submission."), ("12x", "is not a submission number")],
)
def test_a_session_needs_valid_submissions(client, trainer, console_cohort, many, numbers, message):
    client.force_login(trainer)
    response = client.post(_url(console_cohort), {"title": "Bad", "submission_numbers": numbers})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TrainerCalibrationSession.objects.filter(title="Bad").exists()


def test_a_submission_of_another_cohort_cannot_be_picked_by_number(
    client, trainer, console_cohort, exercise
):
    stranger = UserFactory()
    MembershipFactory(cohort=CohortFactory(), user=stranger)
    theirs = SubmissionFactory(user=stranger, exercise=exercise)
    client.force_login(trainer)
    response = client.post(
        _url(console_cohort), {"title": "Theirs", "submission_numbers": str(theirs.pk)}
    )
    assert response.status_code == 400
    assert "this cohort" in response.content.decode()


def test_the_picker_page_reads_the_same_queries_at_two_sizes(
    client, trainer, console_cohort, exercise, agent_in, django_assert_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        SubmissionFactory(user=agent_in, exercise=exercise)
    client.force_login(trainer)
    client.get(_url(console_cohort))
    with CaptureQueriesContext(connection) as small:
        client.get(_url(console_cohort))
    for _ in range(40):
        SubmissionFactory(user=agent_in, exercise=exercise)
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(_url(console_cohort))


def _criterion(*points):
    return TrainerCalibrationCriterion(
        key="k", title="K", levels=[], scores=[(f"T{i}", p) for i, p in enumerate(points)]
    )


def test_one_versus_na_is_not_a_spread_of_zero():
    split = _criterion(1, None)
    assert split.applicability_split and split.spread is None and split.disagrees
    assert _criterion(None, None).spread is None and not _criterion(None, None).disagrees
    assert _criterion(1, 1).spread == 0 and not _criterion(1, 1).disagrees
    assert _criterion(0, 3).disagrees and _criterion(0, 3).spread == 3
