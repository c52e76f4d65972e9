"""Read-side helpers of the reporting app: which SLAs a month concerns, trends over months.

Everything here follows the SLA's series (all its versions, SPEC §3): a report, a trend or a
list of a month's events reads the rows of every version.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from leads.models import Activity, FollowUp, Handoff, LeadEvent
from reporting import compliance
from reporting.models import MonthlyReport
from slas.clock import Month
from slas.models import SLA


def is_active_in(sla: SLA, month: dt.date | Month) -> bool:
    """Whether a version of ``sla``'s series was in force on at least one day of ``month``."""
    month = compliance.as_month(sla, month)
    return SLA.objects.filter(series=sla.series).in_force_during(month).exists()


def series_start(sla: SLA) -> dt.date | None:
    """The first day any signed version of ``sla``'s series governed (``None`` before any signature)."""
    return SLA.objects.filter(series=sla.series).signed().aggregate(first=Min("start_date"))["first"]


def stored_reports(slas: list[SLA], *, months: int = 12, now: dt.datetime | None = None) -> list[MonthlyReport]:
    """The current stored reports ``trend`` reads for each of ``slas`` (default window), in one
    query: the dashboard passes them to ``trend(…, reports=…)`` instead of one query per SLA."""
    if not slas:
        return []
    now = now or timezone.now()
    this_months = [sla.current_month(now) for sla in slas]
    return list(
        MonthlyReport.objects.current().filter(
            series__in={sla.series for sla in slas},
            month__gte=min(month.back(months)[0].first_day for month in this_months),
            month__lt=max(month.first_day for month in this_months),
        )
    )


