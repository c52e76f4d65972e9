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


# --- The review rows (issue 18): every URL pattern of the review pages and API, role by role ---------

WRITERS = {"admin", "mkt_manager", "sales_manager"}  # the managers of both teams (no one else is invited here)


def _review_world(roles):
    """An open review of last month with a decision proposing a change and an action item of
    sales_member, and a closed one (for its PDF)."""
    import datetime as dt

    from django.utils import timezone

    from reporting.services import report_compute
    from reviews import services as review_services
    from slas.models import SLA

    today = timezone.localdate()
    sla = make_sla(
        roles.marketing,
        roles.sales,
        status=SLA.Status.ACTIVE,
        start=today.replace(day=1) - dt.timedelta(days=90),
        end=today + dt.timedelta(days=300),
    )
    last_month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    review = review_services.review_create_monthly(sla=sla, month=last_month)
    decision = review_services.decision_add(
        review=review,
        by=roles.mkt_manager,
        text="Raise the target",
        proposal="target",
        commitment_key="mql_volume",
        proposed_value="40",
    )
    item = review_services.action_item_add(
        review=review, by=roles.mkt_manager, title="Call back", owner=roles.sales_member, due_date=today
    )
    earlier = (last_month - dt.timedelta(days=1)).replace(day=1)
    closed = review_services.review_create_monthly(sla=sla, month=earlier)
    review_services.review_close(review=closed, by=roles.mkt_manager)
    # A back-filled report (three months ago) has no review yet: a manager may prepare it.
    report = report_compute(sla=sla, month=(earlier - dt.timedelta(days=1)).replace(day=1))
    return {"sla": sla, "review": review, "decision": decision, "item": item, "closed": closed, "report": report}


def _review_cases(world, roles):
    import datetime as dt

    from django.urls import reverse

    r, d, i, c = world["review"], world["decision"], world["item"], world["closed"]
    everyone = set(ROLES)
    later = (r.scheduled_at.date().replace(day=1) + dt.timedelta(days=40)).isoformat()
    return [
        ("get", reverse("reviews:list"), {}, everyone),
        ("get", reverse("reviews:detail", args=[r.pk]), {}, everyone),
        ("get", reverse("reviews:meeting", args=[r.pk]), {}, everyone),
        ("get", reverse("reviews:detail", args=[c.pk]), {}, everyone),
        ("get", reverse("reviews:minutes_pdf", args=[c.pk]), {}, everyone),
        ("get", reverse("reviews:invitation", args=[r.pk]), {}, everyone),
        ("get", reverse("reviews:planner", args=[r.pk]), {}, everyone),
        ("get", reverse("reviews:new"), {}, WRITERS),
        ("post", reverse("reviews:prepare"), {"report": world["report"].pk}, WRITERS),
        ("post", reverse("reviews:point_add", args=[r.pk]), {"text": "A point"}, WRITERS),
        ("post", reverse("reviews:note_add", args=[r.pk]), {"item": "scorecard", "text": "A note"}, WRITERS),
        ("post", reverse("reviews:decision_add", args=[r.pk]), {"text": "A decision"}, WRITERS),
        ("post", reverse("reviews:decision_amend", args=[r.pk, d.pk]), {}, WRITERS),
        (
            "post",
            reverse("reviews:action_add", args=[r.pk]),
            {"title": "Act", "owner": roles.sales_member.pk, "due_date": later},
            WRITERS,
        ),
        ("post", reverse("reviews:action_done", args=[i.pk]), {}, WRITERS | {"sales_member"}),
        ("post", reverse("reviews:participant_add", args=[r.pk]), {"user": roles.mkt_member.pk}, WRITERS),
        (
            "post",
            reverse("reviews:reschedule", args=[r.pk]),
            {"scheduled_at": f"{later}T10:00", "duration_minutes": 60},
            WRITERS,
        ),
        ("post", reverse("reviews:close", args=[r.pk]), {}, WRITERS),
        ("api-get", "/api/v1/reviews/", {}, everyone),
        ("api-get", f"/api/v1/reviews/{r.pk}/", {}, everyone),
        ("api-post", f"/api/v1/reviews/{r.pk}/decisions/", {"text": "A decision"}, WRITERS),
        (
            "api-post",
            f"/api/v1/reviews/{r.pk}/action-items/",
            {"title": "Act", "owner": roles.sales_member.pk, "due_date": later},
            WRITERS,
        ),
    ]


def test_the_review_pages_and_api_answer_each_role_by_the_matrix(roles, client):
    """Allowed roles get through (2xx/3xx, or 404 for everyone on a missing object); the others get 403
    and change nothing. Each request runs in a savepoint rolled back, so every role meets the same review."""
    from django.db import transaction
    from rest_framework.test import APIClient

    from reviews.models import Review

    world = _review_world(roles)
    for method, url, data, allowed in _review_cases(world, roles):
        for name, user in roles.all().items():
            with transaction.atomic():
                before = (Review.objects.filter(status="open").count(), world["review"].notes.count())
                if method.startswith("api"):
                    api = APIClient()
                    api.force_authenticate(user)
                    call = api.get if method == "api-get" else api.post
                    response = call(url, data, format="json") if method == "api-post" else call(url, data)
                else:
                    client.force_login(user)
                    response = getattr(client, method)(url, data)
                code = response.status_code
                assert code < 500, (method, url, name, code)
                if name in allowed:
                    assert code != 403, (method, url, name, code)
                else:
                    assert code == 403, (method, url, name, code)
                    assert (Review.objects.filter(status="open").count(), world["review"].notes.count()) == before
                transaction.set_rollback(True)
