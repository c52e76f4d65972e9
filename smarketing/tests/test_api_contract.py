"""The API as an integrator reads it (issue 15): one error shape, one pagination, strict time,
and a schema that documents each operation with its own body."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from leads import services as lead_services
from leads.models import FollowUp, Lead, Stage
from slas.models import SLA
from slas.tests.factories import UserFactory, make_sla

pytestmark = pytest.mark.django_db

LEAD_ACTIONS = {
    "transition": {"to", "reason", "expected_stage", "deal_value", "occurred_at"},
    "handoff": {"team", "occurred_at"},
    "accept": {"owner", "occurred_at"},
    "reject": {"reason", "occurred_at"},
    "take": {"until", "team", "occurred_at"},
    "return": {"feedback", "occurred_at"},
    "category": {"category", "reason", "occurred_at"},
}


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker) -> dict:
    with django_db_blocker.unblock():
        return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


# --- the schema ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(LEAD_ACTIONS))
def test_each_lead_action_documents_its_own_body_and_examples(schema, action):
    operation = schema["paths"][f"/api/v1/leads/{{id}}/{action}/"]["post"]
    body = operation["requestBody"]["content"]["application/json"]
    request = _resolve(schema, body["schema"])
    assert set(request["properties"]) == LEAD_ACTIONS[action]
    assert operation["summary"] and operation["description"]
    assert operation["operationId"] == f"leads_{action}"
    # Every documented example is a valid body for this very operation.
    assert body["examples"]
    for example in body["examples"].values():
        jsonschema.validate(
            example["value"], {**request, "components": schema["components"]}, format_checker=jsonschema.FormatChecker()
        )
    summaries = {
        op["post"]["summary"]
        for path, op in schema["paths"].items()
        if path.startswith("/api/v1/leads/{id}/")
        and "post" in op
        and path.rstrip("/").rsplit("/", 1)[1] in LEAD_ACTIONS
    }
    assert len(summaries) == len(LEAD_ACTIONS)  # no action borrows another one's text


def test_every_error_response_has_the_one_error_body(schema):
    error = schema["components"]["schemas"]["Error"]
    assert error["required"] == ["detail", "errors"]
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code.startswith("4"):
                    assert response["content"]["application/json"]["schema"] == {
                        "$ref": "#/components/schemas/Error"
                    }, (method, path, code)


def test_the_status_response_is_typed_down_to_the_funnel(schema):
    status = _resolve(
        schema,
        schema["paths"]["/api/v1/slas/{id}/status/"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ],
    )
    assert {"as_of", "business_days", "engine_version", "funnel"} <= set(status["required"])
    funnel = _resolve(schema, status["properties"]["funnel"])
    assert "additionalProperties" not in funnel
    median = _resolve(schema, funnel["properties"]["first_contact_hours"])["properties"]["median"]
    assert "number" in median["type"]  # ["number", "null"] (OpenAPI 3.1)
    commitment = _resolve(schema, status["properties"]["commitments"]["items"])
    assert {"basis", "hours", "attempts", "days"} <= set(commitment["properties"])


def test_every_list_is_a_cursor_list_with_a_bounded_page_size(schema):
    lists = 0
    for path, operations in schema["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        content = get["responses"]["200"].get("content", {})
        if "application/json" not in content:  # a file download (report export), not a list
            continue
        ok = _resolve(schema, content["application/json"]["schema"])
        if "results" not in ok.get("properties", {}):
            continue
        lists += 1
        assert {"next", "previous", "results"} <= set(ok["required"]), path
        parameters = {p["name"]: p for p in get["parameters"]}
        assert parameters["page_size"]["schema"]["maximum"] == 200, path
        assert "cursor" in parameters and "page" not in parameters, path
    assert lists >= 10


# --- one error shape ---------------------------------------------------------------------------


def test_a_lead_without_a_team_is_a_400_field_error_not_a_403(roles):
    response = _api(roles.admin).post("/api/v1/leads/", {"email": "a@example.com"}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["team"]
    response = _api(roles.admin).post(
        "/api/v1/leads/", {"email": "a@example.com", "team": roles.sales.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"team": [f"No marketing team has the id {roles.sales.pk}."]}
    assert not Lead.objects.exists()


def test_nested_errors_have_dotted_paths(roles):
    response = _api(roles.admin).post(
        "/api/v1/users/",
        {
            "username": "x1",
            "password": "Lo0ng-enough-secret",
            "memberships": [{"team": roles.sales.pk, "role": "boss"}],
        },
        format="json",
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"memberships.0.role"}
    sla = {
        "title": "T",
        "marketing_team": roles.marketing.pk,
        "sales_team": roles.sales.pk,
        "start_date": "2026-01-01",
        "end_date": "2026-12-31",
        "calendar": {"time_zone": "Europe/Paris", "hours": [{"weekday": 0, "start": "18:00", "end": "09:00"}]},
        "commitments": [{"key": "mql_acceptance_rate", "target": "150"}],
    }
    response = _api(roles.mkt_manager).post("/api/v1/slas/", sla, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "commitments.0.target" in errors and any(path.startswith("calendar.hours.0") for path in errors), errors
    assert response.json()["detail"].startswith(next(iter(errors)))
    assert not SLA.objects.exists()


def test_unknown_api_paths_answer_the_json_404_even_in_debug(roles, settings):
    settings.DEBUG = True
    response = _api(roles.admin).get("/api/v1/no-such-thing/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found.", "errors": {}}


# --- one pagination ------------------------------------------------------------------------------


def test_lists_walk_with_cursors_and_keep_their_count(roles):
    for n in range(5):
        UserFactory(username=f"walker{n}")
    client = _api(roles.viewer)
    first = client.get("/api/v1/users/", {"page_size": 2}).json()
    names, page = [], first
    while True:
        names += [user["username"] for user in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert names == sorted(names) and len(names) == first["count"] == len(set(names))
    assert first["previous"] is None


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/teams/", {"page_size": "0"}, "page_size"),
        ("/api/v1/leads/", {"page_size": "201"}, "page_size"),
        ("/api/v1/slas/", {"page_size": "abc"}, "page_size"),
        ("/api/v1/users/", {"cursor": "not-a-cursor"}, "cursor"),
        ("/api/v1/followups/", {"overdue": "maybe"}, "overdue"),
        ("/api/v1/followups/", {"owner": "you"}, "owner"),
    ],
)
def test_bad_list_parameters_are_400_not_ignored(roles, url, params, field):
    response = _api(roles.viewer).get(url, params)
    assert response.status_code == 400 and list(response.json()["errors"]) == [field]


# --- time ------------------------------------------------------------------------------------------


def test_a_time_without_an_offset_is_refused(roles):
    client = _api(roles.mkt_member)
    naive = (dt.datetime.now() - dt.timedelta(hours=2)).replace(microsecond=0).isoformat()
    response = client.post("/api/v1/leads/", {"email": "n@example.com", "occurred_at": naive}, format="json")
    assert response.status_code == 400 and "offset" in response.json()["errors"]["occurred_at"][0]
    aware = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    assert (
        client.post("/api/v1/leads/", {"email": "n@example.com", "occurred_at": aware}, format="json").status_code
        == 201
    )


@pytest.mark.parametrize(
    "url_kind, field, value",
    [
        ("create", "occurred_at", "2024-01-01T12:99:00Z"),
        ("create", "occurred_at", "2026-02-31T09:00:00+01:00"),
        ("take", "until", "2026-02-31"),
    ],
)
def test_a_well_formed_but_impossible_time_is_a_400(roles, url_kind, field, value):
    """Schemathesis found it: ``12:99`` passes the ISO pattern, then the parser raises (it was a 500)."""
    client = _api(roles.mkt_member)
    if url_kind == "create":
        response = client.post("/api/v1/leads/", {"email": "n@example.com", field: value}, format="json")
    else:
        lead = client.post("/api/v1/leads/", {"email": "t@example.com"}, format="json").json()
        response = client.post(f"/api/v1/leads/{lead['id']}/take/", {field: value}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_take_until_a_date_means_the_end_of_that_day_in_the_slas_zone(roles):
    today = dt.date.today()
    sla = make_sla(
        roles.marketing,
        roles.sales,
        start=today - dt.timedelta(days=30),
        end=today + dt.timedelta(days=60),
        status=SLA.Status.ACTIVE,
    )
    sla.calendar.time_zone = "America/New_York"
    sla.calendar.save()
    lead = lead_services.lead_create(
        data={"email": "t@example.com", "pain_identified": True}, team=roles.marketing, by=roles.admin
    )
    day = today + dt.timedelta(days=3)
    response = _api(roles.sales_member).post(
        f"/api/v1/leads/{lead.pk}/take/", {"until": day.isoformat()}, format="json"
    )
    assert response.status_code == 200, response.json()
    until = dt.datetime.fromisoformat(response.json()["temporary_until"]).astimezone(ZoneInfo("America/New_York"))
    assert (until.date(), until.hour, until.minute) == (day, 23, 59)
    assert FollowUp.objects.get(lead=lead, kind=FollowUp.Kind.RETURN_DUE).due_at == until
    lead.refresh_from_db()
    assert lead.stage != Stage.LOST


def test_goal_planner_rates_are_percentages_above_0_and_at_most_100(roles):
    client = _api(roles.mkt_member)
    base = {"revenue_target": "100000", "average_deal_size": "1000"}
    for bad in ("0", "-1", "100.5"):
        response = client.post("/api/v1/goal-plans/", {**base, "overall_rate": bad}, format="json")
        assert response.status_code == 400 and list(response.json()["errors"]) == ["overall_rate"], bad
    response = client.post("/api/v1/goal-plans/", {**base, "overall_rate": "2"}, format="json")
    assert response.status_code == 200 and response.json()["totals"]["prospects"] == 5000


def test_a_number_for_a_text_field_is_refused(roles):
    response = _api(roles.admin).post("/api/v1/teams/", {"name": 5, "function": "sales"}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["name"]


def test_the_integrators_guide_is_the_description_api_docs_shows(schema):
    description = schema["info"]["description"]
    for section in ("## Errors", "## Pagination", "## Time, dates and units", "## Webhooks", "## Changelog"):
        assert section in description
    tags = {tag for operations in schema["paths"].values() for op in operations.values() for tag in op["tags"]}
    assert {"leads", "slas", "teams", "users", "webhooks", "followups"} <= tags


# --- the documented examples, pasted -------------------------------------------------------------


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_every_documented_lead_action_example_works_when_pasted_on_the_demo():
    """Issue 15: an integrator pastes each lead action's documented example into a call on the demo
    installation (`make run`: team 2 is Inside sales, user 6 the seller samuel), on a lead in the state
    the action needs, and it succeeds — today, whatever today is (a take's `until` is counted from the
    day the schema is served, never a fixed day long past)."""
    from itertools import count

    from django.contrib.auth import get_user_model

    from slas.models import Team
    from smarketing.demo import seed_all

    seed_all()
    people = {user.username: user for user in get_user_model().objects.all()}
    assert Team.objects.get(pk=2).name == "Inside sales" and people["samuel"].pk == 6
    schema = SchemaGenerator().get_schema(request=None, public=True)
    numbers = count()

    def post(user, path, body):
        response = _api(user).post(f"/api/v1{path}", body, format="json")
        assert response.status_code in (200, 201), (path, body, response.json())
        return response.json()

    def lead_in(state: str) -> int:
        """A fresh lead brought to ``state`` through the API, as the demo's managers would."""
        lead = post(people["marion"], "/leads/", {"email": f"pasted-{next(numbers)}@example.com", "team": 1})["id"]
        if state == "prospect":
            return lead
        post(people["marion"], f"/leads/{lead}/transition/", {"to": "mql"})
        if state == "mql":
            return lead
        if state == "mql, category 3":  # the demo SLA lets sales take categories 2 and 3
            post(people["marion"], f"/leads/{lead}/category/", {"category": 3, "reason": "Early research"})
            return lead
        post(people["marion"], f"/leads/{lead}/handoff/", {"team": 2})
        if state == "handed off":
            return lead
        post(people["sacha"], f"/leads/{lead}/accept/", {})
        if state == "sql":
            return lead
        post(people["sacha"], f"/leads/{lead}/transition/", {"to": "opportunity"})
        assert state == "opportunity"
        return lead

    # (action, example's name) → the lead's state and who pastes it. An example without a line here fails.
    setups = {
        ("transition", "QualifyAsMQL"): ("prospect", "marion"),
        ("transition", "MarkLost"): ("prospect", "marion"),
        ("transition", "Win"): ("opportunity", "sacha"),
        ("handoff", "HandOff"): ("mql", "marion"),
        ("accept", "Accept"): ("handed off", "sacha"),
        ("accept", "AcceptForASeller"): ("handed off", "sacha"),
        ("reject", "Reject"): ("handed off", "sacha"),
        ("take", "TakeUntilADay"): ("mql, category 3", "samuel"),
        ("take", "TakeUntilATime"): ("mql, category 3", "samuel"),
        ("return", "Return"): ("sql", "sacha"),
        ("category", "Override"): ("prospect", "marion"),
        ("category", "Clear"): ("prospect", "marion"),
    }
    pasted = set()
    for action in LEAD_ACTIONS:
        body = schema["paths"][f"/api/v1/leads/{{id}}/{action}/"]["post"]["requestBody"]["content"]["application/json"]
        for name, example in body["examples"].items():
            state, who = setups[(action, name)]
            lead = lead_in(state)
            answer = post(people[who], f"/leads/{lead}/{action}/", example["value"])
            assert answer["id"] == lead
            pasted.add((action, name))
    assert pasted == set(setups)
