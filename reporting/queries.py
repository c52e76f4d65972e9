"""Read-side helpers of the reporting app: which SLAs a month concerns, trends over months."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from leads.models import FollowUp, LeadEvent
from reporting import compliance
from reporting.models import MonthlyReport
from slas.models import SLA

SIGNED_STATUSES = [SLA.Status.ACTIVE, SLA.Status.SUPERSEDED, SLA.Status.EXPIRED]


def slas_active_in(month: dt.date) -> QuerySet[SLA]:
    """SLAs in force on at least one day of ``month`` (signed, covering it, not yet superseded)."""
    first = compliance.month_start(month)
    last = compliance.next_month(first) - dt.timedelta(days=1)
    return SLA.objects.filter(
        status__in=SIGNED_STATUSES,
        start_date__lte=last,
        end_date__gte=first,
    ).filter(Q(superseded_on__isnull=True) | Q(superseded_on__gt=first))


def is_active_in(sla: SLA, month: dt.date) -> bool:
    return slas_active_in(month).filter(pk=sla.pk).exists()


def months_back(month: dt.date, count: int) -> list[dt.date]:
    """``count`` month starts ending with ``month``, oldest first."""
    months = [compliance.month_start(month)]
    for _ in range(count - 1):
        months.append((months[-1] - dt.timedelta(days=1)).replace(day=1))
    return list(reversed(months))


def trend(
    sla: SLA,
    *,
    months: int = 12,
    now: dt.datetime | None = None,
    current: dict | None = None,
    until: dt.date | None = None,
) -> dict:
    """The ``months`` months up to ``until`` (default: the current month) per commitment:
    stored reports of the SLA's series (all its versions) plus, when the window reaches the
    current month, a live computation of it (``current`` if the caller already has it).

    ``{"labels": ["2026-01", …], "series": {key: {"actual": […], "target": […], "status": […]}}}``;
    a month without a report has ``None``.
    """
    now = now or timezone.now()
    this_month = compliance.current_month(sla, now)
    last = min(compliance.month_start(until), this_month) if until else this_month
    window = months_back(last, months)
    scope = Q(sla=sla) if sla.series is None else Q(sla__series=sla.series)
    stored = {
        report.month: report.data
        for report in MonthlyReport.objects.filter(
            scope, month__gte=window[0], month__lte=last, month__lt=this_month
        ).order_by("month", "sla__version")
    }
    if (
        last == this_month
        and current is None
        and sla.start_date <= compliance.next_month(this_month) - dt.timedelta(days=1)
    ):
        current = compliance.compute(sla, this_month, now=now)
    if last == this_month and current is not None:
        stored[this_month] = current
    keys = [c.key for c in sla.commitments.all()]
    series: dict[str, dict[str, list]] = {key: {"actual": [], "target": [], "status": []} for key in keys}
    for month in window:
        by_key = {c["key"]: c for c in stored.get(month, {}).get("commitments", [])}
        for key in keys:
            row = by_key.get(key, {})
            series[key]["actual"].append(row.get("actual"))
            series[key]["target"].append(row.get("target"))
            series[key]["status"].append(row.get("status"))
    return {"labels": [f"{month:%Y-%m}" for month in window], "series": series}


def owner_breakdown(sla: SLA, month: dt.date, now: dt.datetime | None = None) -> list[dict]:
    """Per sales owner: first contacts and attempt windows due in the month, and how many met.

    One grouped query; rows without an owner are grouped under ``None``.
    """
    start, end = compliance.month_bounds(sla, month)
    cutoff = min(now or timezone.now(), end)
    on_time = Q(done_on_time=True, done_at__lte=F("due_at"))
    first = Q(kind=FollowUp.Kind.FIRST_CONTACT)
    attempts = Q(kind=FollowUp.Kind.CONTACT_ATTEMPTS)
    rows = (
        FollowUp.objects.filter(sla=sla, due_at__gte=start, due_at__lt=cutoff)
        .exclude(status=FollowUp.Status.CANCELLED)
        .values("owner_user", "owner_user__username", "owner_user__first_name", "owner_user__last_name")
        .annotate(
            first_contact_due=Count("pk", filter=first),
            first_contact_met=Count("pk", filter=first & on_time),
            attempts_due=Count("pk", filter=attempts),
            attempts_met=Count("pk", filter=attempts & on_time),
            total=Count("pk"),
        )
        .order_by("owner_user__username")
    )
    result = []
    for row in rows:
        # No owner user (a team-owned follow-up): the template shows "Unassigned".
        parts = (row["owner_user__first_name"] or "", row["owner_user__last_name"] or "")
        row["name"] = " ".join(parts).strip() or row["owner_user__username"] or ""
        row["first_contact_rate"] = compliance.percent(row["first_contact_met"], row["first_contact_due"])
        row["attempts_rate"] = compliance.percent(row["attempts_met"], row["attempts_due"])
        result.append(row)
    return result


def month_events(sla: SLA, month: dt.date, now: dt.datetime | None = None):
    start, end = compliance.month_bounds(sla, month)
    cutoff = min(now or timezone.now(), end)
    return (
        LeadEvent.objects.filter(compliance.event_scope(sla), occurred_at__gte=start, occurred_at__lt=cutoff)
        .select_related("lead", "actor")
        .order_by("occurred_at", "pk")
    )


def late_entries(sla: SLA, month: dt.date, limit: int = 100):
    """Events of the month recorded more than 24 h after they occurred."""
    return month_events(sla, month).filter(is_late_entry=True)[:limit]


def returns_without_feedback(sla: SLA, month: dt.date, limit: int = 100):
    """Leads returned to marketing in the month without feedback (against the sales side)."""
    return month_events(sla, month).filter(kind=LeadEvent.Kind.RETURNED).exclude(payload__has_feedback=True)[:limit]
