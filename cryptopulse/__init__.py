"""The ``cryptopulse`` command: the embedded stack, the offline parser, replay and benchmarks."""
