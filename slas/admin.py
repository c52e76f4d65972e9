"""The admin for teams, users and SLA documents: every change goes through ``slas.services``.

Teams, users, memberships and profiles are saved by the same service functions the API uses
(with their validation: password validators, known time zones, one function per team). SLA
documents, their sections, signatures and calendars are read-only here: drafts are edited in the
app's editor (``sla_update``: revisions, periods, sections), and the lifecycle actions below call
the services. Nothing here deletes history.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm as BaseAdminPasswordChangeForm
from django.contrib.auth.forms import SetUnusablePasswordMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.utils.html import format_html
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from smarketing.admin import TranslatedPermissions

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


class AdminOnly:
    """Only an administrator (superuser) sees and changes these, whatever staff permissions say."""

    def has_module_permission(self, request):
        return permissions.is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnly:
    """Viewable by administrators; never added, changed or deleted in the admin."""

    def has_module_permission(self, request):
        return permissions.is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ServiceRefusalsAsMessages:
    """A service refusing a change the form accepted (a race, a rule the form cannot see) is
    shown as an error message on the same page, never a 500; the transaction rolls back."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(getattr(error, "messages", [])) or str(error)
            self.message_user(request, text, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class MembershipsThroughServices:
    """Membership inlines are saved one by one through ``membership_save``/``membership_delete``."""

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            if not inline_form.has_changed() and not formset._should_delete_form(inline_form):
                continue
            membership = inline_form.instance
            if formset._should_delete_form(inline_form):
                if membership.pk:
                    services.membership_delete(membership=membership, by=request.user)
                continue
            data = inline_form.cleaned_data
            services.membership_save(
                user=data.get("user") or form.instance,
                team=data.get("team") or form.instance,
                role=data["role"],
                by=request.user,
            )
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None


class MembershipInline(AdminOnly, admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]

    def has_delete_permission(self, request, obj=None):
        return permissions.is_admin(request.user)


@admin.register(Team)
class TeamAdmin(AdminOnly, ServiceRefusalsAsMessages, MembershipsThroughServices, admin.ModelAdmin):
    list_display = ["name", "function", "created_at"]
    list_filter = ["function"]
    search_fields = ["name"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in ("name", "function", "description")}
        saved = (
            services.team_update(team=obj, by=request.user, **data)
            if change
            else services.team_create(by=request.user, **data)
        )
        obj.pk = saved.pk


class UserMembershipInline(MembershipInline):
    fk_name = "user"
    autocomplete_fields = []


class ProfileInline(AdminOnly, admin.StackedInline):
    model = Profile
    can_delete = False
    fields = ["is_viewer", "language", "time_zone", "alert_mode"]


class AdminPasswordChangeForm(BaseAdminPasswordChangeForm):
    """Django's form joins its translated help text to an English warning when it is imported,
    which makes the whole text English; the same text, joined at display."""

    usable_password_help_text = format_lazy(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        SetUnusablePasswordMixin.usable_password_help_text,
        _("If disabled, the current password for this user will be lost."),
    )


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AdminOnly, ServiceRefusalsAsMessages, MembershipsThroughServices, TranslatedPermissions, BaseUserAdmin):
    """Users are created with ``user_create`` (password validators) and changed with ``user_update``.

    Never deleted (their history stays attributed): deactivate them instead.
    """

    inlines = [ProfileInline, UserMembershipInline]
    change_password_form = AdminPasswordChangeForm

    def save_model(self, request, obj, form, change):
        data = {field: form.cleaned_data[field] for field in services.USER_FIELDS if field in form.cleaned_data}
        if change:
            saved = services.user_update(user=obj, by=request.user, **data)
        else:
            password = (
                form.cleaned_data.get("password1") if form.cleaned_data.get("set_usable_password", True) else None
            )
            saved = services.user_create(by=request.user, password=password, **data)
        obj.pk = saved.pk
        obj.password = saved.password

    def save_formset(self, request, form, formset, change):
        if formset.model is Profile:
            for inline_form in formset.forms:
                data = inline_form.cleaned_data
                changes = {field: data[field] for field in services.PROFILE_FIELDS if field in data}
                if changes and (inline_form.has_changed() or not change):
                    services.profile_update(user=form.instance, by=request.user, **changes)
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return None
        return super().save_formset(request, form, formset, change)


