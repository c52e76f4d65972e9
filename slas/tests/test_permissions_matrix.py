"""The permission helpers against the matrix of SPEC §7, role by role."""

from __future__ import annotations

import pytest

from leads import permissions as lp
from leads.models import Lead, Stage
from slas import permissions as sp
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db

ROLES = ["admin", "mkt_manager", "mkt_member", "sales_manager", "sales_member", "viewer"]


def _lead(roles, stage=Stage.MQL, team=None, owner=None):
    return Lead.objects.create(
        first_name="Lea",
        email=f"lea-{Lead.objects.count()}@example.com",
        stage=stage,
        owner_team=team or roles.marketing,
        owner_user=owner,
    )


def _row(roles, check) -> dict[str, bool]:
    return {name: bool(check(user)) for name, user in roles.all().items()}


def test_everyone_signed_in_reads(roles):
    assert _row(roles, sp.can_read) == dict.fromkeys(ROLES, True)


def test_create_or_edit_a_marketing_stage_lead(roles):
    own = _lead(roles)
    other_team = _lead(roles, team=roles.other_marketing)
    assert _row(roles, lambda u: lp.can_edit_marketing_lead(u, own)) == {
        "admin": True,
        "mkt_manager": True,
        "mkt_member": True,
        "sales_manager": False,
        "sales_member": False,
        "viewer": False,
    }
    # "own team": a marketing member may not edit another marketing team's lead.
    assert lp.can_edit_marketing_lead(roles.mkt_member, other_team) is False
    assert lp.can_edit_marketing_lead(roles.other_mkt_member, other_team) is True
    assert lp.can_create_lead(roles.mkt_member, roles.marketing) is True
    assert lp.can_create_lead(roles.mkt_member, roles.other_marketing) is False
    assert lp.can_create_lead(roles.sales_manager) is False
    assert lp.can_create_lead(roles.viewer) is False


def test_hand_off_an_mql(roles):
    lead = _lead(roles)
    assert _row(roles, lambda u: lp.can_handoff(u, lead)) == {
        "admin": True,
        "mkt_manager": True,
        "mkt_member": True,
        "sales_manager": False,
        "sales_member": False,
        "viewer": False,
    }
    prospect = _lead(roles, stage=Stage.PROSPECT)
    assert lp.can_handoff(roles.mkt_manager, prospect) is False


def test_accept_or_reject_a_handoff(roles):
    assert _row(roles, lambda u: lp.can_decide_handoff(u, roles.sales)) == {
        "admin": True,
        "mkt_manager": False,
        "mkt_member": False,
        "sales_manager": True,
        "sales_member": True,
        "viewer": False,
    }
    # "own team": a sales member decides only handoffs addressed to their team.
    assert lp.can_decide_handoff(roles.sales_member, roles.other_sales) is False


def test_work_a_sales_stage_lead(roles):
    own = _lead(roles, stage=Stage.SQL, team=roles.sales, owner=roles.sales_member)
    colleague = _lead(roles, stage=Stage.SQL, team=roles.sales, owner=roles.sales_manager)
    assert _row(roles, lambda u: lp.can_work_sales_lead(u, own)) == {
        "admin": True,
        "mkt_manager": False,
        "mkt_member": False,
        "sales_manager": True,
        "sales_member": True,
        "viewer": False,
    }
    assert lp.can_work_sales_lead(roles.sales_member, colleague) is False
    assert _row(roles, lambda u: lp.can_return(u, own))["sales_member"] is True
    assert lp.can_return(roles.sales_member, colleague) is False


def test_take_temporarily(roles):
    lead = _lead(roles, stage=Stage.MQL)
    row = _row(roles, lambda u: lp.can_take(u, lead))
    assert row["admin"] and row["sales_manager"] and row["sales_member"]
    assert not (row["mkt_manager"] or row["mkt_member"] or row["viewer"])


def test_draft_edit_and_amend_an_sla(roles):
    sla = make_sla(roles.marketing, roles.sales)
    assert _row(roles, lambda u: sp.can_draft_sla(u, sla)) == {
        "admin": True,
        "mkt_manager": True,
        "mkt_member": False,
        "sales_manager": True,
        "sales_member": False,
        "viewer": False,
    }
    assert _row(roles, sp.can_draft_sla)["mkt_manager"] is True


def test_sign_an_sla_only_for_ones_own_team(roles):
    sla = make_sla(roles.marketing, roles.sales)
    for_marketing = _row(roles, lambda u: sp.can_sign_sla(u, sla, roles.marketing))
    for_sales = _row(roles, lambda u: sp.can_sign_sla(u, sla, roles.sales))
    assert for_marketing == {**dict.fromkeys(ROLES, False), "mkt_manager": True}
    assert for_sales == {**dict.fromkeys(ROLES, False), "sales_manager": True}
    assert sp.can_sign_sla(roles.mkt_manager, sla, roles.other_sales) is False


def test_recompute_a_report(roles):
    sla = make_sla(roles.marketing, roles.sales)
    assert _row(roles, lambda u: sp.can_recompute_report(u, sla)) == {
        "admin": True,
        "mkt_manager": True,
        "mkt_member": False,
        "sales_manager": True,
        "sales_member": False,
        "viewer": False,
    }


def test_manage_users_and_teams(roles):
    assert _row(roles, sp.can_manage_users) == {**dict.fromkeys(ROLES, False), "admin": True}


def test_an_inactive_user_can_do_nothing(roles):
    roles.mkt_manager.is_active = False
    roles.mkt_manager.save()
    assert sp.can_read(roles.mkt_manager) is False
    assert sp.can_draft_sla(roles.mkt_manager) is False
