"""Reads of SLA documents shared by the pages (HackSoft style: one place per read)."""

from __future__ import annotations

from django.db.models import Prefetch

from .models import SLA, Signature


def document_queryset():
    """SLAs with everything their document shows, in a fixed number of queries."""
    return SLA.objects.select_related("marketing_team", "sales_team", "calendar", "amends").prefetch_related(
        "goals",
        "commitments",
        "maturity_rules",
        Prefetch("milestones__owner_team"),
        "calendar__hours",
        "calendar__closed_dates",
        Prefetch("signatures", queryset=Signature.objects.select_related("team", "signed_by")),
    )
