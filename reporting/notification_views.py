"""Pages of the notification log, the report unsubscribe link and the private calendar feed."""

from __future__ import annotations

import django_filters
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from slas import permissions
from slas.models import Profile

from .emails import UNSUBSCRIBE_SALT
from .models import Notification, ReportSubscription

UNSUBSCRIBE_MAX_AGE = 365 * 24 * 3600


class NotificationFilter(django_filters.FilterSet):
    """Filters shared by the notification log page and the API."""

    kind = django_filters.ChoiceFilter(choices=Notification.Kind.choices)
    status = django_filters.ChoiceFilter(choices=Notification.Status.choices)

    class Meta:
        model = Notification
        fields = ["kind", "status"]


def sees_all_notifications(user) -> bool:
    return permissions.is_admin(user) or permissions.is_viewer(user) or permissions.is_any_manager(user)


def visible_notifications(user):
    queryset = Notification.objects.select_related("recipient").order_by("-created_at", "-pk")
    return queryset if sees_all_notifications(user) else queryset.filter(recipient=user)


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    filterset = NotificationFilter(request.GET, queryset=visible_notifications(request.user))
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"filter": filterset, "page": page, "sees_all": sees_all_notifications(request.user)},
    )


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop one SLA's monthly report for the signed (user, SLA series); GET shows, POST confirms."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404(_("This unsubscribe link is invalid or has expired.")) from exc
    done = request.method == "POST"
    if done:
        ReportSubscription.objects.update_or_create(
            user_id=data["u"], sla_series=data["s"], defaults={"unsubscribed": True}
        )
    return render(request, "notifications/unsubscribe.html", {"done": done})


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    from .calendar_feed import user_feed

    profile = Profile.objects.select_related("user").filter(calendar_token=token, user__is_active=True).first()
    if profile is None:
        raise Http404
    response = HttpResponse(user_feed(profile.user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="smarketing.ics"'
    return response


@login_required
def calendar_settings(request: HttpRequest) -> HttpResponse:
    profile = Profile.for_user(request.user)
    feed_url = request.build_absolute_uri(f"/calendar/{profile.calendar_token}.ics")
    return render(request, "notifications/calendar.html", {"feed_url": feed_url})


@login_required
@require_POST
def calendar_rotate(request: HttpRequest) -> HttpResponse:
    """Revoke the current feed URL: the old token stops working at once."""
    Profile.for_user(request.user).rotate_calendar_token()
    messages.success(request, _("Your calendar link was replaced; the old one no longer works."))
    return redirect("notifications:calendar")
