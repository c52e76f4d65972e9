"""Webhook payloads are useful on their own and are what the schema's ``webhooks`` section says
(issue 15): main fields, API and web links, a stable event id."""

from __future__ import annotations

import datetime as dt

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

from leads import services as lead_services
from leads.models import Stage
from slas import services as sla_services
from slas.models import SLA
from slas.tests.factories import make_sla
from smarketing import webhooks
from smarketing.models import WebhookDelivery

pytestmark = pytest.mark.django_db

EVENTS = ["lead.handed_off", "lead.accepted", "lead.rejected", "sla.activated"]


@pytest.fixture
def subscribed(roles, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.SITE_URL = "https://smk.example.com"
    webhooks.webhook_subscription_create(
        url="http://127.0.0.1:9/hook", events=EVENTS, secret=webhooks.new_secret(), by=roles.admin
    )


def _schema_of(event_type: str) -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    body = schema["webhooks"][event_type]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return {**body, "components": schema["components"]}


def _payloads(event_type: str) -> list[dict]:
    return [d.payload for d in WebhookDelivery.objects.filter(event_type=event_type).order_by("pk")]


def test_every_event_type_is_in_the_schemas_webhooks_section():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["openapi"].startswith("3.1")
    assert set(schema["webhooks"]) == set(webhooks.EVENT_TYPES)


def test_handoff_events_carry_the_lead_the_teams_and_links_and_match_the_schema(roles, subscribed):
    today = dt.date.today()
    make_sla(
        roles.marketing,
        roles.sales,
        start=today - dt.timedelta(days=30),
        end=today + dt.timedelta(days=30),
        status=SLA.Status.ACTIVE,
    )
    lead = lead_services.lead_create(
        data={"email": "ada@example.com", "first_name": "Ada", "last_name": "L", "company": "Acme"},
        team=roles.marketing,
        by=roles.mkt_manager,
        stage=Stage.MQL,
    )
    lead_services.lead_handoff(lead=lead, team=roles.sales, by=roles.mkt_manager)
    lead_services.lead_accept(lead=lead, by=roles.sales_member)
    (handed,), (accepted,) = _payloads("lead.handed_off"), _payloads("lead.accepted")
    for payload, event_type in ((handed, "lead.handed_off"), (accepted, "lead.accepted")):
        jsonschema.validate(payload, _schema_of(event_type))
    data = accepted["data"]
    assert data["lead_email"] == "ada@example.com" and data["lead_company"] == "Acme"
    assert data["to_team_name"] == roles.sales.name and data["status"] == "accepted"
    assert data["api_url"] == f"https://smk.example.com/api/v1/leads/{lead.pk}/"
    assert data["web_url"] == f"https://smk.example.com/leads/{lead.pk}/"
    assert handed["id"] != accepted["id"]
    # Stable: the same occurrence has the same id (a receiver drops a replay).
    assert accepted["id"] == str(webhooks.event_id("lead.accepted", f"handoff:{data['handoff']}:accepted"))


def test_sla_activated_carries_the_teams_and_links_and_matches_the_schema(roles, subscribed):
    sla = make_sla(roles.marketing, roles.sales, start=dt.date.today(), end=dt.date.today() + dt.timedelta(days=90))
    sla_services.sla_submit(sla=sla, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.marketing, by=roles.mkt_manager)
    sla_services.sla_sign(sla=sla, team=roles.sales, by=roles.sales_manager)
    (payload,) = _payloads("sla.activated")
    jsonschema.validate(payload, _schema_of("sla.activated"))
    assert payload["data"]["status_url"] == f"https://smk.example.com/api/v1/slas/{sla.pk}/status/"
    assert payload["data"]["sales_team_name"] == roles.sales.name
