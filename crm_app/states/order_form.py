"""/orders/new: an order with lines for a customer, totals recomputed as the user types, computed again on save.

`/orders/new?customer=ID&deal=ID` (the pipeline's link for a won deal) prefills the customer and shows the
deal amount as the target the lines should reach.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.analytics.orders import order_totals
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Customer, Role, utcnow
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import orders
from crm_app.domain import OrderStatus, SalesChannel
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.customer_picker import CustomerPicker
from crm_app.states.forms import as_id
from crm_app.formatting import money

STATUSES = tuple(status.value for status in orders.NEW_ORDER_STATUSES)
CHANNELS = tuple(channel.value for channel in SalesChannel)
TYPED_FIELDS = ("quantity", "unit_price", "discount_percent")


def _blank_line() -> dict[str, str]:
    return {"product_id": "", "quantity": "1", "unit_price": "", "discount_percent": "0", "amount": "–"}


class OrderFormState(CustomerPicker, rx.State):
    customer_name: str = ""
    products: list[dict[str, str]] = []
    lines: list[dict[str, str]] = []
    line_errors: list[dict[str, str]] = []
    total: str = "0.00"
    counted_lines: int = 0
    status: str = OrderStatus.pending.value
    channel: str = SalesChannel.phone.value
    deal_id: int = 0
    deal: dict[str, str] = {}
    errors: dict[str, str] = {}
    saving: bool = False
    _list_prices: dict[str, str] = {}

    def _price_lines(self, *, show_missing: bool) -> list[orders.OrderLineDraft | None]:
        """Recompute every line amount and the total; the errors of untouched blank fields wait for Save."""
        drafts, errors = orders.draft_lines(self.lines)
        totals = order_totals(d.values() for d in drafts if d is not None)
        amounts = iter(totals.line_amounts)
        self.lines = [line | {"amount": money(next(amounts)) if draft else "–"} for line, draft in zip(self.lines, drafts)]
        self.line_errors = [
            {name: message for name, message in messages.items() if show_missing or str(line.get(name, "")).strip()}
            for line, messages in zip(self.lines, errors)
        ]
        self.total, self.counted_lines = money(totals.total_amount), sum(d is not None for d in drafts)
        if self.deal:
            self.deal = self.deal | {"gap": self._gap(totals.total_amount)}
        return drafts

    def _gap(self, total: float) -> str:
        gap = round(float(self.deal["amount_value"]) - total, 2)
        if gap == 0:
            return i18n.gettext("The lines match the deal amount.")
        return i18n.gettext("{amount} below the deal amount." if gap > 0 else "{amount} above the deal amount.",
                            amount=money(abs(gap)))

    def _show_customer(self, customer: Customer | None) -> None:
        self.customer_name = customer.name if customer else ""
        if customer is not None:
            self.errors = {k: v for k, v in self.errors.items() if k != "customer"}

    @staff_event(Role.admin, Role.sales_rep)
    def load(self) -> None:
        self.reset()
        actor, params = current_actor(), self.router.url.query_parameters
        with read_session() as session:
            catalogue = orders.product_catalogue(session=session)
            deal_id = as_id(params.get("deal"))
            try:
                deal = orders.deal_target(session=session, actor=actor, deal_id=deal_id) if deal_id else None
            except NotFound:
                deal = None
        self.products = [{"id": str(p.id), "label": f"{p.category} · {p.name} ({money(p.list_price)})"}
                         for p in catalogue]
        self._list_prices = {str(p.id): f"{p.list_price:.2f}" for p in catalogue}
        if deal is not None:
            self.deal_id = deal.id
            self.deal = {"title": deal.title, "stage": deal.stage, "amount": money(deal.amount),
                         "amount_value": str(deal.amount)}
        customer_id = as_id(params.get("customer")) or (deal.customer_id if deal else None)
        if customer_id is not None:
            self._choose(customer_id)
        self.lines = [_blank_line()]
        self._price_lines(show_missing=False)

    @staff_event(Role.admin, Role.sales_rep)
    def add_line(self) -> Any:
        if len(self.lines) >= orders.MAX_LINES:
            return rx.toast.error(i18n.gettext("An order has at most {MAX_LINES} lines.", MAX_LINES=orders.MAX_LINES))
        self.lines = [*self.lines, _blank_line()]
        self._price_lines(show_missing=False)
        return None

    @staff_event(Role.admin, Role.sales_rep)
    def remove_line(self, index: int) -> None:
        if isinstance(index, int) and not isinstance(index, bool) and 0 <= index < len(self.lines):
            self.lines = [line for i, line in enumerate(self.lines) if i != index]
            self._price_lines(show_missing=False)

    @staff_event(Role.admin, Role.sales_rep)
    def choose_product(self, index: int, product_id: str) -> None:
        """Put a product on a line at its list price (which the user may then change)."""
        if not (isinstance(index, int) and 0 <= index < len(self.lines)) or not isinstance(product_id, str) \
                or product_id not in self._list_prices:
            return
        self.lines = [line | {"product_id": product_id, "unit_price": self._list_prices[product_id]} if i == index
                      else line for i, line in enumerate(self.lines)]
        self._price_lines(show_missing=False)

    @staff_event(Role.admin, Role.sales_rep)
    def type_in_line(self, index: int, field: str, value: str) -> None:
        if not (isinstance(index, int) and 0 <= index < len(self.lines)) or field not in TYPED_FIELDS:
            return
        text = value[:20] if isinstance(value, str) else ""
        self.lines = [line | {field: text} if i == index else line for i, line in enumerate(self.lines)]
        self._price_lines(show_missing=False)

    @staff_event(Role.admin, Role.sales_rep)
    def set_choice(self, name: str, value: str) -> None:
        if name == "status" and value in STATUSES:
            self.status = value
        elif name == "channel" and value in CHANNELS:
            self.channel = value

    @staff_event(Role.admin, Role.sales_rep)
    def save(self) -> Any:
        """Validate every line again, then store the order; its total is computed again by the repository."""
        drafts = self._price_lines(show_missing=True)
        self.errors = {"customer": i18n.gettext("Choose the customer this order is for.")} if not self.customer_id else {}
        if not self.lines:
            self.errors["lines"] = i18n.gettext("Add at least one line.")
        if self.errors or any(d is None for d in drafts):
            return rx.toast.error(i18n.gettext("Some fields need your attention before the order can be saved."))
        try:
            with write_session() as session:
                order = orders.create_order(
                    session=session, actor=current_actor(), customer_id=self.customer_id, lines=drafts,
                    channel=SalesChannel(self.channel), status=OrderStatus(self.status), ordered_at=utcnow(),
                    deal_id=self.deal_id or None,
                )
                order_id, total = order.id, order.total_amount
        except ValueError as refusal:
            return rx.toast.error(i18n.say(str(refusal)))
        return [rx.toast.success(i18n.gettext("Order #{order_id} saved: {value}.", order_id=order_id, value=money(total))),
                rx.redirect(f"{routes.ORDERS}?customer={self.customer_id}")]
