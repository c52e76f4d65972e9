"""Outbound webhooks: subscriptions, ``emit_event``, Standard Webhooks signing, SSRF guard, delivery.

Other apps call :func:`emit_event` inside their service's transaction; one
``WebhookDelivery`` row per matching active subscription is written in that transaction and
the delivery task is queued on commit, so a rolled-back change never notifies anyone.
Delivery is retried with exponential backoff and jitter for up to 24 hours.

Signing follows https://www.standardwebhooks.com: headers ``webhook-id``, ``webhook-timestamp``
and ``webhook-signature`` = ``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the secret
``whsec_<base64 key>``; during a rotation's overlap both secrets sign (space-separated), so a
receiver verifies with either. A receiver refuses timestamps older than 5 minutes (replays).

SSRF: a URL is parsed strictly (http/https, no userinfo, no backslash, a valid host and port);
its host is resolved ONCE per attempt, every address must be globally routable, and the
connection is made to that checked address, with the Host header and TLS SNI/certificate check
using the host name. Redirects are never followed.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import random
import re
import secrets
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import WebhookDelivery, WebhookSubscription
from .permissions import can_manage_webhook, can_manage_webhooks, is_admin

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
SECRET_PREFIX = "whsec_"  # noqa: S105  # the Standard Webhooks marker, not a secret  # nosec B105
SECRET_BYTES = 32
# A receiver's response body is never needed: read at most this much before closing.
MAX_RESPONSE_BYTES = 64 * 1024
DEFAULT_SECRET_OVERLAP = timedelta(hours=24)

# Python's ``is_global`` (3.11) misses these special-purpose blocks; none is a webhook receiver.
BLOCKED_NETWORKS = [
    ipaddress.ip_network(block)
    for block in (
        "192.0.0.0/24",  # IETF protocol assignments
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "198.18.0.0/15",  # benchmarking
        "2002::/16",  # 6to4: embeds any IPv4 address, loopback included
        "2001::/32",  # Teredo: embeds an IPv4 address
        "64:ff9b::/96",  # NAT64: embeds an IPv4 address
        "64:ff9b:1::/48",  # local-use NAT64
        "::/96",  # deprecated IPv4-compatible
    )
]
HOST_NAME = re.compile(r"^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?$")


class UnsafeURL(ValueError):
    """The URL may not receive webhooks (malformed, or an internal address: SSRF guard)."""


class MalformedURL(UnsafeURL):
    """The URL cannot be parsed into a host and a port: a delivery to it can never succeed."""


# --- Secrets and signatures -----------------------------------------------------------------


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (the base64 part, decoded)."""
    encoded = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)


def validate_secret(secret: str) -> str:
    """A secret a client supplied: ``whsec_`` + base64 of 24 to 64 random bytes."""
    try:
        key = secret_key(secret) if secret.startswith(SECRET_PREFIX) else b""
    except (binascii.Error, ValueError):
        key = b""
    if not 24 <= len(key) <= 64:
        raise ValidationError(
            {"secret": [_("A secret is “whsec_” followed by 24 to 64 bytes in base64; leave it out to get one.")]}
        )
    return secret


def sign(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """One Standard Webhooks signature: ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signature_header(subscription: WebhookSubscription, *, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value: one signature per secret in use, space-separated."""
    return " ".join(
        sign(secret=secret, msg_id=msg_id, timestamp=timestamp, body=body) for secret in subscription.signing_secrets()
    )


# --- SSRF guard ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where a webhook goes: the parts of its URL, checked."""

    scheme: str
    host: str  # IDNA-encoded host name, or an IP address without brackets
    port: int
    path: str  # path and query, sent in the request line


def _host(hostname: str) -> str:
    """An IP address as written canonically, or the IDNA (ASCII) form of a valid host name."""
    try:
        return str(ipaddress.ip_address(hostname))
    except ValueError:
        pass
    try:
        host = hostname.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise MalformedURL(_("Enter a valid host name.")) from error
    # All digits and dots is an IPv4 address in a shorthand (127.1) that resolvers expand: refused.
    if not HOST_NAME.match(host) or host.replace(".", "").isdigit():
        raise MalformedURL(_("Enter a valid host name."))
    return host


def parse_url(url: str) -> Target:
    """Split ``url`` strictly; MalformedURL when it is not a plain http(s) URL to a host."""
    if not isinstance(url, str) or not url or len(url) > 2000:
        raise MalformedURL(_("Enter a valid URL."))
    if any(ord(char) < 33 or char in "\\\x7f" for char in url):
        raise MalformedURL(_("A webhook URL may not contain spaces, control characters or backslashes."))
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise MalformedURL(_("Enter a valid URL.")) from error
    if parts.scheme not in ("http", "https"):
        raise MalformedURL(_("Only http:// and https:// URLs are allowed."))
    if "@" in parts.netloc or parts.username is not None or parts.password is not None:
        raise MalformedURL(_("A webhook URL may not contain a user name or password."))
    host = _host(parts.hostname or "")
    if port is not None and not 0 < port < 65536:
        raise MalformedURL(_("Enter a valid port."))
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port or (443 if parts.scheme == "https" else 80), path=path)


