"""Every refusal names its reason: incomplete, invalid, unsafe or ambiguous text is never guessed at."""

from __future__ import annotations

import pytest

from services.agent.parser import ParseError, parse_command

SIDES = "say 'above' or 'below' (or 'crosses above'/'crosses below')"
KNOWN = "ADA, AVAX, BNB, BTC, DOGE, DOT, ETH, LINK, LTC, SOL, TRX, XRP"
CHARTS = "1m, 3m, 5m, 15m, 30m, 1h, 2h, 4h, 6h, 8h, 12h, 1d"

REFUSALS = [
    # missing or invalid amounts
    ("buy BTC", "missing amount: how much BTC? e.g. 'buy 0.1 BTC' or 'buy $100 of BTC'"),
    ("buy btc at 30k", "missing amount: how much BTC? e.g. 'buy 0.1 BTC' or 'buy $100 of BTC'"),
    ("buy", "missing amount and asset: e.g. 'buy 0.1 BTC' or 'buy $100 of BTC'"),
    ("buy 0 btc", "the amount must be more than zero, was 0"),
    ("buy 0.000 btc", "the amount must be more than zero, was 0.000"),
    ("buy -1 btc", "the amount must be positive, was -1"),
    ("buy $0 of btc", "the amount to spend must be more than zero, was $0"),
    ("buy 2000000000 btc", "the amount 2000000000 is absurd: at most 1,000,000,000 is accepted"),
    ("buy 5,000m btc", "the amount 5,000m is absurd: at most 1,000,000,000 is accepted"),
    ("buy 0.00000000000000000001 btc", "0.00000000000000000001 has more than 18 decimal places"),
    ("buy 1,5 btc", "cannot read the number '1,5': write 1.5 or 1,500 (commas group thousands)"),
    ("sell half a BTC", "'half' is not an amount: give a number, e.g. 'sell 0.5 BTC'"),
    ("sell all my eth", "'all' is not an amount: give a number, e.g. 'sell 0.5 BTC'"),
    ("buy some btc", "'some' is not an amount: give a number, e.g. 'buy 0.5 BTC'"),
    ("buy 100 usdt", "USDT is what you pay with: say what to buy, e.g. 'buy $100 of BTC'"),
    ("buy 100", "100 of what? name the asset, e.g. 'buy 100 BTC'"),
    ("buy $100", "buy what? name the asset, e.g. 'buy 0.1 BTC'"),
    # unknown assets
    (
        "buy 1 foo",
        f"unknown asset 'foo': the parser knows {KNOWN}",
    ),
    (
        "buy 1 bitcon",
        f"unknown asset 'bitcon': the parser knows {KNOWN}",
    ),
    # what spot cannot do
    ("short 1 BTC", "spot trading cannot short: you can only sell what you hold"),
    ("sell 1 btc short", "spot trading cannot short: you can only sell what you hold"),
    (
        "buy 1 btc with 10x leverage",
        "spot trading has no leverage, margin or futures ('10x'): orders are paid in full",
    ),
    (
        "buy 1 btc on margin",
        "spot trading has no leverage, margin or futures ('margin'): orders are paid in full",
    ),
    ("buy 1 btc perp", "spot trading has no leverage, margin or futures ('perp'): orders are paid in full"),
    # order types and prices
    ("limit buy 1 btc", "a limit order needs a price, e.g. 'limit buy 0.25 BTC at 27,500'"),
    ("buy 1 btc limit", "a limit order needs a price, e.g. 'limit buy 0.25 BTC at 27,500'"),
    ("market buy 1 btc at 27000", "a market order takes no price: drop 'market' or the price"),
    ("buy 1 btc at 0", "the limit price must be more than zero, was 0"),
    ("buy 1 btc at", "at what price? e.g. 'at 27,500', in 'buy 1 btc at'"),
    (
        "buy $100 of btc at 27000",
        "a limit order takes an amount of BTC, not of USDT: e.g. 'limit buy 0.25 BTC at 27,000' "
        "(spending an amount is for market orders)",
    ),
    (
        "buy 0.5 btc for 30000",
        "'for 30000' is ambiguous: say 'at 30000' for a price per unit, "
        "or put what to spend before the asset ('$100 of BTC')",
    ),
    ("buy 1 eth at 2000 usdc", "the price is in USDC but the pair is ETH/USDT"),
    ("buy 100 usdc of btc/usdt", "the amount is in USDC but the pair is quoted in USDT"),
    # one command, in the imperative
    ("buy 1 btc and sell 2 eth", "one order per command: send the second one on its own"),
    ("cancel my btc orders and buy 1 eth", "one command at a time: cancel first, then place the new order"),
    ("should i buy btc?", "that reads as a question, not a command: say 'buy 0.1 BTC' to place an order"),
    ("buy 0.1 btc?", "that reads as a question, not a command: say 'buy 0.1 BTC' to place an order"),
    ("", "nothing to parse: say e.g. 'buy 0.1 BTC' or 'price of ETH'"),
    ("hello there", "did not understand 'hello there'"),
    ("if rsi < 30", "no order: say what to buy or sell, e.g. 'buy 0.1 BTC if RSI < 30'"),
    (
        "what is the rsi of btc?",
        "offline, only price questions are answered: e.g. 'what is the price of BTC?'",
    ),
    ("price of btc and eth", "one symbol at a time: BTC/USDT, ETH/USDT"),
    # conditions that do not say enough
    ("buy 1 btc if it hits 30k", f"'hits' does not say from which side: {SIDES}"),
    ("buy 1 btc if it is at 30k", f"'at' does not say from which side: {SIDES}"),
    ("buy 1 btc if price = 30000", f"'=' is never exactly met by a price: {SIDES}"),
    (
        "buy 1 btc if it crosses 30k",
        "'crosses' does not say in which direction: say 'crosses above' or 'crosses below'",
    ),
    (
        "buy 1 btc if it goes",
        "'it goes' compares nothing: say e.g. 'below 30,000', 'crosses above the 200 EMA' or 'is rising'",
    ),
    (
        "buy 1 btc if it drops 5%",
        "moves in percent are not supported offline: give a level, e.g. 'below 28,000'",
    ),
    (
        "buy 1 btc if price is between 1 and 2",
        "ranges are not supported: write two conditions joined by 'and'",
    ),
    (
        "buy 1 btc if rsi < 30 or rsi > 70",
        "'or' between conditions is not supported: write one rule per alternative",
    ),
    ("buy 1 btc if", "'if' (or 'when') with no condition after it"),
    (
        "check the 10-day MA, buy 1 btc",
        "'check the 10-day MA' leads to no condition: say what about it, e.g. 'if it is rising'",
    ),
    ("buy 1 btc if the ma is rising", "which MA? give its period, e.g. 'the 20-day MA' or 'MA(50)'"),
    (
        "buy 1 btc if the ema crosses above 30k",
        "which EMA? give its period, e.g. 'the 20-day EMA' or 'EMA(50)'",
    ),
    ("buy 1 btc if macd(12) > 0", "MACD uses the standard 12/26/9 settings; its periods cannot be set here"),
    ("buy 1 btc if the 14 price < 3", "the price has no period (was 14): did you mean the 14-day MA?"),
    ("buy 1 btc if rsi > 130", "RSI runs from 0 to 100, was 130"),
    ("buy 1 btc if price < 0", "a price level must be above zero, was 0"),
    ("buy 1 btc if price < -5", "a price level must be above zero, was -5"),
    (
        "buy 1 btc if price > 5000000000",
        "the price level 5000000000 is absurd: at most 1,000,000,000 is accepted",
    ),
    ("buy 1 btc if rsi(0) < 30", "a period is a whole number of candles from 1 to 1000, was 0"),
    ("buy 1 btc if rsi(14.5) < 30", "a period is a whole number of candles from 1 to 1000, was 14.5"),
    ("buy 1 btc if rsi crosses above the 50 ema", "RSI and EMA are on different scales"),
    ("buy 1 btc if the 20 ema crosses above the 20 ema", "the condition compares EMA with itself"),
    ("buy 1 btc if rsi ema < 3", "'rsi ema' names RSI and EMA: one per side"),
    (
        "buy 1 btc if bollinger bands are tight",
        "bollinger is not supported offline: conditions use price, MA, EMA, RSI or MACD",
    ),
    (
        "buy 1 btc when the 1w rsi < 30",
        f"'1w': weekly and monthly charts are not offered; use one of {CHARTS}",
    ),
    ("buy 1 btc when the 7h rsi < 30", f"there is no 7h chart: use one of {CHARTS}"),
    (
        "buy 1 btc if the 1h rsi < 30 and macd > 0 on the 4h chart and the 20 ema is rising",
        "which chart for EMA? the command names 1h and 4h",
    ),
    ("buy 1 btc if rsi < it", "'rsi < it': 'it' on the right of a comparison is unclear"),
    ("buy 1 btc if the moon < 3", "did not understand 'moon' in 'the moon'"),
    # cancel
    ("cancel", "cancel what? say 'cancel all orders', 'cancel my BTC orders' or 'cancel order <id>'"),
    (
        "cancel my order",
        "cancel what? say 'cancel all orders', 'cancel my BTC orders' or 'cancel order <id>'",
    ),
    ("cancel order cp-12 on btc", "give the order id alone: 'cancel order <id>'"),
    ("cancel my btc and eth orders", "cancel one symbol at a time, or all orders"),
    ("cancel the blue ones", "did not understand 'blue' after 'cancel'"),
    # the text itself
    ("buy 1 btc €", "cannot read '€' at character 11"),
    ("buy " + "1" * 600, "the text is 604 characters long; a command is at most 500"),
]


@pytest.mark.parametrize(("text", "reason"), REFUSALS, ids=[t[:60] for t, _ in REFUSALS])
def test_refusal(text: str, reason: str) -> None:
    with pytest.raises(ParseError) as refused:
        parse_command(text)
    assert refused.value.reason == reason
    assert "\n" not in refused.value.reason
