"""/orders/new: a new order with lines; line amounts and the total update as the user types."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.customer_picker import customer_picker
from crm_app.components.shell import staff_page
from crm_app.data.models import Role
from crm_app.states.order_form import CHANNELS, STATUSES, OrderFormState

LINE_INPUTS = ((t("Quantity"), "quantity", "numeric", "6em"), (t("Unit price"), "unit_price", "decimal", "8em"),
               (t("Discount %"), "discount_percent", "decimal", "6em"))


def _error(errors: rx.Var, name: str, element_id: rx.Var | str) -> rx.Component:
    return rx.cond(errors.contains(name),
                   rx.text(errors[name], id=element_id, color=rx.color("red", 11), size="1", role="alert"))


def _choice(label: str, name: str, value: rx.Var, options: tuple[str, ...]) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2"),
        rx.select.root(
            rx.select.trigger(aria_label=label),
            rx.select.content(*[rx.select.item(t(option.title()), value=option) for option in options]),
            value=value,
            on_change=lambda v: OrderFormState.set_choice(name, v),
        ),
        spacing="1",
    )


def _line(line: rx.Var, index: rx.Var) -> rx.Component:
    number = (index + 1).to_string()
    errors = OrderFormState.line_errors[index]
    typed = [
        rx.vstack(
            rx.text(label, size="1"),
            rx.input(value=line[field], on_change=lambda v, field=field: OrderFormState.type_in_line(index, field, v),
                     input_mode=mode, width=width, aria_label=t("{label}, line {number}", label=label, number=number),
                     aria_describedby=f"line-{number}-{field}-error"),
            _error(errors, field, f"line-{number}-{field}-error"),
            spacing="1",
        )
        for label, field, mode, width in LINE_INPUTS
    ]
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.text(t("Product"), size="1"),
                rx.select.root(
                    rx.select.trigger(placeholder=t("Choose a product"), aria_label=t("Product, line {number}", number=number)),
                    rx.select.content(rx.foreach(OrderFormState.products,
                                                 lambda p: rx.select.item(p["label"], value=p["id"]))),
                    value=line["product_id"],
                    on_change=lambda v: OrderFormState.choose_product(index, v),
                ),
                _error(errors, "product_id", f"line-{number}-product-error"),
                spacing="1",
                min_width="14em",
            ),
            *typed,
            rx.vstack(
                rx.text(t("Amount"), size="1"),
                rx.text(line["amount"], weight="medium", data_testid="line-amount", aria_live="polite"),
                spacing="1",
                min_width="7em",
            ),
            rx.icon_button(rx.icon("trash-2", size=16), variant="ghost", color_scheme="red", type="button",
                           aria_label=t("Remove line {number}", number=number), on_click=OrderFormState.remove_line(index),
                           align_self="center"),
            wrap="wrap",
            spacing="3",
            align="start",
        ),
        width="100%",
        data_testid="order-line",
    )


def _deal_target() -> rx.Component:
    deal = OrderFormState.deal
    return rx.cond(
        OrderFormState.deal_id > 0,
        rx.callout(
            rx.text(t("For the deal “"), deal["title"], "” (", deal["stage"], t("): target "), deal["amount"], ". ",
                    deal["gap"]),
            icon="target",
            width="100%",
            data_testid="deal-target",
        ),
    )


@staff_page(route=routes.ORDER_NEW, title="New order", on_load=OrderFormState.load,
            roles=(Role.admin, Role.sales_rep))
def order_new() -> rx.Component:
    return rx.vstack(
        customer_picker(
            id_prefix="order", chosen_name=OrderFormState.customer_name, query=OrderFormState.customer_query,
            matches=OrderFormState.customer_matches, error=OrderFormState.errors.get("customer", ""),
            on_search=OrderFormState.find_customer, on_choose=OrderFormState.choose_customer,
            on_clear=OrderFormState.change_customer,
        ),
        _deal_target(),
        rx.hstack(_choice(t("Status"), "status", OrderFormState.status, STATUSES),
                  _choice(t("Channel"), "channel", OrderFormState.channel, CHANNELS), spacing="4", wrap="wrap"),
        rx.heading(t("Lines"), size="4"),
        rx.foreach(OrderFormState.lines, _line),
        _error(OrderFormState.errors, "lines", "order-lines-error"),
        rx.button(rx.icon("plus", size=16), t("Add line"), variant="soft", type="button", on_click=OrderFormState.add_line),
        rx.hstack(
            rx.text(t("Total"), size="5"),
            rx.text(OrderFormState.total, size="5", weight="bold", data_testid="order-form-total", aria_live="polite"),
            rx.cond(OrderFormState.counted_lines < OrderFormState.lines.length(),
                    rx.text(t("(lines with errors are not counted)"), size="2", color=rx.color("gray", 11))),
            align="baseline",
            spacing="3",
        ),
        rx.hstack(
            rx.button(t("Save order"), on_click=OrderFormState.save, size="3"),
            rx.button(rx.link(t("Cancel"), href=routes.ORDERS), as_child=True, variant="soft", color_scheme="gray",
                      size="3"),
            spacing="3",
        ),
        spacing="4",
        width="100%",
        max_width="60em",
    )
