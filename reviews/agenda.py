"""The review's agenda, built from the data — never typed.

``build(review)`` reads the closed month's report (or computes it), the items behind each miss
(``reporting.queries``), MQL quality, sales feedback, late entries, the current month's at-risk
commitments, the open action items of earlier reviews and the participants' own points, and returns
a plain JSON-able dict. The review page renders it live while the review is open; closing the
review freezes it into the minutes. A section appears only when it has content.

Shape: ``{"month", "as_of", "report", "planner_rates", "sections": [{"key", …}, …]}``; section keys
are ``scorecard``, ``miss:<commitment key>``, ``mql_quality``, ``sales_feedback``, ``late_entries``,
``at_risk``, ``action_items`` and ``points`` (docs/reviews.md lists their fields and queries). The
same keys name the agenda items notes and decisions are attached to (plus ``other``).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from leads.models import FollowUp
from reporting import compliance, queries
from reporting.models import MonthlyReport
from slas.clock import Month
from slas.models import CommitmentKey

from .models import ActionItem, AgendaPoint, Review

OTHER = "other"
SECTION_TITLES = {
    "scorecard": _("Scorecard of the month"),
    "mql_quality": _("MQL quality"),
    "sales_feedback": _("Sales feedback to marketing"),
    "late_entries": _("Late entries"),
    "at_risk": _("At risk this month"),
    "action_items": _("Action items from earlier reviews"),
    "points": _("Points from the participants"),
    OTHER: _("Other business"),
}


def section_title(key: str) -> str:
    if key.startswith("miss:"):
        commitment = key.split(":", 1)[1]
        try:
            label = CommitmentKey(commitment).label
        except ValueError:
            label = commitment
        return str(_("Missed: %(commitment)s") % {"commitment": label})
    return str(SECTION_TITLES.get(key, key))


def item_choices(agenda: dict) -> list[tuple[str, str]]:
    """(key, title) of the agenda items a note or a decision may be attached to."""
    return [(section["key"], section_title(section["key"])) for section in agenda["sections"]] + [
        (OTHER, section_title(OTHER))
    ]


def person(user) -> dict | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.get_username()}


def lead_data(lead) -> dict | None:
    if lead is None:
        return None
    return {"id": lead.pk, "name": lead.display_name, "company": lead.company}


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _previous_data(review: Review) -> dict | None:
    previous = (
        MonthlyReport.objects.current()
        .filter(series=review.series, month=Month.of(review.month).previous().first_day)
        .first()
    )
    return previous.data if previous is not None else None


def _month_data(review: Review, now: dt.datetime) -> tuple[dict | None, MonthlyReport | None]:
    """The closed month's figures: the stored report, or computed by the engine when it has none."""
    report = MonthlyReport.objects.current().filter(series=review.series, month=review.month).first()
    if report is not None:
        return report.data, report
    try:
        return compliance.compute(review.sla, review.month, now=now), None
    except (compliance.MonthNotStarted, compliance.NotInForce):
        return None, None


def _scorecard(data: dict, previous: dict | None) -> dict:
    before = {row["key"]: row for row in (previous or {}).get("commitments", [])}
    rows = []
    for row in data.get("commitments", []):
        old = before.get(row["key"], {})
        change = None
        if row.get("actual") is not None and old.get("actual") is not None:
            change = round(float(row["actual"]) - float(old["actual"]), 2)
        rows.append(
            {
                "key": row["key"],
                "side": row["side"],
                "unit": row.get("unit"),
                "target": row.get("target"),
                "actual": row.get("actual"),
                "status": row["status"],
                "previous_actual": old.get("actual"),
                "previous_status": old.get("status"),
                "change": change,
            }
        )
    return {
        "key": "scorecard",
        "overall": data.get("overall", {}),
        "previous_overall": (previous or {}).get("overall"),
        "currency": data.get("currency", ""),
        "rows": rows,
    }


def _miss_items(key: str, rows: list) -> list[dict]:
    """The rows a selector of ``reporting.queries.MISSED_ITEMS`` returned, as plain dicts."""
    items = []
    for row in rows:
        if key == "handoff_response":
            items.append(
                {
                    "lead": lead_data(row.lead),
                    "owner": person(row.decided_by),
                    "team": row.to_team.name,
                    "due_at": _iso(row.decision_due_at),
                    "done_at": _iso(row.decided_at),
                }
            )
        elif key in ("first_contact", "contact_attempts"):
            items.append(
                {
                    "lead": lead_data(row.lead),
                    "owner": person(row.owner_user),
                    "team": row.owner_team.name,
                    "due_at": _iso(row.due_at),
                    "done_at": _iso(row.done_at),
                }
            )
        elif key == "mql_acceptance_rate":
            items.append(
                {
                    "lead": lead_data(row.lead),
                    "owner": person(row.decided_by),
                    "done_at": _iso(row.decided_at),
                    "reason": row.reason,
                }
            )
        else:  # return_feedback: the RETURNED events
            items.append({"lead": lead_data(row.lead), "owner": person(row.actor), "done_at": _iso(row.occurred_at)})
    return items


def _misses(review: Review, data: dict) -> list[dict]:
    sections = []
    for row in data.get("commitments", []):
        if row["status"] != "missed":
            continue
        selector = queries.MISSED_ITEMS.get(row["key"])
        items, total = [], 0
        if selector is not None:
            rows, total = selector(review.sla, review.month)
            items = _miss_items(row["key"], rows)
        sections.append(
            {
                "key": f"miss:{row['key']}",
                "commitment": row["key"],
                "side": row["side"],
                "unit": row.get("unit"),
                "target": row.get("target"),
                "actual": row.get("actual"),
                "basis": row.get("basis"),
                "total": total,
                "items": items,
            }
        )
    return sections


