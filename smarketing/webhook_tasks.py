"""Celery tasks delivering webhooks (see ``smarketing.webhooks``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(soft_time_limit=30, time_limit=60, acks_late=True)
def deliver_webhook(delivery_id: int) -> str:
    """Attempt one delivery; on failure schedule the next attempt with backoff."""
    from django.utils import timezone

    from smarketing.models import WebhookDelivery
    from smarketing.webhooks import attempt_delivery

    status = attempt_delivery(delivery_id)
    # Eager mode (tests, embedded run without a countdown) would retry at once in a loop;
    # there the periodic relay picks the delivery up when it is due.
    if status == WebhookDelivery.Status.PENDING and not deliver_webhook.request.is_eager:
        retry_at = WebhookDelivery.objects.filter(pk=delivery_id).values_list("next_attempt_at", flat=True).first()
        if retry_at is not None:
            deliver_webhook.apply_async((delivery_id,), countdown=max(0, (retry_at - timezone.now()).total_seconds()))
    return status


@shared_task(soft_time_limit=50, time_limit=60)
def relay_webhooks(limit: int = 500) -> int:
    """Re-queue pending deliveries that are due: their task vanished (worker died, restart)."""
    from django.utils import timezone

    from smarketing.models import WebhookDelivery

    due = list(
        WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    return len(due)
