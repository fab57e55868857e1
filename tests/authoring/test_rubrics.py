"""The rubric editor: wording and order in place, scoring changes as a new revision once the
rubric has graded, past grades keep their revision, re-grading on request, archiving."""

import copy

import pytest
from django.urls import reverse

from authoring import services
from authoring.forms import rubric_form_rows
from authoring.models import RegradeMark, RubricChange
from grading.models import Criterion, Grade, Rubric, RubricVersion
from grading.services import grading_request
from tests.factories import RubricVersionFactory, SubmissionFactory


@pytest.fixture
def rubric(loaded_content):
    return Rubric.objects.select_related("current_version").get(slug="tone-calibration")


@pytest.fixture
def graded(rubric, agent, django_capture_on_commit_callbacks):
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    with django_capture_on_commit_callbacks(execute=True):
        grading_request(submission_id=submission.pk)
    grade = Grade.objects.get(submission=submission, grader="offline")
    assert grade.rubric_version == rubric.current_version
    return submission


def _spec(rubric):
    snapshot = copy.deepcopy(rubric.current_version.snapshot)
    return {k: snapshot[k] for k in ("title", "description", "criteria") if k in snapshot}


def _criterion(spec, key):
    return next(c for c in spec["criteria"] if c["id"] == key)


def test_rewording_a_used_rubric_changes_it_in_place(rubric, graded, trainer):
    spec = _spec(rubric)
    _criterion(spec, "tone_match")["title"] = "Tone fits the customer"
    spec["criteria"].reverse()
    change = services.rubric_edit(rubric_id=rubric.pk, spec=spec, user=trainer)
    rubric.refresh_from_db()
    assert change.kind == RubricChange.Kind.WORDING
    assert "criteria reordered" in change.summary
    assert rubric.current_version_id == change.from_version_id == change.to_version_id
    assert RubricVersion.objects.filter(rubric=rubric).count() == 1
    version = rubric.current_version
    assert _criterion(version.snapshot, "tone_match")["title"] == "Tone fits the customer"
    row = Criterion.objects.get(rubric_version=version, key="tone_match")
    assert row.title == "Tone fits the customer"
    assert row.order == [c["id"] for c in spec["criteria"]].index("tone_match")


@pytest.mark.parametrize(
    "edit",
    [
        lambda s: _criterion(s, "tone_match").update(weight=2),
        lambda s: _criterion(s, "empathy").update(allow_na=True),
        lambda s: _criterion(s, "accuracy").update(critical=False, critical_cap=None),
        lambda s: _criterion(s, "tone_match")["levels"].append(
            {"points": 4, "title": "Outstanding", "description": ""}
        ),
        lambda s: s["criteria"].pop(),
        lambda s: s["criteria"].append(
            {
                "id": "brand_voice",
                "title": "Brand voice",
                "weight": 1,
                "levels": [{"points": 0, "title": "No"}, {"points": 1, "title": "Yes"}],
            }
        ),
    ],
    ids=["weight", "na", "critical", "levels", "remove", "add"],
)
def test_a_scoring_change_after_grading_makes_a_new_revision(rubric, graded, trainer, edit):
    old = rubric.current_version
    spec = _spec(rubric)
    edit(spec)
    change = services.rubric_edit(rubric_id=rubric.pk, spec=spec, user=trainer)
    rubric.refresh_from_db()
    assert change.kind == RubricChange.Kind.NEW_REVISION
    assert rubric.current_version.number == old.number + 1
    assert rubric.current_version.snapshot["criteria"] == spec["criteria"]
    assert Criterion.objects.filter(rubric_version=rubric.current_version).count() == len(
        spec["criteria"]
    )
    # The past grade keeps its revision, unchanged.
    grade = Grade.objects.get(submission=graded, grader="offline")
    assert grade.rubric_version_id == old.pk
    old.refresh_from_db()
    assert old.snapshot["criteria"] != spec["criteria"]


def test_a_scoring_change_before_any_grade_is_made_in_place(loaded_content, trainer):
    rubric = Rubric.objects.get(slug="reply-quality")  # extended by others, grades nothing
    assert not services.rubric_is_used(version=rubric.current_version)
    spec = _spec(rubric)
    _criterion(spec, "tone_match")["weight"] = 3
    change = services.rubric_edit(rubric_id=rubric.pk, spec=spec, user=trainer)
    assert change.kind == RubricChange.Kind.SCORING_IN_PLACE
    rubric.refresh_from_db()
    assert rubric.current_version.number == 1
    assert (
        Criterion.objects.get(rubric_version=rubric.current_version, key="tone_match").weight == 3
    )


def test_nothing_changed_records_nothing(rubric, trainer):
    assert services.rubric_edit(rubric_id=rubric.pk, spec=_spec(rubric), user=trainer) is None
    assert not RubricChange.objects.exists()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda s: _criterion(s, "tone_match")["levels"].reverse(), "ascending"),
        (lambda s: _criterion(s, "tone_match").update(weight=0), "weight"),
        (lambda s: _criterion(s, "empathy").update(critical=True, critical_cap=None), "cap"),
        (lambda s: _criterion(s, "empathy").update(critical=True, critical_cap=1.5), "0 to 1"),
        (lambda s: s["criteria"].append(dict(_criterion(s, "empathy"))), "duplicate"),
        (lambda s: s.update(criteria=[]), "at least one criterion"),
        (lambda s: _criterion(s, "empathy").update(id="Bad Id"), "lowercase"),
    ],
)
def test_an_invalid_rubric_is_refused_and_nothing_changes(rubric, trainer, edit, message):
    before = copy.deepcopy(rubric.current_version.snapshot)
    spec = _spec(rubric)
    edit(spec)
    with pytest.raises(services.RubricEditError, match=message):
        services.rubric_edit(rubric_id=rubric.pk, spec=spec, user=trainer)
    rubric.refresh_from_db()
    assert rubric.current_version.snapshot == before


