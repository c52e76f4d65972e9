"""SPEC §6: /slas/{id}/status/ and /reports/."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from rest_framework.test import APIClient

from leads.models import Lead
from reporting.services import report_compute
from reporting.tests.builders import at, reach
from slas.models import SLA
from slas.tests.factories import make_sla

NOW = at("2026-03-16 12:00")


@pytest.fixture
def sla(roles):
    sla = make_sla(roles.marketing, roles.sales, status=SLA.Status.ACTIVE)
    reach(Lead.objects.create(owner_team=roles.marketing), "prospect", at("2026-03-03 10:00"), team=roles.marketing)
    return sla


@pytest.fixture
def client(roles):
    api = APIClient()
    api.force_authenticate(roles.viewer)
    return api


def test_the_status_has_the_contract_shape(client, sla):
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/api/v1/slas/{sla.pk}/status/")
    assert response.status_code == 200
    body = response.json()
    assert {"sla", "month", "state", "overall", "commitments", "funnel"} <= set(body)
    assert (body["sla"], body["month"], body["state"]) == (sla.pk, "2026-03", "in_progress")
    assert set(body["overall"]) >= {"met", "evaluable", "score"}
    assert len(body["commitments"]) == 9
    for commitment in body["commitments"]:
        assert {"key", "side", "target", "actual", "projected", "status"} <= set(commitment)
    prospects = body["commitments"][0]
    assert (prospects["key"], prospects["actual"], prospects["projected"]) == ("prospects_volume", 1, 2.0)


def test_a_past_month_is_closed(client, sla):
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/api/v1/slas/{sla.pk}/status/", {"month": "2026-02"})
    assert response.status_code == 200
    assert response.json()["state"] == "closed"


@pytest.mark.parametrize(
    ("month", "fragment"),
    [("2026-13", "YYYY-MM"), ("march", "YYYY-MM"), ("2025-12", "not in force"), ("2026-04", "not started")],
)
def test_a_bad_month_is_a_400_with_a_message(client, sla, month, fragment):
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/api/v1/slas/{sla.pk}/status/", {"month": month})
    assert response.status_code == 400
    assert fragment in response.json()["errors"]["month"][0]


def test_a_draft_sla_has_no_status(client, roles):
    draft = make_sla(roles.other_marketing, roles.other_sales)
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/api/v1/slas/{draft.pk}/status/")
    assert response.status_code == 400


def test_unknown_sla_is_404_and_anonymous_is_refused(client, sla):
    assert client.get("/api/v1/slas/999999/status/").status_code == 404
    assert APIClient().get(f"/api/v1/slas/{sla.pk}/status/").status_code in (401, 403)


def test_reports_list_filters_and_detail(client, sla, roles):
    march = report_compute(sla=sla, month=dt.date(2026, 3, 1))
    report_compute(sla=sla, month=dt.date(2026, 2, 1))
    body = client.get("/api/v1/reports/", {"sla": sla.pk, "month": "2026-03"}).json()
    assert [r["id"] for r in body["results"]] == [march.pk]
    assert body["results"][0]["month"] == "2026-03"
    assert client.get("/api/v1/reports/", {"month": "nope"}).status_code == 400
    assert client.get("/api/v1/reports/").json()["count"] == 2
    detail = client.get(f"/api/v1/reports/{march.pk}/").json()
    assert detail["data"]["commitments"][0]["actual"] == 1
    assert client.get("/api/v1/reports/999999/").status_code == 404


def test_the_schema_documents_the_status(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/slas/{id}/status/" in response.content
