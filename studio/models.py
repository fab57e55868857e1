"""Drafts of knowledge-base facts: authored in the browser or imported, stored until a
trainer confirms and publishes them (publishing makes the same versions as load_content)."""

from django.conf import settings
from django.db import models

from exercises.models import KnowledgeFact


class DraftFact(models.Model):
    """A fact in the making: a new one, or an edit of a published one (`slug` the same).

    Imported drafts start `needs_review`; only `confirmed` drafts are published, and a
    draft is confirmed only while it validates."""

    class Origin(models.TextChoices):
        FORM = "form", "Written in the studio"
        CSV = "csv", "CSV import"
        HELP_CENTRE = "help_centre", "Help-centre import"

    class Status(models.TextChoices):
        NEEDS_REVIEW = "needs_review", "Needs review"
        CONFIRMED = "confirmed", "Confirmed"

    slug = models.SlugField(max_length=120, unique=True)
    category = models.CharField(max_length=20, choices=KnowledgeFact.Category.choices)
    title = models.CharField(max_length=200)
    statement = models.TextField(blank=True)
    source_url = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.FORM)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEEDS_REVIEW)
    # What the import read (the article's text, the CSV row), for the trainer to compare.
    source_excerpt = models.TextField(blank=True)
    source_section = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="draft_facts",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "category", "slug"]

    def __str__(self) -> str:
        return self.title

    def as_content(self) -> dict:
        """The draft as a fact of the content files."""
        return {
            "id": self.slug,
            "category": self.category,
            "title": self.title,
            "statement": self.statement,
            "source_url": self.source_url,
            "data": self.data,
        }
