"""The shape shared by scores people give on a rubric (trainer reviews and peer reviews):
one row per criterion, its points or "not applicable", and the range the rubric allowed."""

from django.db import models
from django.db.models import F, Q


class HumanCriterionScore(models.Model):
    """Abstract: a subclass adds the `review` foreign key and its own constraint names."""

    criterion_key = models.SlugField(max_length=80)
    order = models.PositiveIntegerField(default=0)
    points = models.IntegerField(null=True, blank=True, help_text="Empty: not applicable.")
    min_points = models.IntegerField(default=0)
    max_points = models.IntegerField()

    class Meta:
        abstract = True
        ordering = ["review", "order"]

    def __str__(self) -> str:
        return f"{self.criterion_key}: {self.points}"

    @staticmethod
    def constraints_named(prefix: str) -> list:
        """One score per criterion per review, and points inside the rubric's range."""
        return [
            models.UniqueConstraint(
                fields=["review", "criterion_key"], name=f"{prefix}_one_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(points__isnull=True)
                | Q(points__gte=F("min_points"), points__lte=F("max_points")),
                name=f"{prefix}_points_in_range",
            ),
        ]
