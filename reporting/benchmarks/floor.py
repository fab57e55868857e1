"""The data of `benchmark_scale`'s grade and export sections: a support floor built in bulk.

A dedicated module (5 exercises x 5 scenarios, on its own 8-criterion rubric), a cohort of
`agents` agents with `submissions` submissions each (attempts spread over the 25 scenarios),
an offline grade per submission with a score per criterion, an LLM grade for every third
submission, a trainer review for every eighth (the audit sample, ~12%), and the stored final
grades written by the product's own rebuild (`grading.console.grades.final_grades_refresh`).
Everything is created with `bulk_create` and carries a per-run tag in its slugs and emails,
so `floor_remove` deletes exactly what was built.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.utils import timezone

from curriculum.models import TRAINERS_GROUP, Cohort, Exercise, Membership, Module, User
from exercises.models import Assignment, ExerciseScenario, Scenario, ScenarioVersion, Submission
from grading.console.grades import REFRESH_CHUNK, final_grades_refresh
from grading.console.models import (
    StoredFinalCriterion,
    StoredFinalGrade,
    TrainerReview,
    TrainerScore,
)
from grading.models import CriterionScore, Grade, GraderKind, Rubric, RubricVersion

UNUSABLE = make_password(None)  # nobody logs in as a benchmark user
EXERCISES = 5
SCENARIOS_PER_EXERCISE = 5
CRITERIA = [f"criterion-{i}" for i in range(8)]
LEVELS = [0, 1, 2, 3]
BATCH = 5000


def _snapshot(tag: str) -> dict:
    return {
        "id": f"bench-{tag}",
        "title": "Benchmark rubric",
        "criteria": [
            {
                "id": key,
                "title": f"Criterion {i}",
                "weight": 1 + (i % 3),
                "allow_na": False,
                "critical": i == 0,
                "critical_cap": 0.5 if i == 0 else None,
                "levels": [{"points": p, "title": f"Level {p}"} for p in LEVELS],
            }
            for i, key in enumerate(CRITERIA)
        ],
    }


@dataclass
class Floor:
    tag: str
    agents: int
    submissions: int
    cohort: Cohort
    trainer: User
    module: Module
    rubric: Rubric
    user_ids: list[int]
    exercise_ids: list[int]
    scenario_ids: list[int]
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


_built: dict[tuple[int, int], Floor] = {}


ANALYZED = (
    Submission,
    Grade,
    CriterionScore,
    TrainerReview,
    TrainerScore,
    StoredFinalGrade,
    StoredFinalCriterion,
    Membership,
    User,
)


def _analyze(log: Callable[[str], None]) -> None:
    """Refresh the planner's statistics after a bulk load, as an installation that grew to
    this size would have them (autovacuum gets there later; the timings should not depend
    on whether it already has). PostgreSQL only."""
    if connection.vendor != "postgresql":
        return
    log("  ANALYZE of the loaded tables")
    with connection.cursor() as cursor:
        for model in ANALYZED:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def floor_get(*, agents: int, submissions: int, log: Callable[[str], None]) -> Floor:
    """The floor of this size, built once per process (the sections share it)."""
    key = (agents, submissions)
    if key not in _built:
        _built[key] = _build(agents=agents, submissions=submissions, log=log)
    return _built[key]


def _points(n: int, i: int) -> int:
    """A deterministic spread of levels, skewed upwards like real grades."""
    return (n * 7 + i * 3 + (n // 5)) % 4 if (n + i) % 5 else 3


def _build(*, agents: int, submissions: int, log: Callable[[str], None]) -> Floor:
    tag = secrets.token_hex(4)
    started = time.perf_counter()
    log(f"building the floor {tag}: {agents} agents x {submissions} submissions")
    with transaction.atomic():
        snapshot = _snapshot(tag)
        rubric = Rubric.objects.create(slug=f"bench-{tag}", title="Benchmark", content_hash=tag)
        version = RubricVersion.objects.create(
            rubric=rubric, number=1, content_hash=tag, title="Benchmark", snapshot=snapshot
        )
        rubric.current_version = version
        rubric.save(update_fields=["current_version"])
        module = Module.objects.create(
            slug=f"bench-{tag}", title=f"Benchmark {tag}", order=9999, content_hash=tag
        )
        exercises = Exercise.objects.bulk_create(
            Exercise(
                module=module,
                slug=f"bench-{tag}-e{i}",
                title=f"Benchmark exercise {i}",
                order=i,
                type="tone",
                rubric_slug=rubric.slug,
                content_hash=tag,
                steps=[],
                settings={"peer_reviews_required": 0},
            )
            for i in range(EXERCISES)
        )
        scenarios = Scenario.objects.bulk_create(
            Scenario(slug=f"bench-{tag}-s{i}", type="tone", title=f"Scenario {i}", content_hash=tag)
            for i in range(EXERCISES * SCENARIOS_PER_EXERCISE)
        )
        versions = ScenarioVersion.objects.bulk_create(
            ScenarioVersion(scenario=s, number=1, content_hash=tag, data={}) for s in scenarios
        )
        ExerciseScenario.objects.bulk_create(
            ExerciseScenario(
                exercise=exercises[i // SCENARIOS_PER_EXERCISE],
                scenario=s,
                order=i % SCENARIOS_PER_EXERCISE,
            )
            for i, s in enumerate(scenarios)
        )
        trainer = User.objects.create(email=f"bench-{tag}-trainer@bench.invalid", password=UNUSABLE)
        trainer.groups.add(Group.objects.get_or_create(name=TRAINERS_GROUP)[0])
        cohort = Cohort.objects.create(name=f"Benchmark {tag}", slug=f"bench-{tag}")
        cohort.trainers.add(trainer)
        now = timezone.now()
        Assignment.objects.create(
            cohort=cohort,
            module=module,
            opens_at=now - timedelta(days=30),
            due_at=now - timedelta(days=1),
            created_by=trainer,
        )
        users = User.objects.bulk_create(
            (
                User(
                    email=f"bench-{tag}-{i:06d}@bench.invalid",
                    full_name=f"Agent {i}",
                    password=UNUSABLE,
                )
                for i in range(agents)
            ),
            batch_size=BATCH,
        )
        Membership.objects.bulk_create(
            (Membership(cohort=cohort, user=u) for u in users), batch_size=BATCH
        )
    pairs = len(scenarios)
    rows = []
    for u_index, user in enumerate(users):
        for n in range(submissions):
            pair = (u_index + n) % pairs
            rows.append(
                Submission(
                    user=user,
                    exercise=exercises[pair // SCENARIOS_PER_EXERCISE],
                    scenario=scenarios[pair],
                    scenario_version=versions[pair],
                    exercise_version=1,
                    attempt=n // pairs + 1,
                    answer={"reply": f"Reply {n} of agent {u_index}."},
                    edit_class=Submission.EditClass.NO_DRAFT,
                    edit_distance=round((n % 10) / 10, 3),
                    time_on_task_seconds=60 + n,
                    client_token=uuid.uuid4(),
                )
            )
    log(f"  {len(rows)} submissions")
    created: list[Submission] = []
    for start in range(0, len(rows), BATCH):
        with transaction.atomic():
            created.extend(Submission.objects.bulk_create(rows[start : start + BATCH]))
    del rows
    log("  grades and criterion scores")
    grades_made = scores_made = reviews_made = 0
    for start in range(0, len(created), BATCH):
        chunk = created[start : start + BATCH]
        with transaction.atomic():
            grades = [
                Grade(
                    submission=s,
                    grader=GraderKind.OFFLINE,
                    rubric_version=version,
                    total=round((s.pk % 100) / 100, 2),
                )
                for s in chunk
            ] + [
                Grade(
                    submission=s,
                    grader=GraderKind.LLM,
                    rubric_version=version,
                    total=round(((s.pk + 13) % 100) / 100, 2),
                    model_name="bench",
                )
                for s in chunk
                if s.pk % 3 == 0
            ]
            grades = Grade.objects.bulk_create(grades)
            scores = CriterionScore.objects.bulk_create(
                (
                    CriterionScore(
                        grade=g,
                        criterion_key=key,
                        order=i,
                        points=_points(g.submission_id + (g.grader == GraderKind.LLM), i),
                        max_points=LEVELS[-1],
                        rationale="",
                    )
                    for g in grades
                    for i, key in enumerate(CRITERIA)
                ),
                batch_size=BATCH,
            )
            reviewed = [s for s in chunk if s.pk % 8 == 0]
            reviews = TrainerReview.objects.bulk_create(
                TrainerReview(
                    submission=s,
                    trainer=trainer,
                    rubric_version=version,
                    total=round(((s.pk + 7) % 100) / 100, 2),
                )
                for s in reviewed
            )
            TrainerScore.objects.bulk_create(
                (
                    TrainerScore(
                        review=r,
                        criterion_key=key,
                        order=i,
                        points=_points(r.submission_id + 1, i),
                        min_points=LEVELS[0],
                        max_points=LEVELS[-1],
                    )
                    for r in reviews
                    for i, key in enumerate(CRITERIA)
                ),
                batch_size=BATCH,
            )
        grades_made += len(grades)
        scores_made += len(scores)
        reviews_made += len(reviews)
    _analyze(log)
    build_seconds = time.perf_counter() - started
    log(f"  {grades_made} grades, {scores_made} criterion scores, {reviews_made} trainer reviews")
    log("  stored final grades (the product's rebuild)")
    started = time.perf_counter()
    ids = [s.pk for s in created]
    for start in range(0, len(ids), REFRESH_CHUNK):
        with transaction.atomic():
            final_grades_refresh(submission_ids=ids[start : start + REFRESH_CHUNK])
    rebuild_seconds = time.perf_counter() - started
    _analyze(log)
    floor = Floor(
        tag=tag,
        agents=agents,
        submissions=submissions,
        cohort=cohort,
        trainer=trainer,
        module=module,
        rubric=rubric,
        user_ids=[u.pk for u in users],
        exercise_ids=[e.pk for e in exercises],
        scenario_ids=[s.pk for s in scenarios],
        timings={"build": build_seconds, "rebuild": rebuild_seconds},
        counts={
            "submissions": len(created),
            "grades": grades_made,
            "scores": scores_made,
            "reviews": reviews_made,
        },
    )
    log(f"  built in {build_seconds:.1f} s, final grades stored in {rebuild_seconds:.1f} s")
    return floor


def floor_remove(*, log: Callable[[str], None]) -> None:
    """Delete every floor this process built (children first, in bulk)."""
    for key, floor in list(_built.items()):
        log(f"removing the floor {floor.tag}")
        submissions = Submission.objects.filter(user_id__in=floor.user_ids)
        with transaction.atomic():
            StoredFinalCriterion.objects.filter(final__submission__in=submissions).delete()
            StoredFinalGrade.objects.filter(submission__in=submissions).delete()
            TrainerScore.objects.filter(review__submission__in=submissions).delete()
            TrainerReview.objects.filter(submission__in=submissions)._raw_delete(
                TrainerReview.objects.db
            )
            CriterionScore.objects.filter(grade__submission__in=submissions).delete()
            Grade.objects.filter(submission__in=submissions)._raw_delete(Grade.objects.db)
            _delete_submission_dependents(submissions)
            submissions._raw_delete(Submission.objects.db)
            Assignment.objects.filter(cohort=floor.cohort).delete()
            Membership.objects.filter(cohort=floor.cohort).delete()
            floor.cohort.trainers.clear()
            floor.cohort.delete()
            User.objects.filter(pk__in=[*floor.user_ids, floor.trainer.pk]).delete()
            ExerciseScenario.objects.filter(exercise__module=floor.module).delete()
            Exercise.objects.filter(module=floor.module).delete()
            floor.module.delete()
            ScenarioVersion.objects.filter(scenario_id__in=floor.scenario_ids).delete()
            Scenario.objects.filter(pk__in=floor.scenario_ids).delete()
            Rubric.objects.filter(pk=floor.rubric.pk).update(current_version=None)
            RubricVersion.objects.filter(rubric=floor.rubric).delete()
            floor.rubric.delete()
        del _built[key]


def floor_forget() -> None:
    """Leave the built floors in the database (--keep) but stop sharing them."""
    _built.clear()


def _delete_submission_dependents(submissions) -> None:
    """Rows other parts of the product may have hung on the floor's submissions (an audit
    draw, a grading job, a queue item): none are built, but a run with --keep may grow them."""
    from grading.console.models import AuditDraw, GradeRelease, QueueItem
    from grading.models import Flag, GradingJob

    for model in (AuditDraw, GradeRelease, QueueItem, Flag, GradingJob):
        model.objects.filter(submission__in=submissions).delete()
