"""Redis away: the cache answers as a miss and the API keeps serving; publishing gives up quickly.

The "Redis" here is a real client talking to a loopback port where nothing listens (connection
refused, as when Redis is stopped). The full outages (Redis and PostgreSQL of their own, stopped
under load behind gunicorn) are in ``chaos/``.
"""

from __future__ import annotations

import time

import pytest
from celery import Celery
from django.core.cache import caches
from django.test import override_settings

from smarketing import cache as cache_module
from smarketing import outbox
from smarketing.cache import FailOpenRedisCache

# Nothing listens here: a port of this engineer's range left unused on purpose.
DEAD_REDIS = "redis://127.0.0.1:18399/0"
DEAD_CACHES = {
    "default": {
        "BACKEND": "smarketing.cache.FailOpenRedisCache",
        "LOCATION": DEAD_REDIS,
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


def test_the_cache_answers_as_a_miss_when_redis_is_unreachable(caplog, monkeypatch):
    monkeypatch.setattr(cache_module, "_last_logged", 0.0)
    cache = FailOpenRedisCache(DEAD_REDIS, {})
    started = time.monotonic()
    cache.set("k", 1)
    assert cache.get("k", "missing") == "missing"
    assert cache.get_many(["k"]) == {}
    assert cache.add("k", 1) is False
    assert cache.incr("k") == 1
    assert cache.delete("k") is False
    cache.clear()
    assert time.monotonic() - started < 2
    assert "cache unavailable" in caplog.text


@pytest.mark.django_db
def test_the_api_reads_and_writes_while_the_throttles_cache_is_unreachable(roles, admin_api):
    with override_settings(CACHES=DEAD_CACHES):
        assert isinstance(caches["default"], FailOpenRedisCache)
        listed = admin_api.get("/api/v1/leads/")
        created = admin_api.post(
            "/api/v1/leads/", {"email": "redis-down@example.com", "team": roles.marketing.pk}, format="json"
        )
    assert listed.status_code == 200, listed.content
    assert created.status_code == 201, created.content


def test_publishing_to_an_unreachable_broker_gives_up_within_a_second_and_pauses(monkeypatch):
    monkeypatch.setattr(outbox, "_paused", {"until": 0.0})
    broker_away = Celery("broker-away", broker=DEAD_REDIS, set_as_current=False)

    @broker_away.task(name="broker_away.add")
    def add(x, y):
        return x + y

    try:
        started = time.monotonic()
        assert outbox.publish(add, 1, 2) is False
        first = time.monotonic() - started
        started = time.monotonic()
        assert outbox.publish(add, 3, 4) is False
        second = time.monotonic() - started
    finally:
        broker_away.close()
    assert first < 1.0
    assert second < 0.05, "after a failure the process leaves publishing to the relay for a while"


def test_clearing_the_cache_leaves_the_brokers_keys_alone(settings):
    """The cache shares Redis' database with Celery's queues: clear() deletes the cache's keys only."""
    import os

    import redis

    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("needs REDIS_URL")
    cache = FailOpenRedisCache(url, {"KEY_PREFIX": "clear-test"})
    raw = redis.Redis.from_url(url)
    raw.set("queue-like-key", "1")
    try:
        cache.set("a", 1)
        cache.set("b", 2)
        assert cache.clear() is True
        assert cache.get("a") is None and cache.get("b") is None
        assert raw.get("queue-like-key") == b"1"
    finally:
        raw.delete("queue-like-key")
