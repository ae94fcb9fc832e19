"""A service process whose background round fails once, with secrets in the error and the log
lines before it: what error reporting must send (once, tagged with the service) and scrub.

Run as ``python -m tests.support.failing_service``; settings come from the environment like any
service's. Prints one JSON line saying whether the Sentry SDK was loaded at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys

from shared.config.settings import CommonSettings
from shared.runtime.periodic import every
from shared.runtime.service import ServiceRuntime

SERVICE = "executor"
PLANTED = ("PLANTED-SECRET-KEY", "PLANTED-PASSWORD", "PLANTED-BREADCRUMB")


async def main() -> None:
    runtime = ServiceRuntime(SERVICE, CommonSettings(), use_database=False)
    failed = asyncio.Event()

    async def sweep() -> None:
        if not failed.is_set():
            failed.set()
            raise RuntimeError(f"venue refused: api_key={PLANTED[0]} password={PLANTED[1]}")

    async with runtime.lifespan():
        logging.getLogger("executor.venue").warning("signing with api_secret=%s", PLANTED[2])
        task = every(0.01, "sweep", sweep)
        await asyncio.wait_for(failed.wait(), 10)
        await asyncio.sleep(0.1)  # the round's failure is logged after the work raised
        task.cancel()
        print(json.dumps({"sentry_loaded": "sentry_sdk" in sys.modules}), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
