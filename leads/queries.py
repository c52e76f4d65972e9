"""Read-side helpers of the leads app."""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import QuerySet

from .models import FollowUp, Lead, LeadEvent


def followups_for(user, *, mine: bool = False, overdue: bool = False, status: str | None = None) -> QuerySet:
    """Follow-ups for the lists and the API: optionally only "mine" (``FollowUp.objects.mine``),
    only the overdue ones (``FollowUp.objects.overdue``) or those of one status."""
    queryset = FollowUp.objects.select_related("lead", "owner_team", "owner_user").with_overdue_flag()
    if mine:
        queryset = queryset.mine(user)
    if overdue:
        queryset = queryset.overdue()
    elif status:
        queryset = queryset.filter(status=status)
    return queryset


def capture_changes(lead: Lead, event: LeadEvent) -> dict:
    """What a "captured again" event did and proposed, with field labels, for the timeline.

    ``filled``: blank fields it filled; ``proposed``: the values it brought that differ from
    filled fields, each ``pending`` while the lead does not hold it (it can still be applied).
    """

    def label(field: str):
        try:
            return Lead._meta.get_field(field).verbose_name
        except FieldDoesNotExist:
            return field

    proposed = []
    for field, change in (event.payload.get("proposed") or {}).items():
        try:
            value = Lead._meta.get_field(field).to_python(change.get("new"))
        except (FieldDoesNotExist, ValidationError):  # a field or value the model no longer has
            continue
        proposed.append(
            {
                "field": field,
                "label": label(field),
                "old": change.get("old"),
                "new": change.get("new"),
                "pending": getattr(lead, field) != value,
            }
        )
    filled = [{"field": f, "label": label(f), "value": v} for f, v in (event.payload.get("changed") or {}).items()]
    return {"filled": filled, "proposed": proposed, "pending": any(row["pending"] for row in proposed)}
