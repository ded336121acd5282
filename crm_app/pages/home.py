"""/: the signed-in user's book of business (the whole company for executives and admins)."""

import reflex as rx

from crm_app import routes
from crm_app.components.shell import staff_page
from crm_app.states.auth import AuthState
from crm_app.states.home import HomeState


def _figure(figure: dict) -> rx.Component:
    return rx.card(
        rx.text(figure["label"], size="2", color=rx.color("gray", 11)),
        rx.text(figure["value"], size="6", weight="bold", data_testid="figure-value"),
        data_testid="figure",
    )


@staff_page(route=routes.HOME, title="Home", on_load=HomeState.load)
def home() -> rx.Component:
    return rx.vstack(
        rx.text("Welcome, ", AuthState.user_name, ". ", HomeState.scope, ".", size="3"),
        rx.grid(
            rx.foreach(HomeState.figures, _figure),
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            spacing="4",
            width="100%",
        ),
        width="100%",
        spacing="4",
    )
