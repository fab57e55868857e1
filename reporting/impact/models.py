"""Support-floor impact: ticket metrics from the help desk, imports, and per-cohort settings."""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.db import models
from django.db.models import Q

MODULE_SLUGS = (
    "tone-calibration",
    "accuracy-auditing",
    "context-management",
    "empathy",
    "escalations-rca",
)


class Category(models.TextChoices):
    SIMPLE = "simple", "Simple"
    COMPLEX = "complex", "Complex"
    ESCALATION = "escalation", "Escalation"


class AIUsage(models.TextChoices):
    FULL_AI = "full_ai", "Fully AI-drafted"
    AI_ASSISTED = "ai_assisted", "AI-assisted"
    HUMAN = "human", "Human-drafted"


class CohortImpact(models.Model):
    """One cohort's impact settings: its leaders, training dates, targets and alert thresholds."""

    cohort = models.OneToOneField(
        "curriculum.Cohort", on_delete=models.CASCADE, related_name="impact"
    )
    leaders = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="led_cohort_impacts", blank=True
    )
    training_started_on = models.DateField(null=True, blank=True)
    training_completed_on = models.DateField(null=True, blank=True)
    baseline_days = models.PositiveSmallIntegerField(
        default=90, help_text="Days before the training start that form each agent's baseline."
    )
    # Targets: changes of the team average, after training against its baseline.
    target_aht_change_pct = models.FloatField(default=-30.0)
    target_frt_change_pct = models.FloatField(default=-35.0)
    target_csat_change_pct = models.FloatField(default=0.0)
    productive_hours_per_day = models.FloatField(
        default=6.0, help_text="Hours an agent spends handling tickets per working day."
    )
    # Alert thresholds.
    min_tickets = models.PositiveIntegerField(
        default=20, help_text="Fewest tickets (or CSAT responses) an alert is computed from."
    )
    aht_drop_pct = models.FloatField(default=10.0)
    csat_drop_pct = models.FloatField(default=3.0)
    heavy_ai_share = models.FloatField(default=0.7)
    minimal_edit_ratio = models.FloatField(
        default=0.1, help_text="An AI draft edited this much or less counts as a minimal edit."
    )
    substantial_edit_ratio = models.FloatField(default=0.4)
    minimal_edit_share = models.FloatField(default=0.5)
    zero_ai_share = models.FloatField(default=0.02)
    csat_spread_increase = models.FloatField(
        default=0.15, help_text="Growth of the standard deviation of agents' mean CSAT."
    )
    full_ai_csat_gap = models.FloatField(default=0.2)
    human_csat_gap = models.FloatField(default=0.3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "cohort impact settings"
        verbose_name_plural = "cohort impact settings"
        constraints = [
            models.CheckConstraint(
                condition=Q(training_completed_on__isnull=True)
                | Q(training_started_on__isnull=True)
                | Q(training_completed_on__gte=models.F("training_started_on")),
                name="impact_training_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(minimal_edit_ratio__gte=0, minimal_edit_ratio__lte=1)
                & Q(substantial_edit_ratio__gte=0, substantial_edit_ratio__lte=1),
                name="impact_edit_ratios_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Impact settings of cohort {self.cohort_id}"

    THRESHOLD_FIELDS = (
        "min_tickets",
        "aht_drop_pct",
        "csat_drop_pct",
        "heavy_ai_share",
        "minimal_edit_ratio",
        "substantial_edit_ratio",
        "minimal_edit_share",
        "zero_ai_share",
        "csat_spread_increase",
        "full_ai_csat_gap",
        "human_csat_gap",
    )
    TARGET_FIELDS = (
        "target_aht_change_pct",
        "target_frt_change_pct",
        "target_csat_change_pct",
        "productive_hours_per_day",
    )


class TicketMetric(models.Model):
    """One closed help-desk ticket, as exported: who handled it, how fast, how it was drafted."""

    # Unique through the constraint below, not `unique=True`, which on PostgreSQL adds a
    # second (LIKE) index; and the agent is indexed by (agent, closed_at). Each index is
    # maintained on every row of a million-row import.
    ticket_id = models.CharField(max_length=64)
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="ticket_metrics",
        db_index=False,
    )
    closed_at = models.DateTimeField()
    category = models.CharField(max_length=12, choices=Category.choices)
    handle_time_seconds = models.PositiveIntegerField()
    first_response_seconds = models.PositiveIntegerField()
    resolution_seconds = models.PositiveIntegerField()
    csat = models.PositiveSmallIntegerField(null=True, blank=True)
    ai_usage = models.CharField(max_length=12, choices=AIUsage.choices)
    draft_edit_ratio = models.FloatField(
        null=True, blank=True, help_text="Share of the AI draft changed before sending, 0..1."
    )
    draft_to_send_seconds = models.PositiveIntegerField(null=True, blank=True)
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-closed_at"]
        permissions = [
            ("import_ticket_metrics", "Can import ticket metrics for agents of any cohort"),
        ]
        indexes = [
            # The dashboard filters by the cohort's agents and a date range.
            models.Index(fields=["agent", "closed_at"], name="impact_ticket_agent_closed"),
            models.Index(fields=["closed_at"], name="impact_ticket_closed"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ticket_id"], name="impact_ticket_id_unique"),
            models.CheckConstraint(
                condition=Q(csat__isnull=True) | Q(csat__gte=1, csat__lte=5),
                name="impact_ticket_csat_range",
            ),
            models.CheckConstraint(
                condition=Q(draft_edit_ratio__isnull=True)
                | Q(draft_edit_ratio__gte=0, draft_edit_ratio__lte=1),
                name="impact_ticket_edit_ratio_range",
            ),
        ]

    def __str__(self) -> str:
        return self.ticket_id


class ImportFileStorage(FileSystemStorage):
    """A folder that follows settings.IMPACT_IMPORT_ROOT at call time (tests move it)."""

    @property
    def base_location(self):
        default = Path(settings.BASE_DIR) / "media" / "impact-imports"
        return str(getattr(settings, "IMPACT_IMPORT_ROOT", default))

    @property
    def location(self):
        return os.path.abspath(self.base_location)


def import_storage():
    """Where uploaded exports wait for the worker: STORAGES["impact_imports"] when configured
    (shared storage for workers on other machines), else the IMPACT_IMPORT_ROOT folder."""
    if "impact_imports" in settings.STORAGES:
        return storages["impact_imports"]
    return ImportFileStorage()


class ImportJob(models.Model):
    """One import of ticket metrics (a CSV upload or an API call), with its progress."""

    class Source(models.TextChoices):
        CSV = "csv", "CSV upload"
        API = "api", "JSON API"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Importing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="impact_imports"
    )
    source = models.CharField(max_length=4, choices=Source.choices)
    file = models.FileField(storage=import_storage, upload_to="%Y/%m/", blank=True)
    original_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    file_size = models.PositiveBigIntegerField(default=0)
    bytes_read = models.PositiveBigIntegerField(default=0)
    rows_seen = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"Import {self.pk} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.file_size:
            return 0
        return min(99, int(100 * self.bytes_read / self.file_size))


class ImportRejection(models.Model):
    """A row an import refused, with the reason (the per-row report)."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rejections")
    line_number = models.PositiveIntegerField(help_text="CSV line, or 0-based item of a payload.")
    ticket_id = models.CharField(max_length=64, blank=True)
    reason = models.CharField(max_length=300)
    raw = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["job", "line_number"], name="impact_rejection_unique"),
        ]

    def __str__(self) -> str:
        return f"line {self.line_number}: {self.reason}"


class ApiToken(models.Model):
    """A bearer token for the ticket-metrics endpoint; only its SHA-256 is stored."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="impact_api_tokens"
    )
    name = models.CharField(max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
