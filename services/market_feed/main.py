"""Factory of the market_feed process."""

from __future__ import annotations

from starlette.applications import Starlette

from services.market_feed.context import FeedContext
from services.market_feed.metrics import FeedMetrics
from services.market_feed.pipeline import FeedPipeline
from services.market_feed.venue import open_venue
from shared.config.settings import MarketFeedSettings
from shared.db.repositories.candles import CandleRepository
from shared.runtime.app import create_service_app
from shared.runtime.service import ServiceRuntime

SERVICE = "market_feed"


def create_app(settings: MarketFeedSettings | None = None) -> Starlette:
    settings = settings or MarketFeedSettings()
    runtime = ServiceRuntime(SERVICE, settings)
    pipelines: list[FeedPipeline] = []

    async def on_start(rt: ServiceRuntime) -> None:
        assert rt.publisher is not None and rt.dead_letters is not None
        context = FeedContext(
            settings, open_venue(settings), rt.publisher, rt.dead_letters, FeedMetrics(rt.registry)
        )
        pipeline = FeedPipeline(context, CandleRepository(rt.sessionmaker()))
        rt.checks["feed"] = pipeline.ready.is_set
        pipeline.start()
        pipelines.append(pipeline)

    async def on_stop(_: ServiceRuntime) -> None:
        for pipeline in pipelines:
            await pipeline.stop()

    return create_service_app(runtime, on_start=on_start, on_stop=on_stop)
