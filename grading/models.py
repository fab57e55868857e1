"""Rubrics as immutable versions, and the trainer-graded example submissions."""

from django.db import models

from curriculum.models import Exercise, VersionedContent
from exercises.models import Scenario


class Rubric(VersionedContent):
    """A rubric's identity; what graders score against is always a RubricVersion."""

    title = models.CharField(max_length=200)
    current_version = models.ForeignKey(
        "RubricVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title


class RubricVersion(models.Model):
    """An immutable snapshot: editing a rubric makes a new version, old grades keep theirs."""

    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    description_html = models.TextField(blank=True)
    snapshot = models.JSONField(help_text="The expanded rubric as loaded (criteria and levels).")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rubric", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["rubric", "number"], name="rubric_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.rubric.slug} v{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Rubric versions are immutable; load a new version instead.")
        super().save(*args, **kwargs)

    @property
    def max_points(self) -> int:
        return sum(criterion["levels"][-1]["points"] for criterion in self.snapshot["criteria"])


class Criterion(models.Model):
    rubric_version = models.ForeignKey(
        RubricVersion, on_delete=models.PROTECT, related_name="criteria"
    )
    key = models.SlugField(max_length=80)
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    weight = models.FloatField(default=1.0)
    allow_na = models.BooleanField(default=False)
    critical = models.BooleanField(default=False)
    critical_cap = models.FloatField(null=True, blank=True)
    min_points = models.IntegerField()
    max_points = models.IntegerField()

    class Meta:
        ordering = ["rubric_version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["rubric_version", "key"], name="criterion_key_unique"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="criterion_weight_pos"),
            models.CheckConstraint(
                condition=models.Q(max_points__gte=models.F("min_points")),
                name="criterion_points_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.rubric_version})"


class Level(models.Model):
    criterion = models.ForeignKey(Criterion, on_delete=models.PROTECT, related_name="levels")
    points = models.IntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["criterion", "points"]
        constraints = [
            models.UniqueConstraint(fields=["criterion", "points"], name="level_points_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.points}: {self.title}"


class ExampleSubmission(VersionedContent):
    """An authored answer with a trainer's grade: what reviewers score in reviewer
    calibration, and the level examples the LLM grader is shown."""

    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="examples")
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="examples")
    rubric_version = models.ForeignKey(
        RubricVersion, on_delete=models.PROTECT, related_name="examples"
    )
    answer = models.JSONField()
    trainer_grade = models.JSONField()

    class Meta:
        ordering = ["exercise", "slug"]

    def __str__(self) -> str:
        return self.slug


class GraderKind(models.TextChoices):
    OFFLINE = "offline", "Offline grader"
    LLM = "llm", "LLM grader"


class GradingJob(models.Model):
    """The automatic grading of one submission: its state, so nothing gets stuck or lost."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Grading"
        DONE = "done", "Graded"

    submission = models.OneToOneField(
        "exercises.Submission", on_delete=models.PROTECT, related_name="grading_job"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    runs = models.PositiveIntegerField(default=0, help_text="How many times a worker claimed it.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A running job whose lease has expired (its worker died) may be taken over.",
    )
    llm_attempts = models.PositiveIntegerField(
        default=0, help_text="Transient LLM failures so far (each followed by a wait)."
    )
    llm_failing_since = models.DateTimeField(
        null=True, blank=True, help_text="The first transient LLM failure of this run of retries."
    )
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When the LLM is asked again after a transient failure."
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"grading of {self.submission_id}: {self.status}"


class Grade(models.Model):
    """One grader's scores for one submission, against one rubric version."""

    submission = models.ForeignKey(
        "exercises.Submission", on_delete=models.PROTECT, related_name="grades"
    )
    grader = models.CharField(max_length=10, choices=GraderKind.choices)
    rubric_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="+")
    model_name = models.CharField(max_length=120, blank=True)
    prompt_version = models.CharField(max_length=40, blank=True)
    kb_version = models.CharField(max_length=64, blank=True)
    total = models.FloatField(help_text="Weighted score as a fraction of the maximum, 0..1.")
    notes = models.JSONField(default=list, blank=True, help_text="Flags and caps applied.")
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    from_cache = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "grader"]
        constraints = [
            models.UniqueConstraint(fields=["submission", "grader"], name="grade_one_per_grader"),
            models.CheckConstraint(
                condition=models.Q(total__gte=0, total__lte=1), name="grade_total_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_grader_display()} grade of {self.submission_id}"


class CriterionScore(models.Model):
    grade = models.ForeignKey(Grade, on_delete=models.CASCADE, related_name="scores")
    criterion_key = models.SlugField(max_length=80)
    order = models.PositiveIntegerField(default=0)
    points = models.IntegerField(null=True, blank=True, help_text="Empty: not applicable.")
    max_points = models.IntegerField()
    rationale = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["grade", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["grade", "criterion_key"], name="criterion_score_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_key}: {self.points}"


class Flag(models.Model):
    """Something a trainer must look at (the trainer queue reads these)."""

    class Reason(models.TextChoices):
        LLM_FAILED = "llm_failed", "LLM grading failed"
        GRADER_ERROR = "grader_error", "Automatic grading failed"
        DISAGREEMENT = "disagreement", "Graders disagree"
        # Peer review (grading/peer/): about a submission ...
        DISPUTE = "dispute", "Author disputes a peer review"
        INAPPROPRIATE = "inappropriate", "Reported as inappropriate by a reviewer"
        PEER_DISAGREEMENT = "peer_disagreement", "Peer reviews disagree"
        UNCALIBRATED_REVIEWERS = "uncalibrated_reviewers", "No calibrated reviewer"
        REVIEW_TIMEOUT = "review_timeout", "Waited too long for peer reviews"
        # ... or about a reviewer (`reviewer` set, no submission).
        REVIEWER_INACCURATE = "reviewer_inaccurate", "Reviewer consistently off"
        # The offline grader saw text aimed at the grader, or padding and keyword stuffing.
        SUSPICIOUS_TEXT = "suspicious_text", "Text aimed at the grader, or padding"

    submission = models.ForeignKey(
        "exercises.Submission",
        on_delete=models.PROTECT,
        related_name="flags",
        null=True,
        blank=True,
    )
    reviewer = models.ForeignKey(
        "curriculum.User",
        on_delete=models.CASCADE,
        related_name="reviewer_flags",
        null=True,
        blank=True,
        help_text="For flags about a peer reviewer rather than a submission.",
    )
    reason = models.CharField(max_length=30, choices=Reason.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "reason"],
                condition=models.Q(resolved_at__isnull=True),
                name="flag_one_open_per_reason",
            ),
            models.UniqueConstraint(
                fields=["reviewer", "reason"],
                condition=models.Q(resolved_at__isnull=True, submission__isnull=True),
                name="flag_one_open_per_reviewer_reason",
            ),
            models.CheckConstraint(
                condition=models.Q(submission__isnull=False) | models.Q(reviewer__isnull=False),
                name="flag_has_subject",
            ),
        ]

    def __str__(self) -> str:
        subject = self.submission_id or f"reviewer {self.reviewer_id}"
        return f"{self.get_reason_display()} on {subject}"


class LLMResponseCache(models.Model):
    """Validated LLM grading results keyed by everything that determines them."""

    key = models.CharField(max_length=64, unique=True)
    result = models.JSONField()
    model_name = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


# ---- trainer console (models in grading/console/models.py, migrations here) ---------------

# ---- the calibration loop (models in grading/calibration/models.py, migrations here) -------
from grading.calibration.models import (  # noqa: E402
    CalibrationFlag,
    PublishedExample,
    TrainerCalibrationAgreement,
    TrainerCalibrationComment,
    TrainerCalibrationEscalation,
)
from grading.console.models import (  # noqa: E402
    AuditDraw,
    CohortGradingSettings,
    GradeOverride,
    GradeRelease,
    PeerDisputeDecision,
    QueueItem,
    StoredFinalCriterion,
    StoredFinalGrade,
    TrainerCalibrationItem,
    TrainerCalibrationParticipant,
    TrainerCalibrationScore,
    TrainerCalibrationSession,
    TrainerReview,
    TrainerScore,
)

# ---- peer review (models in grading/peer/models.py, migrations here) -------------------
from grading.peer.models import (  # noqa: E402
    CalibrationAttempt,
    InlineComment,
    PeerQueueEntry,
    PeerReview,
    PeerScore,
)

__all__ = [
    "AuditDraw",
    "CalibrationAttempt",
    "CalibrationFlag",
    "CohortGradingSettings",
    "Criterion",
    "CriterionScore",
    "ExampleSubmission",
    "Flag",
    "Grade",
    "GradeOverride",
    "GradeRelease",
    "GraderKind",
    "GradingJob",
    "InlineComment",
    "LLMResponseCache",
    "Level",
    "PeerDisputeDecision",
    "PeerQueueEntry",
    "PeerReview",
    "PeerScore",
    "PublishedExample",
    "QueueItem",
    "Rubric",
    "RubricVersion",
    "StoredFinalCriterion",
    "StoredFinalGrade",
    "TrainerCalibrationAgreement",
    "TrainerCalibrationComment",
    "TrainerCalibrationEscalation",
    "TrainerCalibrationItem",
    "TrainerCalibrationParticipant",
    "TrainerCalibrationScore",
    "TrainerCalibrationSession",
    "TrainerReview",
    "TrainerScore",
]
