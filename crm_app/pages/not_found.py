"""Reflex's 404 route: any path the app does not have, shown inside the shell with a way back."""

import reflex as rx

from crm_app import routes
from crm_app.components.shell import staff_page
from crm_app.states.auth import AuthState


@staff_page(route=routes.NOT_FOUND, title="Page not found", on_load=AuthState.recognise_visitor, roles=None)
def not_found() -> rx.Component:
    return rx.vstack(
        rx.text("There is no page at ", rx.code(AuthState.router.url.path), ". It may have moved, or the link is mistyped.",
                data_testid="not-found-message"),
        rx.link(rx.button(rx.icon("house", size=16), "Go to the home page"), href=routes.HOME,
                data_testid="not-found-home"),
        spacing="4",
    )
