"""Automatic grading of submissions: request, run (claim, grade, store), give up, sweep.

The flow follows the style guide: a short transaction claims the job, graders run with
no transaction open (the LLM call has its own timeout), each result is written in its
own short transaction, and a unique constraint per (submission, grader) makes a task
that runs twice a no-op.
"""

import dataclasses
import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from curriculum.retry import backoff_seconds
from exercises.models import Submission
from exercises.services import llm_configured

from . import offline
from .detectors.knowledge_base import KnowledgeBase
from .llm.errors import LLMPermanentError, LLMTransientError
from .models import (
    CriterionScore,
    Flag,
    Grade,
    GraderKind,
    GradingJob,
    LLMResponseCache,
    RubricVersion,
)
from .selectors import knowledge_base_current, rubric_version_current

logger = logging.getLogger(__name__)

# A queued job nobody picked up for this long is queued again by the sweep.
STALE_AFTER = timedelta(minutes=10)
# A waiting LLM retry whose task has not come this long after it was due was lost with its
# worker (a countdown task lives in the worker's memory): the sweep queues it again.
RETRY_LOST_AFTER = timedelta(minutes=2)


class GradingLeaseHeldError(Exception):
    """Another worker holds the job's lease; the task tries again once it expires."""

    def __init__(self, seconds_left: float):
        super().__init__(f"another worker holds the grading lease for {seconds_left:.0f} s")
        self.seconds_left = seconds_left


class GradingRetryLaterError(LLMTransientError):
    """The model failed in a way worth retrying; the job waits `countdown` seconds (the one
    retry policy, never sooner than the endpoint's Retry-After) with the offline grade
    shown as provisional meanwhile."""

    def __init__(self, message: str, *, countdown: float):
        super().__init__(message)
        self.countdown = countdown


class GradingNotConfiguredError(Exception):
    """LLM re-grading was asked for with no model configured."""


def lease_duration() -> timedelta:
    """How long a claim lasts without renewal (GRADING_LEASE_SECONDS, default 75 s): a
    worker killed mid-grade is taken over this long after its last renewal."""
    return timedelta(seconds=getattr(settings, "GRADING_LEASE_SECONDS", 75))


# Offline verdict notes that put a submission in front of a trainer.
SUSPICIOUS_NOTES = frozenset({"grader_directed_text", "padding_or_stuffing", "not_prose"})


@dataclass(frozen=True)
class ScoredCriterion:
    key: str
    points: int | None
    max_points: int
    rationale: str
    evidence: list[dict]


@dataclass(frozen=True)
class GradeResult:
    """What any grader produces, ready to store."""

    grader: str
    total: float
    criteria: list[ScoredCriterion]
    notes: list[str]
    model_name: str = ""
    prompt_version: str = ""
    kb_version: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    latency_ms: int | None = None
    from_cache: bool = False


@transaction.atomic(durable=True)
def grading_request(*, submission_id: int) -> GradingJob:
    """Queue automatic grading of a submission (the hook `exercises` calls after submit)."""
    from .tasks import grade_submission_task

    job, created = GradingJob.objects.get_or_create(submission_id=submission_id)
    if created or job.status != GradingJob.Status.DONE:
        grade_submission_task.delay_on_commit(submission_id=submission_id)
    return job


@transaction.atomic(durable=True)
def grading_claim(*, submission_id: int, now=None) -> GradingJob | None:
    """Take the job with a fresh lease; None when it is done.

    Raises GradingLeaseHeldError while another worker's lease runs: a redelivered task (its
    worker was killed) retries once the lease has expired and then takes the job over.
    """
    job = GradingJob.objects.select_for_update().filter(submission_id=submission_id).first()
    if job is None:
        job = GradingJob.objects.create(submission_id=submission_id)
    if job.status == GradingJob.Status.DONE:
        return None
    now = now or timezone.now()
    if (
        job.status == GradingJob.Status.RUNNING
        and job.lease_expires_at
        and job.lease_expires_at > now
    ):
        raise GradingLeaseHeldError((job.lease_expires_at - now).total_seconds())
    job.status = GradingJob.Status.RUNNING
    job.runs += 1
    job.claimed_at = now
    job.lease_expires_at = now + lease_duration()
    job.next_attempt_at = None
    job.save(
        update_fields=[
            "status", "runs", "claimed_at", "lease_expires_at", "next_attempt_at", "updated_at"
        ]
    )  # fmt: skip
    return job


