"""The knowledge base and scenarios agents work on."""

from django.db import models

from curriculum.dates import format_when
from curriculum.models import Exercise, ExerciseType, VersionedContent


class CompanyProfile(VersionedContent):
    """The company the content describes (`company.yaml`), as last loaded: one active row.

    The graders read it with the facts, so content loaded from another directory is
    checked against its own company, not the one in CONTENT_DIR."""

    name = models.CharField(max_length=200)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name


class KnowledgeFact(VersionedContent):
    """One fact of the fictional company's help centre, with its structured data."""

    class Category(models.TextChoices):
        PLAN = "plan", "Plan and price"
        ADDON = "addon", "Add-on or fee"
        QUOTA = "quota", "Usage quota"
        FEATURE = "feature", "Feature availability"
        POLICY = "policy", "Policy"
        RULE = "rule", "Yes/no rule"
        NOT_OFFERED = "not_offered", "Not offered"
        SLA = "sla", "Support SLA"
        PROCESS = "process", "Process"
        TROUBLESHOOTING = "troubleshooting", "Troubleshooting"

    category = models.CharField(max_length=20, choices=Category.choices)
    title = models.CharField(max_length=200)
    statement = models.TextField()
    source_url = models.URLField(max_length=300)
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["category", "slug"]

    def __str__(self) -> str:
        return self.title

    def as_content(self) -> dict:
        """The fact as in the content files (what the detectors' KnowledgeBase reads)."""
        return {
            "id": self.slug,
            "category": self.category,
            "title": self.title,
            "statement": self.statement,
            "source_url": self.source_url,
            "data": self.data,
        }


class Scenario(VersionedContent):
    """A customer situation: message, thread, profile, gold labels and authored drafts.

    `data` holds the whole authored item; columns repeat what lists and filters need.
    """

    type = models.CharField(max_length=20, choices=ExerciseType.choices)
    title = models.CharField(max_length=200)
    customer_name = models.CharField(max_length=120, blank=True)
    customer_plan = models.CharField(max_length=60, blank=True)
    message = models.TextField(blank=True)
    data = models.JSONField(default=dict)
    exercises = models.ManyToManyField(
        Exercise, through="ExerciseScenario", related_name="scenarios", blank=True
    )

    class Meta:
        ordering = ["type", "slug"]

    def __str__(self) -> str:
        return self.title


class ScenarioVersion(models.Model):
    """Immutable snapshot of a scenario as it was at one version (what submissions answer)."""

    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    content_hash = models.CharField(max_length=64)
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["scenario", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["scenario", "number"], name="scenario_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.scenario.slug} v{self.number}"


class ExerciseScenario(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="scenario_links")
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="exercise_links")
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["exercise", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "scenario"], name="exercise_scenario_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.exercise.slug} → {self.scenario.slug}"


class Workspace(models.Model):
    """An agent's work in progress on one scenario of one exercise, autosaved.

    `revision` goes up on every save so that a stale tab can be told it is behind
    instead of silently overwriting newer work.
    """

    user = models.ForeignKey("curriculum.User", on_delete=models.CASCADE, related_name="workspaces")
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="workspaces")
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="workspaces")
    answer = models.JSONField(default=dict, blank=True)
    revision = models.PositiveIntegerField(default=0)
    draft_used = models.ForeignKey(
        "DraftRequest",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The AI draft the agent started the reply from (for the editing metrics).",
    )
    started_at = models.DateTimeField(
        auto_now_add=True, help_text="When work on the current attempt began (time on task)."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "exercise", "scenario"], name="workspace_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.scenario.slug}"


class DraftRequest(models.Model):
    """One request for an AI draft, generated off the request by a Celery task."""

    class Status(models.TextChoices):
        PENDING = "pending", "Generating"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    class Source(models.TextChoices):
        LLM = "llm", "Language model"
        AUTHORED = "authored", "Authored draft (no model configured)"
        FALLBACK = "fallback", "Authored draft (the model could not be reached)"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="drafts")
    variant = models.CharField(
        max_length=40, default="default", help_text="e.g. with_context / without_context"
    )
    prompt = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=10, choices=Source.choices, blank=True)
    model_name = models.CharField(max_length=120, blank=True)
    authored_key = models.CharField(
        max_length=40, blank=True, help_text="Which authored draft was served, e.g. calibrated."
    )
    text = models.TextField(blank=True)
    error = models.TextField(blank=True)
    prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "done", "failed"]),
                name="draft_request_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"draft {self.pk} ({self.status})"


