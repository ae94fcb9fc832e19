"""The audit replay: the trading stream's timelines, checked against the database (``cryptopulse replay``)."""
