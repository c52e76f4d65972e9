"""The monthly report schedule: which reports are due, who receives them, and queueing them once."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from slas.clock import Month
from slas.models import SLA, Membership

from ..models import MonthlyReport, Notification, ReportSubscription
from .outbox import notification_queue

MONTHLY_SEND_LOCAL_TIME = dt.time(6)


def report_month_due(now: dt.datetime, time_zone: str) -> dt.date:
    """The month whose report is due at ``now`` in ``time_zone``: the previous one from the 1st 06:00 local."""
    this_month = Month.containing(now, time_zone)
    local = now.astimezone(this_month.tz)
    started = local.day > 1 or local.time() >= MONTHLY_SEND_LOCAL_TIME
    return (this_month.previous() if started else this_month.shift(-2)).first_day


def monthly_reports_due(now: dt.datetime | None = None) -> list[tuple[SLA, dt.date]]:
    """(SLA, month) pairs, one per series, whose report must be computed and sent now and was not sent yet.

    A series is due, from its local 1st at 06:00, for the previous month if one of its versions was
    in force on any day of it. Candidates are the versions in force in either of the last two UTC
    months (time zones shift the boundary).
    """
    now = now or timezone.now()
    utc_month = Month.containing(now, "UTC")
    candidates = (
        SLA.objects.in_force_between(utc_month.shift(-2).first_day, utc_month.previous().last_day)
        .select_related("calendar")
        .order_by("series", "-version")
    )
    sent = set(
        MonthlyReport.objects.current()
        .filter(sent_at__isnull=False, month__gte=utc_month.shift(-3).first_day)
        .values_list("series", "month")
    )
    due, seen = [], set()
    for sla in candidates:
        month = report_month_due(now, sla.time_zone)
        key = (sla.series, month)
        if key in seen or key in sent:
            continue
        seen.add(key)
        if SLA.objects.filter(series=sla.series).in_force_during(sla.month(month)).exists():
            due.append((sla, month))
    return due


def report_recipients(sla: SLA):
    """Who receives the monthly report of ``sla``'s series: the managers of both teams and the
    series' subscribers, less everyone who unsubscribed (managers included: an unsubscribe is kept)."""
    managers = Membership.objects.filter(
        team_id__in=[sla.marketing_team_id, sla.sales_team_id], role=Membership.Role.MANAGER
    ).values("user_id")
    subscriptions = ReportSubscription.objects.filter(sla_series=sla.series)
    subscribers = subscriptions.filter(unsubscribed=False).values("user_id")
    unsubscribed = subscriptions.filter(unsubscribed=True).values("user_id")
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(pk__in=managers) | Q(pk__in=subscribers))
        .exclude(pk__in=unsubscribed)
        .select_related("profile")
        .order_by("pk")
    )


def monthly_report_recipients(report: MonthlyReport):
    """The recipients of ``report`` (``report_recipients`` of its SLA)."""
    return report_recipients(report.sla)


def monthly_report_get_or_compute(*, sla: SLA, month: dt.date, task_name: str = "") -> MonthlyReport:
    """The stored snapshot of ``sla``'s series for ``month``, computed by the compliance engine if missing."""
    report = MonthlyReport.objects.current().filter(series=sla.series, month=month).first()
    if report is not None:
        return report
    from reporting.services import report_compute

    return report_compute(sla=sla, month=month, task_name=task_name)


@transaction.atomic
def monthly_report_send(*, report: MonthlyReport) -> int:
    """Queue the report e-mail to each recipient once (unique rows); returns how many were newly queued."""
    report = MonthlyReport.objects.select_for_update().get(pk=report.pk)
    count = 0
    for recipient in monthly_report_recipients(report):
        created = notification_queue(
            kind=Notification.Kind.MONTHLY_REPORT,
            recipient=recipient,
            dedupe_key=f"report:{report.pk}",
            payload={"report": report.pk},
            subject=f"{report.sla.title} – {report.month:%Y-%m}",
        )
        count += created is not None
    if report.sent_at is None:
        report.sent_at = timezone.now()
        report.save(update_fields=["sent_at"])
    return count
