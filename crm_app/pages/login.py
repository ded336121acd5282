"""/login: the only page, with the public feedback form, that anonymous visitors reach."""

import reflex as rx

from crm_app import routes
from crm_app.components.forms import posted_form
from crm_app.states.auth import AuthState


@rx.page(route=routes.LOGIN, title="Sign in · crm_app", on_load=AuthState.open_login_page)
def login() -> rx.Component:
    return rx.center(
        rx.card(
            # A plain HTML form: the browser posts it to the sign-in endpoint, which sets the HttpOnly session
            # cookie; the password never passes through the websocket or the page's state.
            posted_form(
                rx.vstack(
                    rx.heading("Sign in to crm_app", size="6"),
                    rx.el.label("Email", html_for="login-email"),
                    rx.input(id="login-email", name="email", type="email", auto_complete="username",
                             required=True, width="100%", auto_focus=True),
                    rx.el.label("Password", html_for="login-password"),
                    rx.input(id="login-password", name="password", type="password",
                             auto_complete="current-password", required=True, width="100%"),
                    rx.el.input(type="hidden", name="next", value=AuthState.next_path),
                    rx.cond(
                        AuthState.login_error != "",
                        rx.callout(AuthState.login_error, icon="triangle-alert", color_scheme="red",
                                   role="alert", width="100%", data_testid="login-error"),
                    ),
                    rx.button("Sign in", type="submit", width="100%", size="3"),
                    spacing="3",
                    width="100%",
                ),
                action=routes.SIGN_IN,
                method="post",
            ),
            width="min(26em, 92vw)",
            size="4",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
    )
