"""/login: the only page, with the public feedback form, that anonymous visitors reach."""

import reflex as rx

from crm_app import routes
from crm_app.components.forms import posted_form
from crm_app.components.shell import page_title
from crm_app.components.translated import t
from crm_app.settings import get_settings
from crm_app.states.auth import AuthState


def _error() -> rx.Component:
    return rx.cond(
        AuthState.login_error != "",
        rx.callout(AuthState.login_error, icon="triangle-alert", color_scheme="red",
                   role="alert", width="100%", data_testid="login-error"),
    )


def _notice() -> rx.Component:
    return rx.cond(
        AuthState.login_notice != "",
        rx.callout(AuthState.login_notice, icon="circle-check", color_scheme="green", role="status",
                   width="100%", data_testid="login-notice"),
    )


def _mail_notice() -> rx.Component:
    return rx.cond(
        AuthState.mail_notice != "",
        rx.callout(AuthState.mail_notice, icon="info", color_scheme="amber", width="100%",
                   data_testid="mail-notice"),
    )


def _password_step() -> rx.Component:
    # A plain HTML form: the browser posts it to the sign-in endpoint, which sets the HttpOnly session
    # cookie; the password never passes through the websocket or the page's state.
    return posted_form(
        rx.vstack(
            rx.heading(t("Sign in to {company}", company=get_settings().company_name), size="6"),
            rx.el.label(t("Email"), html_for="login-email"),
            rx.input(id="login-email", name="email", type="email", auto_complete="username",
                     required=True, width="100%", auto_focus=True),
            rx.el.label(t("Password"), html_for="login-password"),
            rx.input(id="login-password", name="password", type="password",
                     auto_complete="current-password", required=True, width="100%"),
            rx.el.input(type="hidden", name="next", value=AuthState.next_path),
            _notice(),
            _error(),
            rx.button(t("Sign in"), type="submit", width="100%", size="3"),
            rx.link(t("Forgot password?"), href=routes.FORGOT_PASSWORD, size="2"),
            spacing="3",
            width="100%",
        ),
        action=routes.SIGN_IN,
        method="post",
    )


def _code_step() -> rx.Component:
    """After the right password of a two-factor account: the code, posted with the ticket cookie."""
    return posted_form(
        rx.vstack(
            rx.heading(t("Two-factor sign-in"), size="6"),
            rx.el.label(t("Code from your authenticator app, or a recovery code"), html_for="login-code"),
            rx.input(id="login-code", name="code", auto_complete="one-time-code", input_mode="numeric",
                     required=True, width="100%", auto_focus=True, max_length=64),
            rx.el.input(type="hidden", name="next", value=AuthState.next_path),
            _error(),
            rx.button(t("Verify"), type="submit", width="100%", size="3"),
            rx.link(t("Start again"), href=routes.LOGIN, size="2"),
            spacing="3",
            width="100%",
        ),
        action=routes.SIGN_IN_CODE,
        method="post",
    )


def _centred_card(content: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(content, width="min(26em, 92vw)", size="4"),
        min_height="100vh",
        background=rx.color("gray", 2),
    )


@rx.page(route=routes.LOGIN, title=page_title("Sign in"), on_load=AuthState.open_login_page)
def login() -> rx.Component:
    return _centred_card(rx.cond(AuthState.login_step == "code", _code_step(), _password_step()))


@rx.page(route=routes.FORGOT_PASSWORD, title=page_title("Forgot password"), on_load=AuthState.open_login_page)
def forgot_password() -> rx.Component:
    """Ask for a reset link: a plain form posted to the endpoint, which answers the same for any email."""
    return _centred_card(posted_form(
        rx.vstack(
            rx.heading(t("Forgot your password?"), size="6"),
            rx.text(t("Enter your account's email. We will send a link to choose a new password."), size="2"),
            rx.el.label(t("Email"), html_for="forgot-email"),
            rx.input(id="forgot-email", name="email", type="email", auto_complete="username", required=True,
                     width="100%", auto_focus=True),
            _notice(),
            _error(),
            _mail_notice(),
            rx.button(t("Email me a link"), type="submit", width="100%", size="3"),
            rx.link(t("Back to sign in"), href=routes.LOGIN, size="2"),
            spacing="3",
            width="100%",
        ),
        action=routes.FORGOT_PASSWORD_POST,
        method="post",
    ))


@rx.page(route=routes.RESET_PASSWORD, title=page_title("Choose a new password"),
         on_load=AuthState.open_login_page)
def reset_password() -> rx.Component:
    """The emailed link's page: the new password twice, posted with the link's token; or why the link is refused."""
    return _centred_card(rx.cond(
        AuthState.reset_link_ok,
        posted_form(
            rx.vstack(
                rx.heading(t("Choose a new password"), size="6"),
                rx.el.label(t("New password"), html_for="reset-password"),
                rx.input(id="reset-password", name="password", type="password", auto_complete="new-password",
                         required=True, width="100%", auto_focus=True),
                rx.el.label(t("The new password again"), html_for="reset-confirm"),
                rx.input(id="reset-confirm", name="confirm", type="password", auto_complete="new-password",
                         required=True, width="100%"),
                rx.el.input(type="hidden", name="t", value=AuthState.reset_token),
                rx.text(t("At least 10 characters and not easy to guess. Every session of your account ends."),
                        size="2", color_scheme="gray"),
                _error(),
                rx.button(t("Set new password"), type="submit", width="100%", size="3"),
                spacing="3",
                width="100%",
            ),
            action=routes.RESET_PASSWORD_POST,
            method="post",
        ),
        rx.vstack(
            rx.heading(t("Choose a new password"), size="6"),
            _error(),
            rx.link(t("Ask for a new link"), href=routes.FORGOT_PASSWORD, size="2"),
            spacing="3",
            width="100%",
        ),
    ))
