"""Prompt templates, their versions and each time an agent inserted one.

These models belong to the `exercises` app (imported by exercises/models.py) so they share
its migrations.
"""

from django.db import models
from django.db.models import Q

from curriculum.models import ExerciseType
from text_analysis import vocabulary

# The exercise types whose workspace has a prompt box.
PROMPT_EXERCISE_TYPES = ("tone", "context", "empathy")


class PromptTemplate(models.Model):
    """A named template for one exercise type and (optionally) one customer state."""

    name = models.CharField(max_length=120)
    exercise_type = models.CharField(max_length=20, choices=ExerciseType.choices)
    customer_state = models.CharField(
        max_length=20,
        choices=vocabulary.STATES,
        blank=True,
        help_text="The customer state it is written for; blank for any state.",
    )
    created_by = models.ForeignKey(
        "curriculum.User", on_delete=models.PROTECT, related_name="prompt_templates"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["exercise_type", "customer_state", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise_type", "customer_state", "name"],
                name="prompt_template_name_unique",
            ),
            models.CheckConstraint(
                condition=Q(exercise_type__in=PROMPT_EXERCISE_TYPES),
                name="prompt_template_type_has_prompt",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PromptTemplateVersion(models.Model):
    """One version of a template's text. Trainers' versions are approved as written;
    agents' are proposals until a trainer approves or rejects them. The current version of
    a template is its approved version with the highest number."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    template = models.ForeignKey(PromptTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    body = models.TextField()
    change_note = models.TextField()
    author = models.ForeignKey("curriculum.User", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices)
    # A data reference to the session that motivated the change; no Python import of
    # grading (the workspace never reads it; grading's pages set and show it).
    calibration_session = models.ForeignKey(
        "grading.TrainerCalibrationSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The trainer calibration session that motivated this version.",
    )
    reviewed_by = models.ForeignKey(
        "curriculum.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True, help_text="Shown to the agent who proposed it.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "number"], name="prompt_template_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "approved", "rejected"]),
                name="prompt_template_version_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="proposed") | Q(reviewed_at__isnull=False),
                name="prompt_template_version_reviewed",
            ),
        ]
        indexes = [models.Index(fields=["status", "template"], name="prompt_version_status_idx")]

    def __str__(self) -> str:
        return f"{self.template.name} v{self.number}"


class PromptTemplateUse(models.Model):
    """An agent inserted a version into a workspace's prompt; linked to the submission made
    from that workspace next, so the grades of replies that used it can be read."""

    version = models.ForeignKey(
        PromptTemplateVersion, on_delete=models.PROTECT, related_name="uses"
    )
    user = models.ForeignKey("curriculum.User", on_delete=models.CASCADE, related_name="+")
    workspace = models.ForeignKey(
        "exercises.Workspace", on_delete=models.CASCADE, related_name="prompt_template_uses"
    )
    submission = models.ForeignKey(
        "exercises.Submission",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="prompt_template_uses",
    )
    inserted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-inserted_at"]
        indexes = [
            models.Index(fields=["workspace", "submission"], name="prompt_use_workspace_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.version} in workspace {self.workspace_id}"
