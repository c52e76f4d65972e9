"""Issue 13: webhooks are owned, signed the Standard Webhooks way, rotatable, and SSRF-proof.

Deliveries go to a real local HTTP receiver and are verified with the ``standardwebhooks``
package, as a receiver would. DNS rebinding is driven from outside the production code: the
test replaces the system resolver (``socket.getaddrinfo``) and refuses any connection to the
"public" address, so no packet leaves this machine.
"""

from __future__ import annotations

import base64
import socket
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from smarketing import webhooks
from smarketing.models import WebhookDelivery, WebhookSubscription
from smarketing.tests.test_webhooks import Receiver

pytestmark = pytest.mark.django_db
PUBLIC_IP = "93.184.215.14"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _deliver(django_capture_on_commit_callbacks, event="report.ready", data=None):
    with django_capture_on_commit_callbacks(execute=True):
        webhooks.emit_event(event, data or {"report": 1})


# --- Signing -----------------------------------------------------------------------------------


def test_a_real_delivery_verifies_with_standardwebhooks_and_a_replay_is_refused(
    roles, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with Receiver() as receiver:
        created = _api(roles.sales_manager).post(
            "/api/v1/webhooks/", {"url": receiver.url, "events": ["report.ready"]}, format="json"
        )
        secret = created.json()["secret"]
        _deliver(django_capture_on_commit_callbacks)
    request = receiver.requests[0]
    headers = {name.lower(): value for name, value in request["headers"].items()}
    delivery = WebhookDelivery.objects.get()
    assert headers["webhook-id"] == str(delivery.event_id)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(request["body"], request["headers"])["type"] == "report.ready"

    # The signature covers id and timestamp: a fresh timestamp or another id breaks it.
    for forged in ({"webhook-timestamp": str(int(timezone.now().timestamp()) + 1)}, {"webhook-id": "msg_other"}):
        with pytest.raises(WebhookVerificationError):
            Webhook(secret).verify(request["body"], {**headers, **forged})
    # The same capture replayed six minutes later is refused by the receiver's check.
    with time_machine.travel(timezone.now() + timedelta(minutes=6)), pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request["body"], request["headers"])
    # And a wrong secret never verifies.
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(request["body"], request["headers"])


