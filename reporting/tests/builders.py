"""Hand-built funnel rows for the compliance tests, written straight with the ORM."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from leads.models import FollowUp, Handoff, Lead, LeadEvent

UTC = dt.UTC


def at(text: str) -> dt.datetime:
    """An aware UTC datetime from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


def lead(team, name: str = "Lead") -> Lead:
    return Lead.objects.create(first_name=name, owner_team=team)


def event(lead_obj, kind, when, *, team=None, sla=None, to_stage="", first_reach=False, **extra) -> LeadEvent:
    return LeadEvent.objects.create(
        lead=lead_obj,
        kind=kind,
        occurred_at=when,
        recorded_at=extra.pop("recorded_at", when),
        team=team,
        sla=sla,
        to_stage=to_stage,
        first_reach=first_reach,
        **extra,
    )


def reach(lead_obj, stage, when, *, team=None, sla=None, first=True, deal_value=None, **extra) -> LeadEvent:
    return event(
        lead_obj,
        LeadEvent.Kind.STAGE_CHANGED,
        when,
        team=team,
        sla=sla,
        to_stage=stage,
        first_reach=first,
        deal_value=Decimal(str(deal_value)) if deal_value is not None else None,
        **extra,
    )


def handoff(lead_obj, sla, *, handed, due, decided=None, status=Handoff.Status.PENDING) -> Handoff:
    return Handoff.objects.create(
        lead=lead_obj,
        from_team=sla.marketing_team,
        to_team=sla.sales_team,
        sla=sla,
        handed_off_at=handed,
        decision_due_at=due,
        decided_at=decided,
        status=status,
    )


def followup(lead_obj, sla, kind, *, due, done=None, hours=None, owner_user=None) -> FollowUp:
    return FollowUp.objects.create(
        lead=lead_obj,
        sla=sla,
        kind=kind,
        starts_at=due - dt.timedelta(hours=4),
        due_at=due,
        status=FollowUp.Status.DONE if done else FollowUp.Status.OPEN,
        done_at=done,
        done_on_time=(done <= due) if done else None,
        business_hours_taken=hours,
        owner_team=sla.sales_team,
        owner_user=owner_user,
    )
