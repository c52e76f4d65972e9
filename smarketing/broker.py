"""Celery's Redis transport with one guard: a channel of a closed connection fails as a broker outage.

When the worker loses Redis, Celery (``Consumer.on_connection_error_after_connected``) collects and
closes the broken connection and opens a new one. kombu's closing leaves the old connection's
transport without its client (``Transport.client = None``) while its channels may still be reached:
a late acknowledgement (``acks_late``) of a message received on the old connection, the transport's
periodic restore of unacknowledged messages. A channel that needs a Redis client again then builds its
pool from ``self.connection.client.hostname`` and raises ``AttributeError: 'NoneType' object has no
attribute 'hostname'`` (celery/kombu#582, #970). Celery and kombu handle a broker *connection* error at
every one of those places (``Couldn't ack``, next restore cycle, reconnect) but not an
``AttributeError``, which stops the worker. This channel raises Redis' ``ConnectionError`` instead,
so the worker logs it and goes on: the message stays unacknowledged in Redis and is delivered again
(every task is safe to run twice), and the new connection serves everything else.

Settings use it as ``CELERY_BROKER_TRANSPORT`` with a Redis broker (docs/reliability.md).
"""

from __future__ import annotations

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        transport = self.connection
        if transport is None or transport.client is None:
            raise RedisConnectionError("this channel belongs to a closed broker connection")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
