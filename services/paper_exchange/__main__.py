"""``python -m services.paper_exchange``: serve the paper exchange on settings.host:paper_port."""

from __future__ import annotations

from services.paper_exchange.server import build_server
from shared.config.settings import PaperExchangeSettings
from shared.telemetry.logging import configure_logging


def main() -> None:
    settings = PaperExchangeSettings()
    configure_logging("paper_exchange", settings.log_level)
    print(f"paper exchange: http://{settings.host}:{settings.paper_port}/api/v3  "
          f"ws://{settings.host}:{settings.paper_port}/ws", flush=True)  # fmt: skip
    build_server(settings).run()


if __name__ == "__main__":
    main()
