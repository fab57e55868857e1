"""What trainers author in the browser: scenario drafts (from real tickets or blank), the
log of rubric edits, and submissions marked for re-grading under a new rubric revision."""

from django.db import models

from curriculum.models import Exercise, ExerciseType
from exercises.models import Scenario, ScenarioVersion, Submission
from grading.content.loading import BROWSER_SOURCE_PREFIX
from grading.models import Rubric, RubricVersion


class ScenarioDraft(models.Model):
    """A scenario being written in the browser; published, it becomes a versioned Scenario.

    A draft made from a ticket holds only redacted text: the personal data was replaced
    before the first save, and `redactions` records what kind of data was replaced where
    (never the original text).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    class Source(models.TextChoices):
        TICKET = "ticket", "From a ticket"
        BLANK = "blank", "Written from scratch"

    slug = models.SlugField(max_length=120, help_text="The scenario's id once published.")
    type = models.CharField(max_length=20, choices=ExerciseType.choices)
    title = models.CharField(max_length=200)
    data = models.JSONField(default=dict, blank=True, help_text="The scenario as authored.")
    exercise = models.ForeignKey(
        Exercise,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The exercise the scenario is published into.",
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.BLANK)
    ticket_ref = models.CharField(max_length=120, blank=True)
    thread = models.JSONField(
        default=list, blank=True, help_text="The imported ticket's messages, redacted."
    )
    redactions = models.JSONField(
        default=list, blank=True, help_text="Kind, field and replacement of each redaction."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    scenario = models.ForeignKey(
        Scenario, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    published_version = models.ForeignKey(
        ScenarioVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        "curriculum.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def source_path(self) -> str:
        return f"{BROWSER_SOURCE_PREFIX}scenario-draft/{self.pk}"


class RubricChange(models.Model):
    """One edit of a rubric in the browser: in place (wording, order, or scoring before
    anything was graded) or a new revision (scoring, once the rubric has graded)."""

    class Kind(models.TextChoices):
        WORDING = "wording", "Wording or order, in place"
        SCORING_IN_PLACE = "scoring_in_place", "Scoring, in place (nothing graded yet)"
        NEW_REVISION = "new_revision", "Scoring: new revision"
        ARCHIVED = "archived", "Archived"
        RESTORED = "restored", "Restored"

    rubric = models.ForeignKey(Rubric, on_delete=models.PROTECT, related_name="changes")
    from_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="+")
    to_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.JSONField(default=list, blank=True, help_text="What changed, in words.")
    changed_by = models.ForeignKey(
        "curriculum.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.rubric.slug}: {self.get_kind_display()}"


class RegradeMark(models.Model):
    """A submission a trainer marked for re-grading under a newer rubric revision.

    The grade it had is copied into `previous` before the automatic grade is replaced, so
    the past grade and the revision it was given under stay readable.
    """

    submission = models.ForeignKey(Submission, on_delete=models.PROTECT, related_name="+")
    from_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="+")
    to_version = models.ForeignKey(RubricVersion, on_delete=models.PROTECT, related_name="+")
    previous = models.JSONField(default=dict, blank=True)
    marked_by = models.ForeignKey(
        "curriculum.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "to_version"], name="regrade_mark_once_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"re-grade {self.submission_id} under {self.to_version}"
