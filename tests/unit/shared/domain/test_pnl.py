"""P&L arithmetic: realised at average cost from the fills, realised + unrealised equal to the
position marked at the price, fees in either asset of the pair, and totals per quote asset."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from shared.domain.pnl import FillLine, Mark, PositionLine, cost_bases, market_pnl, realised, totals

AT = datetime(2026, 11, 28, tzinfo=UTC)
D = Decimal


def fill(
    side: str, quantity: str, price: str, fee: str = "0", asset: str = "USDT", symbol: str = "BTC/USDT"
) -> FillLine:
    return FillLine("paper", symbol, side, D(quantity), D(price), D(fee), asset)


def test_a_sell_realises_its_proceeds_less_the_average_cost_of_what_left() -> None:
    fills = [fill("buy", "1", "100", "0.1"), fill("buy", "1", "200", "0.2"), fill("sell", "1", "300", "0.3")]

    assert realised(fills) == {("paper", "BTC/USDT"): D("300") - D("0.3") - D("150.15")}


def test_a_fee_in_the_base_asset_shrinks_the_holding_and_its_basis_spreads_over_what_is_left() -> None:
    # 1 BTC bought for 100 with 0.001 BTC fee: 0.999 held for 100; selling all of it realises 199.8 - 100
    fills = [fill("buy", "1", "100", "0.001", "BTC"), fill("sell", "0.999", "200")]

    assert realised(fills)[("paper", "BTC/USDT")] == D("99.8")


def test_an_average_that_does_not_divide_exactly_is_rounded_to_18_places() -> None:
    fills = [fill("buy", "3", "100", "1"), fill("sell", "1", "200")]  # basis 301 / 3 per BTC

    assert realised(fills)[("paper", "BTC/USDT")] == D("99.666666666666666667")


def test_base_sold_beyond_what_was_bought_has_no_known_cost() -> None:
    fills = [fill("buy", "1", "100"), fill("sell", "2", "150")]

    assert realised(fills)[("paper", "BTC/USDT")] == D("200")  # 300 - 100


def test_the_holding_never_goes_below_zero_so_a_later_buy_starts_a_fresh_basis() -> None:
    fills = [fill("buy", "1", "100"), fill("sell", "2", "150"), fill("buy", "1", "120")]

    basis = cost_bases(fills)[("paper", "BTC/USDT")]

    assert (basis.held, basis.cost, basis.average_price) == (D("1"), D("120"), D("120"))


def test_the_basis_gives_the_average_price_of_what_is_held() -> None:
    fills = [fill("buy", "1", "100"), fill("buy", "1", "200"), fill("sell", "0.5", "300")]

    basis = cost_bases(fills)[("paper", "BTC/USDT")]

    assert (basis.held, basis.cost, basis.average_price) == (D("1.5"), D("225"), D("150"))
    assert basis.realised == D("75")  # 0.5 * (300 - 150)


def test_nothing_held_has_no_average_price() -> None:
    basis = cost_bases([fill("buy", "1", "100"), fill("sell", "1", "90")])[("paper", "BTC/USDT")]

    assert (basis.held, basis.cost, basis.average_price, basis.realised) == (0, 0, None, D("-10"))


def test_a_commission_in_a_third_asset_is_left_out() -> None:
    basis = cost_bases([fill("buy", "1", "100", "0.01", "BNB")])[("paper", "BTC/USDT")]

    assert (basis.held, basis.cost) == (D("1"), D("100"))


def test_realised_and_unrealised_add_up_to_the_position_marked_at_the_price() -> None:
    fills = [fill("buy", "2", "100", "0.2"), fill("sell", "1", "150", "0.15")]
    position = PositionLine("paper", "BTC/USDT", D("1"), D("50.35"))

    [pnl] = market_pnl([position], fills, {("paper", "BTC/USDT"): Mark(D("120"), AT)})

    assert (pnl.realised, pnl.unrealised, pnl.total) == (D("49.75"), D("19.90"), D("69.65"))
    assert (pnl.quote, pnl.price, pnl.price_at) == ("USDT", D("120"), AT)


def test_without_a_price_only_the_realised_part_is_known_and_totals_name_what_is_unpriced() -> None:
    positions = [
        PositionLine("paper", "ETH/USDT", D("1"), D("2000")),
        PositionLine("paper", "BTC/USDT", D("1"), D("100")),
        PositionLine("paper", "ETH/BTC", D("2"), D("0.1")),
    ]
    marks = {("paper", "BTC/USDT"): Mark(D("110"), AT), ("paper", "ETH/BTC"): Mark(D("0.06"), AT)}

    markets = market_pnl(positions, [], marks)
    sums = totals(markets)

    assert [(m.symbol, m.unrealised) for m in markets] == [
        ("BTC/USDT", D("10")),
        ("ETH/BTC", D("0.02")),
        ("ETH/USDT", None),
    ]
    assert [(s.quote, s.realised, s.unrealised, s.total, s.unpriced) for s in sums] == [
        ("BTC", D("0"), D("0.02"), D("0.02"), []),
        ("USDT", D("0"), D("10"), D("10"), ["paper:ETH/USDT"]),
    ]
