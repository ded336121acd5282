"""/orders: the orders this user may see, filtered by date, status, product category and customer, 50 a page."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.empty_state import empty_state
from crm_app.components.filters import filter_menu
from crm_app.components.pager import pager
from crm_app.components.responsive import card_cell, table_region
from crm_app.components.shell import staff_page
from crm_app.components.saved_views import saved_views_menu
from crm_app.domain import ORDER_STATUS_LABELS
from crm_app.states.orders import OrdersState


def _date(label: str, name: str, value: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.el.label(label, html_for=f"orders-{name}", font_size="var(--font-size-1)"),
        rx.input(id=f"orders-{name}", type="date", value=value, on_change=lambda v: OrdersState.set_filter(name, v)),
        spacing="1",
    )


def _filters() -> rx.Component:
    return rx.flex(
        rx.form(
            rx.hstack(
                rx.input(name="q", default_value=OrdersState.search, placeholder=t("Customer name or company"),
                         aria_label=t("Search by customer"), width="16em", key=OrdersState.search),
                rx.button(t("Search"), type="submit"),
            ),
            on_submit=OrdersState.search_for,
            align_self="end",
        ),
        _date(t("Ordered from"), "from", OrdersState.ordered_from),
        _date(t("Ordered to"), "to", OrdersState.ordered_to),
        filter_menu(OrdersState, t("Status"), "status", OrdersState.status,
                    [rx.select.item(t(text), value=code) for code, text in ORDER_STATUS_LABELS.items()]),
        filter_menu(OrdersState, t("Product category"), "category", OrdersState.category,
                    [rx.foreach(OrdersState.categories, lambda c: rx.select.item(c, value=c))]),
        _reset_filters(),
        saved_views_menu(OrdersState),
        wrap="wrap",
        spacing="3",
        align="end",
    )


def _reset_filters() -> rx.Component:
    return rx.button(t("Reset filters"), variant="soft", color_scheme="gray", on_click=OrdersState.reset_filters,
                     align_self="end")


def _new_order() -> rx.Component:
    return rx.cond(OrdersState.can_write,
                   rx.button(rx.link(rx.icon("plus", size=16), t("New order"), href=routes.ORDER_NEW), as_child=True,
                             align_self="end"))


def _status_cell(row: dict) -> rx.Component:
    return rx.cond(
        OrdersState.can_write,
        rx.select.root(
            rx.select.trigger(aria_label=t("Status of order {id}", id=row['id']), variant="ghost"),
            rx.select.content(*[rx.select.item(t(text), value=code) for code, text in ORDER_STATUS_LABELS.items()]),
            value=row["status"],
            on_change=lambda v: OrdersState.set_status(row["id"], v),
            size="1",
        ),
        rx.badge(row["status_label"]),
    )


def _row(row: dict) -> rx.Component:
    # The phone card: the order, its customer and total, and its status (the main action: changing it).
    return rx.table.row(
        rx.table.cell(rx.link("#", row["id"], href=row["link"], data_testid="order-link")),
        card_cell(row["date"], label=t("Ordered"), phone=False),
        card_cell(rx.link(row["customer"], href=row["customer_link"])),
        card_cell(_status_cell(row)),
        card_cell(row["channel"], label=t("Channel"), phone=False),
        card_cell(row["total"], label=t("Total"), text_align="right", data_testid="order-total"),
        data_testid="order-row",
    )


@staff_page(route=routes.ORDERS, title="Orders", on_load=OrdersState.load)
def orders() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            _filters(),
            rx.spacer(),
            _new_order(),
            width="100%",
            wrap="wrap",
            align="end",
        ),
        rx.cond(
            OrdersState.customer != "",
            rx.hstack(
                rx.badge(t("Customer: "), OrdersState.customer_name, size="2"),
                rx.button(t("Show every customer"), size="1", variant="ghost", on_click=OrdersState.clear_customer),
                align="center",
            ),
        ),
        rx.text(OrdersState.total_label, " · ", OrdersState.amount, t(" in total"), size="2",
                data_testid="orders-total"),
        table_region(
            rx.table.root(
                rx.table.header(rx.table.row(*[
                    rx.table.column_header_cell(h) for h in (t("Order"), t("Ordered"), t("Customer"), t("Status"), t("Channel"))
                ], rx.table.column_header_cell(t("Total"), text_align="right"))),
                rx.table.body(rx.foreach(OrdersState.rows, _row)),
                width="100%",
                size="1",
            ),
            label=t("Orders"),
            cards=True,
        ),
        empty_state(t("No orders match"), _reset_filters(), _new_order(), shown=OrdersState.total == 0),
        pager(OrdersState),
        spacing="4",
        width="100%",
    )
