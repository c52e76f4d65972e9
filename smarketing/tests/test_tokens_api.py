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
    assert set(response.json()) == {"detail", "errors"}


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
    assert set(response.json()) == {"detail", "errors"}
    response = _client().post(TOKEN_URL, {"username": "marion"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"password": ["This field is required."]}


@override_settings(AXES_FAILURE_LIMIT=3)
def test_the_token_endpoint_goes_through_the_axes_lockout(db):
    UserFactory(username="marion", password="pass-word-123")
    for _attempt in range(3):
        _client().post(TOKEN_URL, {"username": "marion", "password": "nope"})
    # Even the right password is refused while locked out.
    response = _client().post(TOKEN_URL, {"username": "marion", "password": "pass-word-123"})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert set(response.json()) == {"detail", "errors"}
    assert not ApiToken.objects.exists()


def test_the_token_endpoint_is_throttled_with_retry_after(db):
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "token": "3/minute"}
    with override_settings(REST_FRAMEWORK={**_rest_settings(), "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [_client().post(TOKEN_URL, {"username": "x", "password": "y"}).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        response = _client().post(TOKEN_URL, {"username": "x", "password": "y"})
        assert 0 < int(response.headers["Retry-After"]) <= 60
        assert set(response.json()) == {"detail", "errors"}


def test_users_are_throttled_per_user(roles):
    _token, key = api_token_create(user=roles.admin, name="x")
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "2/minute"}
    with override_settings(REST_FRAMEWORK={**_rest_settings(), "DEFAULT_THROTTLE_RATES": rates}):
        statuses = [_client(key).get(WEBHOOKS_URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def _rest_settings() -> dict:
    from django.conf import settings

    return settings.REST_FRAMEWORK


def _cache_shared_with_another_installation(prefix: str) -> dict:
    """The cache settings of an installation using this suite's cache server (Redis in CI)."""
    import os

    if os.environ.get("REDIS_URL"):
        backend = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": os.environ["REDIS_URL"]}
    else:
        # Same LOCATION: one in-memory store, as two processes would share one Redis.
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "shared"}
    return {"default": {**backend, "KEY_PREFIX": prefix}}


def test_two_installations_sharing_a_cache_server_never_share_throttle_counters(roles):
    """Both installations' user #N has its own counter: the cache key prefix names the installation."""
    from django.core.cache import cache

    from smarketing.env import installation_id

    database = {"ENGINE": "postgresql", "HOST": "db", "PORT": 5432, "NAME": "smk_a"}
    ours, theirs = installation_id(database), installation_id({**database, "NAME": "smk_b"})
    assert ours != theirs and ours == installation_id(dict(database))
    _token, key = api_token_create(user=roles.admin, name="x")
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "user": "2/minute"}
    statuses = {}
    for prefix in (ours, theirs, ours):
        with override_settings(
            CACHES=_cache_shared_with_another_installation(prefix),
            REST_FRAMEWORK={**_rest_settings(), "DEFAULT_THROTTLE_RATES": rates},
        ):
            if prefix not in statuses:
                cache.delete(f"throttle_user_{roles.admin.pk}")
            statuses.setdefault(prefix, []).extend(_client(key).get(WEBHOOKS_URL).status_code for _ in range(2))
    # Ours: 2 allowed then refused; theirs: its own 2, untouched by ours.
    assert statuses == {ours: [200, 200, 429, 429], theirs: [200, 200]}


def _prefix_of_installation(**env) -> str:
    import os
    import subprocess
    import sys

    code = "from django.conf import settings; print(settings.CACHES['default']['KEY_PREFIX'])"
    environment = {name: value for name, value in os.environ.items() if name != "CACHE_KEY_PREFIX"}
    environment.update(DJANGO_SETTINGS_MODULE="smarketing.settings", SECRET_KEY="x" * 50, **env)
    result = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
    return result.stdout.strip()


def test_each_installation_gets_its_own_cache_key_prefix_unless_configured():
    redis = {"REDIS_URL": "redis://127.0.0.1:6379/15"}
    first = _prefix_of_installation(DATABASE_URL="postgres://db:5432/smk_one", **redis)
    second = _prefix_of_installation(DATABASE_URL="postgres://db:5432/smk_two", **redis)
    assert first.startswith("smk-") and second.startswith("smk-") and first != second
    configured = _prefix_of_installation(DATABASE_URL="postgres://db:5432/smk_one", CACHE_KEY_PREFIX="acme", **redis)
    assert configured == "acme"
