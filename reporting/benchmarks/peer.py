"""benchmark_scale section: "review next" on a floor of agents whose submissions wait for
peer review, with one reviewer and with 50 reviewers at once (threads, one connection each).

The data goes straight into the tables in bulk (users, one cohort, memberships, submissions
spread over the peer-reviewed exercises and their scenarios, the queue filled by
`peer_queue_sync` as `manage.py peer_queue_fill` does), then the product's
`peer_review_next` is timed call by call; over-assignments are counted from the database
afterwards. Everything it made is deleted at the end (unless `keep`).
"""

import statistics
import threading
import time
import uuid
from collections.abc import Callable

from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction
from django.db.models import Count, F, Q

from curriculum.models import Cohort, Exercise, Membership, User
from exercises.models import Submission
from grading.models import Flag, PeerQueueEntry, PeerReview
from grading.peer import services

from . import Figure

CONCURRENT = 50
TARGET_P95_MS = 50.0
SEQUENTIAL_CALLS = 200
ANSWER = {
    "identified_state": "frustrated",
    "reply": "I'm sorry for the trouble; I have checked your account and fixed the charge.",
}


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[index]


def _build(*, agents: int, submissions: int, tag: str, log) -> tuple[Cohort, list[int]]:
    exercises = services.peer_exercises()
    pairs = []
    for exercise in exercises:
        for scenario in exercise.scenarios.filter(retired_at__isnull=True).order_by("pk"):
            version = scenario.versions.order_by("-number").first()
            if version is not None:
                pairs.append((exercise, scenario, version))
    if not pairs:
        raise RuntimeError("no peer-reviewed exercise with scenarios: run load_content first")
    cohort = Cohort.objects.create(name=f"Benchmark peer {tag}", slug=f"bench-peer-{tag}")
    unusable = make_password(None)  # nobody signs in as a benchmark agent
    users = User.objects.bulk_create(
        [
            User(email=f"bench-peer-{tag}-{i}@example.invalid", password=unusable)
            for i in range(agents)
        ],
        batch_size=2000,
    )
    Membership.objects.bulk_create(
        [Membership(cohort=cohort, user=user) for user in users], batch_size=5000
    )
    log(f"peer: {agents} agents, {agents * submissions} submissions ...")
    rows = []
    for user in users:
        for j in range(submissions):
            exercise, scenario, version = pairs[j % len(pairs)]
            rows.append(
                Submission(
                    user=user,
                    exercise=exercise,
                    scenario=scenario,
                    scenario_version=version,
                    exercise_version=exercise.version,
                    attempt=j // len(pairs) + 1,
                    answer=ANSWER,
                    edit_class=Submission.EditClass.SUBSTANTIAL,
                    client_token=uuid.uuid4(),
                )
            )
        if len(rows) >= 20_000:
            Submission.objects.bulk_create(rows, batch_size=5000)
            rows = []
    Submission.objects.bulk_create(rows, batch_size=5000)
    services.peer_queue_sync(exercise_ids=[e.pk for e in exercises])
    _analyze(User, Membership, Submission, PeerQueueEntry, PeerReview)
    return cohort, [u.pk for u in users]


