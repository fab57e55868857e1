from django.contrib import admin

from .models import ApiToken, CohortImpact, ImportJob, ImportRejection, TicketMetric


@admin.register(CohortImpact)
class CohortImpactAdmin(admin.ModelAdmin):
    list_display = ["cohort", "training_started_on", "training_completed_on", "updated_at"]
    filter_horizontal = ["leaders"]


@admin.register(TicketMetric)
class TicketMetricAdmin(admin.ModelAdmin):
    list_display = ["ticket_id", "agent", "closed_at", "category", "ai_usage", "csat"]
    list_filter = ["category", "ai_usage"]
    search_fields = ["ticket_id", "agent__email"]
    list_select_related = ["agent"]
    raw_id_fields = ["agent"]
    show_full_result_count = False


class ImportRejectionInline(admin.TabularInline):
    model = ImportRejection
    extra = 0
    can_delete = False
    readonly_fields = ["line_number", "ticket_id", "reason", "raw"]
    max_num = 0


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["pk", "created_by", "source", "status", "rows_seen", "rows_rejected"]
    list_filter = ["status", "source"]
    list_select_related = ["created_by"]
    readonly_fields = [f.name for f in ImportJob._meta.fields]
    inlines = [ImportRejectionInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["key_hash", "prefix", "created_at", "last_used_at"]
    list_select_related = ["user"]
