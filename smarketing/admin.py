from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .models import ApiToken, Job, WebhookDelivery, WebhookSubscription, WorkerHeartbeat


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


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["url", "is_active", "created_by", "created_at"]
    list_filter = ["is_active"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [WebhookDeliveryInline]
