"""A real paper exchange (uvicorn on a free port, in a background thread) for these tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.paper import PaperServer


@pytest.fixture(scope="session")
def paper() -> Iterator[PaperServer]:
    """One shared exchange with default symbols; tests that set faults use their own."""
    server = PaperServer().start()
    yield server
    server.stop()


@pytest.fixture
def start_paper() -> Iterator[Callable[..., PaperServer]]:
    """Start an exchange of this test's own with settings overrides; stopped afterwards."""
    started: list[PaperServer] = []

    def start(**overrides: Any) -> PaperServer:
        server = PaperServer(**overrides).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
