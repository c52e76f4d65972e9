"""A webhook burst with the worker SIGKILLed mid-burst: every event delivered, resends only for a
delivery the receiver answered just before the kill, each with its webhook-id."""

from __future__ import annotations

import os
import random
import time
import uuid
from collections import Counter

import pytest

from .harness import Celery, Receiver, deliveries_of, hand_off_new_lead, manage, report, wait_for

pytestmark = pytest.mark.chaos

BURST = int(os.environ.get("CHAOS_WEBHOOK_BURST", "30"))

RELAY = """
from smarketing.webhook_tasks import relay_webhooks
print("RELAYED", relay_webhooks())
"""


def test_a_worker_killed_during_a_webhook_burst(stack):
    receiver = Receiver().start()
    tag = f"hook{uuid.uuid4().hex[:6]}"
    rng = random.Random(os.environ.get("CHAOS_SEED", "14"))
    workers, handoffs = [], 0
    try:
        for index in range(BURST):  # queued while no worker runs: the burst waits in Redis
            _created, handed = hand_off_new_lead(stack, f"{tag}-{index}@example.com")
            handoffs += handed.status == 200
        first = Celery(stack.env, "worker", name=f"hook-{uuid.uuid4().hex[:6]}", concurrency=2)
        first.start()
        workers.append(first)
        wait_for(lambda: len(receiver.ids) >= 3, 120, what="the burst under way")
        time.sleep(rng.uniform(0.0, 1.0))
        first.kill()
        at_kill = len(receiver.ids)
        second = Celery(stack.env, "worker", name=f"hook-{uuid.uuid4().hex[:6]}", concurrency=2)
        second.start()
        workers.append(second)

        def all_delivered() -> bool:
            manage(stack.env, "shell", "-c", RELAY)
            pending = stack.sql(f"SELECT count(*) {deliveries_of(tag)} AND d.status <> 'delivered'")
            return pending == "0"

        wait_for(all_delivered, 240, interval=5, what="every delivery delivered")
        time.sleep(1)
    finally:
        for worker in workers:
            worker.stop()
        receiver.stop()
    ids = stack.sql(f"SELECT d.payload->>'id' {deliveries_of(tag)}").split()
    received = Counter(receiver.ids)
    ours = {i: received[i] for i in ids}
    delivered = sum(1 for count in ours.values() if count)
    duplicates = sum(count - 1 for count in ours.values() if count > 1)
    report(
        fault="worker SIGKILLed during a webhook burst",
        load=f"{BURST} handoffs → {len(ids)} lead.handed_off deliveries",
        expected=len(ids),
        delivered=delivered,
        duplicates=duplicates,
        lost=len(ids) - delivered,
        errors=BURST - handoffs,
        received_before_kill=at_kill,
    )
    assert handoffs == BURST and len(ids) == BURST
    assert delivered == len(ids)
    assert duplicates <= 2, "only the deliveries in flight at the kill may be received twice"
