"""Outbound webhooks: subscriptions, ``emit_event``, signing, the SSRF guard and delivery.

Other apps call :func:`emit_event` inside their service's transaction; one
``WebhookDelivery`` row per matching active subscription is written in that transaction and
the delivery task is queued on commit, so a rolled-back change never notifies anyone.
Delivery is retried with exponential backoff and jitter for up to 24 hours.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import WebhookDelivery, WebhookSubscription

EVENT_TYPES = [
    "lead.handed_off",
    "lead.accepted",
    "lead.rejected",
    "followup.overdue",
    "sla.activated",
    "sla.at_risk",
    "report.ready",
    "review.closed",
]
TEST_EVENT = "webhook.test"
logger = logging.getLogger(__name__)
RETRY_WINDOW = timedelta(hours=24)
BASE_BACKOFF_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600
TIMEOUT_SECONDS = 10
SIGNATURE_HEADER = "X-Smarketing-Signature"
TIMESTAMP_HEADER = "X-Smarketing-Timestamp"


class UnsafeURL(ValueError):
    """The URL may not receive webhooks (scheme, or an internal address: SSRF guard)."""


def new_secret() -> str:
    return secrets.token_hex(24)


def sign(body: bytes, secret: str) -> str:
    """``sha256=<hex HMAC-SHA256 of the raw body>``, the value of the signature header."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def check_url(url: str) -> None:
    """Refuse non-http(s) URLs and hosts resolving to internal addresses.

    Loopback, private, link-local (cloud metadata), reserved, multicast and unspecified
    addresses are refused unless ``settings.WEBHOOKS_ALLOW_PRIVATE`` is true. Checked when a
    subscription is saved and again before each delivery (DNS may change in between).
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise UnsafeURL(_("Enter a valid URL.")) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL(_("Only http:// and https:// URLs are allowed."))
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False):
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port or None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, ValueError) as error:
        raise UnsafeURL(_("The host name could not be resolved.")) from error
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        if (
            address.is_loopback
            or address.is_private
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        ):
            raise UnsafeURL(_("Internal and private network addresses are not allowed."))


def validate_events(events) -> list[str]:
    if not isinstance(events, list) or not events:
        raise ValidationError({"events": [_("Choose at least one event.")]})
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise ValidationError({"events": [_("Unknown event: %(e)s") % {"e": ", ".join(map(str, unknown))}]})
    return sorted(set(events))


def _validate(url: str, events) -> list[str]:
    try:
        check_url(url)
    except UnsafeURL as error:
        raise ValidationError({"url": [str(error)]}) from error
    return validate_events(events)


@transaction.atomic
def webhook_subscription_create(
    *, url: str, events: list[str], by, secret: str = "", is_active: bool = True, description: str = ""
) -> WebhookSubscription:
    events = _validate(url, events)
    return WebhookSubscription.objects.create(
        url=url,
        events=events,
        secret=secret or new_secret(),
        is_active=is_active,
        description=description,
        created_by=by,
    )


@transaction.atomic
def webhook_subscription_update(*, subscription: WebhookSubscription, by, **changes) -> WebhookSubscription:
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    for field in ("url", "events", "is_active", "description"):
        if field in changes and changes[field] is not None:
            setattr(subscription, field, changes[field])
    # A blank secret keeps the current one: rotating it silently would break the receiver.
    if changes.get("secret"):
        subscription.secret = changes["secret"]
    subscription.events = _validate(subscription.url, subscription.events)
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription, by) -> None:
    subscription.delete()


def _queue(delivery_ids: list[int]) -> None:
    from .webhook_tasks import deliver_webhook

    try:
        for delivery_id in delivery_ids:
            deliver_webhook.delay(delivery_id)
    except Exception:
        # The change is already committed: never turn it into an error for the caller.
        # The rows are pending and due, so the periodic relay sends them once the broker is back.
        logger.exception("could not queue webhook deliveries %s", delivery_ids)


def _create_deliveries(subscriptions, event_type: str, obj: dict) -> list[WebhookDelivery]:
    event_id = uuid.uuid4()
    now = timezone.now()
    body = {"id": str(event_id), "type": event_type, "created_at": now.isoformat(), "data": obj}
    payload = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=sub,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            for sub in subscriptions
        ]
    )
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: _queue(ids))
    return deliveries


def emit_event(event_type: str, obj: dict) -> None:
    """Record ``event_type`` with data ``obj`` for every active subscription to it.

    Call inside the service's transaction: the rows commit (and the tasks are queued) with
    the change that caused the event, or not at all.
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type: {event_type!r}")
    subscriptions = [
        sub for sub in WebhookSubscription.objects.filter(is_active=True) if event_type in (sub.events or [])
    ]
    if subscriptions:
        with transaction.atomic():
            _create_deliveries(subscriptions, event_type, obj)


@transaction.atomic
def webhook_send_test(*, subscription: WebhookSubscription, by) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to one subscription (the "send test event" button)."""
    data = {"message": "Test event from smarketing.", "sent_by": getattr(by, "username", None)}
    return _create_deliveries([subscription], TEST_EVENT, data)[0]


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter on the upper half: 30 s, 1 min, 2 min … ≤ 1 h."""
    ceiling = min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter spreads retries of one outage


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST without following redirects (a redirect could point inside the network)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def attempt_delivery(delivery_id: int) -> str:
    """Claim and attempt one due delivery; returns its resulting status.

    The claim is a conditional update on ``(status, attempts)``: a duplicate task sees that
    the row moved on and does nothing, so a delivery is never sent twice concurrently.
    """
    now = timezone.now()
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING or delivery.next_attempt_at > now:
        return delivery.status if delivery else "missing"
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
    ).update(attempts=delivery.attempts + 1, next_attempt_at=now + timedelta(seconds=TIMEOUT_SECONDS * 3))
    if claimed != 1:
        return "claimed-elsewhere"
    attempts = delivery.attempts + 1
    subscription = delivery.subscription
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "smarketing-webhooks/1",
        SIGNATURE_HEADER: sign(body, subscription.secret),
        TIMESTAMP_HEADER: timestamp,
        "X-Smarketing-Event": delivery.event_type,
        "X-Smarketing-Delivery": str(delivery.event_id),
    }
    try:
        check_url(subscription.url)
    except UnsafeURL as error:
        code, error_text = None, str(error)
    else:
        code, error_text = _post(subscription.url, body, headers)
    done = timezone.now()
    if code is not None and 200 <= code < 300:
        fields = {"status": WebhookDelivery.Status.DELIVERED, "delivered_at": done, "last_error": ""}
    elif done + timedelta(seconds=1) - delivery.created_at >= RETRY_WINDOW:
        fields = {"status": WebhookDelivery.Status.FAILED, "last_error": error_text}
    else:
        retry_at = min(done + timedelta(seconds=backoff_seconds(attempts)), delivery.created_at + RETRY_WINDOW)
        fields = {"next_attempt_at": retry_at, "last_error": error_text}
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempts).update(last_response_code=code, **fields)
    return str(fields.get("status", WebhookDelivery.Status.PENDING))
