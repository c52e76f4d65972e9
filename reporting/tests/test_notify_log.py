from __future__ import annotations

import pytest

from reporting.models import Notification


@pytest.fixture
def log(roles):
    Notification.objects.create(
        kind="overdue", recipient=roles.sales_member, dedupe_key="followup:1:owner", subject="A"
    )
    Notification.objects.create(
        kind="monthly_report",
        recipient=roles.sales_manager,
        dedupe_key="report:1",
        subject="B",
        status="failed",
        last_error="SMTPServerDisconnected: gone",
    )
    return roles


def test_a_member_sees_only_their_notifications(log, client):
    client.force_login(log.sales_member)
    response = client.get("/notifications/")
    assert response.status_code == 200
    assert [n.subject for n in response.context["page"]] == ["A"]


def test_managers_see_all_notifications_filtered_by_status(log, client, django_assert_max_num_queries):
    client.force_login(log.mkt_manager)
    assert list(client.get("/notifications/", {"status": "failed"}).context["page"]) == []  # their own first
    with django_assert_max_num_queries(12):
        response = client.get("/notifications/", {"status": "failed", "scope": "all"})
    assert [n.subject for n in response.context["page"]] == ["B"]
    assert "SMTPServerDisconnected" in response.content.decode()


def test_the_api_lists_the_log_with_filters(log, client):
    client.force_login(log.admin)
    body = client.get("/api/v1/notifications/", {"kind": "overdue"}).json()
    assert body["count"] == 1
    assert body["results"][0]["recipient"] == "sales_member"
    assert body["results"][0]["status"] == "queued"
    client.force_login(log.sales_member)
    assert client.get("/api/v1/notifications/").json()["count"] == 1
    assert client.get("/api/v1/notifications/", {"kind": "nonsense"}).status_code == 400
    client.logout()
    assert client.get("/api/v1/notifications/").status_code in {401, 403}


def test_the_notification_api_is_in_the_openapi_schema(roles, client):
    client.force_login(roles.admin)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/notifications/" in response.content
