"""What the review pages, the minutes e-mail and the minutes PDF show: one shape, live or frozen.

An open review is shown from the data as it is now (``services.minutes_snapshot``); a closed one from
its frozen ``minutes``. ``decorate`` turns either into what templates need: section titles and
commitment labels in the current language, statuses with an icon and a word, times as datetimes,
notes grouped under their agenda item, decisions with their proposal in words.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from leads.models import Activity, FollowUp, LeadEvent
from reporting.display import SIDE_LABELS, STATUS_DISPLAY
from slas.models import CommitmentKey

from . import agenda as agenda_module
from . import services
from .models import Decision, Review

ACTIVITY_LABELS = dict(Activity.Kind.choices)
EVENT_LABELS = dict(LeadEvent.Kind.choices)
FOLLOWUP_STATUS = dict(FollowUp.Status.choices)


def _label(key: str) -> str:
    try:
        return str(CommitmentKey(key).label)
    except ValueError:
        return key


def _status(row: dict, field: str = "status") -> None:
    status = row.get(field)
    if status in STATUS_DISPLAY:
        label, icon, tone = STATUS_DISPLAY[status]
        prefix = "" if field == "status" else f"{field}_"
        row[f"{prefix}label_status"] = str(label)
        row[f"{prefix}icon"] = icon
        row[f"{prefix}tone"] = tone
        if field == "status":
            row["status_label"] = str(label)


def _commitment(row: dict) -> dict:
    row["label"] = _label(row.get("key") or row.get("commitment", ""))
    row["side_label"] = str(SIDE_LABELS.get(row.get("side"), row.get("side", "")))
    _status(row)
    if row.get("previous_status"):
        _status(row, "previous_status")
    return row


def proposal_summary(data: dict) -> str:
    """A decision's proposal in words, from its stored fields (the minutes keep fields, not text)."""
    if not data.get("proposal"):
        return ""
    value = data.get("proposed_value")
    try:
        value = Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        value = None
    decision = Decision(
        proposal=data["proposal"],
        commitment_key=data.get("commitment_key") or "",
        category=data.get("category"),
        proposed_value=value,
        proposed_owner_function=data.get("proposed_owner_function") or "",
    )
    return decision.proposal_summary()


def decorate(minutes: dict, *, live_items: dict | None = None) -> dict:
    """Template-ready copy of a minutes dict (see the module docstring).

    ``live_items``: action item id → its follow-up now, to show what became of it since closing.
    """
    data = agenda_module.parse_times(minutes)
    agenda = data["agenda"]
    notes_by_item: dict[str, list] = {}
    for note in data.get("notes", []):
        notes_by_item.setdefault(note["item"], []).append(note)
    decisions_by_item: dict[str, list] = {}
    for decision in data.get("decisions", []):
        decision["summary"] = proposal_summary(decision)
        decisions_by_item.setdefault(decision.get("item") or "", []).append(decision)
    for item in data.get("action_items", []):
        item["commitment_label"] = _label(item["commitment_key"]) if item.get("commitment_key") else ""
        item["due_date"] = dt.date.fromisoformat(item["due_date"])
        item["status_label"] = str(FOLLOWUP_STATUS.get(item["status"], item["status"]))
        followup = (live_items or {}).get(item["id"])
        if followup is not None and followup.status != item["status"]:
            item["now_status_label"] = str(FOLLOWUP_STATUS.get(followup.status, followup.status))
            item["now_done_at"] = followup.done_at
    for section in agenda["sections"]:
        key = section["key"]
        section["title"] = agenda_module.section_title(key)
        section["meeting_notes"] = notes_by_item.get(key, [])
        section["meeting_decisions"] = decisions_by_item.get(key, [])
        if key in ("scorecard", "at_risk"):
            for row in section["rows"]:
                _commitment(row)
        if key.startswith("miss:"):
            _commitment(section)
        if key == "sales_feedback":
            for activity in section["activities"]:
                activity["kind_label"] = str(ACTIVITY_LABELS.get(activity["kind"], activity["kind"]))
        if key == "late_entries":
            for item in section["items"]:
                item["kind_label"] = str(EVENT_LABELS.get(item["kind"], item["kind"]))
        if key == "action_items":
            for item in section["items"]:
                item["due_date"] = dt.date.fromisoformat(item["due_date"])
                item["status_label"] = str(FOLLOWUP_STATUS.get(item["status"], item["status"]))
    other = agenda_module.OTHER
    data["other"] = {
        "key": other,
        "title": agenda_module.section_title(other),
        "meeting_notes": notes_by_item.get(other, []),
        "meeting_decisions": decisions_by_item.get(other, []) + decisions_by_item.get("", []),
    }
    return data


def review_minutes(review: Review, *, now: dt.datetime | None = None) -> dict:
    """The decorated minutes of ``review``: frozen if closed, as of ``now`` if open."""
    if review.is_open:
        minutes = services.minutes_snapshot(review, by=None, now=now or timezone.now())
    else:
        minutes = review.minutes
    live = {item.pk: item.followup for item in review.action_items.select_related("followup")}
    return decorate(minutes, live_items=live)
