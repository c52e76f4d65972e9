from __future__ import annotations

from auditlog.admin import LogEntryAdmin
from auditlog.filters import ResourceTypeFilter
from auditlog.models import LogEntry
from axes import admin as axes_admin
from axes.models import AccessAttempt
from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.template.response import TemplateResponse
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


# --- The audit log: browsable and filterable by administrators, never changed or deleted -------

admin.site.unregister(LogEntry)


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


# django-axes' "clean up expired attempts" action fails outside a sign-in request (it reads an
# attribute only its middleware sets): a 500 in the admin. Attempts expire on their own
# (AXES_COOLOFF_TIME) and can be deleted; the action is left out.
admin.site.unregister(AccessAttempt)


@admin.register(AccessAttempt)
class AccessAttemptAdmin(axes_admin.AccessAttemptAdmin):
    actions = ["delete_selected"]
