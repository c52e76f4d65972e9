"""The chaos stack: PostgreSQL, Redis and gunicorn of its own, started once per test session.

Scenarios break these servers from outside (stop, kill, restart) and put them back; a fixture
makes sure each scenario starts with every part up. Skipped when PostgreSQL's binaries or
``redis-server`` are missing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import pytest

from .harness import OwnPostgres, OwnRedis, Web, app_env, manage, wait_for

DATABASE = "smk_chaos"

SEED = """
import json
from slas.tests.factories import role_users
from smarketing.tokens import api_token_create
from smarketing.webhooks import webhook_subscription_create

roles = role_users()
_token, key = api_token_create(user=roles.mkt_member, name="chaos")
webhook_subscription_create(url="http://127.0.0.1:RECEIVER_PORT/hook", events=["lead.handed_off"], by=roles.admin)
print("SEED " + json.dumps({"token": key, "team": roles.marketing.pk, "sales": roles.sales.pk}))
"""


@dataclass
class Stack:
    pg: OwnPostgres
    redis: OwnRedis
    web: Web
    env: dict
    token: str
    team: int
    sales: int

    def sql(self, query: str) -> str:
        return self.pg.psql(DATABASE, query)

    def heal(self) -> None:
        """Every part up again (after a scenario that failed half-way)."""
        if not self.pg.is_running():
            self.pg.start()
        if not self.redis.is_running():
            self.redis.start()


@pytest.fixture(scope="session")
def chaos_stack(tmp_path_factory):
    if not OwnPostgres.available() or not OwnRedis.available():
        pytest.skip("chaos scenarios need PostgreSQL's server binaries and redis-server")
    pg = OwnPostgres()
    redis = OwnRedis()
    web = None
    try:
        pg.init()
        pg.createdb(DATABASE)
        redis.start()
        static_root = tmp_path_factory.mktemp("static")
        env = app_env(pg, redis, DATABASE, STATIC_ROOT=str(static_root))
        # Generous bounds: on a loaded machine migrate and collectstatic take minutes.
        manage(env, "migrate", "--noinput", timeout=900)
        manage(env, "collectstatic", "--noinput", timeout=900)
        seeded = manage(
            env, "shell", "-c", SEED.replace("RECEIVER_PORT", os.environ.get("CHAOS_RECEIVER_PORT", "18330"))
        )
        seed = json.loads(seeded.split("SEED ", 1)[1])
        web = Web(env)
        web.start()
        stack = Stack(pg=pg, redis=redis, web=web, env=env, token=seed["token"], team=seed["team"], sales=seed["sales"])
        yield stack
    finally:
        if web is not None:
            web.stop()
        if redis.is_running():
            redis.stop()
        pg.destroy()


@pytest.fixture
def stack(chaos_stack):
    chaos_stack.heal()
    wait_for(lambda: chaos_stack.pg.is_running() and chaos_stack.redis.is_running(), 30, what="stack up")
    yield chaos_stack
    chaos_stack.heal()
