"""Demo data for grading: the demo agents' submissions, built from the graded examples.

So that `make run` opens on dashboards with something in them: Ana answers like the strong
examples, Ben like the middling ones and Chloe like the weak ones. The submissions are
graded by the normal pipeline after the demo seed commits.
"""

import uuid

from django.db import transaction

from curriculum.models import Cohort, User
from exercises.metrics import edit_class, edit_distance
from exercises.models import Submission

from .models import ExampleSubmission

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
    transaction.on_commit(lambda: _grade_all(created))
    return created


def _grade_all(submission_ids: list[int]) -> None:
    from .services import grading_request

    for submission_id in submission_ids:
        grading_request(submission_id=submission_id)
