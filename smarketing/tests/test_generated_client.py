"""Proof that the schema is truthful (issue 15): a Python client generated from ``/api/schema/``
with openapi-python-client (pinned in requirements-dev.txt), and that client alone, runs a whole
integration against a live server — teams and users, an SLA drafted, submitted and signed by both
parties, leads pushed with back-dated events through every action, the status and the follow-ups
read, and a webhook received and verified as a receiver would.

The client parses every answer into the schema's models (``raise_on_unexpected_status``: an
undocumented status fails), so a field, type or status the schema gets wrong fails here.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import time_machine
from standardwebhooks.webhooks import Webhook

from slas.tests.factories import UserFactory
from smarketing.tests.test_webhooks import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

NOW = "2026-03-10T15:00:00+00:00"
PASSWORD = "Lo0ng-enough-secret"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory, django_db_setup, django_db_blocker):
    """Generate the client from the schema the server serves, and import it."""
    from drf_spectacular.generators import SchemaGenerator

    directory = tmp_path_factory.mktemp("generated")
    with django_db_blocker.unblock():
        schema = SchemaGenerator().get_schema(request=None, public=True)
    (directory / "schema.json").write_text(json.dumps(schema, default=str))
    tool = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert tool, "openapi-python-client is pinned in requirements-dev.txt"
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run(
        [tool, "generate", "--path", "schema.json", "--meta", "none", "--output-path", "smk_client"],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Unable to parse" not in result.stdout, result.stdout  # every operation and model generated
    sys.path.insert(0, str(directory))
    try:
        yield importlib.import_module("smk_client")
    finally:
        sys.path.remove(str(directory))
        for name in [m for m in sys.modules if m == "smk_client" or m.startswith("smk_client.")]:
            del sys.modules[name]


class Api:
    """The generated package, a client per token, and ``call`` that refuses an Error answer."""

    def __init__(self, package, base_url: str):
        self.package = package
        self.base_url = base_url
        self.models = importlib.import_module("smk_client.models")

    def op(self, tag: str, name: str):
        return importlib.import_module(f"smk_client.api.{tag}.{name}")

    def client(self, key: str | None = None):
        if key is None:
            return self.package.Client(base_url=self.base_url, raise_on_unexpected_status=True)
        return self.package.AuthenticatedClient(
            base_url=self.base_url, token=key, prefix="Token", raise_on_unexpected_status=True
        )

    def call(self, tag: str, name: str, client, *args, **kwargs):
        result = self.op(tag, name).sync(*args, client=client, **kwargs)
        assert result is not None and not isinstance(result, self.models.Error), (
            name,
            getattr(result, "to_dict", lambda: result)(),
        )
        return result

    def body(self, model: str, data: dict):
        return getattr(self.models, model).from_dict(data)


def test_a_whole_integration_with_the_generated_client_alone(client_package, live_server, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.SITE_URL = live_server.url
    UserFactory(username="root", password=PASSWORD, is_superuser=True, is_staff=True)
    api = Api(client_package, live_server.url)
    with time_machine.travel(NOW, tick=True), Receiver() as receiver:
        _integration(api, receiver)


def _token(api: Api, username: str) -> str:
    body = api.body("TokenRequestRequest", {"username": username, "password": PASSWORD, "name": "integration"})
    return api.call("auth", "auth_token_create", api.client(), body=body).token


def _integration(api: Api, receiver: Receiver) -> None:
    root = api.client(_token(api, "root"))

    # Teams and users, with memberships.
    marketing = api.call(
        "teams", "teams_create", root, body=api.body("TeamRequest", {"name": "Growth", "function": "marketing"})
    )
    sales = api.call(
        "teams", "teams_create", root, body=api.body("TeamRequest", {"name": "Closers", "function": "sales"})
    )
    people = {
        "mia": (marketing.id, "manager"),
        "sam": (sales.id, "manager"),
        "sue": (sales.id, "member"),
    }
    for username, (team, role) in people.items():
        api.call(
            "users",
            "users_create",
            root,
            body=api.body(
                "UserRequest",
                {
                    "username": username,
                    "password": PASSWORD,
                    "email": f"{username}@example.com",
                    "memberships": [{"team": team, "role": role}],
                },
            ),
        )
    users = api.call("users", "users_list", root, page_size=2)
    assert users.count == 4 and len(users.results) == 2 and users.next_  # cursor pagination
    ids = {}
    page = users
    while True:
        ids.update({user.username: user.id for user in page.results})
        if not page.next_:
            break
        cursor = page.next_.split("cursor=")[1].split("&")[0]
        page = api.call("users", "users_list", root, page_size=2, cursor=cursor.replace("%3D", "="))
    assert set(ids) == {"root", "mia", "sam", "sue"}
    mia, sam, sue = (api.client(_token(api, name)) for name in ("mia", "sam", "sue"))

    # A webhook subscription of the marketing manager.
    created = api.call(
        "webhooks",
        "webhooks_create",
        mia,
        body=api.body(
            "WebhookSubscriptionRequest",
            {"url": receiver.url, "events": ["lead.handed_off", "lead.accepted", "sla.activated"]},
        ),
    )
    secret = created.secret

    # The SLA: drafted, submitted, signed by both parties.
    draft = api.call(
        "slas",
        "slas_create",
        mia,
        body=api.body(
            "SLARequest",
            {
                "title": "Growth × Closers",
                "marketing_team": marketing.id,
                "sales_team": sales.id,
                "start_date": "2026-03-01",
                "end_date": "2026-12-31",
                "currency": "EUR",
                "commitments": [
                    {"key": "mql_volume", "target": "2"},
                    {"key": "handoff_response", "target": "90", "hours": "4"},
                    {"key": "first_contact", "target": "80", "hours": "8", "category_hours": {"1": 2, "3": 24}},
                    {"key": "won_revenue", "target": "5000"},
                ],
                "maturity_rules": [
                    {
                        "category": 3,
                        "owner_function": "marketing",
                        "response_hours": "24",
                        "sales_may_take": True,
                        "take_max_days": 30,
                    },
                ],
                "calendar": {
                    "time_zone": "UTC",
                    "country": "",
                    "hours": [{"weekday": day, "start": "00:00", "end": "23:59"} for day in range(7)],
                },
            },
        ),
    )
    assert draft.status.value == "draft" and draft.calendar.hours[0].start == "00:00:00"
    api.call("slas", "slas_submit_create", mia, draft.id)
    api.call("slas", "slas_sign_create", mia, draft.id, body=api.body("SignInputRequest", {"team": marketing.id}))
    api.call("slas", "slas_sign_create", sam, draft.id, body=api.body("SignInputRequest", {"team": sales.id}))
    assert api.call("slas", "slas_retrieve", sam, draft.id).status.value == "active"

    # Leads with back-dated events through every action.
    def lead(email: str, at: str, **extra):
        body = {"email": email, "first_name": email.split("@")[0], "team": marketing.id, "occurred_at": at, **extra}
        return api.call("leads", "leads_create", mia, body=api.body("LeadCreateRequest", body))

    def act(client, action: str, lead_id: int, model: str, body: dict):
        return api.call("leads", f"leads_{action}", client, lead_id, body=api.body(model, body))

    won = lead("won@example.com", "2026-03-10T09:00:00Z", company="Acme")
    act(
        mia,
        "transition",
        won.id,
        "TransitionRequest",
        {"to": "mql", "expected_stage": "prospect", "occurred_at": "2026-03-10T10:30:00+01:00"},
    )
    act(
        mia,
        "category",
        won.id,
        "CategoryRequest",
        {"category": 1, "reason": "Budget signed", "occurred_at": "2026-03-10T09:45:00Z"},
    )
    act(mia, "handoff", won.id, "HandoffRequest", {"team": sales.id, "occurred_at": "2026-03-10T10:00:00Z"})
    act(sue, "accept", won.id, "AcceptRequest", {"occurred_at": "2026-03-10T10:30:00Z"})
    api.call(
        "leads",
        "leads_activities_create",
        sue,
        won.id,
        body=api.body(
            "ActivityInputRequest", {"kind": "call", "outcome": "reached", "occurred_at": "2026-03-10T11:00:00Z"}
        ),
    )
    act(sue, "transition", won.id, "TransitionRequest", {"to": "opportunity", "occurred_at": "2026-03-10T11:30:00Z"})
    closed = act(
        sue,
        "transition",
        won.id,
        "TransitionRequest",
        {"to": "client", "deal_value": "6000.00", "occurred_at": "2026-03-10T12:00:00Z"},
    )
    assert closed.stage.value == "client" and closed.lost_from_stage.value == ""

    refused = lead("no@example.com", "2026-03-10T09:05:00Z")
    act(mia, "transition", refused.id, "TransitionRequest", {"to": "mql", "occurred_at": "2026-03-10T09:10:00Z"})
    act(mia, "handoff", refused.id, "HandoffRequest", {"team": sales.id, "occurred_at": "2026-03-10T09:20:00Z"})
    act(
        sam,
        "reject",
        refused.id,
        "RejectRequest",
        {"reason": "Out of our market", "occurred_at": "2026-03-10T09:50:00Z"},
    )
    lost = act(
        mia,
        "transition",
        refused.id,
        "TransitionRequest",
        {"to": "lost", "reason": "No budget", "occurred_at": "2026-03-10T10:10:00Z"},
    )
    assert lost.lost_from_stage.value == "mql"

    nurtured = lead("later@example.com", "2026-03-10T08:00:00Z", pain_identified=True)
    taken = act(sue, "take", nurtured.id, "TakeRequest", {"until": "2026-03-20", "occurred_at": "2026-03-10T13:00:00Z"})
    assert taken.temporary_until.astimezone(dt.UTC).isoformat().startswith("2026-03-20T23:59:59")
    act(
        sue,
        "return",
        nurtured.id,
        "ReturnRequest",
        {"feedback": "Call again in Q3", "occurred_at": "2026-03-10T14:00:00Z"},
    )

    # A naive time is refused with the one error shape.
    naive = api.op("leads", "leads_create").sync_detailed(
        client=mia,
        body=api.body(
            "LeadCreateRequest", {"email": "n@example.com", "team": marketing.id, "occurred_at": "2026-03-10T09:00:00"}
        ),
    )
    assert naive.status_code == 400 and "occurred_at" in naive.parsed.errors.additional_properties

    history = api.call("leads", "leads_history_list", mia, won.id)
    # Newest first, at the back-dated times given (instants: compared whatever the answer's offset).
    assert history.results[0].occurred_at == dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)
    assert all(event.is_late_entry is False for event in history.results)

    # The status of the month and the follow-ups.
    status = api.call("slas", "slas_status", sam, draft.id, month="2026-03")
    assert status.state.value == "in_progress" and status.currency == "EUR"
    assert status.funnel.entries.client == 1 and status.funnel.entries.mql == 2
    assert status.funnel.handoffs.accepted == 1 and status.funnel.handoffs.rejected == 1
    revenue = next(c for c in status.commitments if c.key == "won_revenue")
    assert revenue.actual == 6000.0 and revenue.unit.value == "amount"
    followups = api.call("followups", "followups_list", sue, owner=api.models.FollowupsListOwner("me"))
    assert (won.id, "first_contact") in {(f.lead, f.kind.value) for f in followups.results}

    # The webhooks, verified as a receiver does, and usable on their own.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(receiver.requests) < 3:
        time.sleep(0.1)
    events = {}
    for request in receiver.requests:
        event = Webhook(secret).verify(request["body"], request["headers"])
        events.setdefault(event["type"], []).append(event)
    assert {"sla.activated", "lead.handed_off", "lead.accepted"} <= set(events)
    accepted = events["lead.accepted"][0]["data"]
    assert accepted["lead"] == won.id and accepted["lead_email"] == "won@example.com"
    assert accepted["api_url"] == f"{api.base_url}/api/v1/leads/{won.id}/"
    again = api.call("leads", "leads_retrieve", mia, accepted["lead"])
    assert again.email == "won@example.com"