def _mql_quality(review: Review) -> dict | None:
    reasons = queries.rejection_reasons(review.sla, review.month)
    channels = queries.acceptance_by_channel(review.sla, review.month)
    if not reasons and not channels:
        return None
    accepted = sum(row["accepted"] for row in channels)
    rejected = sum(row["rejected"] for row in channels)
    return {
        "key": "mql_quality",
        "accepted": accepted,
        "rejected": rejected,
        "rate": compliance.rounded(compliance.percent(accepted, accepted + rejected)),
        "reasons": reasons,
        "channels": channels,
    }


def _sales_feedback(review: Review) -> dict | None:
    notes, notes_total = queries.sales_feedback_notes(review.sla, review.month)
    returns, returns_total = queries.returns_with_feedback(review.sla, review.month)
    if not notes_total and not returns_total:
        return None
    return {
        "key": "sales_feedback",
        "activities_total": notes_total,
        "activities": [
            {
                "lead": lead_data(activity.lead),
                "kind": activity.kind,
                "outcome": activity.outcome,
                "note": activity.note,
                "by": person(activity.actor),
                "occurred_at": _iso(activity.occurred_at),
            }
            for activity in notes
        ],
        "returns_total": returns_total,
        "returns": [
            {
                "lead": lead_data(event.lead),
                "feedback": event.reason,
                "by": person(event.actor),
                "occurred_at": _iso(event.occurred_at),
            }
            for event in returns
        ],
    }


def _late_entries(review: Review) -> dict | None:
    rows, total = queries.late_entry_items(review.sla, review.month)
    if not total:
        return None
    return {
        "key": "late_entries",
        "total": total,
        "items": [
            {
                "lead": lead_data(event.lead),
                "kind": event.kind,
                "by": person(event.actor),
                "occurred_at": _iso(event.occurred_at),
                "recorded_at": _iso(event.recorded_at),
            }
            for event in rows
        ],
    }


def _at_risk(review: Review, now: dt.datetime) -> dict | None:
    """The commitments at risk in the current month, with their projection (the trend so far)."""
    current = review.sla.current_month(now)
    if current.first_day <= review.month:
        return None
    try:
        status = compliance.compute(review.sla, current, now=now)
    except (compliance.MonthNotStarted, compliance.NotInForce):
        return None
    rows = [
        {
            "key": row["key"],
            "side": row["side"],
            "unit": row["unit"],
            "target": row["target"],
            "actual": row["actual"],
            "projected": row["projected"],
        }
        for row in status["commitments"]
        if row["status"] == "at_risk"
    ]
    if not rows:
        return None
    return {
        "key": "at_risk",
        "month": status["month"],
        "business_days": status["business_days"],
        "currency": status.get("currency", ""),
        "rows": rows,
    }


def _action_items(review: Review) -> dict | None:
    """Action items of the series' earlier reviews: still open, or done since the last review closed."""
    earlier = Review.objects.of_series(review.series).filter(scheduled_at__lt=review.scheduled_at).exclude(pk=review.pk)
    last_closed = earlier.closed().order_by("-closed_at").values_list("closed_at", flat=True).first()
    done_since = Q(followup__status=FollowUp.Status.DONE)
    if last_closed is not None:
        done_since &= Q(followup__done_at__gte=last_closed)
    rows = (
        ActionItem.objects.filter(review__in=earlier)
        .filter(Q(followup__status=FollowUp.Status.OPEN) | done_since)
        .select_related("review", "owner", "lead", "followup")
        .order_by("followup__status", "due_date", "pk")[: queries.ITEMS_LIMIT * 2]
    )
    items = [
        {
            "id": item.pk,
            "title": item.title,
            "owner": person(item.owner),
            "due_date": item.due_date.isoformat(),
            "status": item.followup.status,
            "done_at": _iso(item.followup.done_at),
            "done_on_time": item.followup.done_on_time,
            "lead": lead_data(item.lead),
            "review": {"id": item.review_id, "month": f"{item.review.month:%Y-%m}"},
        }
        for item in rows
    ]
    if not items:
        return None
    return {"key": "action_items", "items": items}


def _points(review: Review) -> dict | None:
    points = AgendaPoint.objects.filter(review=review).select_related("author")
    items = [{"id": p.pk, "by": person(p.author), "text": p.text, "created_at": _iso(p.created_at)} for p in points]
    return {"key": "points", "items": items} if items else None


def build(review: Review, *, now: dt.datetime | None = None) -> dict:
    """The agenda of ``review`` as of ``now`` (see the module docstring)."""
    now = now or timezone.now()
    data, report = _month_data(review, now)
    sections: list[dict] = []
    if data and data.get("commitments"):
        sections.append(_scorecard(data, _previous_data(review)))
        sections.extend(_misses(review, data))
    for section in (
        _mql_quality(review),
        _sales_feedback(review),
        _late_entries(review),
        _at_risk(review, now),
        _action_items(review),
        _points(review),
    ):
        if section is not None:
            sections.append(section)
    rates = (data or {}).get("funnel", {}).get("conversion_rates", {})
    return {
        "month": f"{review.month:%Y-%m}",
        "as_of": now.isoformat(),
        "report": report.pk if report is not None else None,
        "currency": (data or {}).get("currency") or review.sla.currency,
        "planner_rates": {key: value for key, value in rates.items() if value is not None},
        "sections": sections,
    }


def parse_times(value):
    """A copy of an agenda (or part of one) whose ``*_at`` ISO times are aware datetimes, for templates."""
    if isinstance(value, dict):
        return {
            key: _parse(item) if key.endswith("_at") and isinstance(item, str) else parse_times(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [parse_times(item) for item in value]
    return value


def _parse(text: str):
    parsed = parse_datetime(text)
    return parsed if parsed is not None else text
