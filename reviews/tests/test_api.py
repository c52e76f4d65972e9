"""The review API: list and detail for everyone signed in; decisions and action items posted by the
review's participants and managers; JSON errors 400/403/404/409."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from reviews import services
from reviews.models import Review
from slas.services import sla_amend

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_list_filters_by_sla_and_month(roles, sla, review):
    client = _client(roles.viewer)
    rows = client.get("/api/v1/reviews/", {"sla": sla.pk, "month": "2026-02"}).json()["results"]
    assert [row["id"] for row in rows] == [review.pk]
    assert rows[0]["month"] == "2026-02" and rows[0]["status"] == "open" and rows[0]["kind"] == "monthly"
    assert sorted(rows[0]["participants"]) == sorted([roles.mkt_manager.pk, roles.sales_manager.pk])
    assert client.get("/api/v1/reviews/", {"month": "2026-01"}).json()["results"] == []


def test_any_version_of_the_sla_finds_the_series_reviews(roles, sla, review):
    amendment = sla_amend(sla=sla, by=roles.admin)
    rows = _client(roles.viewer).get("/api/v1/reviews/", {"sla": amendment.pk}).json()["results"]
    assert [row["id"] for row in rows] == [review.pk]


def test_a_bad_month_is_a_400(roles, review):
    response = _client(roles.viewer).get("/api/v1/reviews/", {"month": "February"})
    assert response.status_code == 400 and "month" in response.json()["errors"]


def test_the_detail_has_the_agenda_decisions_and_action_items(roles, review, now):
    services.decision_add(review=review, by=roles.sales_manager, text="Call faster")
    body = _client(roles.mkt_member).get(f"/api/v1/reviews/{review.pk}/").json()
    assert body["review"]["id"] == review.pk and body["frozen"] is False
    keys = [section["key"] for section in body["agenda"]["sections"]]
    assert keys[0] == "scorecard" and "miss:first_contact" in keys and "mql_quality" in keys
    assert [decision["text"] for decision in body["decisions"]] == ["Call faster"]
    assert body["action_items"] == [] and len(body["participants"]) == 2


def test_an_unknown_review_is_a_404(roles, db):
    assert _client(roles.viewer).get("/api/v1/reviews/999/").status_code == 404
    response = _client(roles.admin).post("/api/v1/reviews/999/decisions/", {"text": "x"}, format="json")
    assert response.status_code == 404


def test_a_manager_posts_a_decision_with_a_proposal(roles, review, now):
    response = _client(roles.sales_manager).post(
        f"/api/v1/reviews/{review.pk}/decisions/",
        {
            "text": "Category 1 within 2 hours",
            "item": "miss:first_contact",
            "proposal": "response_time",
            "commitment_key": "first_contact",
            "category": 1,
            "proposed_value": "2",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["proposal"] == "response_time" and body["category"] == 1 and body["proposed_value"] == "2.00"
    assert body["by"]["id"] == roles.sales_manager.pk and body["amendment"] is None


def test_a_manager_posts_an_action_item_that_becomes_a_follow_up(roles, review, february, now):
    response = _client(roles.mkt_manager).post(
        f"/api/v1/reviews/{review.pk}/action-items/",
        {"title": "Call Sam back", "owner": roles.sales_member.pk, "due_date": "2026-03-13", "lead": february.sam.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["owner"]["id"] == roles.sales_member.pk and body["lead"]["id"] == february.sam.pk
    followups = _client(roles.sales_member).get("/api/v1/followups/", {"owner": "me"}).json()["results"]
    assert body["followup"] in [row["id"] for row in followups]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"title": "", "owner": "OWNER", "due_date": "2026-03-13"}, "title"),
        ({"title": "x", "owner": 99999, "due_date": "2026-03-13"}, "owner"),
        ({"title": "x", "owner": "OWNER", "due_date": "soon"}, "due_date"),
        ({"title": "x", "owner": "OWNER", "due_date": "2026-03-01"}, "due_date"),
        ({"title": "x", "owner": "VIEWER", "due_date": "2026-03-13"}, "owner"),
        ({"title": "x", "owner": "OWNER", "due_date": "2026-03-13", "item": "nonsense"}, "item"),
    ],
)
def test_bad_action_items_are_field_errors(roles, review, now, payload, field):
    payload = {
        key: (roles.sales_member.pk if value == "OWNER" else roles.viewer.pk if value == "VIEWER" else value)
        for key, value in payload.items()
    }
    response = _client(roles.mkt_manager).post(f"/api/v1/reviews/{review.pk}/action-items/", payload, format="json")
    assert response.status_code == 400 and field in response.json()["errors"], response.json()
    assert not review.action_items.exists()


def test_a_bad_proposal_is_a_field_error(roles, review, now):
    response = _client(roles.mkt_manager).post(
        f"/api/v1/reviews/{review.pk}/decisions/",
        {"text": "x", "proposal": "target", "commitment_key": "mql_acceptance_rate", "proposed_value": "150"},
        format="json",
    )
    assert response.status_code == 400 and "proposed_value" in response.json()["errors"]


def test_members_and_viewers_get_a_403(roles, review, now):
    for user in (roles.mkt_member, roles.sales_member, roles.viewer):
        client = _client(user)
        assert client.post(f"/api/v1/reviews/{review.pk}/decisions/", {"text": "x"}, format="json").status_code == 403
        response = client.post(
            f"/api/v1/reviews/{review.pk}/action-items/",
            {"title": "x", "owner": user.pk, "due_date": "2026-03-13"},
            format="json",
        )
        assert response.status_code == 403
    assert not review.decisions.exists()


def test_a_closed_review_is_a_409(roles, review, now):
    services.review_close(review=review, by=roles.mkt_manager)
    response = _client(roles.mkt_manager).post(f"/api/v1/reviews/{review.pk}/decisions/", {"text": "x"}, format="json")
    assert response.status_code == 409 and "closed" in response.json()["detail"]
    detail = _client(roles.viewer).get(f"/api/v1/reviews/{review.pk}/").json()
    assert detail["frozen"] is True and detail["review"]["status"] == Review.Status.CLOSED


def test_unauthenticated_callers_get_nothing(review):
    assert APIClient().get("/api/v1/reviews/").status_code in (401, 403)


def test_the_schema_documents_the_review_endpoints(roles, client, db):
    client.force_login(roles.viewer)
    schema = client.get("/api/schema/?format=json").json()
    for path in (
        "/api/v1/reviews/",
        "/api/v1/reviews/{id}/",
        "/api/v1/reviews/{id}/decisions/",
        "/api/v1/reviews/{id}/action-items/",
    ):
        assert path in schema["paths"], path
    assert "409" in schema["paths"]["/api/v1/reviews/{id}/decisions/"]["post"]["responses"]
