"""Admin for the funnel: read-friendly views of leads and their history.

Leads change only through ``leads.services`` (the web pages and the API), so that every
change writes its event and follow-ups; the admin therefore shows leads, events,
activities, handoffs and follow-ups read-only, and history is never editable or deletable.
Visit counts are recorded through ``visits_record`` (the visits page and the API) and are
read-only here too. Capture forms are plain configuration and stay editable by admins.
"""

from __future__ import annotations

from django.contrib import admin

from slas.permissions import is_admin

from .models import Activity, CaptureForm, FollowUp, Handoff, Lead, LeadEvent, VisitCount


class ReadOnlyAdmin(admin.ModelAdmin):
    """Viewable by staff; never added, changed or deleted here."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class EventInline(ReadOnlyInline):
    model = LeadEvent
    fields = [
        "occurred_at",
        "kind",
        "from_stage",
        "to_stage",
        "first_reach",
        "actor",
        "team",
        "reason",
        "is_late_entry",
    ]
    readonly_fields = fields
    ordering = ["-occurred_at"]


class FollowUpInline(ReadOnlyInline):
    model = FollowUp
    fields = ["kind", "starts_at", "due_at", "status", "done_at", "done_on_time", "owner_team", "owner_user"]
    readonly_fields = fields


@admin.register(Lead)
class LeadAdmin(ReadOnlyAdmin):
    list_display = [
        "__str__",
        "email",
        "company",
        "stage",
        "owner_team",
        "owner_user",
        "maturity_category",
        "created_at",
    ]
    list_filter = ["stage", "owner_team", "maturity_category", "source"]
    search_fields = ["first_name", "last_name", "email", "company"]
    list_select_related = ["owner_team", "owner_user"]
    date_hierarchy = "created_at"
    inlines = [FollowUpInline, EventInline]


@admin.register(LeadEvent)
class LeadEventAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "lead", "kind", "from_stage", "to_stage", "first_reach", "actor", "is_late_entry"]
    list_filter = ["kind", "to_stage", "first_reach", "is_late_entry"]
    list_select_related = ["lead", "actor"]
    search_fields = ["lead__email", "lead__last_name"]


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "lead", "kind", "outcome", "side", "actor", "is_late_entry"]
    list_filter = ["kind", "side", "outcome"]
    list_select_related = ["lead", "actor"]


@admin.register(Handoff)
class HandoffAdmin(ReadOnlyAdmin):
    list_display = ["lead", "from_team", "to_team", "handed_off_at", "decision_due_at", "status", "decided_at"]
    list_filter = ["status", "to_team"]
    list_select_related = ["lead", "from_team", "to_team"]


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["lead", "kind", "due_at", "status", "done_on_time", "owner_team", "owner_user"]
    list_filter = ["kind", "status", "owner_team"]
    list_select_related = ["lead", "owner_team", "owner_user"]


class ConfigAdmin(admin.ModelAdmin):
    """Configuration: admins only (SPEC §7 'manage everything')."""

    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request) -> bool:
        return is_admin(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_admin(request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_admin(request.user)


@admin.register(CaptureForm)
class CaptureFormAdmin(ConfigAdmin):
    list_display = ["name", "slug", "team", "channel", "is_active"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(VisitCount)
class VisitCountAdmin(ReadOnlyAdmin):
    list_display = ["month", "channel", "count", "updated_by", "updated_at"]
    list_filter = ["channel"]