def grading_lease_renew(*, submission_id: int, run: int) -> bool:
    """Extend the lease of the job's current run; False when the job moved on (finished, or
    taken over after this worker stalled past its lease)."""
    updated = GradingJob.objects.filter(
        submission_id=submission_id, status=GradingJob.Status.RUNNING, runs=run
    ).update(lease_expires_at=timezone.now() + lease_duration())
    return bool(updated)


@contextmanager
def _lease_kept(*, submission_id: int, run: int):
    """Renew the lease every third of its length while the block runs (in a thread: the LLM
    call blocks this one). The thread only touches the database after its first wait, and
    closes its own connection when it stops."""
    stop = threading.Event()
    every = lease_duration().total_seconds() / 3

    def renew():
        try:
            while not stop.wait(every):
                if not grading_lease_renew(submission_id=submission_id, run=run):
                    return
        except Exception:
            logger.exception("renewing the grading lease of submission %s failed", submission_id)
        finally:
            connection.close()

    keeper = threading.Thread(target=renew, name=f"grading-lease-{submission_id}", daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join(timeout=5)


def grading_run(*, submission_id: int) -> None:
    """Grade a submission with every configured grader; safe to call more than once.

    Raises GradingLeaseHeldError when another worker is grading it right now, and
    GradingRetryLaterError when the LLM failed in a way worth retrying (the job then waits;
    the offline grade, stored before the LLM is asked, shows as provisional).
    """
    job = grading_claim(submission_id=submission_id)
    if job is None:
        return
    with _lease_kept(submission_id=submission_id, run=job.runs):
        _grading_run_claimed(submission_id=submission_id)


def _grading_run_claimed(*, submission_id: int) -> None:
    submission = Submission.objects.select_related("exercise", "scenario_version").get(
        pk=submission_id
    )
    rubric_version = rubric_version_current(slug=submission.exercise.rubric_slug)
    done = set(Grade.objects.filter(submission=submission).values_list("grader", flat=True))
    # One knowledge base and one offline verdict for both graders: the LLM's evidence is
    # the offline grade just computed, not a second run of it.
    kb = verdict = None
    if GraderKind.OFFLINE not in done:
        try:
            kb = knowledge_base_current()
            verdict = offline_verdict(submission=submission, rubric_version=rubric_version, kb=kb)
            result = result_from_verdict(
                verdict, rubric=rubric_version.snapshot, kb_version=kb.version
            )
        except Exception as exc:
            # A grader bug must not lose the submission: flag it for a trainer.
            logger.exception("offline grading failed for submission %s", submission_id)
            grading_finish(submission_id=submission_id, flag=Flag.Reason.GRADER_ERROR, error=exc)
            return
        grade_store(submission_id=submission_id, rubric_version=rubric_version, result=result)
        suspicious = SUSPICIOUS_NOTES.intersection(result.notes)
        if suspicious:
            flag_raise(
                submission_id=submission_id,
                reason=Flag.Reason.SUSPICIOUS_TEXT,
                detail="The offline grader found: " + ", ".join(sorted(suspicious)),
            )
    if llm_configured() and GraderKind.LLM not in done:
        try:
            result = grade_llm(
                submission=submission, rubric_version=rubric_version, kb=kb, evidence=verdict
            )
        except LLMPermanentError as exc:
            grading_finish(submission_id=submission_id, flag=Flag.Reason.LLM_FAILED, error=exc)
            return
        except LLMTransientError as exc:
            countdown = grading_llm_wait(submission_id=submission_id, error=exc)
            if countdown is None:  # retried for LLM_RETRY_FOR_SECONDS: the offline grade stands
                grading_llm_give_up(submission_id=submission_id, error=exc)
                return
            raise GradingRetryLaterError(str(exc), countdown=countdown) from exc
        except Exception as exc:
            # A bug or an answer we did not foresee must not leave the job running for the
            # sweep to re-queue forever: the offline grade stands, a trainer is asked.
            logger.exception("LLM grading failed for submission %s", submission_id)
            grading_finish(submission_id=submission_id, flag=Flag.Reason.LLM_FAILED, error=exc)
            return
        grade_store(submission_id=submission_id, rubric_version=rubric_version, result=result)
    grading_finish(submission_id=submission_id)


@transaction.atomic(durable=True)
def grading_llm_wait(*, submission_id: int, error: LLMTransientError, now=None) -> float | None:
    """Put the job back to wait for the next LLM attempt; the countdown in seconds, or None
    once the model has been failing for LLM_RETRY_FOR_SECONDS (default 6 hours).

    The wait follows the one retry policy (curriculum.retry: exponential backoff with full
    jitter from LLM_RETRY_BASE_SECONDS, capped at LLM_RETRY_MAX_DELAY_SECONDS) and is never
    shorter than the endpoint's Retry-After (itself capped, so a bogus header cannot park a
    submission for days).
    """
    now = now or timezone.now()
    job = GradingJob.objects.select_for_update().get(submission_id=submission_id)
    failing_since = job.llm_failing_since or now
    retry_for = timedelta(seconds=settings.LLM_RETRY_FOR_SECONDS)
    if now - failing_since >= retry_for:
        return None
    cap = settings.LLM_RETRY_MAX_DELAY_SECONDS
    countdown = backoff_seconds(job.llm_attempts, base=settings.LLM_RETRY_BASE_SECONDS, cap=cap)
    retry_after = getattr(error, "retry_after", None)
    if retry_after:
        countdown = max(countdown, min(retry_after, cap))
    job.status = GradingJob.Status.QUEUED
    job.lease_expires_at = None
    job.llm_attempts += 1
    job.llm_failing_since = failing_since
    job.next_attempt_at = now + timedelta(seconds=countdown)
    job.last_error = str(error)[:2000]
    job.save(
        update_fields=[
            "status", "lease_expires_at", "llm_attempts", "llm_failing_since",
            "next_attempt_at", "last_error", "updated_at",
        ]
    )  # fmt: skip
    logger.warning(
        "LLM grading of submission %s failed (attempt %s): %s; retrying in %.0f s",
        submission_id, job.llm_attempts, error, countdown,
    )  # fmt: skip
    return countdown


def grade_offline(*, submission: Submission, rubric_version: RubricVersion) -> GradeResult:
    kb = knowledge_base_current()
    verdict = offline_verdict(submission=submission, rubric_version=rubric_version, kb=kb)
    return result_from_verdict(verdict, rubric=rubric_version.snapshot, kb_version=kb.version)


def offline_verdict(
    *, submission: Submission, rubric_version: RubricVersion, kb: KnowledgeBase
) -> offline.Verdict:
    """The offline grader's verdict on a submission (the offline grade, and the LLM's
    evidence)."""
    return offline.grade_answer(
        exercise_type=submission.exercise.type,
        scenario=submission.scenario_version.data,
        answer=submission.answer,
        rubric=rubric_version.snapshot,
        kb=kb,
        reply_max_words=submission.exercise.setting("reply_max_words"),
    )


class DatabaseLLMCache:
    """Validated LLM results in the database; errors are never stored."""

    def get(self, key: str):
        entry = LLMResponseCache.objects.filter(key=key).first()
        return entry.result if entry else None

    def set(self, key: str, result, model_name: str) -> None:
        LLMResponseCache.objects.get_or_create(
            key=key, defaults={"result": result, "model_name": model_name}
        )


def grade_llm(
    *,
    submission: Submission,
    rubric_version: RubricVersion,
    kb: KnowledgeBase | None = None,
    evidence: offline.Verdict | None = None,
) -> GradeResult:
    """Grade with the configured model (no transaction open: it is a network call).

    `kb` and `evidence` (the offline verdict) are reused when the caller has them."""
    from .llm.grader import grade_with_llm_data

    kb = kb or knowledge_base_current()
    scenario = submission.scenario_version.data
    if evidence is None:
        evidence = offline_verdict(submission=submission, rubric_version=rubric_version, kb=kb)
    graded = grade_with_llm_data(
        exercise_type=submission.exercise.type,
        scenario=scenario,
        answer=submission.answer,
        rubric=rubric_version.snapshot,
        kb=kb,
        evidence=evidence,
        customer_plan=(scenario.get("customer") or {}).get("plan"),
        cache=DatabaseLLMCache(),
    )
    base = result_from_verdict(
        graded.verdict, rubric=rubric_version.snapshot, kb_version=kb.version
    )
    return dataclasses.replace(
        base,
        model_name=graded.model_name,
        prompt_version=graded.prompt_version,
        prompt_tokens=graded.prompt_tokens,
        completion_tokens=graded.completion_tokens,
        latency_ms=graded.latency_ms,
        from_cache=graded.from_cache,
    )


def result_from_verdict(verdict, *, rubric: dict, kb_version: str = "") -> GradeResult:
    criteria = []
    for spec in rubric["criteria"]:
        score = verdict.criteria.get(spec["id"])
        criteria.append(
            ScoredCriterion(
                key=spec["id"],
                points=score.points if score else None,
                max_points=max(level["points"] for level in spec["levels"]),
                rationale=score.rationale if score else "Not scored.",
                evidence=[
                    {"field": e.field, "start": e.start, "end": e.end, "note": e.note}
                    for e in (score.evidence if score else ())
                ],
            )
        )
    return GradeResult(
        grader=verdict.grader,
        total=max(0.0, min(1.0, verdict.total)),
        criteria=criteria,
        notes=list(verdict.flags),
        kb_version=kb_version or (verdict.kb_version or ""),
    )


def grade_store(
    *, submission_id: int, rubric_version: RubricVersion, result: GradeResult
) -> Grade | None:
    """Write one grader's result; a second write for the same grader is a no-op (None)."""
    try:
        with transaction.atomic(durable=True):
            grade = Grade.objects.create(
                submission_id=submission_id,
                grader=result.grader,
                rubric_version=rubric_version,
                model_name=result.model_name,
                prompt_version=result.prompt_version,
                kb_version=result.kb_version,
                total=result.total,
                notes=result.notes,
                prompt_tokens=result.prompt_tokens,
                completion_tokens=result.completion_tokens,
                latency_ms=result.latency_ms,
                from_cache=result.from_cache,
            )
            CriterionScore.objects.bulk_create(
                CriterionScore(
                    grade=grade,
                    criterion_key=item.key,
                    order=order,
                    points=item.points,
                    max_points=item.max_points,
                    rationale=item.rationale,
                    evidence=item.evidence,
                )
                for order, item in enumerate(result.criteria)
            )
            from .console.grades import final_grades_refresh  # the stored final grade

            final_grades_refresh(submission_ids=[submission_id])
    except IntegrityError:
        logger.info("grade %s for submission %s already stored", result.grader, submission_id)
        return None
    return grade


@transaction.atomic(durable=True)
def grading_finish(
    *, submission_id: int, flag: str | None = None, error: Exception | str | None = None
) -> None:
    """Close the job; with a flag, put the submission in front of a trainer."""
    job = GradingJob.objects.select_for_update().get(submission_id=submission_id)
    job.status = GradingJob.Status.DONE
    job.finished_at = timezone.now()
    job.last_error = str(error or "")[:2000]
    job.lease_expires_at = None
    job.next_attempt_at = None
    job.llm_failing_since = None
    job.save(
        update_fields=[
            "status", "finished_at", "last_error", "lease_expires_at", "next_attempt_at",
            "llm_failing_since", "updated_at",
        ]
    )  # fmt: skip
    if flag:
        _flag_open(submission_id=submission_id, reason=flag, detail=str(error or ""))
    elif Grade.objects.filter(submission_id=submission_id, grader=GraderKind.LLM).exists():
        # An LLM grade landed (a retry or a re-run): the earlier "LLM grading failed" is over.
        Flag.objects.filter(
            submission_id=submission_id, reason=Flag.Reason.LLM_FAILED, resolved_at__isnull=True
        ).update(resolved_at=timezone.now())
    from .console.services import audit_draw  # the trainer's audit sample (grading/console)

    audit_draw(submission_id=submission_id, flagged=bool(flag))


def _flag_open(*, submission_id: int, reason: str, detail: str) -> Flag:
    flag, _ = Flag.objects.get_or_create(
        submission_id=submission_id,
        reason=reason,
        resolved_at=None,
        defaults={"detail": detail[:2000]},
    )
    return flag


@transaction.atomic(durable=True)
def flag_raise(*, submission_id: int, reason: str, detail: str = "") -> Flag:
    """Open a flag for the trainer queue (one open flag per submission and reason)."""
    return _flag_open(submission_id=submission_id, reason=reason, detail=detail)


def grading_llm_give_up(*, submission_id: int, error: Exception | str) -> None:
    """The LLM kept failing: the offline grade stands and a trainer is asked to look."""
    grading_finish(submission_id=submission_id, flag=Flag.Reason.LLM_FAILED, error=error)


def grading_sweep_stuck(*, now=None) -> list[int]:
    """Re-queue grading that nobody is working on: a running job whose lease expired (its
    worker died), a queued job nobody picked up, a waiting LLM retry whose countdown task
    was lost, and submissions never queued.

    Run by Celery beat every 30 s; returns the submission ids it re-queued.
    """
    from .tasks import grade_submission_task

    now = now or timezone.now()
    stale = now - STALE_AFTER
    queued = GradingJob.objects.filter(status=GradingJob.Status.QUEUED)
    stuck = list(
        queued.filter(updated_at__lt=stale, next_attempt_at__isnull=True)
        .union(queued.filter(next_attempt_at__lt=now - RETRY_LOST_AFTER))
        .union(
            GradingJob.objects.filter(status=GradingJob.Status.RUNNING, lease_expires_at__lt=now)
        )
        .union(
            GradingJob.objects.filter(
                status=GradingJob.Status.RUNNING,
                lease_expires_at__isnull=True,
                claimed_at__lt=stale,
            )
        )
        .values_list("submission_id", flat=True)
    )
    never_queued = list(
        Submission.objects.filter(
            grading_job__isnull=True, created_at__lt=now - timedelta(minutes=1)
        ).values_list("pk", flat=True)
    )
    for submission_id in never_queued:
        GradingJob.objects.get_or_create(submission_id=submission_id)
    requeued = sorted(set(stuck) | set(never_queued))
    for submission_id in requeued:
        GradingJob.objects.filter(submission_id=submission_id).exclude(
            status=GradingJob.Status.DONE
        ).update(
            status=GradingJob.Status.QUEUED,
            claimed_at=None,
            lease_expires_at=None,
            next_attempt_at=None,
            updated_at=now,
        )
        grade_submission_task.delay(submission_id=submission_id)
    if requeued:
        logger.warning("grading sweep re-queued submissions %s", requeued)
    return requeued


def grading_llm_rerun(*, submission_ids: list[int]) -> list[int]:
    """Ask the LLM again for submissions that have no LLM grade (the model was down for
    longer than the retries lasted, or the trainer wants a second try); the offline grade
    shows as provisional until the LLM grade replaces it. Returns the ids queued; a
    submission with an LLM grade already, or whose grading is running, is left alone."""
    from .tasks import grade_submission_task

    if not llm_configured():
        raise GradingNotConfiguredError(
            "No language model is configured (LLM_BASE_URL, LLM_MODEL)."
        )
    with_llm = set(
        Grade.objects.filter(submission_id__in=submission_ids, grader=GraderKind.LLM).values_list(
            "submission_id", flat=True
        )
    )
    queued = []
    for submission_id in sorted(set(submission_ids) - with_llm):
        with transaction.atomic(durable=True):
            job, _ = GradingJob.objects.select_for_update().get_or_create(
                submission_id=submission_id
            )
            if job.status == GradingJob.Status.RUNNING:
                continue
            job.status = GradingJob.Status.QUEUED
            job.claimed_at = None
            job.lease_expires_at = None
            job.next_attempt_at = None
            job.llm_attempts = 0
            job.llm_failing_since = None
            job.save(
                update_fields=[
                    "status", "claimed_at", "lease_expires_at", "next_attempt_at",
                    "llm_attempts", "llm_failing_since", "updated_at",
                ]
            )  # fmt: skip
            grade_submission_task.delay_on_commit(submission_id=submission_id)
        queued.append(submission_id)
    return queued


def submissions_for_llm_rerun(*, cohort_id: int | None = None, flagged: bool = False) -> list[int]:
    """Submissions without an LLM grade: of a cohort's members, and/or with an open
    "LLM grading failed" flag."""
    submissions = Submission.objects.exclude(grades__grader=GraderKind.LLM)
    if cohort_id is not None:
        submissions = submissions.filter(user__memberships__cohort_id=cohort_id)
    if flagged:
        submissions = submissions.filter(
            flags__reason=Flag.Reason.LLM_FAILED, flags__resolved_at__isnull=True
        )
    return sorted(set(submissions.values_list("pk", flat=True)))
