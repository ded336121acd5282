"""The order list: date range, status, product category and customer filters live in the URL."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx

from crm_app import i18n, routes
from crm_app.counts import count_of
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.permissions import NotFound
from crm_app.data.repositories import orders
from crm_app.data.repositories.customers import customer_for
from crm_app.domain import OrderStatus
from crm_app.formatting import moment, money
from crm_app.labels import label
from crm_app.states.auth import current_actor, staff_event
from crm_app.states.forms import ANY, as_day, as_id
from crm_app.states.saved_views import SavedViews
from crm_app.states.url_filters import UrlFilters, UrlParam

STATUSES = tuple(status.value for status in OrderStatus)


class OrdersState(SavedViews, UrlFilters, rx.State):
    URL_ROUTE: ClassVar[str] = routes.ORDERS
    URL_PARAMS: ClassVar[tuple[UrlParam, ...]] = (
        UrlParam("from", "ordered_from", kind="day"),
        UrlParam("to", "ordered_to", kind="day"),
        UrlParam("status", choices=STATUSES),
        UrlParam("category"),
        UrlParam("customer", kind="id", fallback="", settable=False),
        UrlParam("q", "search", kind="text", settable=False),
        UrlParam("page", kind="page", settable=False),
    )

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
    total_label: str = ""
    amount: str = ""
    pages: int = 1
    categories: list[str] = []
    can_write: bool = False

    def _url_choices(self, key: str) -> list[str]:
        return self.categories if key == "category" else []

    def _read_url(self) -> orders.OrderQuery:
        self._read_url_filters()
        return orders.OrderQuery(
            ordered_from=as_day(self.ordered_from), ordered_to=as_day(self.ordered_to),
            status=OrderStatus(self.status) if self.status != ANY else None,
            category=None if self.category == ANY else self.category,
            customer_id=as_id(self.customer), customer_search=self.search, page=self.page,
        )

    def _customer_name(self, session, customer_id: int | None) -> str:
        if customer_id is None:
            return ""
        try:
            return customer_for(session=session, actor=current_actor(), customer_id=customer_id).name
        except NotFound:
            return i18n.gettext("a customer you cannot see")

    @staff_event()
    def load(self) -> None:
        actor = current_actor()
        with read_session() as session:
            self.categories = orders.product_categories(session=session)
            query = self._read_url()
            result = orders.search_orders(session=session, actor=actor, query=query)
            self.customer_name = self._customer_name(session, query.customer_id)
        self.page, self.pages, self.total, self.amount = result.page, result.pages, result.total, money(result.amount)
        self.total_label = count_of(result.total, "order")
        self.rows = [
            {"id": str(r.id), "link": routes.order_page(r.id), "date": moment(r.ordered_at, actor.time_zone), "customer": r.customer_name,
             "customer_link": routes.customer_page(r.customer_id), "status": str(r.status), "status_label": label(r.status),
             "channel": label(r.channel), "total": money(r.total_amount)}
            for r in result.rows
        ]
        self.can_write = actor.writes_records
        self._load_saved_views()

    @staff_event()
    def search_for(self, form_data: dict) -> Any:
        text = form_data.get("q") if isinstance(form_data, dict) else ""
        return rx.redirect(self._url(q=self._checked(self._url_param("q"), text)))

    @staff_event()
    def clear_customer(self) -> Any:
        return rx.redirect(self._url(customer=""))

    @staff_event()
    def go_to_page(self, page: int) -> Any:
        return rx.redirect(self._url(page=as_id(page) or 1))

    @staff_event(Role.admin, Role.sales_rep)
    def set_status(self, order_id: str, status: str) -> Any:
        target = as_id(order_id)
        if target is None or status not in STATUSES:
            raise NotFound(i18n.N_("No such order or status."))
        with write_session() as session:
            orders.set_order_status(session=session, actor=current_actor(), order_id=target,
                                    status=OrderStatus(status))
        return [OrdersState.load, rx.toast.success(i18n.gettext("Order #{target} is now {status}.", target=target, status=label(status)))]