def test_rotation_signs_with_both_secrets_during_the_overlap_only(roles, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    api = _api(roles.mkt_manager)
    with Receiver() as receiver:
        created = api.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["report.ready"]}, format="json")
        old = created.json()["secret"]
        rotated = api.post(f"/api/v1/webhooks/{created.json()['id']}/rotate-secret/", {}, format="json")
        assert rotated.status_code == 200
        new = rotated.json()["secret"]
        assert new != old and new.startswith("whsec_")
        _deliver(django_capture_on_commit_callbacks)
        during = receiver.requests[-1]
        assert len(during["headers"]["webhook-signature"].split(" ")) == 2
        assert Webhook(old).verify(during["body"], during["headers"])
        assert Webhook(new).verify(during["body"], during["headers"])

        WebhookSubscription.objects.update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
        _deliver(django_capture_on_commit_callbacks)
        after = receiver.requests[-1]
    assert len(after["headers"]["webhook-signature"].split(" ")) == 1
    assert Webhook(new).verify(after["body"], after["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after["body"], after["headers"])


def test_a_supplied_secret_must_be_a_standard_webhooks_secret(roles, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    api = _api(roles.admin)
    for bad in ("s3cret", "whsec_short", "whsec_not base64!!"):
        response = api.post(
            "/api/v1/webhooks/",
            {"url": "http://127.0.0.1:9/", "events": ["report.ready"], "secret": bad},
            format="json",
        )
        assert response.status_code == 400 and "secret" in response.json()["errors"]
    good = "whsec_" + base64.b64encode(b"k" * 32).decode()
    response = api.post(
        "/api/v1/webhooks/", {"url": "http://127.0.0.1:9/", "events": ["report.ready"], "secret": good}, format="json"
    )
    assert response.status_code == 201 and response.json()["secret"] == good


# --- Ownership and the secret never shown again ------------------------------------------------


def test_managers_see_and_manage_only_their_own_webhooks(roles, settings, client):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    mine = webhooks.webhook_subscription_create(
        url="http://127.0.0.1:9/a", events=["report.ready"], by=roles.mkt_manager
    )
    admins = webhooks.webhook_subscription_create(url="http://127.0.0.1:9/b", events=["report.ready"], by=roles.admin)
    theirs = _api(roles.sales_manager)
    assert theirs.get("/api/v1/webhooks/").json()["count"] == 0
    for sub in (mine, admins):
        assert theirs.get(f"/api/v1/webhooks/{sub.pk}/").status_code == 404
        assert (
            theirs.patch(f"/api/v1/webhooks/{sub.pk}/", {"url": "http://127.0.0.1:9/evil"}, format="json").status_code
            == 404
        )
        assert theirs.post(f"/api/v1/webhooks/{sub.pk}/rotate-secret/", {}, format="json").status_code == 404
        assert theirs.post(f"/api/v1/webhooks/{sub.pk}/test/").status_code == 404
        assert theirs.delete(f"/api/v1/webhooks/{sub.pk}/").status_code == 404
    client.force_login(roles.sales_manager)
    assert client.get(reverse("webhooks:detail", args=[mine.pk])).status_code == 404
    assert client.post(reverse("webhooks:delete", args=[mine.pk])).status_code == 404
    assert client.post(reverse("webhooks:rotate", args=[mine.pk])).status_code == 404
    assert WebhookSubscription.objects.filter(url__endswith="/evil").count() == 0
    assert WebhookSubscription.objects.count() == 2
    # The owner manages theirs, not the admin's; the admin manages both.
    assert _api(roles.mkt_manager).get(f"/api/v1/webhooks/{admins.pk}/").status_code == 404
    assert _api(roles.mkt_manager).get(f"/api/v1/webhooks/{mine.pk}/").status_code == 200
    assert _api(roles.admin).get("/api/v1/webhooks/").json()["count"] == 2


def test_a_manager_cannot_give_a_webhook_to_someone_else(roles, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    response = _api(roles.mkt_manager).post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/", "events": ["report.ready"], "owner": roles.sales_manager.pk},
        format="json",
    )
    assert response.status_code == 403
    response = _api(roles.admin).post(
        "/api/v1/webhooks/",
        {"url": "http://127.0.0.1:9/", "events": ["report.ready"], "owner": roles.sales_member.pk},
        format="json",
    )
    assert response.status_code == 400 and "owner" in response.json()["errors"]


def test_the_secret_is_never_shown_after_creation(roles, settings, client):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    sub = webhooks.webhook_subscription_create(
        url="http://127.0.0.1:9/a", events=["report.ready"], by=roles.mkt_manager
    )
    secret = sub.secret.encode()
    key = secret.removeprefix(b"whsec_")
    api = _api(roles.mkt_manager)
    client.force_login(roles.admin)
    pages = [
        api.get("/api/v1/webhooks/"),
        api.get(f"/api/v1/webhooks/{sub.pk}/"),
        api.get(f"/api/v1/webhooks/{sub.pk}/deliveries/"),
        client.get(reverse("webhooks:detail", args=[sub.pk])),
        client.get(reverse("webhooks:edit", args=[sub.pk])),
        client.get(reverse("webhooks:list")),
        client.get(reverse("admin:smarketing_webhooksubscription_change", args=[sub.pk])),
        client.get(reverse("admin:smarketing_webhooksubscription_changelist")),
    ]
    for page in pages:
        assert page.status_code == 200
        assert key not in page.content


def test_the_admin_creates_through_the_service_and_shows_the_secret_once(roles, settings, client):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    client.force_login(roles.admin)
    url = reverse("admin:smarketing_webhooksubscription_add")
    inline = {"deliveries-TOTAL_FORMS": "0", "deliveries-INITIAL_FORMS": "0"}
    refused = client.post(
        url, {"url": "http://100.100.100.200/latest/", "events": ["report.ready"], "is_active": "on", **inline}
    )
    assert refused.status_code == 200 and not WebhookSubscription.objects.exists()
    assert "not allowed" in refused.content.decode()
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    created = client.post(url, {"url": "http://127.0.0.1:9/a", "events": ["report.ready"], "is_active": "on", **inline})
    sub = WebhookSubscription.objects.get()
    assert created.status_code == 200 and sub.secret.encode() in created.content
    assert sub.owner == roles.admin and sub.created_by == roles.admin
    rotated = client.post(
        reverse("admin:smarketing_webhooksubscription_changelist"),
        {"action": "rotate_secret", "_selected_action": [sub.pk]},
    )
    sub.refresh_from_db()
    assert rotated.status_code == 200 and sub.secret.encode() in rotated.content and sub.previous_secret


# --- SSRF --------------------------------------------------------------------------------------

ISSUE_URLS = [
    "http://100.100.100.200/latest/meta-data/",  # cloud metadata (Alibaba), shared address space
    "http://100.64.0.1/hook",  # carrier-grade NAT
    "http://192.0.0.192/hook",  # IETF protocol assignments (Oracle Cloud metadata)
    "http://[2002:7f00:1::]/hook",  # 6to4 embedding 127.0.0.1
    "http://[::ffff:127.0.0.1]/hook",  # IPv4-mapped loopback
    "http://[64:ff9b::7f00:1]/hook",  # NAT64 embedding 127.0.0.1
    "http://127.0.0.1:8792\\@93.184.215.14/",  # backslash userinfo: parsers disagree on the host
    "http://user:pass@93.184.215.14/",  # userinfo
    "http://127.1/",  # shorthand IPv4
    "http://0x7f000001/",
]


@pytest.mark.parametrize("url", ISSUE_URLS)
def test_the_issues_urls_are_refused_at_creation_with_a_400(url, roles, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(webhooks.UnsafeURL):
        webhooks.check_url(url)
    response = _api(roles.admin).post("/api/v1/webhooks/", {"url": url, "events": ["report.ready"]}, format="json")
    assert response.status_code == 400 and "url" in response.json()["errors"]
    assert not WebhookSubscription.objects.exists()


def test_only_globally_routable_addresses_are_allowed():
    import ipaddress

    allowed = ["93.184.215.14", "2606:4700::1111", "8.8.8.8"]
    refused = [
        "100.100.100.200",
        "100.64.0.1",
        "192.0.0.192",
        "2002:7f00:1::",
        "10.0.0.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "224.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "::ffff:10.0.0.1",
        "198.18.0.1",
        "240.0.0.1",
    ]
    assert all(webhooks.is_allowed_address(ipaddress.ip_address(a)) for a in allowed)
    assert not any(webhooks.is_allowed_address(ipaddress.ip_address(a)) for a in refused)


def test_a_malformed_url_stored_earlier_fails_its_delivery_instead_of_staying_pending(
    roles, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    sub = webhooks.webhook_subscription_create(url="http://127.0.0.1:9/", events=["report.ready"], by=roles.admin)
    # A row written before this guard existed (the issue's example).
    WebhookSubscription.objects.filter(pk=sub.pk).update(url="http://127.0.0.1:8792\\@93.184.215.14/")
    _deliver(django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and delivery.attempts == 1
    assert "backslash" in delivery.last_error


def test_redirects_are_not_followed(roles, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    with Receiver(statuses=[307]) as receiver:
        webhooks.webhook_subscription_create(url=receiver.url, events=["report.ready"], by=roles.admin)
        _deliver(django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_response_code) == ("pending", 307)


def test_dns_rebinding_never_reaches_an_internal_receiver(
    roles, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """The name answers a public address twice (creation, then the delivery's check), then loopback.

    Code that checks one resolution and lets the HTTP client resolve again connects to the
    internal receiver; ours connects to the address it checked (refused here: nothing leaves).
    """
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    real_getaddrinfo, real_connect = socket.getaddrinfo, socket.create_connection
    answers: list[str] = []
    connections: list[tuple] = []

    def rebinding_resolver(host, port, *args, **kwargs):
        if host != "hooks.rebind.test":
            return real_getaddrinfo(host, port, *args, **kwargs)
        answers.append(PUBLIC_IP if len(answers) < 2 else "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answers[-1], int(port or 80)))]

    def guarded_connect(address, *args, **kwargs):
        connections.append(address)
        if address[0] == PUBLIC_IP:
            raise ConnectionRefusedError("test: no packet leaves this machine")
        return real_connect(address, *args, **kwargs)

    with Receiver() as internal:
        port = internal.server.server_address[1]
        monkeypatch.setattr(socket, "getaddrinfo", rebinding_resolver)
        monkeypatch.setattr(socket, "create_connection", guarded_connect)
        webhooks.webhook_subscription_create(
            url=f"http://hooks.rebind.test:{port}/hook", events=["report.ready"], by=roles.admin
        )
        _deliver(django_capture_on_commit_callbacks)
        # A retry resolves again and now gets loopback: refused before any connection.
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        webhooks.attempt_delivery(WebhookDelivery.objects.get().pk)
    assert internal.requests == []
    assert connections == [(PUBLIC_IP, port)]
    assert answers == [PUBLIC_IP, PUBLIC_IP, "127.0.0.1"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "not allowed" in delivery.last_error


def test_https_connects_to_the_checked_address_with_sni_and_host_header(roles, settings, monkeypatch):
    """The TLS handshake names the host (SNI, certificate check) while the socket goes to the IP."""
    import ssl

    settings.WEBHOOKS_ALLOW_PRIVATE = False
    seen: dict = {}

    real_getaddrinfo = socket.getaddrinfo

    def fake_resolver(host, port, *args, **kwargs):
        if host != "hooks.example.com":
            return real_getaddrinfo(host, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (PUBLIC_IP, int(port)))]

    listener = socket.create_server(("127.0.0.1", 0))
    real_connect = socket.create_connection

    def to_local_listener(address, *args, **kwargs):
        seen["address"] = address
        return real_connect(listener.getsockname(), *args, **kwargs)

    def record_wrap(self, sock, server_hostname=None, **kwargs):
        seen["sni"] = server_hostname
        raise ssl.SSLError("test: handshake stopped here")

    monkeypatch.setattr(socket, "getaddrinfo", fake_resolver)
    monkeypatch.setattr(socket, "create_connection", to_local_listener)
    monkeypatch.setattr(ssl.SSLContext, "wrap_socket", record_wrap)
    target = webhooks.parse_url("https://hooks.example.com:8443/in?x=1")
    try:
        code, error = webhooks._post(target, webhooks.resolve(target), b"{}", {"Content-Type": "application/json"})
    finally:
        listener.close()
    assert code is None and "handshake stopped" in error
    assert seen == {"address": (PUBLIC_IP, 8443), "sni": "hooks.example.com"}
