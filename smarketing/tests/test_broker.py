"""The Redis transport's guard (``smarketing.broker``): after Celery closed a broken connection, its
channels fail as a broker outage (which Celery and kombu handle) instead of an ``AttributeError``
(which stopped the worker). Against the real Redis of ``REDIS_URL``, as Celery drives it."""

from __future__ import annotations

import logging
import os
import uuid

import kombu
import pytest
from kombu.transport import redis as kombu_redis

from smarketing.broker import Transport


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("no REDIS_URL set: the broker tests need a Redis (CI sets one)")
    return url


def _closed_after_use(url: str, transport):
    """A message received and acknowledged, then the connection collected and closed the way
    Celery's ``Consumer.on_connection_error_after_connected`` does when Redis goes away."""
    connection = kombu.Connection(url, transport=transport)
    queue = kombu.Queue(f"smk-broker-guard-{uuid.uuid4().hex[:8]}")
    with connection.Producer() as producer:
        producer.publish({"n": 1}, routing_key=queue.name, declare=[queue])
    received: list[kombu.Message] = []
    channel = connection.default_channel
    consumer = kombu.Consumer(channel, [queue], callbacks=[lambda _body, message: received.append(message)])
    consumer.consume()
    connection.drain_events(timeout=5)
    received[0].ack()
    connection.collect(socket_timeout=1)
    connection.close()
    return connection, channel, received[0]


def test_the_pinned_kombu_raises_an_attribute_error_on_a_closed_connections_channel(redis_url):
    """Why the guard exists; when kombu fixes it this test fails and the guard can go."""
    _connection, channel, _message = _closed_after_use(redis_url, kombu_redis.Transport)
    with pytest.raises(AttributeError):
        channel.qos.restore_visible()  # what the transport's timer calls every 10 s


def test_a_closed_connections_channel_fails_as_a_broker_outage(redis_url, caplog):
    connection, channel, message = _closed_after_use(redis_url, Transport)
    with pytest.raises(connection.connection_errors):
        channel.qos.restore_visible()
    with pytest.raises(connection.connection_errors):
        channel.basic_ack(message.delivery_tag)
    # A late acknowledgement as Celery makes it: logged, not raised (the worker goes on).
    message._state = "RECEIVED"
    with caplog.at_level(logging.CRITICAL):
        message.ack_log_error(logging.getLogger("smarketing.tests"), connection.connection_errors)
    assert "Couldn't ack" in caplog.text


def test_a_redis_broker_uses_the_guarded_transport(redis_url, settings):
    from smarketing.celery import app

    assert settings.CELERY_BROKER_TRANSPORT == "smarketing.broker:Transport"
    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=2)
        assert connection.transport_cls is Transport or isinstance(connection.transport, Transport)
