"""The monthly calibration loop on top of trainer calibration sessions: submissions flagged
for it, the discussion of each session item, the agreed scores, escalations to a lead
trainer, and the examples published from agreed items.

These models belong to the `grading` app (imported by grading/models.py) so they share
its migrations.
"""

from django.db import models
from django.db.models import Q


class ExampleKind(models.TextChoices):
    EXEMPLARY = "exemplary", "Exemplary"
    FAILURE = "failure", "Instructive failure"


class CalibrationFlag(models.Model):
    """A trainer marks a submission as exemplary or as a failure (on one criterion, or on the
    whole reply) for the next calibration session; it waits in the calibration inbox until a
    session takes it (`session`)."""

    submission = models.ForeignKey(
        "exercises.Submission", on_delete=models.PROTECT, related_name="calibration_flags"
    )
    cohort = models.ForeignKey(
        "curriculum.Cohort", on_delete=models.CASCADE, related_name="calibration_flags"
    )
    flagged_by = models.ForeignKey("curriculum.User", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=ExampleKind.choices)
    criterion_key = models.SlugField(max_length=80, blank=True, help_text="Empty: the reply.")
    note = models.TextField()
    session = models.ForeignKey(
        "grading.TrainerCalibrationSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="flags",
        help_text="The session that took it up.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["cohort", "session"], name="calibration_flag_inbox_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(note=""), name="calibration_flag_has_note"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} flag on {self.submission_id}"


class TrainerCalibrationComment(models.Model):
    """A trainer's comment in the discussion of one session item (after the reveal)."""

    item = models.ForeignKey(
        "grading.TrainerCalibrationItem", on_delete=models.CASCADE, related_name="comments"
    )
    author = models.ForeignKey("curriculum.User", on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["item", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(body=""), name="calibration_comment_has_body"),
        ]

    def __str__(self) -> str:
        return f"comment {self.pk} on item {self.item_id}"


class TrainerCalibrationAgreement(models.Model):
    """The score the trainers agreed on for one criterion of one item (None: n/a), or the
    lead trainer's decision when they stayed apart (`by_lead`)."""

    item = models.ForeignKey(
        "grading.TrainerCalibrationItem", on_delete=models.CASCADE, related_name="agreements"
    )
    criterion_key = models.SlugField(max_length=80)
    points = models.IntegerField(null=True, blank=True)
    recorded_by = models.ForeignKey("curriculum.User", on_delete=models.PROTECT, related_name="+")
    by_lead = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["item", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "criterion_key"], name="calibration_agreement_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_key}: {self.points}"


class TrainerCalibrationEscalation(models.Model):
    """Trainers stayed apart on an item after discussion: a lead trainer decides."""

    item = models.OneToOneField(
        "grading.TrainerCalibrationItem", on_delete=models.CASCADE, related_name="escalation"
    )
    raised_by = models.ForeignKey("curriculum.User", on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(
        "curriculum.User", on_delete=models.PROTECT, related_name="calibration_escalations"
    )
    reason = models.TextField()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="calibration_escalation_reason"),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True) | ~Q(decision_note=""),
                name="calibration_escalation_decision_note",
            ),
        ]

    def __str__(self) -> str:
        return f"escalation of item {self.item_id}"


class PublishedExample(models.Model):
    """An agreed calibration item published as an example: shown in the agents' gallery,
    and (through `example`, a grading.ExampleSubmission) in the reviewers' practice set and
    among the graded examples the LLM grader is shown. Withdrawing retires both."""

    item = models.OneToOneField(
        "grading.TrainerCalibrationItem", on_delete=models.PROTECT, related_name="published"
    )
    submission = models.ForeignKey(
        "exercises.Submission", on_delete=models.PROTECT, related_name="+"
    )
    exercise = models.ForeignKey(
        "curriculum.Exercise", on_delete=models.PROTECT, related_name="published_examples"
    )
    example = models.OneToOneField(
        "grading.ExampleSubmission",
        on_delete=models.PROTECT,
        related_name="published_example",
    )
    kind = models.CharField(max_length=10, choices=ExampleKind.choices)
    criterion_key = models.SlugField(max_length=80, blank=True, help_text="The focus, if one.")
    title = models.CharField(max_length=200)
    commentary = models.TextField(help_text="The trainers' commentary (Markdown).")
    commentary_html = models.TextField(blank=True)
    passages = models.JSONField(
        default=list, blank=True, help_text="Quotes of the answer that make it work (or fail)."
    )
    agreed = models.JSONField(help_text="criterion key -> agreed points (null: n/a).")
    search_text = models.TextField(blank=True, help_text="Title, commentary and the answer.")
    published_by = models.ForeignKey("curriculum.User", on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [models.Index(fields=["exercise", "kind"], name="published_example_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(commentary=""), name="published_example_comment"),
        ]

    def __str__(self) -> str:
        return self.title
