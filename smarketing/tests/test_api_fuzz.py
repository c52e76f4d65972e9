"""Schemathesis against the app's own OpenAPI schema: no 5xx, responses conform.

The schema is generated from the whole URLconf (so endpoints other apps add are fuzzed too)
and every operation is called in-process over WSGI, once with an administrator's token and
once with a sales member's (issue 13: the roles an attacker would pick: all rights, few rights).
Two phases:

- every operation on its own (``SCHEMATHESIS_MAX_EXAMPLES`` cases each, default 5; CI raises it);
- stateful workflows (``SCHEMATHESIS_STATEFUL_EXAMPLES`` scenarios, default 5): schemathesis
  chains operations through the links it infers from the schema (create a webhook, then read,
  change, rotate and delete it; create a lead, then act on it …).

Every check runs (schemathesis ``--checks all``): no 5xx, status codes, content types, headers
and bodies conform to the schema, schema-invalid input is refused (400), schema-valid input is
accepted — where "accepted" includes the answers the schema documents for a business rule that
refuses it (``schemathesis.toml``: 400 with field errors, 409).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings

from smarketing.tokens import api_token_create

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "5"))
STATEFUL_EXAMPLES = int(os.environ.get("SCHEMATHESIS_STATEFUL_EXAMPLES", "5"))
EXCLUDED_CHECKS: list = []
HYPOTHESIS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
}

# Built at collection (no database needed). ``from_fixture`` would defer this, but its lazy
# loader does not work with the pytest version pinned here.
schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture(params=["admin", "sales_member"])
def api_token(request, db, settings) -> str:
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from slas.tests.factories import role_users

    # Like Django's test client: keep the test's connection (and transaction) open across
    # WSGI requests instead of closing it when each request finishes.
    # Generated webhook URLs are random host names: do not resolve them over the network.
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    user = getattr(role_users(), request.param)
    _token, key = api_token_create(user=user, name="schemathesis")
    try:
        yield key
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, **HYPOTHESIS)
def test_the_api_never_fails_and_conforms_to_its_schema(case, api_token):
    case.call_and_validate(headers={"Authorization": f"Token {api_token}"}, excluded_checks=EXCLUDED_CHECKS)


def test_stateful_workflows_never_fail(api_token):
    workflow = schema.as_state_machine()

    headers = {"Authorization": f"Token {api_token}"}

    class Workflow(workflow):
        def setup(self):
            # Each scenario starts from the same database (a savepoint rolled back at its end),
            # so Hypothesis can replay and shrink a scenario that failed.
            self._savepoint = transaction.atomic()
            self._savepoint.__enter__()

        def teardown(self):
            transaction.set_rollback(True)
            self._savepoint.__exit__(None, None, None)

        def get_call_kwargs(self, case):
            return {"headers": headers}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The token is the caller's own, not generated: say so, as call_and_validate does.
            case.validate_response(response, excluded_checks=EXCLUDED_CHECKS, headers=headers, transport_kwargs=kwargs)

    Workflow.run(settings=settings(max_examples=STATEFUL_EXAMPLES, stateful_step_count=8, **HYPOTHESIS))
