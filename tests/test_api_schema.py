"""The OpenAPI schema: generated without warnings, valid OpenAPI 3, describing every endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.conftest import Cast
from tests.test_api_support import api_client

ORG = "/api/v1/orgs/{org_slug}"
EXPECTED = {
    "/api/v1/orgs/": {"get"},
    f"{ORG}/": {"get", "patch"},
    f"{ORG}/members/": {"get", "post"},
    f"{ORG}/members/{{public_id}}/": {"patch", "delete"},
    f"{ORG}/requirements/": {"get"},
    f"{ORG}/requirements/{{citation}}/": {"get"},
    f"{ORG}/attestations/": {"get", "post"},
    f"{ORG}/attestations/{{attestation_id}}/withdraw/": {"post"},
    f"{ORG}/decisions/": {"get", "post"},
    f"{ORG}/decisions/{{decision_id}}/sign/": {"post"},
    f"{ORG}/evidence/": {"get", "post"},
    f"{ORG}/evidence/{{evidence_id}}/": {"get", "delete"},
    f"{ORG}/evidence/{{evidence_id}}/versions/": {"post"},
    f"{ORG}/evidence/{{evidence_id}}/versions/{{number}}/download": {"get"},
    f"{ORG}/obligations/": {"get", "post"},
    f"{ORG}/obligations/{{obligation_id}}/": {"get", "patch"},
    f"{ORG}/obligations/{{obligation_id}}/complete/": {"post"},
    f"{ORG}/audit-events/": {"get"},
}


@pytest.fixture
def schema() -> dict[str, Any]:
    GENERATOR_STATS.reset()
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS._warn_cache, dict(GENERATOR_STATS._warn_cache)
    assert not GENERATOR_STATS._error_cache, dict(GENERATOR_STATS._error_cache)
    return generated


def test_schema_is_valid_openapi(schema: dict[str, Any]) -> None:
    validate_schema(schema)


def test_every_endpoint_and_method_is_described(schema: dict[str, Any]) -> None:
    described = {path: set(ops) - {"parameters"} for path, ops in schema["paths"].items()}
    assert described == EXPECTED


def test_every_operation_has_a_summary_tag_and_error_envelope(schema: dict[str, Any]) -> None:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("tags"), where
            assert {"apiToken": []} in operation["security"], where
            assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }, where


def test_list_endpoints_are_paginated(schema: dict[str, Any]) -> None:
    lists = [path for path, ops in schema["paths"].items() if path.endswith(("s/", "evidence/")) and "get" in ops]
    assert len(lists) == 8
    for path in lists:
        ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert ref.split("/")[-1].startswith("Paginated"), path
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        assert {"page", "page_size"} <= names, path


def test_bearer_scheme_is_declared(schema: dict[str, Any]) -> None:
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_schema_is_served(cast: Cast) -> None:
    response = api_client(cast.workforce).get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    served = response.json()
    assert served["openapi"].startswith("3.")
    assert set(EXPECTED) <= set(served["paths"])
    validate_schema(served)
