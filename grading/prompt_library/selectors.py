"""Reads for the trainers' prompt-template page: each version's uses and grades, the
baseline of replies written without a template, and the sessions a version can cite."""

from dataclasses import dataclass

from django.db.models import Avg, Count, Exists, F, Func, OuterRef, Q, Subquery

from curriculum.access import is_staff
from curriculum.models import User
from exercises.prompt_library.models import (
    PROMPT_EXERCISE_TYPES,
    PromptTemplateUse,
    PromptTemplateVersion,
)

from ..console.models import StoredFinalGrade, TrainerCalibrationSession


@dataclass(frozen=True)
class VersionStats:
    uses: int
    submissions: int
    graded: int
    mean_grade: float | None  # mean released final grade, fraction 0..1

    @property
    def mean_percent(self) -> int | None:
        return None if self.mean_grade is None else round(self.mean_grade * 100)


EMPTY = VersionStats(uses=0, submissions=0, graded=0, mean_grade=None)


def _released():
    return StoredFinalGrade.objects.filter(released=True, total__isnull=False)


def prompt_version_stats() -> dict[int, VersionStats]:
    """Per version id: insertions, submissions that used it, and the count and mean of
    their released final grades (one aggregate query; a submission that inserted a
    version twice counts once)."""
    graded = _released().filter(
        Exists(
            PromptTemplateUse.objects.filter(
                submission_id=OuterRef("submission_id"), version_id=OuterRef(OuterRef("pk"))
            )
        )
    )
    rows = (
        PromptTemplateVersion.objects.filter(uses__isnull=False)
        .annotate(
            n_uses=Count("uses"),
            n_submissions=Count("uses__submission", distinct=True),
            n_graded=Subquery(graded.values(n=Func(F("pk"), function="COUNT"))),
            mean=Subquery(graded.values(m=Func(F("total"), function="AVG"))),
        )
        .values_list("pk", "n_uses", "n_submissions", "n_graded", "mean")
    )
    return {
        pk: VersionStats(uses=uses, submissions=subs, graded=graded or 0, mean_grade=mean)
        for pk, uses, subs, graded, mean in rows
    }


def prompt_baseline_by_type() -> dict[str, VersionStats]:
    """Per exercise type: the released final grades of submissions that used no template
    (what the versions' means are compared with); one query."""
    rows = (
        _released()
        .filter(submission__exercise__type__in=PROMPT_EXERCISE_TYPES)
        .exclude(Exists(PromptTemplateUse.objects.filter(submission_id=OuterRef("submission_id"))))
        .values("submission__exercise__type")
        .annotate(n=Count("pk"), mean=Avg("total"))
        .order_by()
    )
    return {
        row["submission__exercise__type"]: VersionStats(
            uses=0, submissions=row["n"], graded=row["n"], mean_grade=row["mean"]
        )
        for row in rows
    }


def calibration_sessions_for_templates(*, user: User) -> list[TrainerCalibrationSession]:
    """The trainer calibration sessions of the cohorts `user` trains (staff: all), newest
    first: the ones a template version may cite as its motivation."""
    sessions = TrainerCalibrationSession.objects.select_related("cohort").order_by(
        "-created_at", "-pk"
    )
    if not is_staff(user):
        sessions = sessions.filter(Q(cohort__trainers=user)).distinct()
    return list(sessions[:200])
