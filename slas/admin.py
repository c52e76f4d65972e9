from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from . import permissions, services
from .models import (
    SLA,
    ClosedDate,
    Commitment,
    GoalPlan,
    LifecycleRecord,
    MaturityRule,
    Membership,
    Milestone,
    Profile,
    SharedGoal,
    Signature,
    Team,
    WorkingCalendar,
    WorkingHours,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "function", "created_at"]
    list_filter = ["function"]
    search_fields = ["name"]
    inlines = [MembershipInline]


class UserMembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    fk_name = "user"


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["is_viewer", "language", "time_zone", "alert_mode"]


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = [ProfileInline, UserMembershipInline]


# --- SLA documents: drafts editable by those who may draft them, signed versions read-only ---


class _SLAChildInline(admin.TabularInline):
    extra = 0

    def _editable(self, request, obj) -> bool:
        return obj is None or (obj.is_editable and permissions.can_draft_sla(request.user, obj))

    def has_add_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._editable(request, obj)


class GoalInline(_SLAChildInline):
    model = SharedGoal


class CommitmentInline(_SLAChildInline):
    model = Commitment


class MaturityRuleInline(_SLAChildInline):
    model = MaturityRule


class MilestoneInline(_SLAChildInline):
    model = Milestone


class SignatureInline(admin.TabularInline):
    model = Signature
    extra = 0
    readonly_fields = ["team", "signed_by", "signed_at", "fingerprint"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SLA)
class SLAAdmin(admin.ModelAdmin):
    """Signed versions are read-only here as everywhere; lifecycle changes go through the services."""

    list_display = ["title", "marketing_team", "sales_team", "start_date", "end_date", "version", "status"]
    list_filter = ["status", "marketing_team", "sales_team"]
    search_fields = ["title"]
    list_select_related = ["marketing_team", "sales_team"]
    readonly_fields = ["status", "series", "version", "amends", "superseded_on", "revision", "fingerprint"]
    inlines = [GoalInline, CommitmentInline, MaturityRuleInline, MilestoneInline, SignatureInline]
    actions = ["submit_for_signature", "withdraw_to_draft"]

    def has_view_permission(self, request, obj=None):
        return permissions.can_read(request.user) and request.user.is_staff

    def has_add_permission(self, request):
        return permissions.can_draft_sla(request.user)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return permissions.can_draft_sla(request.user)
        return obj.is_editable and permissions.can_draft_sla(request.user, obj)

    def has_delete_permission(self, request, obj=None):
        # History is never deleted: only a draft may go, by its author or an admin (the service decides).
        return obj is not None and obj.is_editable and permissions.can_delete_sla(request.user, obj)

    def delete_model(self, request, obj):
        services.sla_delete_draft(sla=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for sla in queryset:
            services.sla_delete_draft(sla=sla, by=request.user)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        if change:
            # An admin edit is a new revision: editors who opened the older one are refused.
            obj.revision += 1
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Submit for signature"))
    def submit_for_signature(self, request, queryset):
        for sla in queryset:
            try:
                services.sla_submit(sla=sla, by=request.user)
            except (services.SLAConflict, ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{sla}: {getattr(exc, 'message', exc)}", level=messages.ERROR)

    @admin.action(description=_("Withdraw to draft (clears the signatures)"))
    def withdraw_to_draft(self, request, queryset):
        for sla in queryset:
            try:
                services.sla_withdraw(sla=sla, by=request.user)
            except (services.SLAConflict, PermissionDenied) as exc:
                self.message_user(request, f"{sla}: {getattr(exc, 'message', exc)}", level=messages.ERROR)


class WorkingHoursInline(admin.TabularInline):
    model = WorkingHours
    extra = 0


class ClosedDateInline(admin.TabularInline):
    model = ClosedDate
    extra = 0


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(admin.ModelAdmin):
    list_display = ["sla", "time_zone", "country"]
    list_select_related = ["sla"]
    inlines = [WorkingHoursInline, ClosedDateInline]

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return permissions.can_draft_sla(request.user)
        return obj.sla.is_editable and permissions.can_draft_sla(request.user, obj.sla)

    has_delete_permission = has_change_permission

    def has_add_permission(self, request):
        return permissions.can_draft_sla(request.user)


@admin.register(LifecycleRecord)
class LifecycleRecordAdmin(admin.ModelAdmin):
    """Append-only: readable, never added, changed or deleted by hand."""

    list_display = ["at", "action", "title", "version", "actor"]
    list_filter = ["action"]
    list_select_related = ["actor"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GoalPlan)
class GoalPlanAdmin(admin.ModelAdmin):
    list_display = ["__str__", "created_by", "created_at"]
    readonly_fields = ["inputs", "result", "created_by", "created_at"]
