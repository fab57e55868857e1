"""Read-only admin for the knowledge base and scenarios (edit them in fixtures/)."""

from django.contrib import admin

from curriculum.admin import ContentAdmin, pretty_json

from .models import KnowledgeFact, Scenario, ScenarioVersion


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
