from __future__ import annotations

import re

from auditlog import filters as auditlog_filters
from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from axes import admin as axes_admin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.template.response import TemplateResponse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import webhooks
from .models import ApiToken, Job, WebhookDelivery, WebhookSubscription, WorkerHeartbeat
from .permissions import is_admin
from .webhooks import EVENT_TYPES


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "last_seen"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "status", "done", "total", "created_by", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are created by their owner (profile page or API); the admin can only revoke."""

    list_display = ["name", "user", "prefix", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Revoked, never deleted: the audit log and "last used" stay attributable.
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        from .tokens import api_token_revoke

        for token in queryset:
            api_token_revoke(token=token, by=request.user)


class WebhookDeliveryInline(admin.TabularInline):
    model = WebhookDelivery
    fields = ["event_type", "created_at", "status", "attempts", "last_response_code", "last_error", "delivered_at"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["-created_at"]


class WebhookSubscriptionAdminForm(forms.ModelForm):
    """The fields an admin edits; the secret is never a field (rotate it with the action)."""

    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=[(e, e) for e in EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ["url", "events", "description", "is_active", "owner"]

    def clean(self):
        """The services' own checks (SSRF guard, events, owner), shown as field errors."""
        data = super().clean()
        try:
            if data.get("url") and data.get("events"):
                data["events"] = webhooks.validate_subscription(data["url"], data["events"])
            if data.get("owner") is not None:
                webhooks.check_owner(data["owner"], self.request_user)
        except ValidationError as error:
            for field, field_messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, field_messages)
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Admins manage every subscription here, through the same services as the UI and the API.

    The secret is shown once, on the page answering the creation or the rotation action.
    """

    form = WebhookSubscriptionAdminForm
    list_display = ["url", "owner", "is_active", "created_by", "created_at"]
    list_filter = ["is_active"]
    list_select_related = ["owner", "created_by"]
    search_fields = ["url", "description", "owner__username"]
    readonly_fields = ["created_by", "created_at", "previous_secret_expires_at"]
    inlines = [WebhookDeliveryInline]
    actions = ["rotate_secret"]

    def _is_admin(self, request) -> bool:
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return self._is_admin(request)

    def has_add_permission(self, request):
        return self._is_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_admin(request)

    def has_delete_permission(self, request, obj=None):
        return self._is_admin(request)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.base_fields["owner"].required = False
        form.base_fields["owner"].help_text = _("Default: you.")
        form.request_user = request.user
        return form

    def save_model(self, request, obj, form, change):
        data = {name: form.cleaned_data.get(name) for name in WebhookSubscriptionAdminForm.Meta.fields}
        if change:
            saved = webhooks.webhook_subscription_update(subscription=obj, by=request.user, **data)
        else:
            saved = webhooks.webhook_subscription_create(by=request.user, **data)
        obj.pk = saved.pk
        obj.secret = saved.secret

    def response_add(self, request, obj, post_url_continue=None):
        return _secret_page(request, [(obj, obj.secret)], created=True)

    def delete_model(self, request, obj):
        webhooks.webhook_subscription_delete(subscription=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            webhooks.webhook_subscription_delete(subscription=subscription, by=request.user)

    @admin.action(description=_("Rotate the signing secret of the selected webhooks"))
    def rotate_secret(self, request, queryset):
        rotated = [
            webhooks.webhook_secret_rotate(subscription=subscription, by=request.user) for subscription in queryset
        ]
        return _secret_page(request, rotated, created=False)


def _secret_page(request, pairs, *, created: bool):
    response = TemplateResponse(
        request,
        "admin/smarketing/webhooksubscription/secrets.html",
        {**admin.site.each_context(request), "pairs": pairs, "created": created, "title": _("Webhook secrets")},
    )
    response["Cache-Control"] = "no-store"
    return response


# --- Permissions in the reader's language ------------------------------------------------------
# Django stores a permission's name in English when it migrates ("Can add lead"); the admin shows
# the default ones from their action and their model's translated name, the others through the
# catalogue.
PERMISSION_ACTIONS = {"add": _("Can add"), "change": _("Can change"), "delete": _("Can delete"), "view": _("Can view")}


def permission_label(permission: Permission) -> str:
    action, _sep, model = permission.codename.partition("_")
    if action in PERMISSION_ACTIONS and model == permission.content_type.model:
        return f"{permission.content_type} | {PERMISSION_ACTIONS[action]}"
    return f"{permission.content_type} | {gettext(permission.name)}"


class TranslatedPermissions:
    """Permission pickers (groups, users) labelled by :func:`permission_label`."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and db_field.related_model is Permission:
            formfield.label_from_instance = permission_label
        return formfield


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(TranslatedPermissions, BaseGroupAdmin):
    pass


# --- The audit log: browsable and filterable by administrators, never changed or deleted -------

admin.site.unregister(LogEntry)


class ResourceTypeFilter(auditlog_filters.ResourceTypeFilter):
    """The library's filter lists the models by their code name ("membership"); here by their
    translated name."""

    def lookups(self, request, model_admin):
        types = []
        for pk, code in super().lookups(request, model_admin):
            model = ContentType.objects.get_for_id(pk).model_class()
            types.append((pk, capfirst(model._meta.verbose_name) if model else code))
        return sorted(types, key=lambda pair: str(pair[1]))


