"""Backtest a standing rule over stored candles: vectorised signals, a long-only spot engine.

``signals`` turns parser conditions into one boolean per candle, ``rule`` says what a backtest
trades and when it leaves, ``engine`` fills and books the trades, ``stored`` loads the candles
from PostgreSQL for the agent's tool.
"""
