"""Choosing one of the user's customers by typing part of a name: used by the order and task forms."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from crm_app.components.translated import t


def customer_picker(
    *, id_prefix: str, chosen_name: rx.Var, query: rx.Var, matches: rx.Var, error: rx.Var,
    on_search: Callable, on_choose: Callable, on_clear: Callable,
) -> rx.Component:
    """The chosen customer with a "Change" button, or a search box listing up to a few matching customers."""
    return rx.vstack(
        rx.el.label(t("Customer"), html_for=f"{id_prefix}-customer-search"),
        rx.cond(
            chosen_name != "",
            rx.hstack(
                rx.text(chosen_name, weight="medium", data_testid=f"{id_prefix}-customer"),
                rx.button(t("Change"), size="1", variant="soft", type="button", on_click=on_clear),
                align="center",
            ),
            rx.vstack(
                rx.input(id=f"{id_prefix}-customer-search", placeholder=t("Type a name, company or email"),
                         value=query, on_change=on_search, debounce_timeout=300, width="100%",
                         aria_describedby=f"{id_prefix}-customer-error"),
                rx.flex(
                    rx.foreach(matches, lambda m: rx.button(
                        m["label"], size="1", variant="outline", type="button", on_click=on_choose(m["id"]),
                    )),
                    wrap="wrap",
                    spacing="2",
                ),
                width="100%",
                spacing="2",
            ),
        ),
        rx.cond(error != "", rx.text(error, id=f"{id_prefix}-customer-error", color=rx.color("red", 11), size="2",
                                     role="alert")),
        spacing="1",
        width="100%",
    )
