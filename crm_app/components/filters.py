"""The filter menus of the list pages (customers, orders, pipeline, inbox, cockpit): a small label over a select
whose choice goes to the page state's `set_filter(name, choice)`."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t
from crm_app.states.forms import ANY


def filter_menu(state: type[rx.State], label: str, name: str, value: rx.Var, items: list, *,
                with_any: bool = True) -> rx.Component:
    """A labelled menu of `items` (rx.select.item or rx.foreach of them), "Any" first unless `with_any` is False."""
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 11)),
        rx.select.root(
            rx.select.trigger(aria_label=label),
            rx.select.content(*([rx.select.item(t("Any"), value=ANY)] if with_any else []), *items),
            value=value,
            on_change=lambda choice: state.set_filter(name, choice),
        ),
        spacing="1",
    )
