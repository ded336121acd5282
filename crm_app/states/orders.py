"""The order list: date range, status, product category and customer filters live in the URL."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import reflex as rx

from crm_app import routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import OrderStatus, Role
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import orders
from crm_app.data.repositories.customers import customer_for
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import ANY, as_day, as_id

STATUSES = tuple(status.value for status in OrderStatus)


def money(amount: float) -> str:
    return f"{amount:,.2f}"


class OrdersState(rx.State):
    ordered_from: str = ""
    ordered_to: str = ""
    status: str = ANY
    category: str = ANY
    customer: str = ""
    customer_name: str = ""
    search: str = ""
    page: int = 1

    rows: list[dict[str, str]] = []
    total: int = 0
    amount: str = "0.00"
    pages: int = 1
    categories: list[str] = []
    can_write: bool = False

    def _read_url(self) -> orders.OrderQuery:
        params = self.router.url.query_parameters
        ordered_from, ordered_to = as_day(params.get("from")), as_day(params.get("to"))
        self.ordered_from = ordered_from.isoformat() if ordered_from else ""
        self.ordered_to = ordered_to.isoformat() if ordered_to else ""
        self.status = params.get("status") if params.get("status") in STATUSES else ANY
        self.category = str(params.get("category", ANY))[:60]
        customer_id = as_id(params.get("customer"))
        self.customer = str(customer_id) if customer_id else ""
        self.search = str(params.get("q", ""))[:100].strip()
        self.page = as_id(params.get("page")) or 1
        return orders.OrderQuery(
            ordered_from=ordered_from, ordered_to=ordered_to,
            status=OrderStatus(self.status) if self.status != ANY else None,
            category=None if self.category == ANY else self.category,
            customer_id=customer_id, customer_search=self.search, page=self.page,
        )

    def _url(self, **changes: Any) -> str:
        values = {"from": self.ordered_from, "to": self.ordered_to, "status": self.status,
                  "category": self.category, "customer": self.customer, "q": self.search, "page": self.page}
        values.update(changes)
        kept = {k: v for k, v in values.items() if v not in ("", ANY, None) and not (k == "page" and v == 1)}
        return routes.ORDERS + ("?" + urlencode(kept) if kept else "")

    def _customer_name(self, session, customer_id: int | None) -> str:
        if customer_id is None:
            return ""
        try:
            return customer_for(session=session, actor=current_actor(), customer_id=customer_id).name
        except NotFound:
            return "a customer you cannot see"

    @staff_event()
    def load(self) -> None:
        actor = current_actor()
        query = self._read_url()
        with read_session() as session:
            result = orders.search_orders(session=session, actor=actor, query=query)
            self.categories = orders.product_categories(session=session)
            self.customer_name = self._customer_name(session, query.customer_id)
        self.page, self.pages, self.total, self.amount = result.page, result.pages, result.total, money(result.amount)
        self.rows = [
            {"id": str(r.id), "date": r.ordered_at.strftime("%Y-%m-%d %H:%M"), "customer": r.customer_name,
             "customer_link": routes.customer_page(r.customer_id), "status": str(r.status),
             "channel": str(r.channel), "total": money(r.total_amount)}
            for r in result.rows
        ]
        self.can_write = actor.role != Role.executive

    @staff_event()
    def set_filter(self, name: str, value: str) -> Any:
        if name not in ("from", "to", "status", "category") or not isinstance(value, str):
            return None
        if name in ("from", "to"):
            value = value if as_day(value) else ""
        return rx.redirect(self._url(**{name: value[:60]}, page=1))

    @staff_event()
    def search_for(self, form_data: dict) -> Any:
        text = form_data.get("q") if isinstance(form_data, dict) else ""
        return rx.redirect(self._url(q=text[:100].strip() if isinstance(text, str) else "", page=1))

    @staff_event()
    def clear_customer(self) -> Any:
        return rx.redirect(self._url(customer="", page=1))

    @staff_event()
    def go_to_page(self, page: int) -> Any:
        return rx.redirect(self._url(page=as_id(page) or 1))

    @staff_event()
    def reset_filters(self) -> Any:
        return rx.redirect(routes.ORDERS)

    @staff_event(Role.admin, Role.sales_rep)
    def set_status(self, order_id: str, status: str) -> Any:
        target = as_id(order_id)
        if target is None or status not in STATUSES:
            raise NotFound("No such order or status.")
        with write_session() as session:
            orders.set_order_status(session=session, actor=current_actor(), order_id=target,
                                    status=OrderStatus(status))
        return [OrdersState.load, rx.toast.success(f"Order #{target} is now {status}.")]
