"""market_feed: venue market data (ccxt sockets, REST fallback) onto JetStream and into PostgreSQL."""
