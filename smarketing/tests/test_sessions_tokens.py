"""Issue 13: tokens expire, are unique per name, are revoked with the password; safe next=; CSP."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from leads import services as lead_services
from slas.tests.factories import UserFactory
from smarketing.models import ApiToken
from smarketing.tokens import api_token_create

pytestmark = pytest.mark.django_db
TOKEN_URL = "/api/v1/auth/token/"


def _api(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_an_expired_token_is_refused(roles):
    _token, key = api_token_create(user=roles.admin, name="short", expires_at=timezone.now() + dt.timedelta(days=1))
    assert _api(key).get("/api/v1/teams/").status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = _api(key).get("/api/v1/teams/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_the_profile_creates_a_token_with_an_expiry_and_refuses_a_duplicate_name(roles, client):
    client.force_login(roles.sales_member)
    client.post(reverse("profile"), {"action": "create_token", "name": "BI", "lifetime": "30"})
    token = ApiToken.objects.get(user=roles.sales_member)
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    again = client.post(reverse("profile"), {"action": "create_token", "name": "BI", "lifetime": ""})
    assert again.context["token_form"].errors and ApiToken.objects.filter(user=roles.sales_member).count() == 1


def test_the_token_endpoint_replaces_the_token_of_the_same_name(db):
    UserFactory(username="marion", password="pass-word-123")
    first = APIClient().post(TOKEN_URL, {"username": "marion", "password": "pass-word-123", "name": "CRM"}).json()
    second = (
        APIClient()
        .post(TOKEN_URL, {"username": "marion", "password": "pass-word-123", "name": "CRM", "expires_in_days": 7})
        .json()
    )
    assert _api(first["token"]).get("/api/v1/teams/").status_code == 401
    assert _api(second["token"]).get("/api/v1/teams/").status_code == 200
    assert second["expires_at"] is not None
    assert ApiToken.objects.filter(name="CRM", revoked_at__isnull=True).count() == 1


def test_tokens_are_listed_and_revoked_over_the_api_for_their_owner_only(roles):
    _mine, key = api_token_create(user=roles.sales_member, name="mine")
    theirs, their_key = api_token_create(user=roles.mkt_member, name="theirs")
    api = _api(key)
    listed = api.get("/api/v1/auth/tokens/").json()
    assert [row["name"] for row in listed["results"]] == ["mine"] and "key_hash" not in listed["results"][0]
    assert api.post(f"/api/v1/auth/tokens/{theirs.pk}/revoke/").status_code == 404
    assert _api(their_key).get("/api/v1/teams/").status_code == 200
    revoked = api.post(f"/api/v1/auth/tokens/{_mine.pk}/revoke/")
    assert revoked.status_code == 200 and revoked.json()["is_active"] is False
    assert api.get("/api/v1/auth/tokens/").status_code == 401


def test_changing_the_password_revokes_every_token(client):
    user = UserFactory(username="marion", password="pass-word-123")
    _token, key = api_token_create(user=user, name="a")
    _token, other = api_token_create(user=user, name="b")
    client.force_login(user)
    client.post(
        reverse("password_change"),
        {
            "old_password": "pass-word-123",
            "new_password1": "An0ther-long-secret",
            "new_password2": "An0ther-long-secret",
        },
    )
    assert _api(key).get("/api/v1/teams/").status_code == 401
    assert _api(other).get("/api/v1/teams/").status_code == 401


def test_resetting_the_password_revokes_every_token(client):
    user = UserFactory(username="marion", email="marion@example.com", password="pass-word-123")
    _token, key = api_token_create(user=user, name="a")
    client.post(reverse("password_reset"), {"email": "marion@example.com"})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": "Brand-new-secret-9", "new_password2": "Brand-new-secret-9"})
    assert _api(key).get("/api/v1/teams/").status_code == 401


def test_saving_a_user_without_a_new_password_keeps_the_tokens(roles):
    _token, key = api_token_create(user=roles.mkt_member, name="a")
    roles.mkt_member.first_name = "Renamed"
    roles.mkt_member.save()
    assert _api(key).get("/api/v1/teams/").status_code == 200


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example/", "javascript:alert(1)", "http:/evil"]
)
def test_a_lead_action_never_redirects_off_site(roles, client, target):
    lead = lead_services.lead_create(data={"email": "n@example.com"}, team=roles.marketing, by=roles.mkt_member)
    client.force_login(roles.mkt_member)
    for data in ({"kind": "note", "outcome": "done", "next": target}, {"kind": "bogus", "next": target}):
        response = client.post(reverse("leads:action", args=[lead.pk, "activity"]), data)
        assert response.status_code == 302 and response.url == reverse("leads:detail", args=[lead.pk])
    ok = client.post(
        reverse("leads:action", args=[lead.pk, "activity"]),
        {"kind": "note", "outcome": "done", "next": "/leads/board/"},
    )
    assert ok.url == "/leads/board/"


# --- Content-Security-Policy -------------------------------------------------------------------


def test_every_page_carries_a_policy_without_inline_scripts(roles, client):
    client.force_login(roles.admin)
    for url in ("/", reverse("leads:list"), reverse("login"), "/api/docs/", reverse("admin:index")):
        policy = client.get(url)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"


INLINE_CODE = [
    re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE),
    re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    re.compile(r"\sstyle\s*=", re.IGNORECASE),
    re.compile(r"<style\b", re.IGNORECASE),
    re.compile(r"javascript:", re.IGNORECASE),
]
# Not pages a browser shows under our policy: e-mails and the PDFs (laid out by WeasyPrint).
NOT_PAGES = ("emails/", "reporting/report_pdf.html", "reviews/minutes_pdf.html")


def test_no_template_holds_inline_code_the_policy_would_block():
    root = Path(django_settings.BASE_DIR) / "templates"
    problems = []
    for path in sorted(root.rglob("*.html")):
        name = path.relative_to(root).as_posix()
        if name.startswith(NOT_PAGES):
            continue
        source = path.read_text(encoding="utf-8")
        for pattern in INLINE_CODE:
            problems += [f"{name}: {match.group(0)!r}" for match in pattern.finditer(source)]
    assert not problems, "inline code the Content-Security-Policy blocks:\n" + "\n".join(problems)
