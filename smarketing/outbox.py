"""Publishing tasks from a request: quick, and never an error for a change that is committed.

Every side effect a request queues (a notification, a webhook delivery, an import) is first a row
in the database, written in the same transaction as the change: that row is the outbox. Publishing
the task that works on it is only a shortcut. :func:`publish` tries the broker briefly
(``PUBLISH_RETRY_POLICY``: well under a second in all) and, when the broker is away, logs and
returns ``False``; the periodic relays (``reporting.tasks.relay_notifications``,
``smarketing.webhook_tasks.relay_webhooks``, ``smarketing.tasks.relay_jobs``) send what is still
waiting once the broker is back. No request waits on Redis for long, and none fails because of it.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Three attempts 0.2 s apart at most: a broker restart in progress is waited for, an outage is not.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# After a failed publish, the process does not try again for this long: a request that queues
# several tasks (a handoff: a webhook and alerts) pays for one attempt, not one per task.
BROKER_PAUSE_SECONDS = 5.0

_paused = {"until": 0.0}
# What an unreachable broker raises (kombu wraps most of it in its OperationalError).
BROKER_ERRORS = (OperationalError, RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)


def publish(task, *args, countdown: float | None = None) -> bool:
    """Send ``task(*args)`` to the broker; ``False`` (logged) when it cannot be reached now.

    The result is not kept: a caller that publishes from a request never waits for it, and the
    result store (Redis too) is not touched.
    """
    if time.monotonic() < _paused["until"]:
        logger.info("broker paused after a failure: %s%r left to the relay", task.name, args)
        return False
    try:
        task.apply_async(args, countdown=countdown, ignore_result=True, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except BROKER_ERRORS as error:
        # The outbox row is committed and due: the relay publishes it when the broker is back.
        _paused["until"] = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning("could not publish %s%r (%s: %s); the relay will", task.name, args, type(error).__name__, error)
        return False
    return True


def publish_on_commit(task, *args) -> None:
    """:func:`publish` once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(lambda: publish(task, *args))
