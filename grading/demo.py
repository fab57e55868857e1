"""Demo data for grading: the demo agents' submissions, built from the graded examples.

So that `make run` opens on dashboards with something in them: Ana answers like the strong
examples, Ben like the middling ones and Chloe like the weak ones. The submissions are
graded by the normal pipeline after the demo seed commits.
"""

import logging
import uuid

from django.db import transaction

from curriculum.models import Cohort, User
from exercises.metrics import edit_class, edit_distance
from exercises.models import Submission

from .models import ExampleSubmission

# How each demo agent reviews peers: points off the automatic grade (Ben is lenient).
REVIEW_BIAS = {
    "ana@coachline.example": 0,
    "ben@coachline.example": 1,
    "chloe@coachline.example": -1,
}
REVIEW_TEXTS = {
    "acknowledges_feelings": "Yes: the first lines name what went wrong for them.",
    "would_feel_heard": "Mostly; the specifics of their situation come through.",
    "more_empathetic": "Say what happens next and when, before the explanation.",
    "comments": "Clear and accurate; the closing could commit to a time.",
}

logger = logging.getLogger(__name__)

QUALITY_BY_AGENT = {
    "ana@coachline.example": "strong",
    "ben@coachline.example": "middling",
    "chloe@coachline.example": "weak",
}


def _draft_for(scenario_data: dict) -> str:
    drafts = scenario_data.get("drafts") or {}
    return scenario_data.get("draft") or drafts.get("generic") or drafts.get("without_context", "")


def graded_submissions_demo_seed(*, cohort: Cohort, trainer: User) -> list[int]:
    """Create the demo agents' submissions once; grading is queued after commit."""
    agents = {u.email: u for u in cohort.agents.filter(email__in=QUALITY_BY_AGENT)}
    examples = ExampleSubmission.objects.filter(retired_at__isnull=True).select_related(
        "exercise", "scenario"
    )
    created = []
    for example in examples:
        for email, quality in QUALITY_BY_AGENT.items():
            agent = agents.get(email)
            if agent is None or quality not in example.slug:
                continue
            exists = Submission.objects.filter(
                user=agent, exercise=example.exercise, scenario=example.scenario
            ).exists()
            version = example.scenario.versions.order_by("-number").first()
            if exists or version is None:
                continue
            draft = _draft_for(version.data)
            reply = example.answer.get("reply", "")
            distance = edit_distance(draft, reply) if draft and reply else None
            submission = Submission.objects.create(
                user=agent,
                exercise=example.exercise,
                scenario=example.scenario,
                scenario_version=version,
                exercise_version=example.exercise.version,
                attempt=1,
                answer=example.answer,
                ai_draft=draft,
                ai_draft_source="authored" if draft else "",
                edit_distance=distance,
                edit_class=edit_class(distance),
                time_on_task_seconds=600 + 180 * len(created),
                checklist_complete=(
                    len(example.answer.get("checklist", [])) == 6
                    if example.exercise.type == "audit"
                    else None
                ),
                client_token=uuid.uuid4(),
            )
            created.append(submission.pk)
    agent_ids = [agent.pk for agent in agents.values()]
    transaction.on_commit(lambda: _grade_and_review(created, agent_ids))
    return created


def _grade_and_review(submission_ids: list[int], agent_ids: list[int]) -> None:
    from .peer.services import peer_queue_enter
    from .services import grading_request

    for submission_id in submission_ids:
        # What the submission_committed receivers do for a submission made in the workspace.
        peer_queue_enter(submission_id=submission_id)
        grading_request(submission_id=submission_id)
    if submission_ids:
        _peer_review_each_other(agent_ids)


def _peer_review_each_other(agent_ids: list[int]) -> None:
    """The demo agents review each other on the exercises that ask for peer review."""
    from .peer import services as peer
    from .peer.errors import PeerReviewError

    agents = list(User.objects.filter(pk__in=agent_ids))
    exercises = [e for e in peer.peer_exercises() if e.submissions.filter(user__in=agents).exists()]
    for exercise in exercises:
        example = exercise.examples.filter(retired_at__isnull=True).order_by("slug").first()
        for agent in agents:
            # Ana and Ben pass reviewer calibration on a trainer-graded example; Chloe does not.
            if example is not None and REVIEW_BIAS.get(agent.email, 0) >= 0:
                _reviewer_calibrate(agent, exercise, example)
            for _ in range(5):  # the self-assessment, then the reviews owed
                try:
                    review = peer.peer_review_next(reviewer=agent, exercise=exercise)
                    if review is None:
                        break
                    peer.peer_review_submit(
                        review_id=review.pk, reviewer=agent, data=_review_input(review, agent)
                    )
                except PeerReviewError as exc:
                    logger.debug("demo peer review skipped for %s: %s", agent.email, exc)
                    break


def _reviewer_calibrate(agent: User, exercise, example) -> None:
    from .peer import services as peer

    if peer.reviewer_is_calibrated(reviewer=agent, exercise=exercise):
        return
    points = peer.trainer_points(example)
    scores = {key: "na" if value is None else str(value) for key, value in points.items()}
    peer.reviewer_calibration_submit(
        reviewer=agent, exercise=exercise, example_id=example.pk, scores=scores
    )


def _review_input(review, agent: User):
    from .models import CriterionScore
    from .peer.services import ReviewInput

    bias = REVIEW_BIAS.get(agent.email, 0)
    automatic = dict(
        CriterionScore.objects.filter(
            grade__submission_id=review.submission_id, grade__grader="offline"
        ).values_list("criterion_key", "points")
    )
    scores = {}
    for criterion in review.rubric_version.snapshot["criteria"]:
        points = [level["points"] for level in criterion["levels"]]
        base = automatic.get(criterion["id"])
        base = points[0] if base is None else base
        scores[criterion["id"]] = str(max(points[0], min(points[-1], base + bias)))
    return ReviewInput(scores=scores, **REVIEW_TEXTS)
