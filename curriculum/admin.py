"""Admin for people and cohorts (editable) and curriculum content (read-only: edit the files)."""

import json

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from .models import Cohort, Exercise, Lesson, Membership, Module, User


def pretty_json(value) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, ensure_ascii=False))


class ContentAdmin(admin.ModelAdmin):
    """Authored content is edited in fixtures/ and loaded with `load_content`; here it is read."""

    list_filter = ("retired_at",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        hidden = set(self.exclude or ())
        shown = [f.name for f in self.model._meta.fields if f.name not in hidden]
        return shown + list(self.extra_readonly)

    extra_readonly: tuple[str, ...] = ()


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "full_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "full_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "time_zone")}),
        ("Roles", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    # Records, not inputs (and the split date-time widget leaves its time box unlabelled).
    readonly_fields = ("last_login", "date_joined")
    # The plain labelled multi-select: the two-box widget's script puts aria-label on a
    # bare <span>, an ARIA error axe reports as serious.
    filter_horizontal = ()
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("user",)


@admin.register(Cohort)
class CohortAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "archived_at")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ()  # the plain labelled multi-select (see UserAdmin)
    inlines = [MembershipInline]


class LessonInline(admin.TabularInline):
    model = Lesson
    fields = ("title", "order", "minutes", "version", "retired_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Module)
class ModuleAdmin(ContentAdmin):
    list_display = ("title", "slug", "order", "version", "retired_at")
    inlines = [LessonInline]


@admin.register(Lesson)
class LessonAdmin(ContentAdmin):
    list_display = ("title", "module", "order", "version", "retired_at")
    list_filter = ("module", "retired_at")
    exclude = ("body_html",)
    extra_readonly = ("rendered",)

    @admin.display(description="Rendered lesson")
    def rendered(self, obj):
        # body_html is the stored output of render_markdown (sanitised by bleach).
        return mark_safe(f'<div class="prose">{obj.body_html}</div>')  # noqa: S308


@admin.register(Exercise)
class ExerciseAdmin(ContentAdmin):
    list_display = ("title", "module", "type", "rubric_slug", "version", "retired_at")
    list_filter = ("module", "type", "retired_at")
    exclude = ("steps", "settings", "instructions_html")
    extra_readonly = ("steps_display", "settings_display")

    @admin.display(description="Steps")
    def steps_display(self, obj):
        return pretty_json(obj.steps)

    @admin.display(description="Settings")
    def settings_display(self, obj):
        return pretty_json(obj.settings)
