"""Automatic grading of submissions: request, run (claim, grade, store), give up, sweep.

The flow follows the style guide: a short transaction claims the job, graders run with
no transaction open (the LLM call has its own timeout), each result is written in its
own short transaction, and a unique constraint per (submission, grader) makes a task
that runs twice a no-op.
"""

import dataclasses
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

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

STALE_AFTER = timedelta(minutes=10)
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
def grading_claim(*, submission_id: int, is_retry: bool = False) -> GradingJob | None:
    """Mark the job running; None when it is done or another worker holds it right now."""
    job = GradingJob.objects.select_for_update().filter(submission_id=submission_id).first()
    if job is None:
        job = GradingJob.objects.create(submission_id=submission_id)
    if job.status == GradingJob.Status.DONE:
        return None
    now = timezone.now()
    held = (
        job.status == GradingJob.Status.RUNNING
        and job.claimed_at
        and (now - job.claimed_at < STALE_AFTER)
    )
    if held and not is_retry:
        return None
    job.status = GradingJob.Status.RUNNING
    job.runs += 1
    job.claimed_at = now
    job.save(update_fields=["status", "runs", "claimed_at", "updated_at"])
    return job


def grading_run(*, submission_id: int, is_retry: bool = False) -> None:
    """Grade a submission with every configured grader; safe to call more than once.

    Raises LLMTransientError when the LLM failed in a way worth retrying; the offline
    grade is stored before the LLM is asked, so a submission always ends up graded.
    """
    if grading_claim(submission_id=submission_id, is_retry=is_retry) is None:
        return
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
        except LLMTransientError:
            raise  # the task retries with backoff, then gives up (grading_llm_give_up)
        except Exception as exc:
            # A bug or an answer we did not foresee must not leave the job running for the
            # sweep to re-queue forever: the offline grade stands, a trainer is asked.
            logger.exception("LLM grading failed for submission %s", submission_id)
            grading_finish(submission_id=submission_id, flag=Flag.Reason.LLM_FAILED, error=exc)
            return
        grade_store(submission_id=submission_id, rubric_version=rubric_version, result=result)
    grading_finish(submission_id=submission_id)


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
    job.save(update_fields=["status", "finished_at", "last_error", "updated_at"])
    if flag:
        _flag_open(submission_id=submission_id, reason=flag, detail=str(error or ""))
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
    """Re-queue grading that is queued or running for too long, and submissions never queued.

    Run periodically by Celery beat; returns the submission ids it re-queued.
    """
    from .tasks import grade_submission_task

    now = now or timezone.now()
    stale = now - STALE_AFTER
    stuck = list(
        GradingJob.objects.filter(status=GradingJob.Status.QUEUED, updated_at__lt=stale)
        .union(GradingJob.objects.filter(status=GradingJob.Status.RUNNING, claimed_at__lt=stale))
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
        ).update(status=GradingJob.Status.QUEUED, claimed_at=None, updated_at=now)
        grade_submission_task.delay(submission_id=submission_id)
    return requeued
