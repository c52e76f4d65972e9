"""Read-side helpers of the leads app."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from slas.permissions import teams_of

from .models import FollowUp


def followups_for(user, *, mine: bool = False, overdue: bool = False, status: str | None = None) -> QuerySet:
    """Follow-ups, optionally only the user's (assigned to them, or unassigned in their teams)."""
    queryset = FollowUp.objects.select_related("lead", "owner_team", "owner_user")
    if mine:
        team_ids = [team.pk for team in teams_of(user)]
        queryset = queryset.filter(Q(owner_user=user) | Q(owner_user__isnull=True, owner_team_id__in=team_ids))
    if overdue:
        queryset = queryset.filter(status=FollowUp.Status.OPEN, due_at__lt=timezone.now())
    elif status:
        queryset = queryset.filter(status=status)
    return queryset
