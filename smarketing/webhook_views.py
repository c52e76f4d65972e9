"""Web UI for webhook subscriptions and their delivery log (admins all, managers their own).

The signing secret is shown once, on the page that answers the creation or a rotation, and
never again: the detail and edit pages do not carry it.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from . import webhooks
from .models import WebhookSubscription
from .permissions import can_manage_webhooks


class WebhookForm(forms.Form):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=[(e, e) for e in webhooks.EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


def _require_manager(request) -> None:
    if not can_manage_webhooks(request.user):
        raise PermissionDenied(_("Only team managers and administrators manage webhooks."))


def _subscription(request, pk: int) -> WebhookSubscription:
    """One of the subscriptions the user manages; someone else's is a 404, not a 403."""
    _require_manager(request)
    return get_object_or_404(WebhookSubscription.objects.manageable_by(request.user), pk=pk)


def _apply_errors(form: forms.Form, error: ValidationError) -> None:
    for field, field_messages in error.message_dict.items():
        for message in field_messages:
            form.add_error(field if field in form.fields else None, message)


def _show_secret(request, sub: WebhookSubscription, secret: str, *, created: bool):
    response = render(request, "webhooks/secret.html", {"subscription": sub, "secret": secret, "created": created})
    response["Cache-Control"] = "no-store"
    return response


@login_required
def webhook_list(request):
    _require_manager(request)
    subscriptions = WebhookSubscription.objects.manageable_by(request.user).select_related("owner")
    return render(request, "webhooks/list.html", {"subscriptions": subscriptions})


@login_required
@never_cache
def webhook_edit(request, pk: int | None = None):
    sub = _subscription(request, pk) if pk else None
    _require_manager(request)
    initial = (
        {"url": sub.url, "events": sub.events, "description": sub.description, "is_active": sub.is_active}
        if sub
        else None
    )
    form = WebhookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if sub:
                sub = webhooks.webhook_subscription_update(subscription=sub, by=request.user, **data)
            else:
                sub = webhooks.webhook_subscription_create(by=request.user, **data)
                return _show_secret(request, sub, sub.secret, created=True)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("webhooks:detail", pk=sub.pk)
    return render(request, "webhooks/form.html", {"form": form, "subscription": sub})


@login_required
def webhook_detail(request, pk: int):
    sub = _subscription(request, pk)
    deliveries = sub.deliveries.all()[:100]
    return render(request, "webhooks/detail.html", {"subscription": sub, "deliveries": deliveries})


@login_required
@require_POST
def webhook_rotate(request, pk: int):
    sub, secret = webhooks.webhook_secret_rotate(subscription=_subscription(request, pk), by=request.user)
    return _show_secret(request, sub, secret, created=False)


@login_required
@require_POST
def webhook_test(request, pk: int):
    sub = _subscription(request, pk)
    webhooks.webhook_send_test(subscription=sub, by=request.user)
    messages.success(request, _("Test event queued."))
    return redirect("webhooks:detail", pk=sub.pk)


@login_required
@require_POST
def webhook_delete(request, pk: int):
    webhooks.webhook_subscription_delete(subscription=_subscription(request, pk), by=request.user)
    messages.success(request, _("Webhook deleted."))
    return redirect("webhooks:list")
