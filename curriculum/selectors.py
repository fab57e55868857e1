"""Read operations of the base app, shaped for the pages that use them."""

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404

from .models import Cohort, Exercise, Lesson, Module, User


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


def module_list() -> QuerySet[Module]:
    """Active modules with counts of their active lessons and exercises."""
    return (
        Module.objects.filter(retired_at__isnull=True)
        .annotate(
            lesson_count=Count(
                "lessons", filter=Q(lessons__retired_at__isnull=True), distinct=True
            ),
            exercise_count=Count(
                "exercises", filter=Q(exercises__retired_at__isnull=True), distinct=True
            ),
        )
        .order_by("order", "title")
    )


def module_get(*, slug: str) -> Module:
    """An active module with its active lessons and exercises prefetched; 404 otherwise."""
    return get_object_or_404(
        Module.objects.filter(retired_at__isnull=True).prefetch_related(
            Prefetch("lessons", queryset=Lesson.objects.filter(retired_at__isnull=True)),
            Prefetch(
                "exercises",
                queryset=Exercise.objects.filter(retired_at__isnull=True).annotate(
                    scenario_count=Count("scenario_links", distinct=True)
                ),
            ),
        ),
        slug=slug,
    )


def lesson_get(*, module_slug: str, slug: str) -> Lesson:
    return get_object_or_404(
        Lesson.objects.select_related("module").filter(
            retired_at__isnull=True, module__retired_at__isnull=True
        ),
        module__slug=module_slug,
        slug=slug,
    )
