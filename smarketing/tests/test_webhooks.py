"""Outbound webhooks against a real local HTTP receiver: signing, retries, log, SSRF guard."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook

from smarketing import webhooks
from smarketing.models import WebhookDelivery, WebhookSubscription
from smarketing.webhook_tasks import relay_webhooks

pytestmark = pytest.mark.django_db
# whsec_ + base64 of 32 bytes, as a receiver stores it.
SECRET = "whsec_c2VjcmV0LWtleS1mb3ItdGVzdHMtMzItYnl0ZXMhIQ=="


class Receiver:
    """A local HTTP server recording each POST and answering the queued status codes."""

    def __init__(self, statuses: list[int] | None = None):
        self.requests: list[dict] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def _admin():
    from slas.tests.factories import UserFactory

    return UserFactory(username="hook-admin", is_superuser=True, is_staff=True)


def _subscribe(url: str, events: list[str] | None = None, *, by=None) -> WebhookSubscription:
    return webhooks.webhook_subscription_create(
        url=url, events=events or ["lead.handed_off"], secret=SECRET, by=by or _admin()
    )


def _verify(request: dict, secret: str = SECRET) -> dict:
    """What a receiver does: the standardwebhooks package checks signature and timestamp."""
    assert request["headers"]["Content-Type"] == "application/json"
    return Webhook(secret).verify(request["body"], request["headers"])


@override_settings(WEBHOOKS_ALLOW_PRIVATE=True)
def test_an_event_is_delivered_signed_after_commit(django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        sub = _subscribe(receiver.url, ["lead.handed_off", "lead.accepted"])
        _subscribe(receiver.url, ["report.ready"])
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            webhooks.emit_event("lead.handed_off", {"id": 7, "stage": "mql"})
            # Nothing leaves before the caller's transaction commits.
            assert receiver.requests == []
        assert len(receiver.requests) == 1
        body = _verify(receiver.requests[0])
    assert body["type"] == "lead.handed_off"
    assert body["data"] == {"id": 7, "stage": "mql"}
    assert set(body) == {"id", "type", "created_at", "data"}
    delivery = WebhookDelivery.objects.get()
    assert delivery.subscription == sub
    assert str(delivery.event_id) == body["id"]
    assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("delivered", 1, 200)
    assert delivery.delivered_at is not None


@override_settings(WEBHOOKS_ALLOW_PRIVATE=True)
def test_a_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    with Receiver() as receiver:
        _subscribe(receiver.url)
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            webhooks.emit_event("lead.handed_off", {"id": 1})
            raise RuntimeError("the service failed")
        assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


@override_settings(WEBHOOKS_ALLOW_PRIVATE=True)
def test_a_500_is_retried_with_backoff_then_delivered(django_capture_on_commit_callbacks):
    with Receiver(statuses=[500]) as receiver:
        _subscribe(receiver.url)
        before = timezone.now()
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.emit_event("lead.handed_off", {"id": 3})
        delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("pending", 1, 500)
        assert before + timedelta(seconds=15) <= delivery.next_attempt_at <= timezone.now() + timedelta(seconds=30)

        # Not due yet: the relay leaves it alone.
        assert relay_webhooks() == 0
        WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        assert relay_webhooks() == 1
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_response_code) == ("delivered", 2, 200)
        assert len(receiver.requests) == 2
        assert _verify(receiver.requests[0]) == _verify(receiver.requests[1])

        # A duplicate task finds the delivery done and sends nothing.
        assert webhooks.attempt_delivery(delivery.pk) == "delivered"
        assert len(receiver.requests) == 2


@override_settings(WEBHOOKS_ALLOW_PRIVATE=True)
def test_it_gives_up_after_24_hours(django_capture_on_commit_callbacks):
    with Receiver(statuses=[503]) as receiver:
        _subscribe(receiver.url)
        with django_capture_on_commit_callbacks(execute=False):
            webhooks.emit_event("lead.handed_off", {"id": 3})
        WebhookDelivery.objects.update(created_at=timezone.now() - timedelta(hours=24, minutes=1))
        assert relay_webhooks() == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_response_code) == ("failed", 503)


def test_backoff_grows_exponentially_with_jitter_and_is_capped():
    for attempts, low, high in [(1, 15, 30), (2, 30, 60), (3, 60, 120), (20, 1800, 3600)]:
        assert low <= webhooks.backoff_seconds(attempts) <= high


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://localhost:8000/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://0.0.0.0/hook",
        "file:///etc/passwd",
        "ftp://example.com/x",
        "http://example.com:99999/x",
    ],
)
def test_internal_addresses_and_other_schemes_are_refused(url, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    with pytest.raises(webhooks.UnsafeURL):
        webhooks.check_url(url)


def test_a_public_address_is_accepted(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    webhooks.check_url("https://93.184.216.34/hook")


def test_the_api_refuses_an_internal_url_with_a_field_error(roles, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    client = APIClient()
    client.force_authenticate(roles.admin)
    for url in ("http://127.0.0.1/x", "http://10.0.0.1/x", "http://169.254.169.254/"):
        response = client.post("/api/v1/webhooks/", {"url": url, "events": ["report.ready"]}, format="json")
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["url"]
    assert not WebhookSubscription.objects.exists()


def test_a_delivery_to_an_address_that_became_internal_is_refused_for_good(
    settings, django_capture_on_commit_callbacks
):
    with Receiver() as receiver:
        settings.WEBHOOKS_ALLOW_PRIVATE = True
        _subscribe(receiver.url)
        settings.WEBHOOKS_ALLOW_PRIVATE = False
        with django_capture_on_commit_callbacks(execute=True):
            webhooks.emit_event("lead.handed_off", {"id": 1})
        assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed" and "not allowed" in delivery.last_error


@override_settings(WEBHOOKS_ALLOW_PRIVATE=True)
def test_the_api_manages_subscriptions_sends_a_test_and_shows_the_log(roles, django_capture_on_commit_callbacks):
    client = APIClient()
    client.force_authenticate(roles.mkt_manager)
    with Receiver() as receiver:
        response = client.post("/api/v1/webhooks/", {"url": receiver.url, "events": ["sla.at_risk"]}, format="json")
        assert response.status_code == 201, response.json()
        sub_id = response.json()["id"]
        secret = response.json()["secret"]
        assert secret.startswith("whsec_") and response.json()["owner"] == roles.mkt_manager.pk
        response = client.patch(
            f"/api/v1/webhooks/{sub_id}/", {"events": ["sla.at_risk", "report.ready"]}, format="json"
        )
        assert response.json()["events"] == ["report.ready", "sla.at_risk"]
        assert "secret" not in response.json()
        assert "secret" not in client.get(f"/api/v1/webhooks/{sub_id}/").json()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/v1/webhooks/{sub_id}/test/")
        assert response.status_code == 202
        assert _verify(receiver.requests[0], secret)["type"] == "webhook.test"
    log = client.get(f"/api/v1/webhooks/{sub_id}/deliveries/").json()
    assert log["count"] == 1
    assert log["results"][0]["status"] == "delivered" and log["results"][0]["last_response_code"] == 200
    assert client.delete(f"/api/v1/webhooks/{sub_id}/").status_code == 204
    assert client.get(f"/api/v1/webhooks/{sub_id}/").status_code == 404


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        ("admin", True),
        ("mkt_manager", True),
        ("mkt_member", False),
        ("sales_manager", True),
        ("sales_member", False),
        ("viewer", False),
    ],
)
def test_webhook_management_per_role(roles, client, role, allowed, settings):
    """Managers create and list their own; someone else's subscription does not exist for them."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    user = getattr(roles, role)
    admins = _subscribe("http://127.0.0.1:9/x", by=roles.admin)
    api = APIClient()
    api.force_authenticate(user)
    expected = 200 if allowed else 403
    listed = api.get("/api/v1/webhooks/")
    assert listed.status_code == expected
    created = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/y", "events": ["report.ready"]}, format="json")
    assert created.status_code == (201 if allowed else 403)
    others = 200 if role == "admin" else (404 if allowed else 403)
    assert api.get(f"/api/v1/webhooks/{admins.pk}/deliveries/").status_code == others
    client.force_login(user)
    assert client.get(reverse("webhooks:list")).status_code == expected
    assert client.get(reverse("webhooks:detail", args=[admins.pk])).status_code == others
    if allowed:
        assert api.get(f"/api/v1/webhooks/{created.json()['id']}/").status_code == 200
        listed_ids = {row["id"] for row in api.get("/api/v1/webhooks/").json()["results"]}
        assert (admins.pk in listed_ids) == (role == "admin")


