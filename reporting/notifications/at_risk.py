"""At-risk commitments: alert the owning side's managers once per series, commitment and month."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.urls import reverse

from slas.models import SLA, Membership, Side
from smarketing.webhooks import absolute_url, emit_event

from ..models import Notification
from .outbox import notification_queue, team_users


def _month_label(month: dt.date | str) -> str:
    return month if isinstance(month, str) else f"{month:%Y-%m}"


def notify_at_risk(sla: SLA, month: dt.date | str, commitments: Iterable[dict]) -> int:
    """Alert the managers of the owning side once per (SLA series, commitment, month) that turned ``at_risk``
    (an amendment in the month does not alert again).

    ``commitments`` are the status rows of the compliance engine (``{key, side, target, actual,
    projected, status}``); callable from the dashboard or the reporting code at any time.
    """
    label = _month_label(month)
    count = 0
    with transaction.atomic():
        for commitment in commitments:
            if commitment.get("status") != "at_risk":
                continue
            side = commitment.get("side")
            teams = {Side.MARKETING: [sla.marketing_team_id], Side.SALES: [sla.sales_team_id]}.get(
                side, [sla.marketing_team_id, sla.sales_team_id]
            )
            newly_alerted = False
            for manager in team_users(teams, role=Membership.Role.MANAGER):
                created = notification_queue(
                    kind=Notification.Kind.AT_RISK,
                    recipient=manager,
                    dedupe_key=f"atrisk:{sla.series}:{commitment['key']}:{label}",
                    payload={"sla": sla.pk, "month": label, **{k: _jsonable(v) for k, v in commitment.items()}},
                    subject=f"{sla.title}: {commitment['key']} at risk ({label})",
                )
                count += created is not None
                newly_alerted = newly_alerted or created is not None
            if newly_alerted:
                payload = {k: _jsonable(v) for k, v in commitment.items()}
                links = {
                    "sla_title": sla.title,
                    "api_url": absolute_url(f"{reverse('api-sla-status', args=[sla.pk])}?month={label}"),
                    "web_url": absolute_url(reverse("slas:detail", args=[sla.pk])),
                }
                emit_event(
                    "sla.at_risk",
                    {"sla": sla.pk, "month": label, **payload, **links},
                    key=f"atrisk:{sla.series}:{commitment['key']}:{label}",
                )
    return count


def _jsonable(value):
    return float(value) if isinstance(value, Decimal) else value
