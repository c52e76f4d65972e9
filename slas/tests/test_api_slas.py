from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from slas import services
from slas.models import SLA, GoalPlan, Team
from slas.tests.factories import make_sla

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def payload(roles) -> dict:
    return {
        "title": "Marketing × Inside sales",
        "marketing_team": roles.marketing.pk,
        "sales_team": roles.sales.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "goals": [{"specific": "More MQLs", "metric": "MQLs", "target": "300", "deadline": "2026-12-31"}],
        "commitments": [
            {"key": "mql_volume", "target": "30"},
            {"key": "handoff_response", "target": "90", "hours": "4"},
        ],
        "maturity_rules": [{"category": 1, "owner_function": "sales", "response_hours": "4"}],
        "milestones": [{"title": "Monthly review", "owner_team": roles.sales.pk, "due_date": "2026-01-30"}],
        "calendar": {
            "time_zone": "Europe/Paris",
            "country": "FR",
            "hours": [{"weekday": d, "start": "09:00", "end": "18:00"} for d in range(5)],
        },
    }


def in_signature(roles) -> SLA:
    sla = make_sla(roles.marketing, roles.sales)
    return services.sla_submit(sla=sla, by=roles.mkt_manager)


def test_list_is_paginated_filtered_and_has_no_query_per_row(roles, django_assert_max_num_queries):
    for year in (2024, 2025, 2026):
        make_sla(roles.marketing, roles.sales, start=dt.date(year, 1, 1), end=dt.date(year, 12, 31))
    make_sla(roles.other_marketing, roles.other_sales)
    client = client_for(roles.viewer)
    with django_assert_max_num_queries(15):
        response = client.get("/api/v1/slas/")
    assert response.status_code == 200 and response.json()["count"] == 4
    first = response.json()["results"][0]
    assert len(first["commitments"]) == 9 and len(first["calendar"]["hours"]) == 5
    assert client.get("/api/v1/slas/", {"team": roles.other_sales.pk}).json()["count"] == 1
    assert client.get("/api/v1/slas/", {"active_on": "2025-06-01"}).json()["count"] == 1
    assert client.get("/api/v1/slas/", {"status": "active"}).json()["count"] == 0


def test_detail_and_404(roles):
    sla = make_sla(roles.marketing, roles.sales)
    client = client_for(roles.sales_member)
    assert client.get(f"/api/v1/slas/{sla.pk}/").json()["title"] == sla.title
    assert client.get("/api/v1/slas/999999/").status_code == 404


def test_anonymous_is_refused(roles):
    assert APIClient().get("/api/v1/slas/").status_code in (401, 403)


@pytest.mark.parametrize(("who", "expected"), [("admin", 201), ("mkt_manager", 201), ("sales_manager", 201)])
def test_managers_and_admin_create_drafts(roles, who, expected):
    response = client_for(getattr(roles, who)).post("/api/v1/slas/", payload(roles), format="json")
    assert response.status_code == expected, response.json()
    body = response.json()
    assert body["status"] == "draft" and body["revision"] == 1
    assert len(body["commitments"]) == 2 and body["milestones"][0]["owner_team"] == roles.sales.pk


@pytest.mark.parametrize("who", ["mkt_member", "sales_member", "viewer"])
def test_others_cannot_create(roles, who):
    response = client_for(getattr(roles, who)).post("/api/v1/slas/", payload(roles), format="json")
    assert response.status_code == 403
    assert not SLA.objects.exists()


def test_bad_input_gives_json_field_errors(roles):
    data = payload(roles)
    data["end_date"] = "2025-01-01"
    data["commitments"] = [{"key": "mql_acceptance_rate", "target": "150"}]
    response = client_for(roles.mkt_manager).post("/api/v1/slas/", data, format="json")
    assert response.status_code == 400
    assert "end_date" in response.json()["errors"] and "commitments.0.target" in response.json()["errors"]
    bad_type = client_for(roles.mkt_manager).post("/api/v1/slas/", {"title": 3, "start_date": "x"}, format="json")
    assert bad_type.status_code == 400 and "start_date" in bad_type.json()["errors"]


def test_patch_a_draft_and_a_stale_revision_conflicts(roles):
    sla = make_sla(roles.marketing, roles.sales)
    client = client_for(roles.mkt_manager)
    response = client.patch(f"/api/v1/slas/{sla.pk}/", {"title": "Renamed", "revision": 1}, format="json")
    assert response.status_code == 200 and response.json()["revision"] == 2
    stale = client.patch(f"/api/v1/slas/{sla.pk}/", {"title": "Stale", "revision": 1}, format="json")
    assert stale.status_code == 409 and "detail" in stale.json()
    assert client_for(roles.sales_member).patch(f"/api/v1/slas/{sla.pk}/", {"title": "x"}).status_code == 403
    assert client.put(f"/api/v1/slas/{sla.pk}/", {"title": "x"}).status_code == 405


