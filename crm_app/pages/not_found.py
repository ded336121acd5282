"""Reflex's 404 route: any path the app does not have, shown inside the shell with a way back."""

import reflex as rx

from crm_app import routes
from crm_app.components.translated import t
from crm_app.components.shell import staff_page
from crm_app.states.auth import AuthState


@staff_page(route=routes.NOT_FOUND, title="Page not found", on_load=AuthState.recognise_visitor, roles=None)
def not_found() -> rx.Component:
    return rx.vstack(
        rx.text(t("There is no page at {path}. It may have moved, or the link is mistyped.", path=AuthState.router.url.path),
                data_testid="not-found-message"),
        rx.link(rx.button(rx.icon("house", size=16), t("Go to the home page")), href=routes.HOME,
                data_testid="not-found-home"),
        spacing="4",
    )
