"""Training rubric scores per agent, for the support-floor impact view: read from the
stored grades of `grading` with aggregate SQL (reporting sits above grading)."""

from django.db.models import Avg, Exists, F, FloatField, OuterRef, Q
from django.db.models.functions import Cast

from grading.models import CriterionScore, Grade, GraderKind


def rubric_averages_for_agents(*, agent_ids) -> dict[int, dict[str, float]]:
    """{agent id: {criterion key: average score as a fraction of the criterion's maximum}}.

    Per submission the LLM grade counts when there is one, else the offline grade.
    Not-applicable scores are left out. One query."""
    llm_grade = Grade.objects.filter(
        submission_id=OuterRef("grade__submission_id"), grader=GraderKind.LLM
    )
    rows = (
        CriterionScore.objects.filter(
            grade__submission__user_id__in=list(agent_ids),
            points__isnull=False,
            max_points__gt=0,
        )
        .filter(
            Q(grade__grader=GraderKind.LLM)
            | Q(grade__grader=GraderKind.OFFLINE) & ~Exists(llm_grade)
        )
        .values("grade__submission__user_id", "criterion_key")
        .annotate(average=Avg(Cast("points", FloatField()) / Cast(F("max_points"), FloatField())))
        .order_by()
    )
    averages: dict[int, dict[str, float]] = {}
    for row in rows:
        averages.setdefault(row["grade__submission__user_id"], {})[row["criterion_key"]] = row[
            "average"
        ]
    return averages