class Submission(models.Model):
    """What an agent submitted: immutable once created, versioned by attempt.

    It records the exact scenario and exercise versions answered, the AI draft the agent
    started from, and how they edited it.
    """

    class EditClass(models.TextChoices):
        AS_DRAFTED = "as_drafted", "Sent as drafted"
        LIGHT = "light", "Light edit"
        SUBSTANTIAL = "substantial", "Substantial edit"
        REWRITTEN = "rewritten", "Rewritten"
        NO_DRAFT = "no_draft", "No AI draft used"

    user = models.ForeignKey(
        "curriculum.User", on_delete=models.PROTECT, related_name="submissions"
    )
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="submissions")
    scenario = models.ForeignKey(Scenario, on_delete=models.PROTECT, related_name="submissions")
    scenario_version = models.ForeignKey(
        ScenarioVersion, on_delete=models.PROTECT, related_name="submissions"
    )
    exercise_version = models.PositiveIntegerField()
    attempt = models.PositiveIntegerField()
    answer = models.JSONField()
    ai_draft = models.TextField(blank=True)
    ai_draft_source = models.CharField(max_length=10, blank=True)
    edit_distance = models.FloatField(null=True, blank=True)
    edit_class = models.CharField(max_length=12, choices=EditClass.choices)
    time_on_task_seconds = models.PositiveIntegerField(default=0)
    checklist_complete = models.BooleanField(null=True, blank=True)
    meta = models.JSONField(
        default=dict,
        blank=True,
        help_text="Workspace details outside the answer format, e.g. audit finding offsets.",
    )
    client_token = models.UUIDField(help_text="Makes a double submit create one submission.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "exercise", "scenario", "attempt"], name="submission_attempt_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "client_token"], name="submission_token_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(edit_distance__isnull=True)
                | models.Q(edit_distance__gte=0, edit_distance__lte=1),
                name="submission_edit_distance_range",
            ),
            models.CheckConstraint(
                condition=models.Q(attempt__gte=1), name="submission_attempt_positive"
            ),
        ]
        indexes = [models.Index(fields=["user", "exercise", "scenario"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.scenario.slug} #{self.attempt}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("Submissions are immutable; submit a new attempt instead.")
        super().save(*args, **kwargs)


class Assignment(models.Model):
    """Work a trainer set for a cohort: a whole module, or one scenario of an exercise."""

    cohort = models.ForeignKey(
        "curriculum.Cohort", on_delete=models.CASCADE, related_name="assignments"
    )
    module = models.ForeignKey(
        "curriculum.Module",
        on_delete=models.PROTECT,
        related_name="assignments",
        null=True,
        blank=True,
    )
    exercise = models.ForeignKey(
        Exercise, on_delete=models.PROTECT, related_name="assignments", null=True, blank=True
    )
    scenario = models.ForeignKey(
        Scenario, on_delete=models.PROTECT, related_name="assignments", null=True, blank=True
    )
    opens_at = models.DateTimeField()
    due_at = models.DateTimeField()
    created_by = models.ForeignKey(
        "curriculum.User", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(module__isnull=False, exercise__isnull=True, scenario__isnull=True)
                    | models.Q(module__isnull=True, exercise__isnull=False, scenario__isnull=False)
                ),
                name="assignment_module_or_scenario",
            ),
            models.CheckConstraint(
                condition=models.Q(due_at__gt=models.F("opens_at")),
                name="assignment_due_after_open",
            ),
            # The same work is set once per cohort (a second one sent every agent a second
            # email); move its dates instead.
            models.UniqueConstraint(
                fields=["cohort", "module"],
                condition=models.Q(module__isnull=False),
                name="assignment_module_once_per_cohort",
            ),
            models.UniqueConstraint(
                fields=["cohort", "exercise", "scenario"],
                condition=models.Q(scenario__isnull=False),
                name="assignment_scenario_once_per_cohort",
            ),
        ]
        indexes = [models.Index(fields=["cohort", "due_at"])]

    def __str__(self) -> str:
        target = self.module or self.scenario
        return f"{target} for {self.cohort} (due {format_when(self.due_at)})"


from exercises.prompt_library.models import (  # noqa: E402
    PromptTemplate,
    PromptTemplateUse,
    PromptTemplateVersion,
)

__all__ = [
    "Assignment",
    "DraftRequest",
    "ExerciseScenario",
    "KnowledgeFact",
    "PromptTemplate",
    "PromptTemplateUse",
    "PromptTemplateVersion",
    "Scenario",
    "ScenarioVersion",
    "Submission",
    "Workspace",
]
