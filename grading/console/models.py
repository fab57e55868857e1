"""Trainer console data: cohort grading settings, the audit sample, the review queue's lock
row, trainer grades with their override audit trail, releases, and trainer calibration sessions.

These models belong to the `grading` app (imported by grading/models.py) so they share
its migrations.
"""

from datetime import timedelta

from django.db import models
from django.db.models import Q

from grading.rubric_scores import HumanCriterionScore


class CohortGradingSettings(models.Model):
    """How a cohort's grades are handled; edited by the cohort's trainers."""

    class ReleaseMode(models.TextChoices):
        IMMEDIATE = "immediate", "Agents see grades at once"
        ON_RELEASE = "on_release", "Agents see grades when a trainer releases them"

    AUDIT_RATE_MIN = 0.10
    AUDIT_RATE_MAX = 0.15
    DEFAULT_AUDIT_RATE = 0.12
    DEFAULT_MASTERY_THRESHOLD = 0.7
    REVIEW_SHARE_MAX = 0.5

    cohort = models.OneToOneField(
        "curriculum.Cohort", on_delete=models.CASCADE, related_name="grading_settings"
    )
    release_mode = models.CharField(
        max_length=12, choices=ReleaseMode.choices, default=ReleaseMode.IMMEDIATE
    )
    audit_rate = models.FloatField(
        default=DEFAULT_AUDIT_RATE,
        help_text="Share of automatically graded submissions a trainer audits (0.10-0.15).",
    )
    mastery_threshold = models.FloatField(
        default=DEFAULT_MASTERY_THRESHOLD,
        help_text="A criterion is mastered when its average fraction is at least this.",
    )
    review_share = models.FloatField(
        default=0.0,
        help_text=(
            "Share (0-0.5) of each agent's grade and criterion averages (mastery) given to "
            "the accuracy of their peer reviews against trainer and consensus scores; applied "
            "when reading, like the mastery threshold."
        ),
    )
    updated_by = models.ForeignKey(
        "curriculum.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "cohort grading settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(audit_rate__gte=0.10, audit_rate__lte=0.15),
                name="grading_settings_audit_rate_band",
            ),
            models.CheckConstraint(
                condition=Q(mastery_threshold__gt=0, mastery_threshold__lte=1),
                name="grading_settings_mastery_range",
            ),
            models.CheckConstraint(
                condition=Q(review_share__gte=0, review_share__lte=0.5),
                name="grading_settings_review_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"grading settings of {self.cohort_id}"


class AuditDraw(models.Model):
    """The audit decision for one automatically graded submission (one row each, so a
    redelivered grading task draws once); `sampled` ones go to the trainer queue."""

    submission = models.OneToOneField(
        "exercises.Submission", on_delete=models.CASCADE, related_name="audit_draw"
    )
    cohort = models.ForeignKey(
        "curriculum.Cohort", on_delete=models.CASCADE, related_name="audit_draws"
    )
    sampled = models.BooleanField()
    rate = models.FloatField(help_text="The cohort's audit rate when drawn.")
    drawn_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["cohort", "sampled"], name="audit_draw_cohort_idx")]

    def __str__(self) -> str:
        return f"audit draw of {self.submission_id}: {self.sampled}"


class QueueItem(models.Model):
    """The row a trainer locks while reviewing a submission (so two trainers never grade the
    same thing); created when the item is first opened."""

    LOCK_FOR = timedelta(minutes=15)

    submission = models.OneToOneField(
        "exercises.Submission", on_delete=models.CASCADE, related_name="queue_item"
    )
    locked_by = models.ForeignKey(
        "curriculum.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    locked_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(locked_by__isnull=True) | Q(locked_until__isnull=False),
                name="queue_item_lock_has_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"queue item {self.submission_id}"

    def held_by_other(self, user, now) -> bool:
        return bool(
            self.locked_by_id
            and self.locked_by_id != user.pk
            and self.locked_until
            and self.locked_until > now
        )


class TrainerReview(models.Model):
    """A trainer's grade of a submission (the latest one takes precedence over everything)."""

    submission = models.ForeignKey(
        "exercises.Submission", on_delete=models.PROTECT, related_name="trainer_reviews"
    )
    trainer = models.ForeignKey(
        "curriculum.User", on_delete=models.PROTECT, related_name="trainer_reviews"
    )
    rubric_version = models.ForeignKey(
        "grading.RubricVersion", on_delete=models.PROTECT, related_name="+"
    )
    total = models.FloatField()
    note = models.TextField(blank=True, help_text="Shown to the agent.")
    changed = models.BooleanField(
        default=False, help_text="Whether any criterion differs from the grade it replaced."
    )
    agent_notified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "-created_at", "-pk"]
        indexes = [models.Index(fields=["submission", "-created_at"], name="trainer_review_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(total__gte=0, total__lte=1), name="trainer_review_total_range"
            ),
        ]

    def __str__(self) -> str:
        return f"trainer review {self.pk} of {self.submission_id}"


class TrainerScore(HumanCriterionScore):
    review = models.ForeignKey(TrainerReview, on_delete=models.CASCADE, related_name="scores")

    class Meta(HumanCriterionScore.Meta):
        constraints = HumanCriterionScore.constraints_named("trainer_score")


