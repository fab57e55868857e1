"""Read-only admin for the knowledge base and scenarios (edit them in fixtures/)."""

from django.contrib import admin

from curriculum.admin import ContentAdmin, pretty_json

from .models import Assignment, DraftRequest, KnowledgeFact, Scenario, ScenarioVersion, Submission


@admin.register(KnowledgeFact)
class KnowledgeFactAdmin(ContentAdmin):
    list_display = ("slug", "title", "category", "version", "retired_at")
    list_filter = ("category", "retired_at")
    search_fields = ("slug", "title", "statement")
    exclude = ("data",)
    extra_readonly = ("data_display",)

    @admin.display(description="Structured data")
    def data_display(self, obj):
        return pretty_json(obj.data)


class ScenarioVersionInline(admin.TabularInline):
    model = ScenarioVersion
    fields = ("number", "content_hash", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Scenario)
class ScenarioAdmin(ContentAdmin):
    list_display = ("slug", "title", "type", "customer_plan", "version", "retired_at")
    list_filter = ("type", "retired_at")
    search_fields = ("slug", "title", "message")
    exclude = ("data",)
    extra_readonly = ("data_display",)
    inlines = [ScenarioVersionInline]

    @admin.display(description="Scenario as authored")
    def data_display(self, obj):
        return pretty_json(obj.data)


class RecordAdmin(admin.ModelAdmin):
    """Records agents create: viewable by staff, changed only through the product."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Submission)
class SubmissionAdmin(RecordAdmin):
    list_display = ("__str__", "exercise", "attempt", "edit_class", "created_at")
    list_filter = ("exercise", "edit_class")
    search_fields = ("user__email", "scenario__slug")
    list_select_related = ("user", "exercise", "scenario")


@admin.register(DraftRequest)
class DraftRequestAdmin(RecordAdmin):
    list_display = ("pk", "workspace", "variant", "status", "source", "created_at")
    list_filter = ("status", "source")
    list_select_related = ("workspace__user", "workspace__scenario")


@admin.register(Assignment)
class AssignmentAdmin(admin.ModelAdmin):
    list_display = ("__str__", "cohort", "opens_at", "due_at", "notified_at")
    list_filter = ("cohort",)
    list_select_related = ("cohort", "module", "scenario")
    raw_id_fields = ("exercise", "scenario", "module", "created_by")
