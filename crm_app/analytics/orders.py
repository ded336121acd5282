"""Order arithmetic: the one formula for line amounts and order totals, used by the order form and on save."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderLineValues:
    """One order line as numbers: whole units, price per unit in money, discount as a fraction (0.1 = 10 %)."""

    quantity: int
    unit_price: float
    discount: float = 0.0


@dataclass(frozen=True)
class OrderTotals:
    """Each line's net amount and the order total, in money rounded to cents."""

    line_amounts: tuple[float, ...]
    total_amount: float


def _exact(value: float) -> Decimal:
    # str() first: Decimal(19.99) would carry the float's binary error into the cents.
    return Decimal(str(value))


def line_amount(line: OrderLineValues) -> Decimal:
    """quantity × unit_price × (1 − discount), rounded half up to cents."""
    gross = Decimal(line.quantity) * _exact(line.unit_price)
    return (gross * (1 - _exact(line.discount))).quantize(CENT, rounding=ROUND_HALF_UP)


def order_totals(lines: Iterable[OrderLineValues]) -> OrderTotals:
    """The net amount of every line and the order total = the sum of those (already rounded) line amounts.

    Rounding each line first keeps the printed lines adding up exactly to the printed total.
    Example: 3 × 19.99 × (1 − 0.10) = 53.97 and 1 × 250.00 = 250.00 give a total of 303.97.
    """
    amounts = [line_amount(line) for line in lines]
    return OrderTotals(
        line_amounts=tuple(float(amount) for amount in amounts),
        total_amount=float(sum(amounts, Decimal("0.00"))),
    )
