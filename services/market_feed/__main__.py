"""`python -m services.market_feed`: serve the feed's health and metrics and run the feed."""

from services.market_feed.main import create_app
from shared.config.settings import MarketFeedSettings
from shared.runtime.serve import serve


def main() -> None:
    settings = MarketFeedSettings()
    serve(create_app(settings), host=settings.host, port=settings.feed_port)


if __name__ == "__main__":
    main()
