"""Average-cost basis and realised P&L from fills, exactly, commissions included."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.agent.graph.pnl import cost_basis
from shared.db.models.orders import Fill

D = Decimal
START = datetime(2026, 1, 1, tzinfo=UTC)


def fill(n: int, side: str, quantity: str, price: str, commission: str = "0", asset: str = "USDT") -> Fill:
    return Fill(
        id=uuid.uuid4(), user_id=uuid.UUID(int=1), order_id=uuid.uuid4(), venue="paper", symbol="BTC/USDT",
        trade_id=str(n), side=side, quantity=D(quantity), price=D(price), commission=D(commission),
        commission_asset=asset, traded_at=START + timedelta(minutes=n),
    )  # fmt: skip


def test_buys_average_their_cost_and_a_sell_realises_against_it() -> None:
    # Arrange: 1 BTC at 100 and 1 BTC at 200 (average 150), then 0.5 sold at 300.
    fills = [fill(1, "buy", "1", "100"), fill(2, "buy", "1", "200"), fill(3, "sell", "0.5", "300")]
    # Act
    basis = cost_basis("BTC/USDT", fills)
    # Assert
    assert basis.quantity == D("1.5") and basis.cost == D("225")
    assert basis.average_price == D("150")
    assert basis.realised == D("75")  # 0.5 * (300 - 150)
    assert basis.unrealised(D("160")) == D("15")  # 1.5 * (160 - 150)


def test_quote_commissions_raise_the_cost_and_lower_the_proceeds() -> None:
    fills = [fill(1, "buy", "2", "100", "0.2"), fill(2, "sell", "1", "110", "0.11")]
    basis = cost_basis("BTC/USDT", fills)
    assert basis.average_price == D("100.1")
    assert basis.realised == D("110") - D("0.11") - D("100.1")


def test_a_base_commission_reduces_the_quantity_received() -> None:
    basis = cost_basis("BTC/USDT", [fill(1, "buy", "1", "100", "0.001", "BTC")])
    assert basis.quantity == D("0.999") and basis.cost == D("100")


def test_a_sell_of_coins_bought_elsewhere_realises_only_the_known_part() -> None:
    # 1 BTC bought here, 3 sold: only the first BTC has a cost basis.
    basis = cost_basis("BTC/USDT", [fill(1, "buy", "1", "100"), fill(2, "sell", "3", "120")])
    assert basis.quantity == 0 and basis.cost == 0 and basis.average_price is None
    assert basis.realised == D("20")


def test_a_third_asset_commission_is_left_out() -> None:
    basis = cost_basis("BTC/USDT", [fill(1, "buy", "1", "100", "0.01", "BNB")])
    assert (basis.quantity, basis.cost) == (D("1"), D("100"))