def is_allowed_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast only; an IPv4 address mapped into IPv6 is judged as IPv4."""
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        return False
    return not any(address in network for network in BLOCKED_NETWORKS if network.version == address.version)


def _private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE", False))


def resolve(target: Target) -> list[str]:
    """The addresses to connect to, resolved once; UnsafeURL if any of them is internal.

    ``OSError`` (``socket.gaierror``) when the name does not resolve: a transient failure.
    """
    infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses: list[str] = []
    for info in infos:
        text = str(info[4][0]).split("%")[0]
        address = ipaddress.ip_address(text)
        if not _private_allowed() and not is_allowed_address(address):
            raise UnsafeURL(_("Internal and private network addresses are not allowed."))
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise OSError("no address")
    return addresses


def check_url(url: str) -> Target:
    """Refuse a URL at creation: malformed, or resolving to an internal address.

    With ``WEBHOOKS_ALLOW_PRIVATE`` (a receiver on the same private network) the name is not
    resolved here. Every delivery resolves and checks again, and connects to what it checked.
    """
    target = parse_url(url)
    if _private_allowed():
        return target
    try:
        resolve(target)
    except UnsafeURL:
        raise
    except (OSError, UnicodeError, ValueError) as error:
        raise UnsafeURL(_("The host name could not be resolved.")) from error
    return target


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to a checked address; the Host header still names the host."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._create_connection = lambda _peer, *args, **kwargs: socket.create_connection(
            (address, port), *args, **kwargs
        )


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address; SNI and the certificate check use the host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._create_connection = lambda _peer, *args, **kwargs: socket.create_connection(
            (address, port), *args, **kwargs
        )


def _post(target: Target, addresses: list[str], body: bytes, headers: dict[str, str]) -> tuple[int | None, str]:
    """POST to the first checked address that accepts a connection; never follow a redirect."""
    connection_class = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    error_text = ""
    for address in addresses:
        connection = connection_class(target.host, target.port, address=address, timeout=TIMEOUT_SECONDS)
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)
            return response.status, "" if 200 <= response.status < 300 else f"HTTP {response.status}"
        except (OSError, http.client.HTTPException, ValueError) as error:
            error_text = f"{type(error).__name__}: {error}"[:500]
        finally:
            connection.close()
    return None, error_text


# --- Subscriptions -----------------------------------------------------------------------------


def validate_events(events) -> list[str]:
    if not isinstance(events, list) or not events:
        raise ValidationError({"events": [_("Choose at least one event.")]})
    unknown = [e for e in events if e not in EVENT_TYPES]
    if unknown:
        raise ValidationError({"events": [_("Unknown event: %(e)s") % {"e": ", ".join(map(str, unknown))}]})
    return sorted(set(events))


def validate_subscription(url: str, events) -> list[str]:
    """The URL passes the SSRF guard and the events exist; returns the events, sorted."""
    try:
        check_url(url)
    except UnsafeURL as error:
        raise ValidationError({"url": [str(error)]}) from error
    return validate_events(events)


def check_owner(owner, by) -> None:
    """``by`` may give the webhook to ``owner``, who may manage webhooks."""
    if owner.pk != getattr(by, "pk", None) and not is_admin(by):
        raise PermissionDenied(_("Only an administrator creates webhooks for someone else."))
    if not can_manage_webhooks(owner):
        raise ValidationError({"owner": [_("The owner must be an administrator or a team manager.")]})


@transaction.atomic
def webhook_subscription_create(
    *,
    url: str,
    events: list[str],
    by,
    owner=None,
    secret: str = "",
    is_active: bool = True,
    description: str = "",
) -> WebhookSubscription:
    """A new subscription owned by ``owner`` (default: ``by``); its secret is shown once by the caller."""
    if not can_manage_webhooks(by):
        raise PermissionDenied(_("Only administrators and team managers manage webhooks."))
    owner = owner or by
    check_owner(owner, by)
    events = validate_subscription(url, events)
    return WebhookSubscription.objects.create(
        url=url,
        events=events,
        secret=validate_secret(secret) if secret else new_secret(),
        is_active=is_active,
        description=description,
        owner=owner,
        created_by=by,
    )


def _lock(subscription: WebhookSubscription, by) -> WebhookSubscription:
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    if not can_manage_webhook(by, locked):
        raise PermissionDenied(_("You may manage only your own webhooks."))
    return locked


@transaction.atomic
def webhook_subscription_update(*, subscription: WebhookSubscription, by, **changes) -> WebhookSubscription:
    """Change the URL, events, description, activity or (admin) owner; never the secret (rotate it)."""
    subscription = _lock(subscription, by)
    for field in ("url", "events", "is_active", "description"):
        if field in changes and changes[field] is not None:
            setattr(subscription, field, changes[field])
    if changes.get("owner") is not None and changes["owner"].pk != subscription.owner_id:
        if not is_admin(by):
            raise PermissionDenied(_("Only an administrator gives a webhook to someone else."))
        check_owner(changes["owner"], by)
        subscription.owner = changes["owner"]
    subscription.events = validate_subscription(subscription.url, subscription.events)
    subscription.save()
    if changes.get("secret"):
        subscription, _new = webhook_secret_rotate(subscription=subscription, by=by, secret=changes["secret"])
    return subscription


def secret_overlap() -> timedelta:
    hours = getattr(settings, "WEBHOOK_SECRET_OVERLAP_HOURS", None)
    return DEFAULT_SECRET_OVERLAP if hours is None else timedelta(hours=float(hours))


@transaction.atomic
def webhook_secret_rotate(
    *, subscription: WebhookSubscription, by, secret: str = ""
) -> tuple[WebhookSubscription, str]:
    """A new secret (returned, to show once); the old one keeps signing during the overlap."""
    subscription = _lock(subscription, by)
    new = validate_secret(secret) if secret else new_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_expires_at = timezone.now() + secret_overlap()
    subscription.secret = new
    subscription.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return subscription, new


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription, by) -> None:
    _lock(subscription, by).delete()


def _queue(delivery_ids: list[int]) -> None:
    from .outbox import publish
    from .webhook_tasks import deliver_webhook

    # The rows are pending and due: what cannot be published now, the periodic relay sends later.
    for delivery_id in delivery_ids:
        if not publish(deliver_webhook, delivery_id):
            break


def absolute_url(path: str) -> str:
    """``path`` on this installation (``SITE_URL``): the links a payload carries."""
    return f"{settings.SITE_URL}{path}"


def event_id(event_type: str, key: str | None) -> uuid.UUID:
    """A stable event id: the same event (``key``: what happened to which object) always has the
    same id on this installation, so a receiver can drop a duplicate (docs/api.md, "Webhooks")."""
    if key is None:
        return uuid.uuid4()
    return uuid.uuid5(uuid.uuid5(uuid.NAMESPACE_URL, settings.SITE_URL), f"{event_type}:{key}")


def _create_deliveries(subscriptions, event_type: str, obj: dict, key: str | None = None) -> list[WebhookDelivery]:
    return _create_deliveries_many(subscriptions, event_type, [(obj, key)])


def _create_deliveries_many(subscriptions, event_type: str, events: list[tuple[dict, str | None]]):
    """One delivery row per (subscription, event), in one insert; their tasks are queued on commit."""
    now = timezone.now()
    rows = []
    for obj, key in events:
        event_id_ = event_id(event_type, key)
        body = {"id": str(event_id_), "type": event_type, "created_at": now.isoformat(), "data": obj}
        payload = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
        rows += [
            WebhookDelivery(
                subscription=sub,
                event_id=event_id_,
                event_type=event_type,
                payload=payload,
                created_at=now,
                next_attempt_at=now,
            )
            for sub in subscriptions
        ]
    deliveries = WebhookDelivery.objects.bulk_create(rows)
    ids = [d.pk for d in deliveries]
    if ids:
        transaction.on_commit(lambda: _queue(ids))
    return deliveries


def emit_event(event_type: str, obj: dict, *, key: str | None = None) -> None:
    """Record ``event_type`` with data ``obj`` for every active subscription to it.

    Call inside the service's transaction: the rows commit (and the tasks are queued) with
    the change that caused the event, or not at all. ``key`` names the occurrence (e.g.
    ``"handoff:12:accepted"``): its event id is then stable (:func:`event_id`).
    """
    emit_events(event_type, [(obj, key)])


def emit_events(event_type: str, events: list[tuple[dict, str | None]]) -> None:
    """:func:`emit_event` for many occurrences at once (a scan's chunk): one query for the
    subscriptions and one insert for all the deliveries, whatever the number of events."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type: {event_type!r}")
    if not events:
        return
    subscriptions = [
        sub for sub in WebhookSubscription.objects.filter(is_active=True) if event_type in (sub.events or [])
    ]
    if subscriptions:
        with transaction.atomic():
            _create_deliveries_many(subscriptions, event_type, events)


