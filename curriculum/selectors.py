"""Read operations of the base app, shaped for the pages that use them."""

from django.db.models import Count, F, QuerySet

from .models import Cohort, User


def cohort_list_for_agent(*, user: User) -> QuerySet[Cohort]:
    return (
        Cohort.objects.filter(memberships__user=user, archived_at__isnull=True)
        .prefetch_related("trainers")
        .order_by("name")
    )


def cohort_list_for_trainer(*, user: User) -> QuerySet[Cohort]:
    """Cohorts a trainer runs (staff see all), with their agent counts."""
    cohorts = Cohort.objects.all() if user.is_staff else Cohort.objects.filter(trainers=user)
    return cohorts.annotate(
        agent_count=Count("memberships", distinct=True),
    ).order_by(F("archived_at").asc(nulls_first=True), "name")
