"""The lead REST API (SPEC §6): status codes per action, back-dating, dedupe, 409s, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from leads import services
from leads.models import Lead, LeadEvent, Stage, VisitCount
from smarketing.models import Job


@pytest.fixture
def api():
    def as_user(user):
        client = APIClient()
        client.force_authenticate(user)
        return client

    return as_user


def mql(roles, email="mql@example.com", occurred_at=None, **answers):
    return services.lead_create(
        data={"email": email, "first_name": "M", **answers},
        team=roles.marketing,
        by=roles.mkt_manager,
        stage=Stage.MQL,
        occurred_at=occurred_at,
    )


def test_create_dedupes_on_email_case_insensitively(roles, api):
    client = api(roles.mkt_member)
    first = client.post("/api/v1/leads/", {"email": "Jo@Example.com", "first_name": "Jo"}, format="json")
    assert first.status_code == 201, first.json()
    again = client.post("/api/v1/leads/", {"email": "jo@example.COM", "company": "Acme"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert again.json()["company"] == "Acme"
    assert Lead.objects.count() == 1
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.CAPTURED_AGAIN).count() == 1


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("admin", 201),
        ("mkt_manager", 201),
        ("mkt_member", 201),
        ("other_mkt_member", 403),
        ("sales_manager", 403),
        ("sales_member", 403),
        ("viewer", 403),
    ],
)
def test_create_respects_the_matrix(roles, api, who, code):
    response = api(getattr(roles, who)).post(
        "/api/v1/leads/", {"email": f"{who}@example.com", "team": roles.marketing.pk}, format="json"
    )
    assert response.status_code == code, response.content


def test_create_back_dated_and_bad_input(roles, api):
    client = api(roles.mkt_member)
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).isoformat()
    response = client.post("/api/v1/leads/", {"email": "old@example.com", "occurred_at": old}, format="json")
    assert response.status_code == 201
    event = LeadEvent.objects.get(lead_id=response.json()["id"])
    assert event.is_late_entry
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    response = client.post("/api/v1/leads/", {"email": "f@example.com", "occurred_at": future}, format="json")
    assert response.status_code == 400 and "occurred_at" in response.json()["errors"]
    assert client.post("/api/v1/leads/", {"email": "not-an-email"}, format="json").status_code == 400
    assert client.post("/api/v1/leads/", {"stage": "client"}, format="json").status_code == 400


def test_the_full_flow_through_the_api(roles, api, sla):
    lead = mql(roles, pain_identified=True, team_formed=True, timing_defined=True, budget_voted=True)
    mkt, sales = api(roles.mkt_member), api(roles.sales_member)
    url = f"/api/v1/leads/{lead.pk}/"
    assert sales.post(url + "handoff/", {"team": roles.sales.pk}, format="json").status_code == 403
    assert mkt.post(url + "handoff/", {"team": roles.sales.pk}, format="json").status_code == 200
    assert mkt.post(url + "accept/", {}, format="json").status_code == 403
    response = sales.post(url + "accept/", {}, format="json")
    assert response.status_code == 200 and response.json()["stage"] == "sql"
    assert api(roles.other_sales_member).post(url + "accept/", {}, format="json").status_code == 409
    assert sales.post(url + "activities/", {"kind": "call", "outcome": "reached"}, format="json").status_code == 201
    assert mkt.post(url + "activities/", {"kind": "note"}, format="json").status_code == 403
    assert sales.get(url + "activities/").json()["results"][0]["is_contact_attempt"] is True
    response = sales.post(url + "transition/", {"to": "opportunity", "expected_stage": "mql"}, format="json")
    assert response.status_code == 409
    assert sales.post(url + "transition/", {"to": "opportunity"}, format="json").status_code == 200
    assert sales.post(url + "transition/", {"to": "client"}, format="json").status_code == 400  # no deal value
    response = sales.post(url + "transition/", {"to": "client", "deal_value": "5000"}, format="json")
    assert response.status_code == 200 and response.json()["stage"] == "client"
    history = sales.get(url + "history/").json()["results"]
    assert history[0]["to_stage"] == "client" and history[0]["deal_value"] == "5000.00"
    assert api(roles.viewer).get(url).status_code == 200
    assert sales.post(url + "transition/", {"to": "bogus"}, format="json").status_code == 400
    assert sales.post("/api/v1/leads/999999/transition/", {"to": "lost"}, format="json").status_code == 404


def test_reject_take_return(roles, api, sla):
    lead = mql(roles, pain_identified=True)
    mkt, sales = api(roles.mkt_member), api(roles.sales_member)
    url = f"/api/v1/leads/{lead.pk}/"
    mkt.post(url + "handoff/", {"team": roles.sales.pk}, format="json")
    assert sales.post(url + "reject/", {"reason": ""}, format="json").status_code == 400
    assert sales.post(url + "reject/", {"reason": "Too early"}, format="json").status_code == 200
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=10)).isoformat()
    assert api(roles.viewer).post(url + "take/", {"until": until}, format="json").status_code == 403
    assert sales.post(url + "take/", {"until": until}, format="json").status_code == 200
    response = sales.post(url + "return/", {"feedback": ""}, format="json")
    assert response.status_code == 200 and response.json()["owner_team"] == roles.marketing.pk


def test_patch_with_stale_version_is_a_conflict(roles, api):
    lead = mql(roles)
    client = api(roles.mkt_member)
    response = client.patch(f"/api/v1/leads/{lead.pk}/", {"company": "A", "version": lead.version}, format="json")
    assert response.status_code == 200
    response = client.patch(f"/api/v1/leads/{lead.pk}/", {"company": "B", "version": lead.version}, format="json")
    assert response.status_code == 409
    assert (
        api(roles.sales_member).patch(f"/api/v1/leads/{lead.pk}/", {"company": "C"}, format="json").status_code == 403
    )


def test_followups_overdue_mine(roles, api, sla):
    lead = mql(roles, occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=11))
    services.lead_handoff(
        lead=lead, team=roles.sales, by=roles.mkt_member, occurred_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=10)
    )
    response = api(roles.sales_member).get("/api/v1/followups/?overdue=true&owner=me")
    assert response.status_code == 200 and response.json()["count"] == 1
    assert api(roles.mkt_member).get("/api/v1/followups/?overdue=true&owner=me").json()["count"] == 0


def test_visits(roles, api):
    body = {"month": "2026-03", "channel": "seo", "count": 120}
    assert api(roles.mkt_member).post("/api/v1/visits/", body, format="json").status_code == 200
    body["count"] = 130
    assert api(roles.mkt_member).post("/api/v1/visits/", body, format="json").status_code == 200
    assert VisitCount.objects.get().count == 130
    assert api(roles.sales_member).post("/api/v1/visits/", body, format="json").status_code == 403
    assert api(roles.mkt_member).post("/api/v1/visits/", {"month": "x"}, format="json").status_code == 400


def test_import_is_all_or_nothing(roles, api, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(roles.mkt_member)
    good = "email;first_name;stage\na@x.com;Ann;prospect\nb@x.com;Bé;mql\n".encode("latin-1")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports/", {"file": SimpleUploadedFile("a.csv", good)}, format="multipart")
    assert response.status_code == 202
    job = client.get(f"/api/v1/jobs/{response.json()['id']}/").json()
    assert job["status"] == "succeeded" and job["percent"] == 100
    assert Lead.objects.get(email="b@x.com").first_name == "Bé"
    bad = "\ufeffemail,stage\nc@x.com,prospect\nnope,prospect\nc@x.com,nowhere\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/imports/", {"file": SimpleUploadedFile("b.csv", bad)}, format="multipart")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.status == Job.Status.FAILED
    fields = {(e["row"], e["field"]) for e in job.result["errors"]}
    assert fields == {(2, "email"), (3, "email"), (3, "stage")}
    assert not Lead.objects.filter(email="c@x.com").exists()
    assert api(roles.other_mkt_member).get(f"/api/v1/jobs/{job.pk}/").status_code == 404


@pytest.mark.parametrize("size", [5, 25])
def test_list_query_count_does_not_grow(roles, api, django_assert_max_num_queries, size):
    for n in range(size):
        mql(roles, email=f"l{n}@example.com")
    client = api(roles.viewer)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/leads/?page_size=50&stage=mql")
    assert len(response.json()["results"]) == size


def test_schema_builds(roles, api):
    assert api(roles.admin).get("/api/schema/").status_code == 200


PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"


def test_a_binary_upload_is_refused_with_a_field_error_and_no_job(roles, api):
    """Found by schemathesis: a NUL byte used to reach the job's JSON column and give a 500."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api(roles.mkt_member).post(
        "/api/v1/imports/", {"file": SimpleUploadedFile("logo.png", PNG_BYTES)}, format="multipart"
    )
    assert response.status_code == 400
    assert "not a CSV text file" in response.json()["errors"]["file"][0]
    assert not Job.objects.exists()
