"""Issue 13: one client-IP rule behind trusted proxies, for every limit (DRF, axes, capture, reset).

A "simulated proxy" is the test client sending REMOTE_ADDR = the proxy's address and an
X-Forwarded-For chain, exactly what a TLS-terminating proxy in front of gunicorn sends.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import RequestFactory, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from leads.models import CaptureForm, Lead
from slas.tests.factories import UserFactory
from smarketing.client_ip import client_ip

pytestmark = pytest.mark.django_db
PROXY = "10.0.0.5"
TOKEN_URL = "/api/v1/auth/token/"


def _request(remote: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "expected"),
    [
        (0, "203.0.113.9", None, "203.0.113.9"),
        (0, "203.0.113.9", "1.2.3.4", "203.0.113.9"),  # no trusted proxy: the header is the client's lie
        (1, PROXY, "198.51.100.7", "198.51.100.7"),
        (1, PROXY, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client prepended a fake hop
        (2, PROXY, "6.6.6.6, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
        (2, PROXY, "198.51.100.7", "198.51.100.7"),  # fewer hops than proxies: the leftmost
        (1, PROXY, "[2001:db8::1]:4711", "2001:db8::1"),
        (1, PROXY, "198.51.100.7:5555", "198.51.100.7"),
        (1, PROXY, "not-an-address", PROXY),
        (1, PROXY, None, PROXY),
    ],
)
def test_the_client_address_is_the_one_the_outermost_trusted_proxy_saw(settings, trusted, remote, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = trusted
    assert client_ip(_request(remote, forwarded)) == expected


def test_the_token_endpoint_cannot_be_dodged_with_forged_forwarded_headers(db):
    """The audit's 25 attempts with varied X-Forwarded-For were never throttled."""
    statuses = [
        APIClient()
        .post(TOKEN_URL, {"username": f"x{n}", "password": "y"}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        .status_code
        for n in range(25)
    ]
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_each_client_has_its_own_token_limit(db):
    def attempt(client_address: str, n: int, spoof: str = "") -> int:
        chain = f"{spoof}, {client_address}" if spoof else client_address
        return (
            APIClient()
            .post(TOKEN_URL, {"username": f"x{n}", "password": "y"}, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain)
            .status_code
        )

    assert [attempt("198.51.100.1", n, spoof=f"6.6.6.{n}") for n in range(11)][-1] == 429
    # Another client behind the same proxy is not affected.
    assert attempt("198.51.100.2", 99) == 401


@override_settings(TRUSTED_PROXY_COUNT=1, AXES_FAILURE_LIMIT=3)
def test_behind_a_proxy_a_lockout_stays_with_the_attackers_address(client):
    """Axes saw only the proxy: anyone could lock any user out for everyone."""
    UserFactory(username="marion", password="pass-word-123")
    for _ in range(3):
        client.post(
            reverse("login"),
            {"username": "marion", "password": "wrong"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )
    locked = client.post(
        reverse("login"),
        {"username": "marion", "password": "pass-word-123"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.66",
    )
    assert locked.status_code == 429
    marion = client.post(
        reverse("login"),
        {"username": "marion", "password": "pass-word-123"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert marion.status_code == 302


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_one_flooder_does_not_close_the_capture_form_for_everyone(roles, client):
    CaptureForm.objects.create(slug="contact", name="Contact", team=roles.marketing, channel="website")
    url = reverse("capture", args=["contact"])

    def submit(address: str, n: int) -> int:
        body = {"first_name": "P", "last_name": "Q", "email": f"p{n}@example.com", "consent_to_contact": "on"}
        return client.post(url, body, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=address).status_code

    flood = [submit("203.0.113.66", n) for n in range(12)]
    assert flood[:10] == [200] * 10 and flood[10:] == [429, 429]
    assert submit("198.51.100.30", 99) == 200
    assert Lead.objects.filter(email="p99@example.com").exists()


def test_password_reset_requests_are_limited_per_address_and_per_e_mail(client, settings):
    UserFactory(username="marion", email="marion@example.com")
    url = reverse("password_reset")
    statuses = [
        client.post(url, {"email": "marion@example.com"}, REMOTE_ADDR=f"198.51.100.{n}").status_code for n in range(7)
    ]
    # Five an hour for one e-mail address, from however many addresses.
    assert statuses == [302] * 5 + [429] * 2
    assert len(mail.outbox) == 5
    per_ip = [
        client.post(url, {"email": f"nobody{n}@example.com"}, REMOTE_ADDR="203.0.113.1").status_code for n in range(7)
    ]
    assert per_ip == [302] * 5 + [429] * 2
