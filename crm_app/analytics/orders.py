"""Order arithmetic: the one formula for line amounts and order totals, used by the order form and on save."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from crm_app.domain import net_line_amount


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


def order_totals(lines: Iterable[OrderLineValues]) -> OrderTotals:
    """The net amount of every line and the order total = the sum of those (already rounded) line amounts.

    Rounding each line first keeps the printed lines adding up exactly to the printed total.
    Example: 3 × 19.99 × (1 − 0.10) = 53.97 and 1 × 250.00 = 250.00 give a total of 303.97.
    """
    amounts = tuple(net_line_amount(line.quantity, line.unit_price, line.discount) for line in lines)
    # Each amount is whole cents, so the sum is too; round() only removes the float sum's binary error.
    return OrderTotals(line_amounts=amounts, total_amount=round(sum(amounts, 0.0), 2))
