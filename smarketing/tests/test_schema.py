"""The OpenAPI schema, generated from the whole URLconf, is valid OpenAPI 3."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    # No ``patterns``: the generator walks the root URLconf, so every app's endpoints count.
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_generated_schema_validates():
    schema = _schema()
    validate(schema)
    assert "/api/v1/auth/token/" in schema["paths"]


def test_the_schema_documents_token_auth_and_error_bodies():
    schema = _schema()
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Personal API token, sent as `Authorization: Token <key>`.",
    }
    assert {"Error"} <= set(schema["components"]["schemas"])
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"401", "403", "429"} <= set(operation["responses"]), (method, path)
            if method in {"post", "patch", "put"}:
                assert {"400", "415"} <= set(operation["responses"]), (method, path)


def test_the_schema_and_docs_are_served(client, roles):
    client.force_login(roles.viewer)
    assert client.get("/api/schema/").status_code == 200
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
