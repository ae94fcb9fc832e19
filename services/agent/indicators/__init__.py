"""Technical indicators over candles: whole arrays (``series``) and one candle at a time (``incremental``).

Both give the same numbers; ``spec`` names them for the parser and the rules engine, and
``candles`` turns Decimal candles into the float64 arrays they read.
"""
