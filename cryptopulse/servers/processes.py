"""Ending a child process the polite way first: what every server and service we start needs."""

from __future__ import annotations

import subprocess


def stop_process(process: subprocess.Popen[bytes] | None, timeout_s: float = 10.0) -> None:
    """SIGTERM ``process`` and wait up to ``timeout_s``; SIGKILL it if it is still there.

    Nothing happens for None or a process that already ended."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


__all__ = ["stop_process"]