def _analyze(*models) -> None:
    """Fresh planner statistics after a bulk load, as autovacuum would give a live system
    (without them PostgreSQL plans for the empty tables it last saw)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _clean(*, cohort: Cohort, user_ids: list[int]) -> None:
    with transaction.atomic():
        submissions = Submission.objects.filter(user_id__in=user_ids)
        Flag.objects.filter(Q(submission__in=submissions) | Q(reviewer_id__in=user_ids)).delete()
        PeerReview.objects.filter(
            Q(submission__in=submissions) | Q(reviewer_id__in=user_ids)
        ).delete()
        PeerQueueEntry.objects.filter(author_id__in=user_ids).delete()
        submissions.delete()
        Membership.objects.filter(cohort=cohort).delete()
        cohort.delete()
        User.objects.filter(pk__in=user_ids).delete()


def _timed_next(reviewer: User, exercise: Exercise) -> tuple[float, bool]:
    started = time.perf_counter()
    review = services.peer_review_next(reviewer=reviewer, exercise=exercise)
    return (time.perf_counter() - started) * 1000, review is not None


def _concurrent(reviewer_groups: list[list[User]], exercise: Exercise) -> tuple[list[float], int]:
    barrier = threading.Barrier(len(reviewer_groups))
    timings: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(group: list[User]) -> None:
        try:
            connection.ensure_connection()  # connect before the start line, not inside it
            barrier.wait(timeout=60)
            for reviewer in group:
                elapsed, _ = _timed_next(reviewer, exercise)
                with lock:
                    timings.append(elapsed)
        except BaseException as exc:  # counted and reported, never lost
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(group,)) for group in reviewer_groups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return timings, len(errors)


def _over_assignments(user_ids: list[int]) -> tuple[int, int]:
    """(reviews handed out beyond an entry's required count, entries whose counter disagrees
    with their live reviews), counted from the rows."""
    entries = PeerQueueEntry.objects.filter(author_id__in=user_ids).annotate(
        live=Count(
            "submission__peer_reviews",
            filter=Q(submission__peer_reviews__kind=PeerReview.Kind.PEER)
            & ~Q(submission__peer_reviews__status=PeerReview.Status.EXPIRED),
        )
    )
    over = sum(
        max(0, live - required)
        for live, required in entries.filter(live__gt=F("required")).values_list("live", "required")
    )
    drift = entries.exclude(live=F("active_count")).count()
    return over, drift


def measure(
    *, agents: int, submissions: int, log: Callable[[str], None], keep: bool = False
) -> list[Figure]:
    """Time "review next" with 1 reviewer and with 50 at once; count over-assignments."""
    tag = uuid.uuid4().hex[:8]
    started = time.perf_counter()
    cohort, user_ids = _build(agents=agents, submissions=submissions, tag=tag, log=log)
    try:
        waiting = PeerQueueEntry.objects.filter(
            author_id__in=user_ids, superseded=False, active_count__lt=F("required")
        ).count()
        log(f"peer: built in {time.perf_counter() - started:.1f} s, {waiting} entries waiting")
        # The exercise with the most waiting entries; self-assessment and calibration are
        # switched off on this in-memory copy only, so each call times the pick itself.
        top = (
            PeerQueueEntry.objects.filter(author_id__in=user_ids, superseded=False)
            .values("exercise_id")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .first()
        )
        exercise = Exercise.objects.get(pk=top["exercise_id"])
        exercise.settings = {**exercise.settings, "self_assessment": False}
        exercise.settings["peer_calibration"] = False
        reviewers = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
        sequential = reviewers[: min(SEQUENTIAL_CALLS, max(1, len(reviewers) // 4))]
        rest = reviewers[len(sequential) :]
        per_thread = max(1, len(rest) // CONCURRENT)
        groups = [rest[i * per_thread : (i + 1) * per_thread] for i in range(CONCURRENT)]
        groups = [g for g in groups if g]

        single = []
        for reviewer in sequential:
            elapsed, _ = _timed_next(reviewer, exercise)
            single.append(elapsed)
        log(f"peer: 1 reviewer, {len(single)} calls")
        cpu = time.process_time()
        timings, errors = _concurrent(groups, exercise)
        cpu = time.process_time() - cpu
        log(
            f"peer: {len(groups)} reviewers at once, {len(timings)} calls, {errors} errors; "
            f"{1000 * cpu / max(1, len(timings)):.1f} ms of this process's CPU per call "
            "(threads share one interpreter lock)"
        )
        over, drift = _over_assignments(user_ids)
    finally:
        if not keep:
            _clean(cohort=cohort, user_ids=user_ids)
    p95 = _percentile(timings, 0.95)
    return [
        Figure(
            name="review next, 1 reviewer",
            value=(
                f"p50 {statistics.median(single):.1f} ms, p95 {_percentile(single, 0.95):.1f} ms "
                f"({len(single)} calls, {waiting} waiting)"
            ),
        ),
        Figure(
            name=f"review next, {len(groups)} reviewers at once",
            value=(
                f"p50 {statistics.median(timings) if timings else 0:.1f} ms, p95 {p95:.1f} ms "
                f"({len(timings)} calls, {errors} errors)"
            ),
            target=f"p95 <= {TARGET_P95_MS:g} ms",
            met=bool(timings) and errors == 0 and p95 <= TARGET_P95_MS,
        ),
        Figure(
            name="review next, over-assignments",
            value=f"{over} (counters off: {drift})",
            target="0",
            met=over == 0 and drift == 0,
        ),
    ]
