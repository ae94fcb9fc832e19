"""Where the simulated prices come from: a replayed kline file or a seeded random walk."""