@transaction.atomic
def webhook_send_test(*, subscription: WebhookSubscription, by) -> WebhookDelivery:
    """Queue a ``webhook.test`` event to one subscription (the "send test event" button)."""
    subscription = _lock(subscription, by)
    data = {"message": "Test event from smarketing.", "sent_by": getattr(by, "username", None)}
    return _create_deliveries([subscription], TEST_EVENT, data)[0]


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with full jitter on the upper half: 30 s, 1 min, 2 min … ≤ 1 h."""
    ceiling = min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** max(0, attempts - 1))
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # retry jitter, not a secret  # nosec B311


def delivery_headers(delivery: WebhookDelivery, body: bytes, timestamp: int) -> dict[str, str]:
    msg_id = str(delivery.event_id)
    return {
        "Content-Type": "application/json",
        "User-Agent": "smarketing-webhooks/2",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature_header(delivery.subscription, msg_id=msg_id, timestamp=timestamp, body=body),
        "X-Smarketing-Event": delivery.event_type,
    }


def _send(delivery: WebhookDelivery) -> tuple[int | None, str, bool]:
    """One attempt: (HTTP status or None, error text, whether retrying could ever help)."""
    try:
        target = parse_url(delivery.subscription.url)
        addresses = resolve(target)
    except UnsafeURL as error:
        # Malformed, or an internal address: refused for good, never left pending.
        return None, str(error), False
    except (OSError, UnicodeError, ValueError) as error:
        return None, _("The host name could not be resolved: %(error)s") % {"error": error}, True
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    code, error_text = _post(target, addresses, body, delivery_headers(delivery, body, int(time.time())))
    return code, error_text, True


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
    code, error_text, retryable = _send(delivery)
    done = timezone.now()
    if code is not None and 200 <= code < 300:
        fields = {"status": WebhookDelivery.Status.DELIVERED, "delivered_at": done, "last_error": ""}
    elif not retryable or done + timedelta(seconds=1) - delivery.created_at >= RETRY_WINDOW:
        fields = {"status": WebhookDelivery.Status.FAILED, "last_error": error_text}
    else:
        retry_at = min(done + timedelta(seconds=backoff_seconds(attempts)), delivery.created_at + RETRY_WINDOW)
        fields = {"next_attempt_at": retry_at, "last_error": error_text}
    WebhookDelivery.objects.filter(pk=delivery.pk, attempts=attempts).update(last_response_code=code, **fields)
    return str(fields.get("status", WebhookDelivery.Status.PENDING))
