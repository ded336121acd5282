"""The filter menus of the list pages (customers, orders, pipeline, inbox, cockpit): a small label over a select
whose choice goes to the page state's `set_filter(name, choice)`; a Radix select, or on the cockpit the browser's
own."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t
from crm_app.states.forms import ANY


def _labelled(label: str, menu: rx.Component) -> rx.Component:
    return rx.vstack(rx.text(label, size="1", color=rx.color("gray", 11)), menu, spacing="1")


def filter_menu(state: type[rx.State], label: str, name: str, value: rx.Var, items: list, *,
                with_any: bool = True) -> rx.Component:
    """A labelled menu of `items` (rx.select.item or rx.foreach of them), "Any" first unless `with_any` is False."""
    return _labelled(label, rx.select.root(
        rx.select.trigger(aria_label=label),
        rx.select.content(*([rx.select.item(t("Any"), value=ANY)] if with_any else []), *items),
        value=value,
        on_change=lambda choice: state.set_filter(name, choice),
    ))


def native_filter_menu(state: type[rx.State], label: str, name: str, value: rx.Var, options: list, *,
                       with_any: bool = True) -> rx.Component:
    """The same labelled menu as the browser's own <select> (`options` rx.el.option or rx.foreach of them),
    styled like the theme's (assets/responsive.css, .filter-select). Choosing in it changes the select alone;
    Radix's select locks the page's scroll and hides the rest of the page from assistive technology while open,
    and closing it restyles the whole document (thousands of elements on the cockpit) just as the choice's
    figures arrive."""
    return _labelled(label, rx.el.select(
        *([rx.el.option(t("Any"), value=ANY)] if with_any else []), *options,
        value=value,
        on_change=lambda choice: state.set_filter(name, choice),
        aria_label=label,
        class_name="filter-select",
    ))
