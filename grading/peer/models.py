"""Peer review: the queue entry per submission, reviews with scores and inline comments,
and reviewers' calibration attempts on trainer-graded examples.

These models belong to the `grading` app (imported by grading/models.py) so they share
its migrations.
"""

from django.db import models
from django.db.models import F, Q

from grading.rubric_scores import HumanCriterionScore


class PeerQueueEntry(models.Model):
    """A submission waiting for (or done with) peer reviews: the row the queue locks.

    Only the latest attempt of an author on a scenario is open for review; an older attempt
    is `superseded` and leaves the pool. `active_count` (in progress plus completed peer
    reviews) and `completed_count` change only while this row is locked, so concurrent
    "review next" calls can never push `active_count` past `required`.
    """

    submission = models.OneToOneField(
        "exercises.Submission", on_delete=models.PROTECT, related_name="peer_entry"
    )
    exercise = models.ForeignKey(
        "curriculum.Exercise", on_delete=models.PROTECT, related_name="peer_entries"
    )
    author = models.ForeignKey(
        "curriculum.User", on_delete=models.PROTECT, related_name="peer_entries"
    )
    required = models.PositiveSmallIntegerField(
        help_text="Peer reviews needed; the small-cohort fallback may lower it."
    )
    active_count = models.PositiveSmallIntegerField(default=0)
    completed_count = models.PositiveSmallIntegerField(default=0)
    superseded = models.BooleanField(default=False)
    submitted_at = models.DateTimeField(help_text="The submission's time (queue order).")
    timed_out_at = models.DateTimeField(
        null=True, blank=True, help_text="When it waited too long and the fallback applied."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submitted_at"]
        verbose_name_plural = "peer queue entries"
        indexes = [
            # "Review next" walks only the open entries of one exercise in queue order
            # (fewest reviews, then oldest) and stops at the first it may take: an index
            # scan, whatever the number of closed or superseded entries.
            models.Index(
                fields=["exercise", "active_count", "submitted_at", "id"],
                condition=Q(superseded=False, active_count__lt=F("required")),
                name="peer_entry_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(completed_count__lte=F("active_count")),
                name="peer_entry_completed_le_active",
            ),
        ]

    def __str__(self) -> str:
        return f"peer queue: submission {self.submission_id}"

    @property
    def complete(self) -> bool:
        return self.completed_count >= self.required


class PeerReview(models.Model):
    """One reviewer's review of one submission (or an author's self-assessment)."""

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        EXPIRED = "expired", "Expired"
        FLAGGED = "flagged", "Flagged as inappropriate"
        OVERTURNED = "overturned", "Overturned (dispute upheld)"

    class Kind(models.TextChoices):
        PEER = "peer", "Peer review"
        SELF = "self", "Self-assessment"

    class Source(models.TextChoices):
        QUEUE = "queue", "Review next"
        MANUAL = "manual", "Allocated by a trainer"

    submission = models.ForeignKey(
        "exercises.Submission", on_delete=models.PROTECT, related_name="peer_reviews"
    )
    exercise = models.ForeignKey(
        "curriculum.Exercise", on_delete=models.PROTECT, related_name="peer_reviews"
    )
    reviewer = models.ForeignKey(
        "curriculum.User", on_delete=models.PROTECT, related_name="peer_reviews_given"
    )
    rubric_version = models.ForeignKey(
        "grading.RubricVersion", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PEER)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.QUEUE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    allocated_by = models.ForeignKey(
        "curriculum.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The trainer who allocated it by hand.",
    )
    assigned_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    acknowledges_feelings = models.TextField(
        blank=True, help_text="Does this response acknowledge the customer's feelings?"
    )
    would_feel_heard = models.TextField(blank=True, help_text="Would I feel heard?")
    more_empathetic = models.TextField(
        blank=True, help_text="What could make this more empathetic?"
    )
    comments = models.TextField(blank=True)
    helpfulness = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The author's rating of this review, 1-5."
    )
    disputed_at = models.DateTimeField(null=True, blank=True)
    dispute_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["submission", "completed_at", "pk"]
        indexes = [
            models.Index(fields=["reviewer", "status"], name="peer_review_reviewer_idx"),
            # The expiry check of each "review next" reads only reviews still in progress.
            models.Index(
                fields=["exercise", "expires_at"],
                condition=Q(status="in_progress"),
                name="peer_review_open_expiry_idx",
            ),
        ]
        constraints = [
            # The backstop against double assignment: one live review per reviewer and
            # submission (an expired one may be handed out again).
            models.UniqueConstraint(
                fields=["submission", "reviewer"],
                condition=~Q(status="expired"),
                name="peer_review_one_per_reviewer",
            ),
            # "Review next" hands a reviewer one open review at a time per exercise.
            models.UniqueConstraint(
                fields=["reviewer", "exercise"],
                condition=Q(status="in_progress", source="queue", kind="peer"),
                name="peer_review_one_open_from_queue",
            ),
            models.CheckConstraint(
                condition=Q(helpfulness__isnull=True) | Q(helpfulness__gte=1, helpfulness__lte=5),
                name="peer_review_helpfulness_range",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["in_progress", "completed", "expired", "flagged", "overturned"]
                ),
                name="peer_review_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk} of submission {self.submission_id}"


class PeerScore(HumanCriterionScore):
    review = models.ForeignKey(PeerReview, on_delete=models.CASCADE, related_name="scores")

    class Meta(HumanCriterionScore.Meta):
        constraints = HumanCriterionScore.constraints_named("peer_score")


class InlineComment(models.Model):
    """A reviewer's comment anchored to a passage of one answer field."""

    review = models.ForeignKey(PeerReview, on_delete=models.CASCADE, related_name="inline_comments")
    field = models.CharField(max_length=80, help_text="Answer field path, e.g. reply.")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    quote = models.TextField()
    body = models.TextField()

    class Meta:
        ordering = ["review", "field", "start"]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="inline_comment_span"),
        ]

    def __str__(self) -> str:
        return f"{self.field}[{self.start}:{self.end}]"


class CalibrationAttempt(models.Model):
    """A reviewer scoring a trainer-graded example; `error` is the mean distance from the
    trainer's points as a fraction of each criterion's range (0 = identical)."""

    reviewer = models.ForeignKey(
        "curriculum.User", on_delete=models.CASCADE, related_name="reviewer_calibration_attempts"
    )
    exercise = models.ForeignKey(
        "curriculum.Exercise",
        on_delete=models.PROTECT,
        related_name="reviewer_calibration_attempts",
    )
    example = models.ForeignKey(
        "grading.ExampleSubmission",
        on_delete=models.PROTECT,
        related_name="reviewer_calibration_attempts",
    )
    scores = models.JSONField(help_text="criterion key -> points (null: not applicable).")
    error = models.FloatField()
    passed = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # The class keeps its name (and so its label, grading.CalibrationAttempt, which the
        # access rules are keyed by); what it records is reviewer calibration.
        verbose_name = "reviewer calibration attempt"
        ordering = ["reviewer", "-created_at"]
        indexes = [models.Index(fields=["reviewer", "exercise"], name="calibration_reviewer_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(error__gte=0, error__lte=1), name="calibration_error_range"
            ),
        ]

    def __str__(self) -> str:
        return f"reviewer calibration of {self.reviewer_id} on {self.example_id}"
