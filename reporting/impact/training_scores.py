"""Training rubric scores per agent, for the support-floor impact view: read from the
stored final grades of `grading` with aggregate SQL (reporting sits above grading)."""

from django.db.models import Avg, F, FloatField
from django.db.models.functions import Cast

from grading.console.models import StoredFinalCriterion


def rubric_averages_for_agents(*, agent_ids) -> dict[int, dict[str, float]]:
    """{agent id: {criterion key: average final score as a fraction of the criterion's
    maximum}}.

    Per submission its final grade counts (a trainer's grade, else the automatic grade
    combined with the peer score once complete; the LLM grade is the automatic one when
    there is one, else the offline grade). Not-applicable scores are left out. One query."""
    user = "final__submission__user_id"
    rows = (
        StoredFinalCriterion.objects.filter(
            final__submission__user_id__in=list(agent_ids),
            points__isnull=False,
            max_points__gt=0,
        )
        .values(user, "criterion_key")
        .annotate(average=Avg(F("points") / Cast(F("max_points"), FloatField())))
        .order_by()
    )
    averages: dict[int, dict[str, float]] = {}
    for row in rows:
        averages.setdefault(row[user], {})[row["criterion_key"]] = row["average"]
    return averages
