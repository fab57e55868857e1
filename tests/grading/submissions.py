"""What the fake LLM answers in grading tests (build submissions with
tests.factories.SubmissionFactory, e.g. `SubmissionFactory(user=agent, shipped_tone=True)`)."""


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
