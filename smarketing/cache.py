"""A Redis cache that fails open: when Redis is away the site serves, it only forgets.

Everything the project keeps in the cache is a hint (API and form throttle counters): losing it
for the length of an outage is better than refusing every request. Each operation that cannot
reach Redis answers as a cache miss (``get`` the default, ``add``/``set`` nothing stored, ``incr``
as if the key were new), and a warning is logged at most every ``LOG_EVERY`` seconds per process.
The connection options (short socket timeouts, no retries) are in the settings. ``clear()`` deletes
the cache's own keys, never the broker's queues that share the database.
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LOG_EVERY = 10.0
_last_logged = 0.0


def _unavailable(operation: str, error: Exception) -> None:
    global _last_logged
    now = time.monotonic()
    if now - _last_logged >= LOG_EVERY:
        _last_logged = now
        logger.warning("cache unavailable (%s: %s: %s); serving without it", operation, type(error).__name__, error)


class FailOpenRedisCache(RedisCache):
    """Django's Redis cache, with every operation answering as a miss when Redis is unreachable."""

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as error:
            _unavailable("get", error)
            return default

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as error:
            _unavailable("get_many", error)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as error:
            _unavailable("has_key", error)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as error:
            _unavailable("add", error)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as error:
            _unavailable("set", error)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as error:
            _unavailable("set_many", error)
            return list(data)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as error:
            _unavailable("touch", error)
            return False

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            _unavailable("incr", error)
            return delta

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as error:
            _unavailable("delete", error)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except RedisError as error:
            _unavailable("delete_many", error)

    def clear(self):
        """Delete this cache's keys only: Redis' database is shared with Celery's queues (``REDIS_URL``).

        Django's own ``clear()`` empties the whole database, queued tasks included.
        """
        try:
            client = self._cache.get_client(None, write=True)
            batch = []
            for key in client.scan_iter(match=f"{self.key_prefix}:*", count=500):
                batch.append(key)
                if len(batch) >= 500:
                    client.delete(*batch)
                    batch = []
            if batch:
                client.delete(*batch)
        except RedisError as error:
            _unavailable("clear", error)
            return False
        return True
