"""What a list page shows instead of bare headers when nothing matches: why, and the next steps as buttons."""

from __future__ import annotations

import reflex as rx


def empty_state(message: str, *next_steps: rx.Component, shown: rx.Var) -> rx.Component:
    """`message` ("No customers match") with `next_steps` (reset the filters, create one) when `shown` is true."""
    return rx.cond(
        shown,
        rx.card(
            rx.vstack(
                rx.hstack(rx.icon("search-x", size=20, color=rx.color("gray", 11)),
                          rx.text(message, size="3", weight="medium"), align="center", spacing="2"),
                rx.hstack(*next_steps, spacing="3", wrap="wrap"),
                spacing="3",
                align="start",
            ),
            role="status",
            width="100%",
            data_testid="empty-state",
        ),
    )
