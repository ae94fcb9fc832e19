"""The trading routes as ``/openapi.json`` describes them: signed-in only, one error body, paged
lists, and an example for every shape the web app reads or sends."""

from __future__ import annotations

import httpx
import pytest

pytestmark = [pytest.mark.nats, pytest.mark.postgres]

TRADING_PATHS = {
    "/api/intents": {"get"},
    "/api/intents/{intent_id}": {"get"},
    "/api/intents/{intent_id}/approve": {"post"},
    "/api/intents/{intent_id}/reject": {"post"},
    "/api/orders": {"get"},
    "/api/orders/{order_id}": {"get"},
    "/api/fills": {"get"},
    "/api/positions": {"get"},
    "/api/balances": {"get"},
    "/api/pnl": {"get"},
    "/api/rules": {"get", "post"},
    "/api/rules/{rule_id}": {"get", "delete"},
    "/api/rules/{rule_id}/pause": {"post"},
    "/api/rules/{rule_id}/resume": {"post"},
    "/api/mode": {"get", "put"},
    "/api/kill-switch": {"get", "post"},
    "/api/limits": {"get", "put"},
    "/api/audit": {"get"},
}
ERROR_REF = "#/components/schemas/ErrorBody"


async def test_every_trading_route_needs_a_token_and_answers_errors_in_the_one_shape(
    api: httpx.AsyncClient,
) -> None:
    spec = (await api.get("/openapi.json")).json()

    for path, methods in TRADING_PATHS.items():
        assert set(spec["paths"][path]) == methods, path
        for method in methods:
            operation = spec["paths"][path][method]
            assert operation["security"] == [{"HTTPBearer": []}], (method, path)
            for status in ("401", "422"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_REF}, (method, path, status)


async def test_lists_share_one_page_shape_and_every_shape_has_an_example(api: httpx.AsyncClient) -> None:
    schemas = (await api.get("/openapi.json")).json()["components"]["schemas"]

    pages = {name: schema for name, schema in schemas.items() if name.startswith("Page_")}
    assert set(pages) == {f"Page_{n}Public_" for n in ("Intent", "Order", "Fill", "Rule", "AuditEntry")}
    assert all(set(page["required"]) == {"data", "limit", "offset", "next_offset"} for page in pages.values())
    for name in (
        "IntentPublic", "OrderPublic", "OrderDetail", "FillPublic", "PositionPublic", "BalancePublic",
        "PnlPublic", "RulePublic", "ModePublic", "KillSwitchPublic", "LimitsPublic", "AuditEntryPublic",
        "ApprovalRequested", "ModeRequested",
    ):  # fmt: skip
        assert "example" in schemas[name], name
    for name in ("ApprovalBody", "RuleCreate", "ModePut", "KillSwitchPost", "LimitsPatch"):
        assert schemas[name]["examples"] and schemas[name]["additionalProperties"] is False, name
