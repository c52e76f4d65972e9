"""Issue 11: a capture never overwrites — the public form, the API create and an import row.

A client lead owned by sales must come out of a second capture of its e-mail unchanged, with
the differing values kept on the "captured again" event for someone allowed to edit it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from leads import imports, services
from leads.models import CaptureForm, Lead, LeadEvent, Stage
from leads.tasks import lead_import
from smarketing.models import Job

pytestmark = pytest.mark.django_db

IDENTITY = ("first_name", "last_name", "company", "phone", "deal_value", "owner_team_id", "owner_user_id", "stage")


@pytest.fixture
def client_lead(roles) -> Lead:
    """A won lead: sales owns it, its identity is filled, its phone and job title are blank."""
    lead = services.lead_create(
        data={
            "email": "claire.martin@acme.example",
            "first_name": "Claire",
            "last_name": "Martin",
            "company": "Acme",
            "deal_value": Decimal(5000),
        },
        team=roles.marketing,
        by=roles.mkt_manager,
    )
    Lead.objects.filter(pk=lead.pk).update(
        stage=Stage.CLIENT, owner_team=roles.sales, owner_user=roles.sales_member, return_team=roles.marketing
    )
    return Lead.objects.get(pk=lead.pk)


def identity(lead: Lead) -> dict:
    lead.refresh_from_db()
    return {field: getattr(lead, field) for field in IDENTITY}


def last_capture(lead: Lead) -> LeadEvent:
    return lead.events.filter(kind=LeadEvent.Kind.CAPTURED_AGAIN).latest("pk")


def test_the_anonymous_capture_form_cannot_hijack_a_client_lead(roles, client, client_lead):
    before = identity(client_lead)
    CaptureForm.objects.create(slug="contact", name="Contact", team=roles.marketing, channel="website")
    response = client.post(
        reverse("capture", args=["contact"]),
        {
            "first_name": "Hacked By",
            "last_name": "Anonymous",
            "email": "CLAIRE.MARTIN@acme.example",
            "company": "Evil Corp",
            "phone": "+33 6 00 00 00 00",
            "consent_to_contact": "on",
        },
    )
    assert response.status_code == 200  # the visitor sees the usual thank-you page, nothing more
    assert identity(client_lead) == {**before, "phone": "+33 6 00 00 00 00"}  # only the blank phone was filled
    event = last_capture(client_lead)
    assert event.actor is None and event.payload["source"] == "capture_form"
    assert event.payload["proposed"] == {
        "first_name": {"old": "Claire", "new": "Hacked By"},
        "last_name": {"old": "Martin", "new": "Anonymous"},
        "company": {"old": "Acme", "new": "Evil Corp"},
    }
    assert event.payload["changed"]["phone"] == "+33 6 00 00 00 00"
    assert Lead.objects.count() == 1

    # The lead's page shows the proposals on its timeline; the owner may apply some of them.
    client.force_login(roles.sales_member)
    page = client.get(reverse("leads:detail", args=[client_lead.pk])).content.decode()
    assert "Proposed changes" in page and "Evil Corp" in page and "Hacked By" in page
    assert reverse("leads:apply_proposal", args=[client_lead.pk, event.pk]) in page
    client_lead.refresh_from_db()
    response = client.post(
        reverse("leads:apply_proposal", args=[client_lead.pk, event.pk]),
        {"fields_to_apply": ["company"], "version": client_lead.version},
    )
    assert response.status_code == 302
    client_lead.refresh_from_db()
    assert (client_lead.company, client_lead.first_name) == ("Evil Corp", "Claire")
    update = client_lead.events.filter(kind=LeadEvent.Kind.UPDATED).latest("pk")
    assert update.actor == roles.sales_member and update.payload["applied_from"] == event.pk
    assert update.payload["changed"] == {"company": "Evil Corp"}


def test_a_viewer_or_another_marketer_cannot_apply_proposals(roles, client, client_lead):
    services.lead_create(data={"email": client_lead.email, "company": "Evil Corp"}, team=roles.marketing, by=None)
    event = last_capture(client_lead)
    for user in (roles.viewer, roles.other_mkt_member):
        client.force_login(user)
        page = client.get(reverse("leads:detail", args=[client_lead.pk])).content.decode()
        assert "Evil Corp" in page  # everyone reads the history …
        assert reverse("leads:apply_proposal", args=[client_lead.pk, event.pk]) not in page  # … few may apply
        response = client.post(reverse("leads:apply_proposal", args=[client_lead.pk, event.pk]), {})
        assert response.status_code == 403
    assert identity(client_lead)["company"] == "Acme"


def test_another_teams_marketer_gets_the_existing_lead_back_unchanged_through_the_api(roles, client_lead):
    before = identity(client_lead)
    api = APIClient()
    api.force_authenticate(roles.other_mkt_member)
    response = api.post(
        "/api/v1/leads/",
        {
            "email": "claire.martin@acme.example",
            "first_name": "Mallory",
            "deal_value": "999999.00",
            "team": roles.other_marketing.pk,
            "stage": "mql",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["merged"] is True and body["id"] == client_lead.pk
    assert (body["first_name"], body["deal_value"], body["stage"]) == ("Claire", "5000.00", "client")
    assert identity(client_lead) == before
    event = last_capture(client_lead)
    assert event.actor == roles.other_mkt_member
    assert event.payload["proposed"] == {
        "first_name": {"old": "Claire", "new": "Mallory"},
        "deal_value": {"old": "5000.00", "new": "999999.00"},
    }
    assert event.payload["submitted_team"]["id"] == roles.other_marketing.pk
    assert event.payload["submitted_stage"] == "mql"
    history = api.get(f"/api/v1/leads/{client_lead.pk}/history/").json()["results"]
    assert (
        history[0]["kind"] == "captured_again" and history[0]["payload"]["proposed"]["deal_value"]["new"] == "999999.00"
    )

    created = api.post("/api/v1/leads/", {"email": "new@example.com", "team": roles.other_marketing.pk}, format="json")
    assert created.status_code == 201 and created.json()["merged"] is False


def test_an_import_row_logs_a_touch_and_fills_only_blank_fields(roles, client, client_lead):
    before = identity(client_lead)
    text = (
        "email;first_name;last_name;company;job_title;phone\n"
        "claire.martin@acme.example;Imported;Name;Other SA;CFO;\n"
        "fresh@example.com;Fresh;Lead;;;\n"
    )
    checked = imports.preview(text, default_team=roles.marketing)
    assert [row["existing"] for row in checked.rows] == [client_lead.pk, None]

    client.force_login(roles.mkt_member)
    response = client.post(
        reverse("leads:import"), {"file": SimpleUploadedFile("leads.csv", text.encode()), "team": roles.marketing.pk}
    )
    page = client.get(response.url).content.decode()
    assert page.count("existing lead — touch logged") == 1 and "new lead" in page

    job = Job.objects.create(
        kind=Job.Kind.LEAD_IMPORT,
        created_by=roles.mkt_member,
        params={"csv": text, "mapping": {}, "team": roles.marketing.pk},
    )
    lead_import(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.message
    assert identity(client_lead) == before
    client_lead.refresh_from_db()
    assert client_lead.job_title == "CFO"  # blank: filled
    event = last_capture(client_lead)
    assert event.payload["source"] == "import"
    assert set(event.payload["proposed"]) == {"first_name", "last_name", "company"}
    assert Lead.objects.filter(email="fresh@example.com").exists()


def test_the_merge_rule_is_one_function(roles, client_lead):
    filled, proposed = services.capture_merge(
        client_lead,
        {
            "email": client_lead.email,
            "first_name": "",  # nothing given: nothing proposed
            "company": "Acme",  # the same: nothing
            "phone": "0102030405",  # blank: filled
            "deal_value": Decimal(0),  # 0 is a value: proposed, not skipped
            "budget_voted": True,  # qualification answers move the SLA's clock: proposed only
            "consent_to_contact": True,  # the person's own consent: filled
        },
    )
    assert filled == {"phone": "0102030405", "consent_to_contact": True}
    assert proposed == {
        "deal_value": {"old": "5000.00", "new": "0"},
        "budget_voted": {"old": False, "new": True},
    }