def trend(
    sla: SLA,
    *,
    months: int = 12,
    now: dt.datetime | None = None,
    current: dict | None = None,
    until: dt.date | None = None,
    from_start: bool = False,
    reports: list[MonthlyReport] | None = None,
) -> dict:
    """The ``months`` months up to ``until`` (default: the current month) per commitment:
    stored reports of the SLA's series (all its versions) plus, when the window reaches the
    current month, a live computation of it (``current`` if the caller already has it).
    ``from_start`` drops the months before the series' first version started (``series_start``):
    a report or its PDF does not list months in which no SLA existed.

    ``{"labels": ["2026-01", …], "series": {key: {"actual": […], "target": […], "status": […]}}}``;
    a month without a report has ``None``. ``reports``: the stored reports already read
    (``stored_reports``, any series; those of this window are picked), else one query.
    """
    now = now or timezone.now()
    this_month = sla.current_month(now)
    last = min(sla.month(until), this_month) if until else this_month
    window = last.back(months)
    if from_start:
        first = series_start(sla)
        window = [month for month in window if first is None or month.last_day >= first] or [last]
    if reports is None:
        reports = MonthlyReport.objects.current().filter(
            series=sla.series,
            month__gte=window[0].first_day,
            month__lte=last.first_day,
            month__lt=this_month.first_day,
        )
    stored = {
        report.month: report.data
        for report in reports
        if report.series == sla.series
        and window[0].first_day <= report.month <= last.first_day
        and report.month < this_month.first_day
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
    return late_entry_items(sla, month, limit=limit)[0]


def returns_without_feedback(sla: SLA, month: dt.date, limit: int = 100):
    """Leads returned to marketing in the month without feedback (against the sales side)."""
    return returns_without_feedback_items(sla, month, limit=limit)[0]


# --- The items behind a month's misses ------------------------------------------------------
#
# Each selector reads one SLA series (every version) and one month, with the month's bounds in the
# WHERE clause, joins what it shows (no query per row) and returns at most ``limit`` rows plus the
# total: ``(rows, total)``. The review's agenda and the monthly e-mail show them under each missed
# commitment, linked to the leads.

ITEMS_LIMIT = 20


def _limited(queryset, limit: int) -> tuple[list, int]:
    rows = list(queryset[:limit])
    total = len(rows) if len(rows) < limit else queryset.count()
    return rows, total


def handoffs_decided_late(sla: SLA, month: dt.date, *, limit: int = ITEMS_LIMIT) -> tuple[list[Handoff], int]:
    """Handoffs whose decision was due in the month and was not taken by then (``handoff_response``)."""
    versions, start, cutoff = _month_scope(sla, month, None)
    late = (
        Handoff.objects.filter(sla_id__in=versions, decision_due_at__gte=start, decision_due_at__lt=cutoff)
        .filter(Q(decided_at__isnull=True) | Q(decided_at__gt=F("decision_due_at")))
        .select_related("lead", "to_team", "decided_by")
        .order_by("decision_due_at", "pk")
    )
    return _limited(late, limit)


def _obligations_missed(sla: SLA, month: dt.date, kind: str, limit: int) -> tuple[list[FollowUp], int]:
    versions, start, cutoff = _month_scope(sla, month, None)
    missed = (
        compliance.obligations_due(versions, start, cutoff)
        .filter(kind=kind)
        .exclude(done_on_time=True, done_at__lte=F("due_at"))
        .select_related("lead", "owner_user", "owner_team")
        .order_by("due_at", "pk")
    )
    return _limited(missed, limit)


def first_contacts_late(sla: SLA, month: dt.date, *, limit: int = ITEMS_LIMIT) -> tuple[list[FollowUp], int]:
    """Accepted leads whose first contact was due in the month and not made by then (``first_contact``)."""
    return _obligations_missed(sla, month, FollowUp.Kind.FIRST_CONTACT, limit)


def contact_windows_missed(sla: SLA, month: dt.date, *, limit: int = ITEMS_LIMIT) -> tuple[list[FollowUp], int]:
    """Attempt windows that closed in the month without the K attempts (``contact_attempts``)."""
    return _obligations_missed(sla, month, FollowUp.Kind.CONTACT_ATTEMPTS, limit)


def late_entry_items(sla: SLA, month: dt.date, *, limit: int = ITEMS_LIMIT) -> tuple[list[LeadEvent], int]:
    """Events of the month recorded more than 24 h after they occurred (``LATE_ENTRY_AFTER``)."""
    return _limited(month_events(sla, month).filter(is_late_entry=True), limit)


def returns_without_feedback_items(
    sla: SLA, month: dt.date, *, limit: int = ITEMS_LIMIT
) -> tuple[list[LeadEvent], int]:
    """Leads returned to marketing in the month without feedback (``return_feedback``)."""
    returns = month_events(sla, month).filter(kind=LeadEvent.Kind.RETURNED).exclude(payload__has_feedback=True)
    return _limited(returns, limit)


def rejected_mqls(sla: SLA, month: dt.date, *, limit: int = ITEMS_LIMIT) -> tuple[list[Handoff], int]:
    """Handoffs rejected by sales in the month, with their reason (``mql_acceptance_rate``)."""
    versions, start, cutoff = _month_scope(sla, month, None)
    rejected = (
        Handoff.objects.filter(
            sla_id__in=versions, status=Handoff.Status.REJECTED, decided_at__gte=start, decided_at__lt=cutoff
        )
        .select_related("lead", "decided_by")
        .order_by("decided_at", "pk")
    )
    return _limited(rejected, limit)


# Commitment key → the selector of the items behind its miss (volumes and revenue have none).
MISSED_ITEMS = {
    "handoff_response": handoffs_decided_late,
    "first_contact": first_contacts_late,
    "contact_attempts": contact_windows_missed,
    "return_feedback": returns_without_feedback_items,
    "mql_acceptance_rate": rejected_mqls,
}


# --- MQL quality and sales feedback ------------------------------------------------------------


def rejection_reasons(sla: SLA, month: dt.date, *, limit: int = 10) -> list[dict]:
    """MQLs rejected in the month grouped by reason (case and spaces ignored), most frequent first:
    ``[{"reason", "count"}]`` in one grouped query."""
    versions, start, cutoff = _month_scope(sla, month, None)
    rows = (
        Handoff.objects.filter(
            sla_id__in=versions, status=Handoff.Status.REJECTED, decided_at__gte=start, decided_at__lt=cutoff
        )
        .annotate(normalised=Lower(Trim("reason")))
        .values("normalised")
        .annotate(reason=Min("reason"), count=Count("pk"))
        .order_by("-count", "normalised")[:limit]
    )
    return [{"reason": row["reason"].strip(), "count": row["count"]} for row in rows]


def acceptance_by_channel(sla: SLA, month: dt.date) -> list[dict]:
    """Handoffs decided in the month per lead channel and source: accepted, rejected and the
    acceptance rate (%), most rejections first — one grouped query."""
    versions, start, cutoff = _month_scope(sla, month, None)
    rows = (
        Handoff.objects.filter(sla_id__in=versions, decided_at__gte=start, decided_at__lt=cutoff)
        .values("lead__channel", "lead__source")
        .annotate(
            accepted=Count("pk", filter=Q(status=Handoff.Status.ACCEPTED)),
            rejected=Count("pk", filter=Q(status=Handoff.Status.REJECTED)),
        )
        .order_by("-rejected", "lead__channel", "lead__source")
    )
    return [
        {
            "channel": row["lead__channel"],
            "source": row["lead__source"],
            "accepted": row["accepted"],
            "rejected": row["rejected"],
            "rate": compliance.rounded(compliance.percent(row["accepted"], row["accepted"] + row["rejected"])),
        }
        for row in rows
        if row["accepted"] + row["rejected"]
    ]


def _series_leads(versions: list[int]) -> Q:
    """Leads marketing brought to the series: handed off or taken temporarily under one of its versions."""
    handed = Handoff.objects.filter(lead=OuterRef("lead"), sla_id__in=versions)
    taken = LeadEvent.objects.filter(lead=OuterRef("lead"), kind=LeadEvent.Kind.TAKEN, sla_id__in=versions)
    return Q(Exists(handed)) | Q(Exists(taken))


def sales_feedback_notes(sla: SLA, month: dt.date, *, limit: int = ITEMS_LIMIT) -> tuple[list[Activity], int]:
    """Meeting and call notes sales logged in the month on leads marketing generated for the series."""
    versions, start, cutoff = _month_scope(sla, month, None)
    notes = (
        Activity.objects.filter(
            occurred_at__gte=start,
            occurred_at__lt=cutoff,
            side="sales",
            kind__in=[Activity.Kind.MEETING, Activity.Kind.CALL],
        )
        .exclude(note="")
        .filter(_series_leads(versions))
        .select_related("lead", "actor")
        .order_by("occurred_at", "pk")
    )
    return _limited(notes, limit)


def returns_with_feedback(sla: SLA, month: dt.date, *, limit: int = ITEMS_LIMIT) -> tuple[list[LeadEvent], int]:
    """Leads returned to marketing in the month with sales' feedback (``reason``)."""
    returns = month_events(sla, month).filter(kind=LeadEvent.Kind.RETURNED, payload__has_feedback=True)
    return _limited(returns, limit)
