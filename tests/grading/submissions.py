"""Building real submissions on the shipped content for grading tests."""

import uuid

from curriculum.models import Exercise
from exercises.models import Scenario, Submission

TONE_ANSWER = {
    "identified_state": "frustrated",
    "indicators": ["CHARGED TWICE", "!!!", "Why does this keep happening? Who approved this?"],
    "prompt": (
        "The customer is frustrated (caps, '!!!', repeated questions) about a prorated seat "
        "charge on the Starter plan. Write an empathetic, solution-oriented reply: acknowledge "
        "the surprise, explain the $7.50 proration for the added seat, link billing history."
    ),
    "draft_tone_fits": "partly",
    "reply": (
        "Hi Derek,\n\nI'm sorry the second charge came as a surprise; I understand that every "
        "dollar matters when you run a three-person business. The $7.50 on the 16th is the "
        "prorated cost of the seat added mid-month, not a duplicate charge. You can see both "
        "lines under Settings > Billing > Billing history. I'll check your account today and "
        "email you by 5pm with a breakdown.\n\nBest,\nSam"
    ),
}


def make_submission(user, *, answer=None, exercise_slug="tone-read-and-calibrate",
                    scenario_slug="tone-charged-twice-caps") -> Submission:  # fmt: skip
    exercise = Exercise.objects.get(slug=exercise_slug)
    scenario = Scenario.objects.get(slug=scenario_slug)
    previous = Submission.objects.filter(user=user, exercise=exercise, scenario=scenario).count()
    return Submission.objects.create(
        user=user,
        exercise=exercise,
        scenario=scenario,
        scenario_version=scenario.versions.order_by("-number").first(),
        exercise_version=exercise.version,
        attempt=previous + 1,
        answer=answer or TONE_ANSWER,
        ai_draft=scenario.data.get("drafts", {}).get("generic", ""),
        ai_draft_source="authored",
        edit_distance=0.6,
        edit_class=Submission.EditClass.SUBSTANTIAL,
        time_on_task_seconds=300,
        client_token=uuid.uuid4(),
    )


def llm_scores(rubric_snapshot: dict, *, points="max", quote="I'm sorry the second charge"):
    """A well-formed grader answer for every criterion of a rubric."""
    criteria = {}
    for criterion in rubric_snapshot["criteria"]:
        levels = [level["points"] for level in criterion["levels"]]
        criteria[criterion["id"]] = {
            "reasoning": f"Checked {criterion['id']} against the levels.",
            "quote": quote,
            "score": levels[-1] if points == "max" else levels[0],
        }
    return {"criteria": criteria}
