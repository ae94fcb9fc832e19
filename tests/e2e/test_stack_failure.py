"""A service that dies is reported loudly, and the stack stops rather than run without it."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.e2e.conftest import start_stack

pytestmark = pytest.mark.e2e


def test_a_killed_service_is_reported_and_stops_the_stack(tmp_path: Path) -> None:
    stack = start_stack(tmp_path)
    try:
        os.kill(stack.pid_of("agent"), signal.SIGKILL)
        assert stack.process.wait(60) == 1
        stack.wait_for_output("agent exited with code -9", timeout_s=5)
        stack.wait_for_output("stopped.", timeout_s=5)
    finally:
        if stack.process.poll() is None:
            stack.process.kill()