def test_marked_submissions_are_regraded_under_the_new_revision_keeping_the_old_grade(
    rubric, graded, trainer, django_capture_on_commit_callbacks
):
    old = rubric.current_version
    old_total = Grade.objects.get(submission=graded, grader="offline").total
    spec = _spec(rubric)
    _criterion(spec, "tone_match")["weight"] = 3
    services.rubric_edit(rubric_id=rubric.pk, spec=spec, user=trainer)
    rubric.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        marks = services.regrade_mark(rubric_id=rubric.pk, submission_ids=[graded.pk], user=trainer)
    assert len(marks) == 1
    mark = RegradeMark.objects.get()
    assert mark.from_version == old and mark.to_version == rubric.current_version
    previous = mark.previous["grades"][0]
    assert previous["rubric_version"] == old.number and previous["total"] == old_total
    assert previous["scores"]["tone_match"] is not None
    grade = Grade.objects.get(submission=graded, grader="offline")
    assert grade.rubric_version == rubric.current_version
    graded.final_grade.refresh_from_db()
    assert graded.final_grade.rubric_version == rubric.current_version
    # Marking again is a no-op: it is graded under the current revision already.
    assert (
        services.regrade_mark(rubric_id=rubric.pk, submission_ids=[graded.pk], user=trainer) == []
    )


def test_a_rubric_in_use_is_not_archived_and_one_unused_is_archived_not_deleted(rubric, trainer):
    with pytest.raises(services.RubricEditError, match="exercises still use"):
        services.rubric_archive(rubric_id=rubric.pk, user=trainer)
    parent = Rubric.objects.get(slug="reply-quality")
    services.rubric_archive(rubric_id=parent.pk, user=trainer)
    parent.refresh_from_db()
    assert parent.retired_at is not None and parent.current_version is not None
    services.rubric_archive(rubric_id=parent.pk, user=trainer, archive=False)
    parent.refresh_from_db()
    assert parent.retired_at is None


def test_load_content_does_not_undo_an_edit_made_in_the_browser(rubric, trainer, settings):
    from grading.content.loading import content_load_directory

    spec = _spec(rubric)
    _criterion(spec, "tone_match")["title"] = "Edited in the browser"
    services.rubric_edit(rubric_id=rubric.pk, spec=spec, user=trainer)
    content_load_directory(path=settings.CONTENT_DIR)
    rubric.refresh_from_db()
    assert _criterion(rubric.current_version.snapshot, "tone_match")["title"] == (
        "Edited in the browser"
    )


def _post_rows(rubric, **changes):
    rows = rubric_form_rows(rubric.current_version.snapshot)
    data = {
        "title": rubric.current_version.snapshot["title"],
        "description": rubric.current_version.snapshot.get("description", ""),
        "criterion_count": str(len(rows)),
    }
    for row in rows:
        i = row["index"]
        data.update({f"c{i}_id": row["id"], f"c{i}_title": row["title"],
                     f"c{i}_description": row["description"], f"c{i}_order": row["order"],
                     f"c{i}_weight": row["weight"], f"c{i}_critical_cap": row["critical_cap"],
                     f"c{i}_levels": row["levels"]})  # fmt: skip
        if row["allow_na"]:
            data[f"c{i}_allow_na"] = "on"
        if row["critical"]:
            data[f"c{i}_critical"] = "on"
    data.update(changes)
    return data


def test_the_editor_form_round_trips_and_a_new_revision_is_announced(
    client, rubric, graded, trainer
):
    client.force_login(trainer)
    url = reverse("authoring:rubric-edit", args=[rubric.slug])
    assert client.get(url).status_code == 200
    response = client.post(url, _post_rows(rubric))
    assert response.status_code == 302
    assert not RubricChange.objects.exists()  # the form as shown changes nothing
    response = client.post(url, _post_rows(rubric, c0_weight="2"), follow=True)
    assert "revision 2 created" in response.content.decode()
    page = client.get(url)
    assert [s.pk for s in page.context["page"].older_graded] == [graded.pk]


def test_the_editor_shows_bad_levels_and_keeps_what_was_typed(client, rubric, trainer):
    client.force_login(trainer)
    url = reverse("authoring:rubric-edit", args=[rubric.slug])
    response = client.post(url, _post_rows(rubric, c0_levels="zero | None\n1 | Some"))
    assert response.status_code == 400
    assert "start with whole points" in response.content.decode()
    assert "zero | None" in response.content.decode()


def test_the_rubric_list_uses_a_fixed_number_of_queries(
    client, trainer, loaded_content, django_assert_num_queries
):
    client.force_login(trainer)
    client.get(reverse("authoring:rubric-list"))
    with django_assert_num_queries(4):
        client.get(reverse("authoring:rubric-list"))
    for _ in range(3):
        RubricVersionFactory()
    with django_assert_num_queries(4):
        response = client.get(reverse("authoring:rubric-list"))
    assert len(response.context["rubrics"]) == Rubric.objects.count()
