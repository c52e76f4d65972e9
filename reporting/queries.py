"""Read-side helpers of the reporting app: which SLAs a month concerns, trends over months.

Everything here follows the SLA's series (all its versions, SPEC §3): a report, a trend or a
list of a month's events reads the rows of every version.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, F, Q
from django.utils import timezone

from leads.models import FollowUp, LeadEvent
from reporting import compliance
from reporting.models import MonthlyReport
from slas.clock import Month
from slas.models import SLA


def is_active_in(sla: SLA, month: dt.date | Month) -> bool:
    """Whether a version of ``sla``'s series was in force on at least one day of ``month``."""
    month = compliance.as_month(sla, month)
    return SLA.objects.filter(series=sla.series).in_force_during(month).exists()


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
    this_month = sla.current_month(now)
    last = min(sla.month(until), this_month) if until else this_month
    window = last.back(months)
    stored = {
        report.month: report.data
        for report in MonthlyReport.objects.current().filter(
            series=sla.series,
            month__gte=window[0].first_day,
            month__lte=last.first_day,
            month__lt=this_month.first_day,
        )
    }
    if last == this_month and current is None and is_active_in(sla, this_month):
        current = compliance.compute(sla, this_month, now=now)
    if last == this_month and current is not None:
        stored[this_month.first_day] = current
    keys = [c.key for c in sla.commitments.all()]
    series: dict[str, dict[str, list]] = {key: {"actual": [], "target": [], "status": []} for key in keys}
    for month in window:
        by_key = {c["key"]: c for c in stored.get(month.first_day, {}).get("commitments", [])}
        for key in keys:
            row = by_key.get(key, {})
            series[key]["actual"].append(row.get("actual"))
            series[key]["target"].append(row.get("target"))
            series[key]["status"].append(row.get("status"))
    return {"labels": [month.label for month in window], "series": series}


def _month_scope(sla: SLA, month: dt.date, now: dt.datetime | None) -> tuple[list[int], dt.datetime, dt.datetime]:
    """The series' version ids and the month's [start, cutoff) in the SLA's time zone."""
    start, end = sla.month(month).bounds()
    return compliance.series_ids(sla), start, min(now or timezone.now(), end)


def owner_breakdown(sla: SLA, month: dt.date, now: dt.datetime | None = None) -> list[dict]:
    """Per sales owner: first contacts and attempt windows due in the month, and how many met.

    One grouped query over the series; rows without an owner are grouped under ``None``.
    """
    versions, start, cutoff = _month_scope(sla, month, now)
    on_time = Q(done_on_time=True, done_at__lte=F("due_at"))
    first = Q(kind=FollowUp.Kind.FIRST_CONTACT)
    attempts = Q(kind=FollowUp.Kind.CONTACT_ATTEMPTS)
    rows = (
        compliance.obligations_due(versions, start, cutoff)
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
        row["first_contact_rate"] = compliance.rounded(
            compliance.percent(row["first_contact_met"], row["first_contact_due"])
        )
        row["attempts_rate"] = compliance.rounded(compliance.percent(row["attempts_met"], row["attempts_due"]))
        result.append(row)
    return result


def month_events(sla: SLA, month: dt.date, now: dt.datetime | None = None):
    versions, start, cutoff = _month_scope(sla, month, now)
    return (
        LeadEvent.objects.filter(
            compliance.event_scope(versions, sla.marketing_team_id), occurred_at__gte=start, occurred_at__lt=cutoff
        )
        .select_related("lead", "actor")
        .order_by("occurred_at", "pk")
    )


def late_entries(sla: SLA, month: dt.date, limit: int = 100):
    """Events of the month recorded more than 24 h after they occurred."""
    return month_events(sla, month).filter(is_late_entry=True)[:limit]


def returns_without_feedback(sla: SLA, month: dt.date, limit: int = 100):
    """Leads returned to marketing in the month without feedback (against the sales side)."""
    return month_events(sla, month).filter(kind=LeadEvent.Kind.RETURNED).exclude(payload__has_feedback=True)[:limit]
