"""Read-only admin for rubrics, their versions and the example submissions."""

from django.contrib import admin

from curriculum.admin import ContentAdmin, pretty_json

from .models import (
    CohortGradingSettings,
    Criterion,
    CriterionScore,
    ExampleSubmission,
    Flag,
    Grade,
    GradeOverride,
    GradingJob,
    Level,
    PeerReview,
    Rubric,
    RubricVersion,
    TrainerReview,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # Shown, never edited: a non-editable field (created_at) in `fields` would
        # otherwise be put in the inline's model form, which Django refuses (a 500).
        return self.fields or ()


class RubricVersionInline(ReadOnlyInline):
    model = RubricVersion
    fields = ("number", "title", "created_at")


@admin.register(Rubric)
class RubricAdmin(ContentAdmin):
    list_display = ("slug", "title", "version", "retired_at")
    inlines = [RubricVersionInline]


class CriterionInline(ReadOnlyInline):
    model = Criterion
    fields = ("key", "title", "weight", "allow_na", "critical", "critical_cap", "max_points")


@admin.register(RubricVersion)
class RubricVersionAdmin(ContentAdmin):
    list_display = ("__str__", "title", "created_at")
    list_filter = ()
    exclude = ("snapshot", "description_html")
    inlines = [CriterionInline]


class LevelInline(ReadOnlyInline):
    model = Level
    fields = ("points", "title", "description")
    show_change_link = False


@admin.register(Criterion)
class CriterionAdmin(ContentAdmin):
    list_display = ("key", "title", "rubric_version", "weight", "critical")
    list_filter = ("critical",)
    inlines = [LevelInline]


@admin.register(ExampleSubmission)
class ExampleSubmissionAdmin(ContentAdmin):
    list_display = ("slug", "exercise", "scenario", "version", "retired_at")
    exclude = ("answer", "trainer_grade")
    extra_readonly = ("answer_display", "grade_display")

    @admin.display(description="Answer")
    def answer_display(self, obj):
        return pretty_json(obj.answer)

    @admin.display(description="Trainer grade")
    def grade_display(self, obj):
        return pretty_json(obj.trainer_grade)


class CriterionScoreInline(ReadOnlyInline):
    model = CriterionScore
    fields = ("criterion_key", "points", "max_points", "rationale")
    show_change_link = False


@admin.register(Grade)
class GradeAdmin(admin.ModelAdmin):
    list_display = ("submission", "grader", "model_name", "total", "from_cache", "created_at")
    list_filter = ("grader",)
    list_select_related = ("submission__user", "submission__scenario")
    readonly_fields = [f.name for f in Grade._meta.fields]
    inlines = [CriterionScoreInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GradingJob)
class GradingJobAdmin(admin.ModelAdmin):
    list_display = ("submission", "status", "runs", "claimed_at", "finished_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in GradingJob._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(Flag)
class FlagAdmin(admin.ModelAdmin):
    list_display = ("__str__", "reason", "created_at", "resolved_at")
    list_filter = ("reason", "resolved_at")
    readonly_fields = ("submission", "reviewer", "reason", "detail", "created_at")


class AuditRecordAdmin(admin.ModelAdmin):
    """Review and override records: visible to staff, written only through the console."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GradeOverride)
class GradeOverrideAdmin(AuditRecordAdmin):
    list_display = ("submission", "criterion_key", "trainer", "created_at")
    list_select_related = ("submission__user", "trainer")


@admin.register(TrainerReview)
class TrainerReviewAdmin(AuditRecordAdmin):
    list_display = ("submission", "trainer", "total", "created_at")
    list_select_related = ("submission__user", "trainer")


@admin.register(PeerReview)
class PeerReviewAdmin(AuditRecordAdmin):
    list_display = ("pk", "submission", "status", "assigned_at")
    list_filter = ("status",)
    list_select_related = ("submission__user",)


@admin.register(CohortGradingSettings)
class CohortGradingSettingsAdmin(admin.ModelAdmin):
    list_display = ("cohort", "release_mode", "audit_rate", "mastery_threshold")
