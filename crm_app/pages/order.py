"""/orders/[order_id]: one order: lines and total, status history, line edits while pending, cancel and refund."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.record_page import fact, linked_fact, rows_table
from crm_app.components.shell import staff_page
from crm_app.states.order import OrderState

_SELECT = {"width": "100%", "padding": "0.4em"}


def _facts() -> rx.Component:
    f = OrderState.facts
    order_fact = lambda label, key: fact(label, f[key], f"order-{key}")  # noqa: E731
    return rx.card(
        rx.vstack(
            rx.heading(t("Order "), f["number"], size="6", data_testid="order-heading"),
            rx.grid(
                linked_fact(t("Customer"), f["customer"], f["customer_link"]),
                order_fact(t("Status"), "status"), order_fact(t("Channel"), "channel"), order_fact(t("Ordered"), "ordered"),
                rx.cond(f["deal"] != "", linked_fact(t("From deal"), f["deal"], f["deal_link"])),
                columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%",
            ),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def _lines() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Lines"), size="4"),
        rows_table(OrderState.lines, [(t("Product"), "product"), (t("Quantity"), "quantity"), (t("Unit price"), "unit_price"),
                                  (t("Discount"), "discount"), (t("Net amount"), "amount")], "order-line-row"),
        rx.text(t("Total "), rx.el.strong(OrderState.total, data_testid="order-page-total"), size="3"),
        spacing="2", width="100%",
    )


def _draft_row(line: rx.Var, index: rx.Var) -> rx.Component:
    named = lambda field: field + "-" + index.to_string()  # noqa: E731
    return rx.flex(
        rx.el.select(
            rx.el.option(t("— remove this line —"), value=""),
            rx.foreach(OrderState.products, lambda p: rx.el.option(p["label"], value=p["id"])),
            name=named("product_id"), default_value=line["product_id"], aria_label=t("Product of line {value}", value=index.to_string()),
            style={**_SELECT, "min_width": "14em", "flex": "2"},
        ),
        rx.input(name=named("quantity"), default_value=line["quantity"], aria_label=t("Quantity"), input_mode="numeric",
                 width="6em"),
        rx.input(name=named("unit_price"), default_value=line["unit_price"], aria_label=t("Unit price"),
                 input_mode="decimal", width="8em"),
        rx.input(name=named("discount_percent"), default_value=line["discount_percent"], aria_label=t("Discount %"),
                 input_mode="decimal", width="6em"),
        rx.cond(line["error"] != "", rx.text(line["error"], color=rx.color("red", 11), size="1", role="alert")),
        wrap="wrap", spacing="2", width="100%", align="center", data_testid="draft-line",
    )


def _line_editor() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("Edit lines"), size="4"),
                rx.text(t("Product, quantity, unit price, discount %. Totals are recomputed on save."), size="1",
                        color=rx.color("gray", 11)),
                rx.foreach(OrderState.draft, _draft_row),
                rx.cond(OrderState.lines_error != "",
                        rx.text(OrderState.lines_error, color=rx.color("red", 11), size="2", role="alert",
                                data_testid="lines-error")),
                rx.hstack(
                    rx.button(t("Add line"), type="button", variant="soft", on_click=OrderState.add_line),
                    rx.button(t("Save lines"), type="submit"),
                ),
                spacing="2", width="100%",
            ),
            on_submit=OrderState.save_lines,
            key=OrderState.draft_key,
        ),
        width="100%",
    )


def _close_form(status: str, label: str, allowed: rx.Var) -> rx.Component:
    return rx.cond(
        allowed,
        rx.form(
            rx.hstack(
                rx.el.input(type="hidden", name="status", value=status),
                rx.input(name="reason", placeholder=t("Why is it {status}?", status=status), max_length=200, width="20em",
                         aria_label=t("Reason ({value})", value=label.lower()), id=f"reason-{status}"),
                rx.button(label, type="submit", color_scheme="red", variant="soft"),
                align="center", wrap="wrap",
            ),
            on_submit=OrderState.close_order,
        ),
    )


def _history() -> rx.Component:
    return rx.vstack(
        rx.heading(t("Status history"), size="4"),
        rows_table(OrderState.history, [(t("When"), "at"), (t("Who"), "who"), (t("Status"), "change"), (t("Reason"), "reason")],
               "status-change"),
        spacing="2", width="100%",
    )


@staff_page(route=routes.ORDER, title="Order", on_load=OrderState.load)
def order() -> rx.Component:
    return rx.cond(
        OrderState.found,
        rx.vstack(
            _facts(),
            _lines(),
            rx.cond(OrderState.can_edit_lines, _line_editor()),
            rx.vstack(
                _close_form("cancelled", t("Cancel order"), OrderState.can_cancel),
                _close_form("refunded", t("Refund order"), OrderState.can_refund),
                rx.cond(OrderState.close_error != "",
                        rx.text(OrderState.close_error, color=rx.color("red", 11), size="2", role="alert",
                                data_testid="close-error")),
                spacing="2",
            ),
            _history(),
            spacing="5", width="100%",
        ),
        rx.cond(OrderState.missing != "",
                rx.callout(OrderState.missing, icon="triangle-alert", color_scheme="red", data_testid="not-found")),
    )
