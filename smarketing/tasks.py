from __future__ import annotations

from celery import shared_task

# Registers the webhook tasks with the worker (autodiscovery only imports ``tasks``).
from .webhook_tasks import deliver_webhook, relay_webhooks  # noqa: F401


@shared_task(soft_time_limit=30, time_limit=60)
def heartbeat(hostname: str | None = None) -> str:
    """Periodic proof of life; also used by the real-worker test as a round trip."""
    from django.utils import timezone

    from smarketing.models import WorkerHeartbeat

    name = hostname or heartbeat.request.hostname or "unknown"
    WorkerHeartbeat.record(name)
    return timezone.now().isoformat()


@shared_task(soft_time_limit=30, time_limit=60)
def add(x: int, y: int) -> int:
    """A pure round-trip task for health checks and the broker test."""
    return x + y


@shared_task(soft_time_limit=50, time_limit=60)
def relay_jobs() -> dict:
    """Publish again the jobs whose message was lost; take back those whose worker died."""
    from smarketing.jobs import relay_jobs as relay

    return relay()