# --- SLA documents: read-only; lifecycle through the services ---------------------------------


class SLASectionInline(ReadOnly, admin.TabularInline):
    extra = 0
    can_delete = False


class GoalInline(SLASectionInline):
    model = SharedGoal


class CommitmentInline(SLASectionInline):
    model = Commitment


class MaturityRuleInline(SLASectionInline):
    model = MaturityRule


class MilestoneInline(SLASectionInline):
    model = Milestone


class SignatureInline(SLASectionInline):
    model = Signature
    readonly_fields = ["team", "signed_by", "signed_at", "fingerprint"]


@admin.register(SLA)
class SLAAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only: drafts are edited in the app's editor; submit, withdraw, amend and the deletion of a
    draft call the services."""

    list_display = ["title", "marketing_team", "sales_team", "start_date", "end_date", "version", "status"]
    list_filter = ["status", "marketing_team", "sales_team"]
    search_fields = ["title"]
    list_select_related = ["marketing_team", "sales_team"]
    readonly_fields = ["edit_in_app"]
    inlines = [GoalInline, CommitmentInline, MaturityRuleInline, MilestoneInline, SignatureInline]
    actions = ["submit_for_signature", "withdraw_to_draft", "amend"]

    def has_view_permission(self, request, obj=None):
        return permissions.is_admin(request.user)

    @admin.display(description=_("Editor"))
    def edit_in_app(self, obj: SLA) -> str:
        from django.urls import reverse

        name = "slas:edit" if obj.is_editable else "slas:detail"
        return format_html('<a href="{}">{}</a>', reverse(name, args=[obj.pk]), _("Open in smarketing"))

    def has_delete_permission(self, request, obj=None):
        # History is never deleted: only a draft may go, by its author or an admin (the service decides).
        return (
            permissions.is_admin(request.user)
            and obj is not None
            and obj.is_editable
            and permissions.can_delete_sla(request.user, obj)
        )

    def delete_model(self, request, obj):
        services.sla_delete_draft(sla=obj, by=request.user)

    def _run(self, request, queryset, call):
        for sla in queryset:
            try:
                call(sla)
            except (services.SLAConflict, ValidationError, PermissionDenied) as exc:
                text = getattr(exc, "message", None) or " ".join(getattr(exc, "messages", [str(exc)]))
                self.message_user(request, f"{sla}: {text}", level=messages.ERROR)

    @admin.action(description=_("Submit for signature"))
    def submit_for_signature(self, request, queryset):
        self._run(request, queryset, lambda sla: services.sla_submit(sla=sla, by=request.user))

    @admin.action(description=_("Draft an amendment"))
    def amend(self, request, queryset):
        self._run(request, queryset, lambda sla: services.sla_amend(sla=sla, by=request.user))

    @admin.action(description=_("Withdraw to draft (clears the signatures)"))
    def withdraw_to_draft(self, request, queryset):
        self._run(request, queryset, lambda sla: services.sla_withdraw(sla=sla, by=request.user))

    def get_actions(self, request):
        # A draft is deleted one at a time from its page (sla_delete_draft); the lifecycle actions stay.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


class WorkingHoursInline(SLASectionInline):
    model = WorkingHours


class ClosedDateInline(SLASectionInline):
    model = ClosedDate


@admin.register(WorkingCalendar)
class WorkingCalendarAdmin(ReadOnly, admin.ModelAdmin):
    """Part of the SLA document: edited with it, in the app."""

    list_display = ["sla", "time_zone", "country"]
    list_select_related = ["sla"]
    inlines = [WorkingHoursInline, ClosedDateInline]


@admin.register(LifecycleRecord)
class LifecycleRecordAdmin(ReadOnly, admin.ModelAdmin):
    """Append-only: readable, never added, changed or deleted by hand."""

    list_display = ["at", "action", "title", "version", "actor"]
    list_filter = ["action"]
    list_select_related = ["actor"]


@admin.register(GoalPlan)
class GoalPlanAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["__str__", "created_by", "created_at"]
