"""API tokens: lifecycle, hashed storage, the token endpoint, lockout and throttling."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from slas.tests.factories import UserFactory
from smarketing.models import ApiToken
from smarketing.tokens import api_token_create

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"
WEBHOOKS_URL = "/api/v1/webhooks/"


def _client(key: str | None = None) -> APIClient:
    client = APIClient()
    if key:
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_is_stored_hashed_and_shown_once(roles):
    token, key = api_token_create(user=roles.admin, name="BI tool")
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in {stored.key_hash, stored.prefix, stored.name}
    assert key.startswith(stored.prefix)
    assert len(stored.prefix) < len(key) // 2


def test_token_lifecycle_use_marks_last_used_and_revoke_gives_401(roles, client):
    client.force_login(roles.admin)
    response = client.post(reverse("profile"), {"action": "create_token", "name": "Website"})
    key = response.context["new_key"]
    assert key and key.encode() in response.content
    token = ApiToken.objects.get(user=roles.admin, name="Website")
    assert token.last_used_at is None

    assert _client(key).get(WEBHOOKS_URL).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None

    # The list shows name, prefix and last use, never the key again.
    page = client.get(reverse("profile"))
    assert token.prefix.encode() in page.content and key.encode() not in page.content

    client.post(reverse("profile_token_revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None
    response = _client(key).get(WEBHOOKS_URL)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}


def test_last_used_is_written_at_most_once_a_minute(roles):
    token, key = api_token_create(user=roles.admin, name="x")
    with time_machine.travel("2026-03-02 10:00:00Z", tick=False):
        _client(key).get(WEBHOOKS_URL)
    with time_machine.travel("2026-03-02 10:00:30Z", tick=False):
        _client(key).get(WEBHOOKS_URL)
    token.refresh_from_db()
    assert token.last_used_at == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel("2026-03-02 10:02:00Z", tick=False):
        _client(key).get(WEBHOOKS_URL)
    token.refresh_from_db()
    assert token.last_used_at.minute == 2


def test_a_token_acts_with_exactly_its_users_permissions(roles):
    _token, viewer_key = api_token_create(user=roles.viewer, name="x")
    _token, manager_key = api_token_create(user=roles.sales_manager, name="x")
    assert _client(viewer_key).get(WEBHOOKS_URL).status_code == 403
    assert _client(manager_key).get(WEBHOOKS_URL).status_code == 200


def test_a_token_of_a_deactivated_user_is_refused(roles):
    _token, key = api_token_create(user=roles.mkt_member, name="x")
    roles.mkt_member.is_active = False
    roles.mkt_member.save()
    assert _client(key).get(WEBHOOKS_URL).status_code == 401


@pytest.mark.parametrize("header", ["Token", "Token a b", "Token not-a-key", "Bearer abc"])
def test_malformed_or_unknown_tokens_are_401(db, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(WEBHOOKS_URL)
    assert response.status_code == 401
    assert "detail" in response.json()


def test_the_token_endpoint_returns_a_new_working_key(db):
    UserFactory(username="marion", password="pass-word-123", is_superuser=True)
    response = _client().post(TOKEN_URL, {"username": "marion", "password": "pass-word-123", "name": "CRM"})
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "CRM" and body["token"].startswith(body["prefix"])
    assert _client(body["token"]).get(WEBHOOKS_URL).status_code == 200


def test_the_token_endpoint_rejects_bad_credentials_and_bad_input(db):
    UserFactory(username="marion", password="pass-word-123")
    response = _client().post(TOKEN_URL, {"username": "marion", "password": "nope"})
    assert response.status_code == 401
    assert set(response.json()) == {"detail"}
    response = _client().post(TOKEN_URL, {"username": "marion"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"password": ["This field is required."]}


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_token_endpoint_goes_through_the_axes_lockout(db):
    UserFactory(username="marion", password="pass-word-123")
    for _attempt in range(3):
        _client().post(TOKEN_URL, {"username": "marion", "password": "nope"})
    # Even the right password is refused while locked out.
    response = _client().post(TOKEN_URL, {"username": "marion", "password": "pass-word-123"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert set(response.json()) == {"detail"}
    assert not ApiToken.objects.exists()


def test_the_token_endpoint_is_throttled_with_retry_after(db):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "token": "3/minute"}
    with override_settings(REST_FRAMEWORK={**_rest_settings(), "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [_client().post(TOKEN_URL, {"username": "x", "password": "y"}).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        response = _client().post(TOKEN_URL, {"username": "x", "password": "y"})
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert set(response.json()) == {"detail"}


def test_users_are_throttled_per_user(roles):
    _token, key = api_token_create(user=roles.admin, name="x")
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "2/minute"}
    with override_settings(REST_FRAMEWORK={**_rest_settings(), "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [_client(key).get(WEBHOOKS_URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def _rest_settings() -> dict:
    from django.conf import settings

    return settings.REST_FRAMEWORK
