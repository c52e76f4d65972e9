"""Every API error is JSON: ``{"detail": ...}`` or ``{"field": [messages]}``."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401_json(db):
    response = APIClient().get("/api/v1/webhooks/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Authentication credentials were not provided.", "errors": {}}


def test_a_wrong_method_is_405_json(admin_api):
    response = admin_api.put("/api/v1/webhooks/", {}, format="json")
    assert response.status_code == 405
    assert set(response.json()) == {"detail", "errors"}


def test_a_wrong_content_type_is_415_json(admin_api):
    response = admin_api.post("/api/v1/webhooks/", "url=x", content_type="text/plain")
    assert response.status_code == 415
    assert set(response.json()) == {"detail", "errors"}


def test_malformed_json_is_400_json(admin_api):
    response = admin_api.post("/api/v1/webhooks/", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


def test_an_unknown_object_is_404_json(admin_api):
    response = admin_api.get("/api/v1/webhooks/999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}


def test_an_unknown_api_path_is_404_json(admin_api):
    response = admin_api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail", "errors"}


def test_field_errors_name_the_field(admin_api):
    response = admin_api.post("/api/v1/webhooks/", {"url": "not a url", "events": ["nope"]}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"} and set(body["errors"]) == {
        "url",
        "events.0",
    }  # the first event is unknown
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body["errors"].values())


def test_a_server_error_on_an_api_path_is_json(rf):
    from smarketing.errors import handler500

    response = handler500(rf.get("/api/v1/anything/"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"


def test_session_auth_enforces_csrf_on_writes(roles, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(roles.admin)
    assert client.get("/api/v1/webhooks/").status_code == 200
    response = client.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1/x", "events": ["report.ready"]}, format="json"
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
