"""Free loopback ports for servers that tests and the embedded stack start."""

from __future__ import annotations

import random
import socket
import time
from pathlib import Path

EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_pick = random.SystemRandom()  # independent of any seed a test sets


def ephemeral_low(default: int = 32768) -> int:
    """The first port of the kernel's range for outgoing connections (Linux; else the default)."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return default


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port nobody listens on right now, from below the ephemeral range.

    ``bind(0)`` hands out a port from the range the kernel also gives every outgoing connection,
    so between choosing it and the server binding it, any process's next connection can take it
    ("address already in use" in a stack starting many clients at once). Ports below that range
    are only ever taken on purpose.
    """
    low = ephemeral_low()
    candidates = range(max(1024, low - 12_000), low)
    for _ in range(200):
        port = _pick.choice(candidates)
        if _bindable(host, port):
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:  # a crowded machine: any port
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_port(host: str, port: int, timeout_s: float, *, what: str) -> None:
    """Block until ``host:port`` accepts connections; raise ``TimeoutError`` naming ``what``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_open(host, port):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not listen on {host}:{port} within {timeout_s:.0f}s")