@admin.register(LogEntry)
class AuditLogEntryAdmin(LogEntryAdmin):
    """django-auditlog's list (filters: action, resource type, date; search: object, changes,
    actor) plus the actor and the client address; append-only for everyone."""

    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "remote_addr"]
    list_filter = ["action", ResourceTypeFilter, ("actor", admin.RelatedOnlyFieldListFilter), "timestamp"]
    search_fields = [*LogEntryAdmin.search_fields, "remote_addr"]
    readonly_fields = [*LogEntryAdmin.readonly_fields, "remote_addr"]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "remote_addr", "resource_url", "cid"]}),
        (_("Changes"), {"fields": ["action", "msg"]}),
    ]

    def has_module_permission(self, request):
        return is_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_admin(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # The library names the fields by their attribute ("is_viewer", "3 changes: …" in English):
    # here by their translated names, with choices, dates and related objects as a reader sees them.
    @admin.display(description=_("User"))
    def user_url(self, obj):
        return super().user_url(obj) if obj.actor else gettext("system")

    @admin.display(description=_("Changes"))
    def msg_short(self, obj):
        if obj.action in (LogEntry.Action.DELETE, LogEntry.Action.ACCESS):
            return ""
        labels = [str(label) for label, _values in _recorded_changes(obj)]
        fields = ", ".join(labels)
        if len(fields) > 75:
            fields = fields[: fields.rfind(" ", 0, 75)] + " …"
        return ngettext("%(count)s change: %(fields)s", "%(count)s changes: %(fields)s", len(labels)) % {
            "count": len(labels),
            "fields": fields,
        }

    @admin.display(description=_("Changes"))
    def msg(self, obj):
        if any(isinstance(values, dict) for values in obj.changes_dict.values()):
            return super().msg(obj)  # many-to-many changes: the library's table
        rows = [(capfirst(label), *values) for label, values in _recorded_changes(obj, display=True)]
        if not rows:
            return ""
        header = format_html("<tr><th>{}</th><th>{}</th><th>{}</th></tr>", _("Field"), _("From"), _("To"))
        body = format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows)
        return format_html("<table>{}{}</table>", header, body)


# What the library records for a relation seen from the other side when an object is created:
# its empty manager ("leads.Handoff.None"), which says nothing.
EMPTY_MANAGER = re.compile(r"\w+\.\w+\.None")


def _recorded_changes(entry: LogEntry, *, display: bool = False) -> list[tuple]:
    """``(label, [before, after])`` of an entry's changes that say something, by the fields'
    translated names; ``display``: the values as the library shows them (choices, dates, related
    objects: one query per related object, so only on an entry's own page)."""
    shown = entry.changes_display_dict if display else {}
    changes = []
    for name, values in sorted(entry.changes_dict.items()):
        label = _change_label(entry, name)
        if all(value in (None, "", "None") or EMPTY_MANAGER.fullmatch(str(value)) for value in values):
            continue
        if name == "password":
            values = ["***", "***"]
        values = [value if value not in (None, "", "None") else "—" for value in shown.get(label, values)]
        changes.append((label, values))
    return changes


def _change_label(entry: LogEntry, name: str):
    """The translated name of a recorded field: its ``verbose_name``, or for a relation seen from
    the other side (an SLA's sections) the related model's name."""
    model = entry.content_type.model_class()
    try:
        field = model._meta.get_field(name)
    except (AttributeError, FieldDoesNotExist):
        return name
    if getattr(field, "verbose_name", None):
        return field.verbose_name
    related = field.related_model._meta
    return related.verbose_name if field.one_to_one else related.verbose_name_plural


# django-axes' "clean up expired attempts" action fails outside a sign-in request (it reads an
# attribute only its middleware sets): a 500 in the admin. Attempts expire on their own
# (AXES_COOLOFF_TIME) and can be deleted; the action is left out.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    actions = ["delete_selected"]

    @admin.display(description=_("Status"))
    def status(self, obj):
        remaining = settings.AXES_FAILURE_LIMIT - obj.failures_since_start
        if remaining > 0:
            return ngettext("%(count)s attempt remaining", "%(count)s attempts remaining", remaining) % {
                "count": remaining
            }
        return gettext("Locked out")


# django-axes names its rows with English f-strings, not through gettext; the admin's titles,
# breadcrumbs and checkboxes show them, so they are named here in the reader's language.
def _when(moment) -> str:
    return date_format(localtime(moment), "SHORT_DATETIME_FORMAT")


def _access_attempt_name(attempt: AccessAttempt) -> str:
    return gettext("Failed sign-ins of %(username)s, last on %(when)s") % {
        "username": attempt.username,
        "when": _when(attempt.attempt_time),
    }


def _access_failure_name(failure: AccessFailureLog) -> str:
    return gettext("Failed sign-in of %(username)s on %(when)s from %(address)s") % {
        "username": failure.username,
        "when": _when(failure.attempt_time),
        "address": failure.ip_address,
    }


def _access_log_name(access: AccessLog) -> str:
    return gettext("Sign-in of %(username)s on %(when)s") % {
        "username": access.username,
        "when": _when(access.attempt_time),
    }


AccessAttempt.__str__ = _access_attempt_name
AccessFailureLog.__str__ = _access_failure_name
AccessLog.__str__ = _access_log_name
