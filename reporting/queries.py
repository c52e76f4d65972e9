"""Read-side helpers of the reporting app: which SLAs a month concerns, trends over months."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q, QuerySet
from django.utils import timezone

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


def trend(sla: SLA, *, months: int = 12, now: dt.datetime | None = None, current: dict | None = None) -> dict:
    """The last ``months`` months per commitment: stored reports of the SLA's series (all
    its versions) plus a live computation of the current month.

    ``{"labels": ["2026-01", …], "series": {key: {"actual": […], "target": […], "status": […]}}}``;
    a month without a report has ``None``.
    """
    now = now or timezone.now()
    this_month = compliance.current_month(sla, now)
    window = months_back(this_month, months)
    scope = Q(sla=sla) if sla.series is None else Q(sla__series=sla.series)
    stored = {
        report.month: report.data
        for report in MonthlyReport.objects.filter(scope, month__gte=window[0], month__lt=this_month).order_by(
            "month", "sla__version"
        )
    }
    if current is None and sla.start_date <= compliance.next_month(this_month) - dt.timedelta(days=1):
        current = compliance.compute(sla, this_month, now=now)
    if current is not None:
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
