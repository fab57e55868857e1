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
    """An authored answer with a trainer's grade; calibrates peers and automatic graders."""

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
