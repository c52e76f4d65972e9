"""Schemathesis against the app's own OpenAPI schema: no 5xx, responses conform.

The schema is generated from the whole URLconf (so endpoints other apps add are fuzzed too)
and every operation is called in-process over WSGI with a seeded admin token.
``SCHEMATHESIS_MAX_EXAMPLES`` (default 5 per operation) bounds the run; CI can raise it
(e.g. ``SCHEMATHESIS_MAX_EXAMPLES=50``) for a deeper search.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from smarketing.tokens import api_token_create

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))

# Built at collection (no database needed). ``from_fixture`` would defer this, but its lazy
# loader does not work with the pytest version pinned here.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture
def admin_token(db, settings) -> str:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from slas.tests.factories import role_users

    # Like Django's test client: keep the test's connection (and transaction) open across
    # WSGI requests instead of closing it when each request finishes.
    # Generated webhook URLs are random host names: do not resolve them over the network.
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    _token, key = api_token_create(user=role_users().admin, name="schemathesis")
    try:
        yield key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_api_never_fails_and_conforms_to_its_schema(case, admin_token):
    # Business rules rightly refuse some schema-valid input (400/409), and lenient filters
    # may ignore schema-invalid values, so the two data-acceptance checks are left out; all
    # others run: no 5xx, documented status codes, content types, headers and bodies, auth
    # enforced, 405 for undocumented methods.
    case.call_and_validate(
        headers={"Authorization": f"Token {admin_token}"},
        excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection],
    )
