"""Ports for the servers tests and the stack start: free, and never from the range outgoing
connections take theirs from (where a port chosen now may be gone a second later)."""

from __future__ import annotations

import socket

from cryptopulse.servers.ports import ephemeral_low, free_port


def test_a_free_port_is_below_the_ephemeral_range_and_can_be_bound() -> None:
    low = ephemeral_low()
    ports = {free_port() for _ in range(50)}
    assert all(1024 <= port < low for port in ports)
    assert len(ports) > 40  # chosen at random, so two stacks rarely pick alike
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", ports.pop()))


def test_a_port_someone_listens_on_is_not_handed_out() -> None:
    taken = []
    try:
        for _ in range(20):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", free_port()))
            sock.listen()
            taken.append(sock)
        listening = {s.getsockname()[1] for s in taken}
        assert not {free_port() for _ in range(200)} & listening
    finally:
        for sock in taken:
            sock.close()
