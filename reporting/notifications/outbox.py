"""The notification outbox: writing rows once, and delivering them exactly once.

Every notification is first written as a ``Notification`` row (unique per dedupe key and
recipient) in the same transaction as the decision that causes it; a task then delivers the row:
it claims it with a conditional update, sends it on an SMTP connection it holds, and marks it sent
right after the server accepted it (before ``QUIT``). A failure backs off exponentially (with
jitter) for at least an hour before the row is marked failed. A periodic relay re-enqueues rows
whose task was lost (broker outage, killed worker) or whose claim is stale
(``NOTIFICATION_CLAIM_LEASE_SECONDS``).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from slas.models import Membership, Profile
from smarketing.outbox import publish, publish_on_commit

from ..models import Notification

logger = logging.getLogger(__name__)

# A claimed row not marked sent within this time belongs to a dead worker; the relay releases it.
# A row is retried for at least this long before it is marked failed.
RETRY_WINDOW = dt.timedelta(hours=1)
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_MAX = dt.timedelta(minutes=20)
ALERT_KINDS = {Notification.Kind.OVERDUE, Notification.Kind.ESCALATION, Notification.Kind.AT_RISK}


# --- Writing notification rows ------------------------------------------------------------


def notification_queue(
    *, kind: str, recipient, dedupe_key: str, payload: dict, subject: str = ""
) -> Notification | None:
    """Write one notification row unless it exists; deliver it after commit. Returns the new row or None.

    Alerts to users who chose the daily digest wait as ``digested`` rows for the digest.
    """
    from ..tasks import deliver_notification

    status = _initial_status(kind, recipient)
    with transaction.atomic():
        notification, created = Notification.objects.get_or_create(
            dedupe_key=dedupe_key,
            recipient=recipient,
            defaults={"kind": kind, "payload": payload, "subject": subject[:255], "status": status},
        )
    if not created:
        return None
    if status == Notification.Status.QUEUED:
        publish_on_commit(deliver_notification, notification.pk)
    return notification


def notifications_queue_many(rows: list[dict]) -> list[Notification]:
    """:func:`notification_queue` for many rows at once (a scan's chunk): one insert for all.

    Each row is a dict of ``notification_queue``'s arguments. For callers that claimed the cause
    of every row in the same transaction (the overdue alert's one-to-one row): a row that exists
    already is a broken claim, and the unique key refuses it with the whole chunk.
    """
    from ..tasks import deliver_notification

    created = Notification.objects.bulk_create(
        [
            Notification(
                kind=row["kind"],
                recipient=row["recipient"],
                dedupe_key=row["dedupe_key"],
                payload=row["payload"],
                subject=row.get("subject", "")[:255],
                status=_initial_status(row["kind"], row["recipient"]),
            )
            for row in rows
        ]
    )
    queued = [n.pk for n in created if n.status == Notification.Status.QUEUED]
    if queued:
        transaction.on_commit(lambda: _publish_all(deliver_notification, queued))
    return created


def _publish_all(task, ids: list[int]) -> None:
    # The rows are queued and due: what cannot be published now, the relay publishes later.
    for pk in ids:
        if not publish(task, pk):
            break


def _initial_status(kind: str, recipient) -> str:
    """Alerts to a user who chose the daily digest wait for it; everything else is delivered now."""
    if kind in ALERT_KINDS and Profile.for_user(recipient).alert_mode == Profile.AlertMode.DIGEST:
        return Notification.Status.DIGESTED
    return Notification.Status.QUEUED


def _active_memberships(team_ids: Iterable[int], role: str | None = None):
    memberships = Membership.objects.filter(team_id__in=list(team_ids), user__is_active=True)
    if role:
        memberships = memberships.filter(role=role)
    return memberships


def team_users(team_ids: Iterable[int], role: str | None = None):
    """The active users of the teams (with ``role``), each once, with their profiles."""
    user_ids = _active_memberships(team_ids, role).values("user_id")
    return get_user_model().objects.filter(pk__in=user_ids).select_related("profile").order_by("pk")


def team_users_by_team(team_ids: Iterable[int], role: str | None = None) -> dict[int, list]:
    """:func:`team_users` of each team, for many teams in one query (a scan's chunk)."""
    users: dict[int, list] = {}
    team_ids = list(team_ids)
    if not team_ids:
        return users
    for membership in (
        _active_memberships(team_ids, role).select_related("user__profile").order_by("team_id", "user_id")
    ):
        team = users.setdefault(membership.team_id, [])
        if not team or team[-1].pk != membership.user_id:
            team.append(membership.user)
    return users


# --- Delivery ---------------------------------------------------------------------------


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential backoff with ±50 % jitter, so many failed rows do not hammer SMTP together."""
    base = min(RETRY_BASE * (2 ** max(attempts - 1, 0)), RETRY_MAX)
    return base * random.uniform(0.5, 1.5)  # retry jitter, not a secret  # nosec B311


def message_id(notification: Notification) -> str:
    """The ``Message-ID`` of a notification's e-mail: the same on every attempt, one per (notification, recipient).

    A resend after a death between the server's acceptance and our commit is then the same message
    to mail systems, which drop or thread it as one.
    """
    from email.headerregistry import Address

    domain = Address(addr_spec=parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or "noreply@localhost").domain
    return f"<notification-{notification.pk}.{notification.recipient_id}@{domain or 'localhost'}>"


# At most this many of a recipient's waiting alerts go out in one grouped e-mail.
ALERT_GROUP_MAX = 50


def _claim(notification: Notification, now: dt.datetime) -> list[int]:
    """Claim ``notification`` for this delivery; returns the ids claimed (``[]`` when another has it).

    An alert (overdue, escalation, at risk) is claimed with every other alert of its recipient that
    waits to be sent: one scan's alerts to one person go out as one e-mail, not one each. The rows
    are locked with ``SKIP LOCKED``, so a concurrent delivery of a sibling finds nothing to claim and
    returns; each row is claimed by exactly one delivery.
    """
    claimable = Notification.objects.filter(status=Notification.Status.QUEUED, next_attempt_at__lte=now).filter(
        claimed_at__isnull=True
    )
    if notification.kind not in ALERT_KINDS:
        claimed = claimable.filter(pk=notification.pk).update(claimed_at=now, attempts=F("attempts") + 1)
        return [notification.pk] if claimed == 1 else []
    with transaction.atomic():
        ids = list(
            claimable.select_for_update(skip_locked=True)
            .filter(recipient_id=notification.recipient_id, kind__in=ALERT_KINDS)
            .order_by("pk")
            .values_list("pk", flat=True)[:ALERT_GROUP_MAX]
        )
        if notification.pk not in ids:
            return []
        Notification.objects.filter(pk__in=ids).update(claimed_at=now, attempts=F("attempts") + 1)
    return ids


def notification_deliver(*, notification_id: int, now: dt.datetime | None = None) -> bool:
    """Claim, send and mark one notification (an alert with its recipient's other waiting alerts, as
    one e-mail). Returns True when this call sent it.

    Deliberately not one transaction: the claim commits before SMTP is contacted. The delivery
    holds its own SMTP connection and marks the rows sent right after the server accepted the
    message (the ``250`` to ``DATA``), before ``QUIT`` or any other I/O: a death in between is the
    only window for a resend, and a resend carries the same ``Message-ID`` (:func:`message_id`, of
    the group's first row).
    """
    from .. import emails

    now = now or timezone.now()
    notification = Notification.objects.select_related("recipient__profile").filter(pk=notification_id).first()
    if notification is None:
        return False
    ids = _claim(notification, now)
    if not ids:
        return False
    rows = list(Notification.objects.select_related("recipient__profile").filter(pk__in=ids).order_by("pk"))
    first = rows[0]
    connection = None
    try:
        message = emails.message_for(first) if len(rows) == 1 else emails.alerts_group(rows)
        message.extra_headers["Message-ID"] = message_id(first)
        connection = get_connection(fail_silently=False)
        connection.open()
        # An open connection is kept by send_messages: it returns once DATA was accepted.
        accepted = connection.send_messages([message])
        if accepted != 1:
            raise RuntimeError("the mail backend did not accept the message")
    except Exception as exc:  # noqa: BLE001 - any SMTP or network failure: retry later, never lose the row
        logger.warning("notification %s: delivery failed: %s", ids, exc)
        for row in rows:
            failed_for_good = now - row.created_at >= RETRY_WINDOW
            Notification.objects.filter(pk=row.pk, claimed_at=now).update(
                claimed_at=None,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                status=Notification.Status.FAILED if failed_for_good else Notification.Status.QUEUED,
                next_attempt_at=now + retry_delay(row.attempts),
            )
        _close_quietly(connection)
        return False
    _mark_sent(rows, claimed_at=now, subject=message.subject)
    _close_quietly(connection)  # QUIT, after the rows say sent
    return True


def _mark_sent(rows: list[Notification], *, claimed_at: dt.datetime, subject: str) -> None:
    """The rows of one accepted e-mail marked sent together (one commit: a grouped alert is all or nothing).

    A row alone takes the e-mail's subject; the rows of a grouped e-mail keep their own (each is one
    alert in the notifications centre)."""
    own_subject = {} if len(rows) > 1 else {"subject": subject[:255]}
    with transaction.atomic():
        Notification.objects.filter(pk__in=[row.pk for row in rows], claimed_at=claimed_at).update(
            status=Notification.Status.SENT, sent_at=timezone.now(), claimed_at=None, last_error="", **own_subject
        )
        carried = [pk for row in rows if row.kind == Notification.Kind.DIGEST for pk in row.payload.get("items", [])]
        if carried:
            # The alerts a digest carried are delivered now, not before (a failed digest leaves them for the next one).
            Notification.objects.filter(pk__in=carried, status=Notification.Status.DIGESTED).update(
                status=Notification.Status.SENT, sent_at=timezone.now()
            )


def _close_quietly(connection) -> None:
    """End the SMTP session; the message is already accepted and recorded, a failing QUIT changes nothing."""
    if connection is None:
        return
    try:
        connection.close()
    except Exception as exc:  # noqa: BLE001 - after acceptance nothing may turn into a failed delivery
        logger.info("SMTP session close failed after delivery: %s", exc)


def notifications_relay(*, now: dt.datetime | None = None) -> list[int]:
    """Release stale claims and re-enqueue every queued row that is due; returns the ids enqueued.

    Enqueueing a row twice is harmless: only one delivery task can claim it.
    """
    from ..tasks import deliver_notification

    now = now or timezone.now()
    Notification.objects.filter(status=Notification.Status.QUEUED, claimed_at__lt=now - claim_lease()).update(
        claimed_at=None
    )
    due = list(
        Notification.objects.filter(
            status=Notification.Status.QUEUED, next_attempt_at__lte=now, claimed_at__isnull=True
        ).values_list("pk", flat=True)[:1000]
    )
    for pk in due:
        if not publish(deliver_notification, pk):
            break
    return due


def claim_lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFICATION_CLAIM_LEASE_SECONDS)
