"""Refuse a user's own model endpoint on a private network, unless the server allows it.

A user's own provider is a URL they typed; the agent POSTs their chat there. On a shared server
that would let any user make the agent reach addresses only it can: loopback services (the
paper exchange's admin routes, NATS monitoring), the cloud's metadata address, the LAN. So the
host is resolved before each request and every address must be global. On one's own machine
(``cryptopulse up``) a local Ollama is the point, and the setting allows it.

The check resolves the name itself, so a name that points inside is caught like a literal
address; the HTTP client resolves again when it connects, which leaves a short window a
rebinding DNS server could use. Closing it would need the client to connect to the checked
address, which OpenAI's client does not offer.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit


def _inside(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global


async def private_address(url: str) -> str | None:
    """The first non-global address ``url``'s host resolves to, or None when all are global.

    A name that does not resolve is None: the request itself then fails and falls back."""
    host = urlsplit(url).hostname
    if not host:
        return None
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return None
    for *_, sockaddr in found:
        address = str(sockaddr[0])
        if _inside(address):
            return address
    return None


__all__ = ["private_address"]
