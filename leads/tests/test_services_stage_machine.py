"""Every from → to of the stage machine for every role of SPEC §7, and the handoff rows of the matrix."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from leads import services
from leads.models import MARKETING_STAGES, OPEN_STAGES, Stage
from slas.models import SLA
from slas.tests.factories import make_sla

ROLES = [
    "admin",
    "mkt_manager",
    "mkt_member",
    "other_mkt_member",
    "sales_manager",
    "sales_member",
    "other_sales_member",
    "viewer",
]
MARKETING_WRITERS = {"admin", "mkt_manager", "mkt_member"}
SALES_WRITERS = {"admin", "sales_manager", "sales_member"}
# (label, stage the lead is in, stage it was lost from)
STARTS = [(s.value, s.value, "") for s in Stage if s != Stage.LOST] + [
    ("lost_from_prospect", Stage.LOST, Stage.PROSPECT),
    ("lost_from_opportunity", Stage.LOST, Stage.OPPORTUNITY),
]


def lead_in(roles, stage: str, lost_from: str = ""):
    """A lead brought to ``stage`` through the services (sales stages owned by sales_member)."""
    target = lost_from or stage
    start = target if target in MARKETING_STAGES else Stage.MQL
    lead = services.lead_create(
        data={"email": f"{stage}-{lost_from}@example.com"}, team=roles.marketing, by=roles.admin, stage=start
    )
    if target not in MARKETING_STAGES:
        services.lead_handoff(lead=lead, team=roles.sales, by=roles.admin)
        lead = services.lead_accept(lead=lead, by=roles.sales_manager, owner=roles.sales_member)
        for step in [Stage.OPPORTUNITY, Stage.CLIENT]:
            if lead.stage == target:
                break
            lead = services.lead_transition(lead=lead, to=step, by=roles.admin, deal_value=Decimal(1))
    if lost_from:
        lead = services.lead_transition(lead=lead, to=Stage.LOST, by=roles.admin, reason="gone")
    assert lead.stage == stage
    return lead


def expected(stage: str, lost_from: str, to: str, role: str) -> str:
    if stage == Stage.LOST:
        allowed = to == lost_from
        holder = lost_from
    elif to == Stage.LOST:
        allowed = stage in OPEN_STAGES
        holder = stage
    else:
        allowed = to in services.ALLOWED_TRANSITIONS[stage]
        holder = stage
    if not allowed:
        return "invalid"
    writers = MARKETING_WRITERS if holder in MARKETING_STAGES else SALES_WRITERS
    return "ok" if role in writers else "denied"


@pytest.mark.parametrize(("label", "stage", "lost_from"), STARTS, ids=[s[0] for s in STARTS])
def test_every_transition_for_every_role(roles, label, stage, lost_from):
    lead = lead_in(roles, stage, lost_from)
    for to in Stage.values:
        for role in ROLES:
            want = expected(stage, lost_from, to, role)
            with transaction.atomic():
                try:
                    moved = services.lead_transition(
                        lead=lead, to=to, by=getattr(roles, role), reason="why", deal_value=Decimal(100)
                    )
                    got = "ok"
                    assert moved.stage == to
                except ValidationError:
                    got = "invalid"
                except PermissionDenied:
                    got = "denied"
                transaction.set_rollback(True)
            assert got == want, f"{label} → {to} by {role}: {got}, expected {want}"


def test_lost_needs_a_reason_and_reopens_to_its_stage(roles):
    lead = lead_in(roles, Stage.MQL)
    with pytest.raises(ValidationError):
        services.lead_transition(lead=lead, to=Stage.LOST, by=roles.mkt_member, reason="  ")
    lead = services.lead_transition(lead=lead, to=Stage.LOST, by=roles.mkt_member, reason="No fit")
    assert lead.lost_from_stage == Stage.MQL and lead.lost_reason == "No fit"
    lead = services.lead_transition(lead=lead, to=Stage.MQL, by=roles.mkt_member)
    assert lead.stage == Stage.MQL and lead.events.filter(kind="reopened").exists()
    assert lead.events.filter(to_stage=Stage.MQL, first_reach=True).count() == 1


@pytest.mark.parametrize("role", ROLES)
def test_handoff_accept_reject_take_return_rows_of_the_matrix(roles, role):
    make_sla(
        roles.marketing,
        roles.sales,
        start=dt.date.today() - dt.timedelta(days=30),
        end=dt.date.today() + dt.timedelta(days=30),
        status=SLA.Status.ACTIVE,
    )
    user = getattr(roles, role)

    def outcome(call) -> str:
        with transaction.atomic():
            try:
                call()
                result = "ok"
            except PermissionDenied:
                result = "denied"
            except ValidationError:
                result = "invalid"
            transaction.set_rollback(True)
        return result

    lead = lead_in(roles, Stage.MQL)
    assert outcome(lambda: services.lead_handoff(lead=lead, team=roles.sales, by=user)) == (
        "ok" if role in MARKETING_WRITERS else "denied"
    )
    services.lead_handoff(lead=lead, team=roles.sales, by=roles.admin)
    deciders = {"admin", "sales_manager", "sales_member"}
    owner = roles.sales_member
    assert outcome(lambda: services.lead_accept(lead=lead, by=user, owner=owner)) == (
        "ok" if role in deciders else "denied"
    )
    assert outcome(lambda: services.lead_reject(lead=lead, by=user, reason="no")) == (
        "ok" if role in deciders else "denied"
    )
    nurtured = services.lead_create(
        data={"email": "cat3@example.com", "pain_identified": True}, team=roles.marketing, by=roles.admin
    )
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    # Any sales member may take; a team without an SLA with marketing has no rule allowing it.
    takers = {"admin": "ok", "sales_manager": "ok", "sales_member": "ok", "other_sales_member": "invalid"}
    team = roles.sales if role == "admin" else None
    taken = outcome(lambda: services.lead_take(lead=nurtured, by=user, until=until, team=team))
    assert taken == takers.get(role, "denied")
    services.lead_take(lead=nurtured, by=roles.sales_member, until=until)
    assert outcome(lambda: services.lead_return(lead=nurtured, by=user, feedback="f")) == (
        "ok" if role in SALES_WRITERS else "denied"
    )