@override_settings(WEBHOOKS_ALLOW_PRIVATE=True)
def test_the_web_ui_creates_a_webhook_sends_a_test_and_shows_the_log(roles, client, django_capture_on_commit_callbacks):
    client.force_login(roles.admin)
    with Receiver(statuses=[410]) as receiver:
        response = client.post(
            reverse("webhooks:create"), {"url": receiver.url, "events": ["lead.accepted"], "is_active": "on"}
        )
        sub = WebhookSubscription.objects.get()
        secret = sub.secret
        # Shown once, on the page answering the creation, and never on the detail page.
        assert response.status_code == 200 and secret.encode() in response.content
        assert secret.startswith("whsec_") and len(webhooks.secret_key(secret)) == 32
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("webhooks:test", args=[sub.pk]))
        assert len(receiver.requests) == 1
    page = client.get(reverse("webhooks:detail", args=[sub.pk]))
    assert b"webhook.test" in page.content and b"410" in page.content
    assert secret.encode() not in page.content
    assert client.get(reverse("webhooks:create")).status_code == 200
    edit = client.get(reverse("webhooks:edit", args=[sub.pk]))
    assert edit.status_code == 200 and receiver.url.encode() in edit.content
    assert secret.encode() not in edit.content
    client.post(reverse("webhooks:edit", args=[sub.pk]), {"url": receiver.url, "events": ["report.ready"]})
    sub.refresh_from_db()
    assert (sub.events, sub.is_active, sub.secret) == (["report.ready"], False, secret)
    client.post(reverse("webhooks:delete", args=[sub.pk]))
    assert not WebhookSubscription.objects.exists()
    response = client.post(reverse("webhooks:create"), {"url": "file:///etc/passwd", "events": ["lead.accepted"]})
    assert response.status_code == 200 and response.context["form"].errors


def test_an_unknown_event_type_is_a_programming_error(db):
    with pytest.raises(ValueError, match=r"lead\.handedoff"):
        webhooks.emit_event("lead.handedoff", {})


def test_lists_and_the_delivery_log_use_a_fixed_number_of_queries(
    roles, client, settings, django_assert_max_num_queries
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    subs = [_subscribe(f"http://127.0.0.1:9/{i}", ["report.ready"], by=roles.admin) for i in range(5)]
    for _ in range(5):
        webhooks.emit_event("report.ready", {"report": 1})
    client.force_login(roles.admin)
    api = APIClient()
    api.force_authenticate(roles.admin)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("webhooks:list")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("webhooks:detail", args=[subs[0].pk])).status_code == 200
    with django_assert_max_num_queries(8):
        assert api.get("/api/v1/webhooks/").json()["count"] == 5
    with django_assert_max_num_queries(8):
        assert api.get(f"/api/v1/webhooks/{subs[0].pk}/deliveries/").json()["count"] == 5
