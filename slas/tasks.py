"""Periodic SLA housekeeping."""

from __future__ import annotations

from celery import shared_task


@shared_task(soft_time_limit=60, time_limit=120, acks_late=True)
def expire_due_slas() -> int:
    """Mark active SLAs past their end date as expired; idempotent (a second run finds none)."""

    from slas.services import sla_expire_due

    return sla_expire_due()
