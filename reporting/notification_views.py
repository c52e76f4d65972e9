"""Pages of the notification log, the report unsubscribe link and the private calendar feed."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from leads.models import FollowUp
from slas import permissions
from slas.models import SLA, Profile

from .emails import UNSUBSCRIBE_SALT
from .models import Notification
from .notifications.monthly import report_recipients
from .services import notifications_mark_read, report_subscription_set

UNSUBSCRIBE_MAX_AGE = 365 * 24 * 3600


class NotificationFilter(django_filters.FilterSet):
    """Filters shared by the notification log page and the API."""

    kind = django_filters.ChoiceFilter(
        choices=Notification.Kind.choices, empty_label=_lazy("Any"), widget=forms.Select(attrs={"class": "form-select"})
    )
    status = django_filters.ChoiceFilter(
        choices=Notification.Status.choices,
        empty_label=_lazy("Any"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    class Meta:
        model = Notification
        fields = ["kind", "status"]


def sees_all_notifications(user) -> bool:
    return permissions.is_admin(user) or permissions.is_viewer(user) or permissions.is_any_manager(user)


def visible_notifications(user):
    queryset = Notification.objects.select_related("recipient").order_by("-created_at", "-pk")
    return queryset if sees_all_notifications(user) else queryset.filter(recipient=user)


def _reverse_or_none(name: str, pk) -> str | None:
    try:
        return reverse(name, args=[pk]) if isinstance(pk, int) else None
    except NoReverseMatch:
        return None


def notification_links(notifications) -> dict[int, str]:
    """The page each notification is about (its report, review, SLA, or the lead of its follow-up),
    for a page of notifications in two queries at most, whatever its length."""
    followups = [n.payload.get("followup") for n in notifications if isinstance(n.payload, dict)]
    lead_of = dict(FollowUp.objects.filter(pk__in=[pk for pk in followups if pk]).values_list("pk", "lead_id"))
    links = {}
    for notification in notifications:
        payload = notification.payload if isinstance(notification.payload, dict) else {}
        link = (
            _reverse_or_none("reporting:report_detail", payload.get("report"))
            or _reverse_or_none("reviews:detail", payload.get("review"))
            or _reverse_or_none("leads:detail", lead_of.get(payload.get("followup")))
            or _reverse_or_none("slas:detail", payload.get("sla"))
        )
        if link is None and notification.kind == Notification.Kind.DIGEST:
            link = reverse("leads:followups")
        if link:
            links[notification.pk] = link
    return links


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    """The notifications centre: one's own notifications, unread first marked, each linking to what
    it is about (managers, viewers and administrators may also read everyone's, as a log)."""
    everyone = sees_all_notifications(request.user) and request.GET.get("scope") == "all"
    queryset = visible_notifications(request.user) if everyone else _mine(request.user)
    if request.GET.get("unread"):
        queryset = queryset.filter(read_at__isnull=True, recipient=request.user)
    filterset = NotificationFilter(request.GET, queryset=queryset)
    page = Paginator(filterset.qs, 50).get_page(request.GET.get("page"))
    links = notification_links(page.object_list)
    for notification in page.object_list:
        notification.link = links.get(notification.pk)
    return render(
        request,
        "notifications/list.html",
        {
            "filter": filterset,
            "page": page,
            "sees_all": sees_all_notifications(request.user),
            "everyone": everyone,
            "unread_only": bool(request.GET.get("unread")),
        },
    )


def _mine(user):
    return Notification.objects.filter(recipient=user).select_related("recipient").order_by("-created_at", "-pk")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one of one's notifications as read (someone else's is a 404, not a change)."""
    if not Notification.objects.filter(pk=pk, recipient=request.user).exists():
        raise Http404
    notifications_mark_read(user=request.user, pks=[pk])
    messages.success(request, _("Notification marked as read."))
    return redirect(_back(request))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_read(user=request.user)
    messages.success(
        request,
        ngettext("%(count)d notification marked as read.", "%(count)d notifications marked as read.", count)
        % {"count": count},
    )
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """Back to the list the person was reading (a local path only)."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}) and target.startswith("/"):
        return target
    return reverse("notifications:list")


@csrf_exempt  # RFC 8058 one-click: the mail provider POSTs without a session; the signed token is the credential
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop one SLA's monthly report for the signed (user, SLA series); GET asks, POST does it.

    Managers may unsubscribe too: their choice is kept (``report_recipients``), so the page only
    says "done" when it is.
    """
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.BadSignature as exc:
        raise Http404(_("This unsubscribe link is invalid or has expired.")) from exc
    user = get_user_model().objects.filter(pk=data.get("u"), is_active=True).first()
    sla = SLA.objects.filter(series=data.get("s")).order_by("-version").first()
    if user is None or sla is None:
        raise Http404(_("This unsubscribe link is invalid or has expired."))
    done = request.method == "POST"
    if done:
        report_subscription_set(user=user, series=sla.series, subscribed=False)
        done = not report_recipients(sla).filter(pk=user.pk).exists()
    return render(
        request, "notifications/unsubscribe.html", {"done": done, "sla": sla, "asked": request.method == "POST"}
    )


def email_kinds(user) -> list[dict]:
    """Every e-mail the product sends, with its frequency for ``user`` (the preference page)."""
    profile = Profile.for_user(user)
    digest = profile.alert_mode == Profile.AlertMode.DIGEST
    alerts = _("Once a day at 08:00, in the daily digest") if digest else _("As it happens")
    return [
        {"kind": Notification.Kind.MONTHLY_REPORT.label, "frequency": _("Monthly, on the 1st at 06:00, per SLA")},
        {"kind": Notification.Kind.OVERDUE.label, "frequency": alerts},
        {"kind": Notification.Kind.ESCALATION.label, "frequency": alerts},
        {"kind": Notification.Kind.AT_RISK.label, "frequency": alerts},
        {
            "kind": Notification.Kind.DIGEST.label,
            "frequency": _("Daily at 08:00 when alerts are waiting")
            if digest
            else _("Not used: alerts come one by one"),
        },
        {"kind": Notification.Kind.REVIEW_INVITATION.label, "frequency": _("For each review you take part in")},
        {"kind": Notification.Kind.REVIEW_MINUTES.label, "frequency": _("For each review you take part in")},
    ]


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    """Which e-mails the user receives and how often; the monthly report of each SLA on or off."""
    slas = {
        sla.series: sla
        for sla in SLA.objects.signed().select_related("marketing_team", "sales_team").order_by("version")
    }
    if request.method == "POST":
        series = request.POST.get("series", "")
        action = request.POST.get("action")
        sla = next((sla for key, sla in slas.items() if str(key) == series), None)
        if sla is None or action not in ("subscribe", "unsubscribe"):
            messages.error(request, _("Choose an SLA and whether to receive its report."))
            return redirect("notifications:preferences")
        report_subscription_set(user=request.user, series=sla.series, subscribed=action == "subscribe")
        if action == "subscribe":
            messages.success(request, _("You will receive the monthly report of %(sla)s.") % {"sla": sla.title})
        else:
            messages.success(
                request, _("You will no longer receive the monthly report of %(sla)s.") % {"sla": sla.title}
            )
        return redirect("notifications:preferences")
    reports = [
        {"sla": sla, "series": series, "receives": report_recipients(sla).filter(pk=request.user.pk).exists()}
        for series, sla in sorted(slas.items(), key=lambda item: item[1].title)
    ]
    return render(
        request,
        "notifications/preferences.html",
        {"kinds": email_kinds(request.user), "reports": reports, "profile": Profile.for_user(request.user)},
    )


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
