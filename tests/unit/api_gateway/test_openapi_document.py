"""The OpenAPI document the web app generates its client from is the one the gateway serves."""

from __future__ import annotations

from services.api_gateway.openapi import COMMITTED, openapi_document, render


def test_the_committed_document_is_the_gateways_current_one() -> None:
    assert COMMITTED.read_text() == render(openapi_document()), (
        "web/openapi.json is stale: run `make openapi` and commit the result"
    )


def test_every_operation_has_a_stable_id_and_a_documented_error_body() -> None:
    document = openapi_document()
    ids = [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]
    assert len(ids) == len(set(ids)) and all("-" in i for i in ids)  # "<tag>-<function>"
    assert "ErrorBody" in document["components"]["schemas"]
