"""One order's page: lines and totals, status history; a pending order's lines are edited, and an order is cancelled
or refunded with a reason, each through the orders repository's rules."""

from __future__ import annotations

from typing import Any

import reflex as rx

from crm_app import i18n, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import orders
from crm_app.domain import OrderStatus
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import as_id
from crm_app.formatting import moment, money, number, percent
from crm_app.labels import label


def _line_form(line: orders.OrderLineRow) -> dict[str, str]:
    percent = f"{line.discount * 100:.2f}".rstrip("0").rstrip(".")
    return {"product_id": str(line.product_id), "quantity": str(line.quantity), "unit_price": f"{line.unit_price:.2f}",
            "discount_percent": percent, "error": ""}


def _blank_line() -> dict[str, str]:
    return {"product_id": "", "quantity": "1", "unit_price": "", "discount_percent": "0", "error": ""}


class OrderState(rx.State):
    found: bool = False
    missing: str = ""
    order_id: int = 0
    facts: dict[str, str] = {}
    lines: list[dict[str, str]] = []
    total: str = ""
    history: list[dict[str, str]] = []
    # The line editor (pending orders): one row per line as typed, blank product = the line is removed.
    draft: list[dict[str, str]] = []
    # Changes with the saved lines, so the editor's inputs (which keep what was typed) are drawn afresh after a save.
    draft_key: str = ""
    products: list[dict[str, str]] = []
    lines_error: str = ""
    close_error: str = ""
    can_edit_lines: bool = False
    can_cancel: bool = False
    can_refund: bool = False

    def _id_from_path(self) -> int | None:
        return as_id(str(self.router.url.path).rstrip("/").rsplit("/", 1)[-1])

    def _show(self, order_id: int | None) -> None:
        actor = current_actor()
        self.reset()
        try:
            with read_session() as session:
                file = orders.order_file(session=session, actor=actor, order_id=order_id)
                catalogue = orders.product_catalogue(session=session) if file.order.status == OrderStatus.pending else []
        except NotFound as missing:
            self.missing = str(missing)
            return
        o = file.order
        self.found, self.order_id = True, o.id
        self.facts = {"number": f"#{o.id}", "customer": file.customer_name, "customer_link": routes.customer_page(o.customer_id),
                      "status": label(o.status), "channel": label(o.channel), "ordered": moment(o.ordered_at, actor.time_zone),
                      "deal": file.deal_title or "", "deal_link": routes.deal_page(o.deal_id) if file.deal_title else ""}
        self.lines = [{"product": line.product_name, "quantity": number(line.quantity), "unit_price": money(line.unit_price),
                       "discount": percent(line.discount, decimals=2), "amount": money(line.net_amount)} for line in file.lines]
        self.total = money(file.total_amount)
        self.history = [{"at": moment(h.at, actor.time_zone), "who": h.who or "system",
                         "change": label(h.to_status) if h.from_status is None else f"{label(h.from_status)} → {label(h.to_status)}",
                         "reason": h.reason or ""} for h in file.history]
        writer = actor.writes_records
        self.can_edit_lines = writer and o.status == OrderStatus.pending
        self.can_cancel = writer and o.status in orders.CLOSING_FROM[OrderStatus.cancelled]
        self.can_refund = writer and o.status in orders.CLOSING_FROM[OrderStatus.refunded]
        self.draft = [_line_form(line) for line in file.lines]
        self.draft_key = "|".join(f"{line['product_id']}:{line['quantity']}:{line['unit_price']}:"
                                  f"{line['discount_percent']}" for line in self.draft)
        self.products = [{"id": str(p.id), "label": f"{p.name} ({p.category})"} for p in catalogue]

    @staff_event()
    def load(self) -> None:
        self._show(self._id_from_path())

    @staff_event(Role.sales_rep, Role.admin)
    def add_line(self) -> None:
        if len(self.draft) < orders.MAX_LINES:
            self.draft = [*self.draft, _blank_line()]

    @staff_event(Role.sales_rep, Role.admin)
    def save_lines(self, form_data: dict) -> Any:
        """The line editor's form: fields `<name>-<row>`; a row without a product is left out."""
        form = form_data if isinstance(form_data, dict) else {}
        typed = [{name: form.get(f"{name}-{row}", "") for name in orders.LINE_FIELDS} for row in range(len(self.draft))]
        kept = [line for line in typed if str(line["product_id"] or "").strip()]
        drafts, errors = orders.draft_lines(kept)
        if not kept or any(draft is None for draft in drafts):
            messages = iter(errors)
            self.draft = [line | {"error": "; ".join(next(messages).values())
                                  if str(line["product_id"] or "").strip() else ""} for line in typed]
            self.lines_error = i18n.gettext("Fix the lines marked below." if kept else "An order needs at least one line.")
            return None
        try:
            with write_session() as session:
                orders.replace_order_lines(session=session, actor=current_actor(), order_id=self.order_id, lines=drafts)
        except orders.InvalidOrderChange as refusal:
            self.lines_error = i18n.say(str(refusal))
            return None
        self._show(self.order_id)
        return rx.toast.success(i18n.gettext("Lines saved; the total is recomputed."))

    @staff_event(Role.sales_rep, Role.admin)
    def close_order(self, form_data: dict) -> Any:
        """Cancel or refund (the form's `status`), with the `reason` the audit keeps."""
        form = form_data if isinstance(form_data, dict) else {}
        status = form.get("status")
        if status not in (OrderStatus.cancelled.value, OrderStatus.refunded.value):
            self.close_error = i18n.gettext("Choose to cancel or to refund the order.")
            return None
        try:
            with write_session() as session:
                orders.close_order(session=session, actor=current_actor(), order_id=self.order_id,
                                   status=OrderStatus(status), reason=form.get("reason"))
        except orders.InvalidOrderChange as refusal:
            self.close_error = str(refusal)
            return None
        self._show(self.order_id)
        return rx.toast.success(i18n.gettext("Order #{target} is now {status}.", target=self.order_id,
                                             status=label(status)))