class GradeOverride(models.Model):
    """The audit record of a trainer changing a score: who, when, which criterion, from what
    (and from which source) to what, and why. Never edited."""

    review = models.ForeignKey(TrainerReview, on_delete=models.PROTECT, related_name="overrides")
    submission = models.ForeignKey(
        "exercises.Submission", on_delete=models.PROTECT, related_name="grade_overrides"
    )
    trainer = models.ForeignKey("curriculum.User", on_delete=models.PROTECT, related_name="+")
    criterion_key = models.SlugField(max_length=80)
    from_source = models.CharField(max_length=10, help_text="trainer / combined / auto / peer")
    from_points = models.FloatField(null=True, blank=True)
    to_points = models.IntegerField(null=True, blank=True)
    auto_points = models.IntegerField(null=True, blank=True)
    peer_points = models.FloatField(null=True, blank=True)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "criterion_key"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="grade_override_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_key}: {self.from_points} -> {self.to_points}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Override records are an audit trail; they are never edited.")
        super().save(*args, **kwargs)


class GradeRelease(models.Model):
    """A trainer made a submission's grade visible to its agent (cohorts on release)."""

    submission = models.OneToOneField(
        "exercises.Submission", on_delete=models.CASCADE, related_name="grade_release"
    )
    released_by = models.ForeignKey(
        "curriculum.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    released_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"release of {self.submission_id}"


# ---- trainer calibration sessions ----------------------------------------------------------


class TrainerCalibrationSession(models.Model):
    """Several trainers score the same submissions blind, then compare the spread."""

    cohort = models.ForeignKey(
        "curriculum.Cohort", on_delete=models.CASCADE, related_name="trainer_calibrations"
    )
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey("curriculum.User", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    concluded_at = models.DateTimeField(null=True, blank=True)
    concluded_by = models.ForeignKey(
        "curriculum.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.JSONField(
        default=dict,
        blank=True,
        help_text="Kept at conclusion: agreement before and after, kappa and its pairs.",
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class TrainerCalibrationItem(models.Model):
    session = models.ForeignKey(
        TrainerCalibrationSession, on_delete=models.CASCADE, related_name="items"
    )
    submission = models.ForeignKey(
        "exercises.Submission", on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["session", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "submission"], name="trainer_calibration_item_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"item {self.submission_id} of session {self.session_id}"


class TrainerCalibrationParticipant(models.Model):
    session = models.ForeignKey(
        TrainerCalibrationSession, on_delete=models.CASCADE, related_name="participants"
    )
    trainer = models.ForeignKey("curriculum.User", on_delete=models.CASCADE, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["session", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "trainer"], name="trainer_calibration_participant_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trainer_id} in session {self.session_id}"


class TrainerCalibrationScore(models.Model):
    participant = models.ForeignKey(
        TrainerCalibrationParticipant, on_delete=models.CASCADE, related_name="scores"
    )
    item = models.ForeignKey(TrainerCalibrationItem, on_delete=models.CASCADE, related_name="+")
    criterion_key = models.SlugField(max_length=80)
    points = models.IntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "item", "criterion_key"],
                name="trainer_calibration_score_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_key}: {self.points}"


class PeerDisputeDecision(models.Model):
    """A trainer's decision on an author's dispute of a peer review: upheld (the review
    stops counting: its status becomes overturned) or dismissed, with a note to the agent.
    Never edited."""

    class Outcome(models.TextChoices):
        UPHELD = "upheld", "Upheld: the review no longer counts"
        DISMISSED = "dismissed", "Dismissed: the review stands"

    review = models.OneToOneField(
        "grading.PeerReview", on_delete=models.PROTECT, related_name="dispute_decision"
    )
    trainer = models.ForeignKey("curriculum.User", on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.TextField(help_text="Shown to the agent.")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="dispute_decision_has_note"),
        ]

    def __str__(self) -> str:
        return f"{self.outcome} dispute of review {self.review_id}"


# ---- stored final grades -------------------------------------------------------------------


class StoredFinalGrade(models.Model):
    """A submission's final grade as `grading/console/grades.py` computes it, stored so that
    reports read it with aggregate SQL. Written only by `grades.final_grades_refresh`, in the
    transaction of whatever changed an input (a grade, a peer review, a trainer review, a
    release, a cohort's settings); `manage.py rebuild_final_grades` finds and repairs drift.
    Submissions with no grade of any kind have no row."""

    submission = models.OneToOneField(
        "exercises.Submission",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="final_grade",
    )
    rubric_version = models.ForeignKey(
        "grading.RubricVersion", on_delete=models.PROTECT, related_name="+"
    )
    total = models.FloatField(null=True, blank=True, help_text="Fraction 0..1.")
    source = models.CharField(max_length=10, help_text="trainer / combined / auto / peer")
    released = models.BooleanField(help_text="Whether the agent may see it.")
    trainer_review = models.ForeignKey(
        TrainerReview, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    trainer_changed = models.BooleanField(default=False)
    trainer_note = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"final grade of {self.submission_id}: {self.total}"


class StoredFinalCriterion(models.Model):
    """One rubric criterion of a stored final grade: the points that count and their source
    (plus the automatic, peer and trainer points they came from)."""

    final = models.ForeignKey(StoredFinalGrade, on_delete=models.CASCADE, related_name="criteria")
    criterion_key = models.SlugField(max_length=80)
    order = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    points = models.FloatField(null=True, blank=True)
    fraction = models.FloatField(
        null=True, blank=True, help_text="Points as a fraction of the criterion's range."
    )
    min_points = models.IntegerField()
    max_points = models.IntegerField()
    weight = models.FloatField(default=1.0)
    source = models.CharField(max_length=10, blank=True)
    auto_points = models.IntegerField(null=True, blank=True)
    peer_points = models.FloatField(null=True, blank=True)
    trainer_points = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["final", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["final", "criterion_key"], name="stored_final_criterion_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_key}: {self.points} ({self.source})"
