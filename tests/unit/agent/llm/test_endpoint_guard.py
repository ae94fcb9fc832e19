"""Which own-model endpoints count as inside: every address the host resolves to must be global."""

from __future__ import annotations

import pytest

from services.agent.llm.endpoint_guard import private_address


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        ("http://127.0.0.1:11434/v1", "127.0.0.1"),
        ("http://localhost:8900/admin/accounts", None),  # resolved below, whatever it maps to
        ("http://10.1.2.3/v1", "10.1.2.3"),
        ("http://192.168.0.10:8080/v1", "192.168.0.10"),
        ("http://169.254.169.254/latest/meta-data", "169.254.169.254"),  # cloud metadata
        ("http://100.64.0.1/v1", "100.64.0.1"),  # carrier-grade NAT
        ("http://[::1]:11434/v1", "::1"),
        ("http://[::ffff:127.0.0.1]/v1", "::ffff:127.0.0.1"),  # IPv4 inside IPv6
        ("http://[fd00::1]/v1", "fd00::1"),
        ("http://0.0.0.0/v1", "0.0.0.0"),
        ("https://8.8.8.8/v1", None),
        ("https://[2001:4860:4860::8888]/v1", None),
    ],
)
async def test_addresses_are_judged_by_where_they_lead(url: str, inside: str | None) -> None:
    if "localhost" in url:
        assert await private_address(url) is not None  # localhost is loopback, v4 or v6
        return
    assert await private_address(url) == inside


async def test_a_name_that_does_not_resolve_is_left_to_fail_on_its_own() -> None:
    assert await private_address("https://no-such-host.invalid/v1") is None
