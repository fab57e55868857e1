"""A cohort's trainer-graded submissions as records for `manage.py evaluate_grading`.

Each record is a `grade_submissions` line (exercise, scenario, answer) plus the trainer's
points (`grades`), the automatic points the final grade used (`auto`), each automatic
grader's own points, and each criterion's range. The points come from the same stored
final grades as the cohort's grades.csv; the agent is not named.
"""

from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Exists, OuterRef

from curriculum.models import Cohort, Membership
from exercises.models import Submission

from ..models import CriterionScore, GraderKind
from .grades import final_grades_for_submissions
from .models import TrainerReview


def trainer_graded_records(*, cohort: Cohort, chunk_size: int = 500) -> Iterator[dict]:
    """One record per trainer-reviewed submission of the cohort's agents (the latest
    trainer grade is the reference), oldest first, yielded as they are read: the
    submissions stream in chunks, each chunk reads its stored final grades and grader
    points (three queries per chunk)."""
    submissions = (
        Submission.objects.filter(
            user_id__in=Membership.objects.filter(cohort=cohort).values("user_id")
        )
        .filter(Exists(TrainerReview.objects.filter(submission_id=OuterRef("pk"))))
        .select_related("exercise", "scenario")
        .order_by("created_at", "pk")
    )
    chunk: list[Submission] = []
    for submission in submissions.iterator(chunk_size=chunk_size):
        chunk.append(submission)
        if len(chunk) == chunk_size:
            yield from _records(chunk)
            chunk = []
    if chunk:
        yield from _records(chunk)


def _records(submissions: list[Submission]) -> Iterator[dict]:
    finals = final_grades_for_submissions(submission_ids=[s.pk for s in submissions])
    by_grader: dict[tuple[int, str], dict[str, int]] = defaultdict(dict)
    for submission_id, grader, key, points in CriterionScore.objects.filter(
        grade__submission_id__in=finals.keys()
    ).values_list("grade__submission_id", "grade__grader", "criterion_key", "points"):
        if points is not None:
            by_grader[(submission_id, grader)][key] = points
    for submission in submissions:
        final = finals.get(submission.pk)
        if final is None:
            continue
        record = {
            "id": f"submission-{submission.pk}",
            "exercise": submission.exercise.slug,
            "scenario": submission.scenario.slug,
            "attempt": submission.attempt,
            "answer": submission.answer,
            "grades": {
                c.key: c.trainer_points for c in final.criteria if c.trainer_points is not None
            },
            "auto": {c.key: c.auto_points for c in final.criteria if c.auto_points is not None},
            "range": {c.key: [c.min_points, c.max_points] for c in final.criteria},
        }
        for grader in (GraderKind.OFFLINE, GraderKind.LLM):
            points = by_grader.get((submission.pk, grader.value))
            if points:
                record[grader.value] = points
        yield record
