"""Create or update every JetStream stream from its ``StreamSpec`` (idempotent, safe at each start)."""

from __future__ import annotations

from collections.abc import Iterable

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from shared.messages.subjects import ALL_STREAMS, StreamSpec


async def ensure_streams(js: JetStreamContext, specs: Iterable[StreamSpec] = ALL_STREAMS) -> list[str]:
    """Make every stream in ``specs`` exist with its configuration; return their names."""
    names = []
    for spec in specs:
        config = spec.to_config()
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
        names.append(spec.name)
    return names