def test_patch_a_signed_sla_is_a_conflict(roles):
    sla = in_signature(roles)
    response = client_for(roles.mkt_manager).patch(f"/api/v1/slas/{sla.pk}/", {"title": "x"}, format="json")
    assert response.status_code == 409


def test_submit_sign_activate_amend_through_the_api(roles):
    sla = make_sla(roles.marketing, roles.sales)
    mkt, sales = client_for(roles.mkt_manager), client_for(roles.sales_manager)
    assert client_for(roles.viewer).post(f"/api/v1/slas/{sla.pk}/submit/").status_code == 403
    assert mkt.post(f"/api/v1/slas/{sla.pk}/submit/").json()["status"] == "in_signature"
    assert mkt.post(f"/api/v1/slas/{sla.pk}/submit/").status_code == 409
    assert mkt.post(f"/api/v1/slas/{sla.pk}/sign/", {"team": roles.sales.pk}).status_code == 403
    assert mkt.post(f"/api/v1/slas/{sla.pk}/sign/", {"team": roles.other_sales.pk}).status_code == 400
    assert mkt.post(f"/api/v1/slas/{sla.pk}/sign/", {}).status_code == 400
    signature = mkt.post(f"/api/v1/slas/{sla.pk}/sign/", {"team": roles.marketing.pk})
    assert signature.status_code == 201 and len(signature.json()["fingerprint"]) == 64
    assert mkt.post(f"/api/v1/slas/{sla.pk}/sign/", {"team": roles.marketing.pk}).status_code == 409
    assert sales.post(f"/api/v1/slas/{sla.pk}/sign/", {"team": roles.sales.pk}).status_code == 201
    detail = sales.get(f"/api/v1/slas/{sla.pk}/").json()
    assert detail["status"] == "active" and len(detail["signatures"]) == 2
    assert client_for(roles.sales_member).post(f"/api/v1/slas/{sla.pk}/amend/").status_code == 403
    amended = sales.post(f"/api/v1/slas/{sla.pk}/amend/")
    assert amended.status_code == 201
    assert amended.json()["version"] == 2 and amended.json()["amends"] == sla.pk
    assert len(amended.json()["commitments"]) == 9
    assert sales.post(f"/api/v1/slas/{sla.pk}/amend/").status_code == 409


def test_teams_are_read_by_all_and_created_by_the_admin(roles):
    assert client_for(roles.viewer).get("/api/v1/teams/").json()["count"] == 4
    data = {"name": "Partners", "function": "sales"}
    assert client_for(roles.mkt_manager).post("/api/v1/teams/", data).status_code == 403
    assert client_for(roles.admin).post("/api/v1/teams/", data).status_code == 201
    assert client_for(roles.admin).post("/api/v1/teams/", data).status_code == 400
    assert client_for(roles.admin).post("/api/v1/teams/", {"name": "x", "function": "finance"}).status_code == 400
    assert Team.objects.filter(name="Partners").count() == 1


def test_users_with_memberships(roles):
    listed = client_for(roles.sales_member).get("/api/v1/users/").json()
    manager = next(u for u in listed["results"] if u["username"] == "mkt_manager")
    assert manager["memberships"] == [{"team": roles.marketing.pk, "team_name": "Marketing", "role": "manager"}]
    data = {
        "username": "newbie",
        "password": "a-long-pass-word",
        "memberships": [{"team": roles.sales.pk, "role": "member"}],
    }
    assert client_for(roles.sales_manager).post("/api/v1/users/", data, format="json").status_code == 403
    created = client_for(roles.admin).post("/api/v1/users/", data, format="json")
    assert created.status_code == 201 and created.json()["memberships"][0]["role"] == "member"
    assert "password" not in created.json()
    assert client_for(roles.admin).post("/api/v1/users/", data, format="json").status_code == 400


def test_goal_plan_computes_and_saves(roles):
    client = client_for(roles.viewer)
    data = {"revenue_target": "1000000", "average_deal_size": "10000", "overall_rate": "2"}
    response = client.post("/api/v1/goal-plans/", data)
    assert response.status_code == 200
    assert response.json()["totals"] == {"prospects": 5000, "clients": 100} and response.json()["id"] is None
    assert client.post("/api/v1/goal-plans/", {**data, "save": True}).status_code == 403
    saved = client_for(roles.mkt_member).post("/api/v1/goal-plans/", {**data, "save": True, "name": "2026"})
    assert saved.status_code == 201 and GoalPlan.objects.get(pk=saved.json()["id"]).name == "2026"
    bad = client.post("/api/v1/goal-plans/", {"revenue_target": "1000", "average_deal_size": "10"})
    assert bad.status_code == 400 and "overall_rate" in bad.json()["errors"]
    assert client.post("/api/v1/goal-plans/", {**data, "overall_rate": "0"}).status_code == 400


def test_the_schema_builds(roles):
    response = client_for(roles.admin).get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/slas/{id}/sign/" in response.content
