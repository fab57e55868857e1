"""Held grades: the list of what waits for release, the confirmation before a release, and
the exercise menu keeping the exercise just released."""

import pytest
from django.urls import reverse

from grading.console.models import GradeRelease
from tests.factories import (
    CohortFactory,
    CohortGradingSettingsFactory,
    MembershipFactory,
    TrainerFactory,
    UserFactory,
    exercise_with_scenarios,
)

from .conftest import graded_submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(exercise, console_cohort, agent_in):
    CohortGradingSettingsFactory(cohort=console_cohort, release_mode="on_release")
    second = exercise_with_scenarios(
        type="tone", scenarios=["tone-charged-twice-caps"], rubric_slug="console-test",
        title="Second exercise",
    )  # fmt: skip
    other_agent = UserFactory(full_name="Olive Other")
    MembershipFactory(cohort=console_cohort, user=other_agent)
    first = [
        graded_submission(agent, exercise, {"accuracy": 2, "empathy": 1})
        for agent in (agent_in, other_agent)
    ]
    later = graded_submission(agent_in, second, {"accuracy": 3, "empathy": 3})
    return {"first": exercise, "second": second, "first_subs": first, "second_sub": later}


def _release_url(cohort):
    return reverse("grading:console-release-exercise", args=[cohort.slug])


def test_the_held_page_lists_what_waits_per_exercise(client, trainer, console_cohort, held):
    client.force_login(trainer)
    page = client.get(reverse("grading:console-held", args=[console_cohort.slug])).content.decode()
    assert f'<tr data-exercise="{held["first"].pk}"' in page
    assert f'<tr data-exercise="{held["second"].pk}"' in page
    assert "Olive Other" in page
    for submission in [*held["first_subs"], held["second_sub"]]:
        assert reverse("grading:console-review", args=[submission.pk]) in page
    only_second = client.get(
        reverse("grading:console-held", args=[console_cohort.slug]),
        {"exercise": held["second"].pk},
    ).content.decode()
    assert "Olive Other" not in only_second.split('id="held-submissions"')[1]


def test_the_held_page_reads_a_constant_number_of_queries(
    client, trainer, console_cohort, held, exercise, django_assert_max_num_queries
):
    client.force_login(trainer)
    url = reverse("grading:console-held", args=[console_cohort.slug])
    client.get(url)  # warm the session and the settings row
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(55):  # past a page of 50
        agent = UserFactory()
        MembershipFactory(cohort=console_cohort, user=agent)
        graded_submission(agent, exercise, {"accuracy": 1, "empathy": 1})
    with django_assert_max_num_queries(len(few.captured_queries)):
        body = client.get(url).content.decode()
    assert "Page 1 of 2" in body


def test_a_release_asks_for_confirmation_first(client, trainer, console_cohort, held):
    client.force_login(trainer)
    response = client.post(
        _release_url(console_cohort), {"exercise": held["first"].pk, "back": "held"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Release 2 grades of" in body and "2 agents" in body
    assert not GradeRelease.objects.exists()

    response = client.post(
        _release_url(console_cohort),
        {"exercise": held["first"].pk, "back": "progress", "confirm": "yes"},
    )
    assert response.status_code == 302
    assert response.url.endswith(f"/progress/?exercise={held['first'].pk}")
    released = set(GradeRelease.objects.values_list("submission_id", flat=True))
    assert released == {s.pk for s in held["first_subs"]}  # the other exercise stays held


def test_after_a_release_the_menu_keeps_the_exercise(client, trainer, console_cohort, held):
    client.force_login(trainer)
    response = client.post(
        _release_url(console_cohort),
        {"exercise": held["second"].pk, "back": "progress", "confirm": "yes"},
        follow=True,
    )
    body = response.content.decode()
    assert f'<option value="{held["second"].pk}" selected>' in body
    assert "Released 1 grade." in body


def test_releasing_from_the_held_page_returns_there(client, trainer, console_cohort, held):
    client.force_login(trainer)
    response = client.post(
        _release_url(console_cohort),
        {"exercise": held["second"].pk, "back": "held", "confirm": "yes"},
        follow=True,
    )
    body = response.content.decode()
    assert response.redirect_chain[-1][0].endswith(f"/held/?exercise={held['second'].pk}")
    assert f'<tr data-exercise="{held["second"].pk}"' not in body


@pytest.mark.parametrize("value", ["", "abc", None])
def test_a_release_without_an_exercise_says_so(client, trainer, console_cohort, held, value):
    client.force_login(trainer)
    data = {} if value is None else {"exercise": value}
    response = client.post(_release_url(console_cohort), data, follow=True)
    assert "Choose an exercise." in response.content.decode()
    assert not GradeRelease.objects.exists()


def test_an_exercise_with_nothing_held_is_not_released(client, trainer, console_cohort, held):
    client.force_login(trainer)
    response = client.post(_release_url(console_cohort), {"exercise": 999999})
    assert response.status_code == 200
    assert "Nothing to release" in response.content.decode()


def test_a_cohort_that_shows_grades_at_once_says_nothing_is_held(
    client, trainer, console_cohort, exercise, agent_in
):
    submission = graded_submission(agent_in, exercise, {"accuracy": 2, "empathy": 1})
    client.force_login(trainer)
    page = client.get(reverse("grading:console-held", args=[console_cohort.slug])).content.decode()
    assert "nothing is held" in page
    assert reverse("grading:console-review", args=[submission.pk]) not in page  # visible


def test_another_trainer_cannot_see_or_release_held_grades(client, console_cohort, held):
    stranger = TrainerFactory()
    CohortFactory(trainers=[stranger])
    client.force_login(stranger)
    url = reverse("grading:console-held", args=[console_cohort.slug])
    assert client.get(url).status_code == 403
    response = client.post(
        _release_url(console_cohort), {"exercise": held["first"].pk, "confirm": "yes"}
    )
    assert response.status_code == 403
    assert not GradeRelease.objects.exists()
