"""What the agent sees of automatic grading: per-criterion feedback, evidence in their text."""

import pytest
from django.urls import reverse

from grading import services
from grading.models import CriterionScore, Grade
from grading.selectors import feedback_for_submission, highlight_evidence
from tests.factories import SubmissionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def graded(loaded_content, agent):
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    services.grading_run(submission_id=submission.pk)
    return submission


def test_feedback_lists_every_criterion_with_level_and_rationale(graded):
    feedback = feedback_for_submission(submission=graded)
    grade = Grade.objects.get(submission=graded)
    assert not feedback.pending
    assert feedback.grade == grade
    assert [c.key for c in feedback.criteria] == [
        c["id"] for c in grade.rubric_version.snapshot["criteria"]
    ]
    assert all(c.rationale and c.level_title for c in feedback.criteria)


def test_pending_before_grading(loaded_content, agent):
    submission = SubmissionFactory(user=agent, shipped_tone=True)
    with_job = services.grading_claim(submission_id=submission.pk)
    assert with_job is not None
    feedback = feedback_for_submission(submission=submission)
    assert feedback.pending
    assert feedback.status == "running"


def test_evidence_is_highlighted_and_escaped(graded):
    answer = {"reply": "Hi <script>x()</script> Derek, sorry about that"}
    item = type(
        "C", (), {"title": "Empathy", "evidence": [{"field": "reply", "start": 24, "end": 29,
                                                     "note": "name"}]}
    )()  # fmt: skip
    html = highlight_evidence(answer, [item])["reply"]
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert '<mark class="evidence" title="Empathy: name">Derek</mark>' in html


def test_out_of_range_evidence_is_ignored(graded):
    CriterionScore.objects.filter(grade__submission=graded).update(evidence=[])
    score = CriterionScore.objects.filter(grade__submission=graded).first()
    bad = [
        {"field": "reply", "start": 5, "end": 99999, "note": "past the end"},
        {"field": "reply", "start": -3, "end": 2, "note": "before the start"},
        {"field": "reply", "start": 9, "end": 3, "note": "backwards"},
        {"field": "reply", "start": "0", "end": 2, "note": "not a number"},
        {"field": "no_such_field", "start": 0, "end": 2, "note": "no such field"},
    ]
    score.evidence = bad
    score.save(update_fields=["evidence"])
    assert feedback_for_submission(submission=graded).highlighted == {}

    score.evidence = [*bad, {"field": "reply", "start": 3, "end": 8, "note": "in range"}]
    score.save(update_fields=["evidence"])
    html = feedback_for_submission(submission=graded).highlighted["reply"]
    assert html.count("<mark") == 1
    assert f">{graded.answer['reply'][3:8]}</mark>" in html
    assert "in range" in html


def test_owner_sees_feedback_partial(client, graded, agent):
    client.force_login(agent)
    response = client.get(reverse("grading:submission-feedback", args=[graded.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Feedback" in body
    assert "%" in body


def test_other_agent_cannot_see_feedback(client, graded):
    client.force_login(UserFactory())
    response = client.get(reverse("grading:submission-feedback", args=[graded.pk]))
    assert response.status_code in {403, 404}


def test_feedback_partial_for_unknown_submission_is_404(client, agent, loaded_content):
    client.force_login(agent)
    assert client.get(reverse("grading:submission-feedback", args=[999999])).status_code == 404
