"""What changes below 768 px (a phone): one component tree and one state serve every width, and CSS decides.

Reflex's `sm` breakpoint is 48em (768 px): below it the shell shows its top bar and drawer, list tables show
each row as a card (assets/responsive.css), and every control is at least 44 x 44 px (WCAG 2.5.5)."""

from __future__ import annotations

import reflex as rx

# `display` values for what shows only on a phone, or only from 768 px up.
PHONE_ONLY_FLEX = rx.breakpoints(initial="flex", sm="none")
WIDE_ONLY_FLEX = rx.breakpoints(initial="none", sm="flex")
PHONE_ONLY_BLOCK = rx.breakpoints(initial="block", sm="none")
WIDE_ONLY_BLOCK = rx.breakpoints(initial="none", sm="block")

# The app's own stylesheet (under assets/), for what style props cannot say: media rules over Radix's classes.
STYLESHEET = "/responsive.css"

# A cell a row's phone card leaves out (the card keeps the name, the two most useful fields, the main action).
PHONE_HIDDEN = "phone-hidden"


def table_region(table: rx.Component, *, label: str | rx.Var, cards: bool = False, **props) -> rx.Component:
    """`table` (an rx.table.root) in a labelled region that scrolls sideways and takes keyboard focus when the
    table is wider than the screen (axe: scrollable-region-focusable). With `cards`, below 768 px each row is
    a card instead: the cells marked PHONE_HIDDEN are left out, the others stack, labelled by their `data-label`."""
    return rx.box(
        table,
        role="region",
        aria_label=label,
        tab_index=0,
        class_name="table-region phone-cards" if cards else "table-region",
        overflow_x="auto",
        width="100%",
        **props,
    )


def card_cell(*children, label: str | rx.Var | None = None, phone: bool = True, **props) -> rx.Component:
    """A table cell of a `cards` table: `label` names it on the phone card; `phone=False` leaves it off the card."""
    if label is not None:
        props["data_label"] = label
    if not phone:
        props["class_name"] = PHONE_HIDDEN
    return rx.table.cell(*children, **props)


def sheet(trigger: rx.Component, title: str | rx.Var, *children, close_label: str | rx.Var, side: str = "left",
          **props) -> rx.Component:
    """A Radix dialog drawn as a full-height sheet along the `side` edge (the phone's menu, the cockpit's filters):
    it traps focus, closes on Escape, and gives focus back to `trigger`."""
    return rx.dialog.root(
        rx.dialog.trigger(trigger),
        rx.dialog.content(
            rx.vstack(
                rx.hstack(
                    rx.dialog.title(title, size="5", margin="0"),
                    rx.dialog.close(
                        rx.icon_button(rx.icon("x", size=20), variant="ghost", color_scheme="gray", size="3",
                                       aria_label=close_label, class_name="tap-target"),
                    ),
                    justify="between",
                    align="center",
                    width="100%",
                ),
                *children,
                spacing="4",
                width="100%",
            ),
            position="fixed",
            top="0",
            **{side: "0"},
            height="100dvh",
            max_height="100dvh",
            width="min(22em, 88vw)",
            max_width="none",
            border_radius="0",
            overflow_y="auto",
            padding="1em",
            **props,
        ),
    )


def screen_reader_only(text: str | rx.Var) -> rx.Component:
    """Text for screen readers only, e.g. the header of a column of row actions."""
    return rx.el.span(text, class_name="sr-only")
