"""/account: the signed-in user's password, two-factor sign-in and sessions."""

import reflex as rx

from crm_app import routes
from crm_app.components.api_tokens import own_tokens_card
from crm_app.components.forms import text_field
from crm_app.components.shell import staff_page
from crm_app.components.translated import t
from crm_app.due_times import time_zone_names
from crm_app.i18n import LANGUAGES
from crm_app.states.account import AccountState
from crm_app.states.api_tokens import OwnTokensState


def _owed() -> rx.Component:
    return rx.fragment(
        rx.cond(
            AccountState.must_change_password,
            rx.callout(t("An admin reset your password: choose your own before going on."),
                       icon="key-round", color_scheme="amber", data_testid="must-change-password"),
        ),
        rx.cond(
            AccountState.two_factor_required & ~AccountState.two_factor_on,
            rx.callout(t("Your role requires two-factor sign-in: turn it on before going on."),
                       icon="shield-alert", color_scheme="amber", data_testid="must-enrol"),
        ),
    )


def _password_card() -> rx.Component:
    errors = AccountState.password_errors
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("Change your password"), size="4"),
                text_field(t("Current password"), "current_password", errors, type="password",
                           auto_complete="current-password"),
                text_field(t("New password (10+ characters, hard to guess)"), "new_password", errors,
                           type="password", auto_complete="new-password"),
                text_field(t("New password again"), "confirm_password", errors, type="password",
                           auto_complete="new-password"),
                rx.text(t("Your other sessions are signed out when the password changes."), size="2",
                        color=rx.color("gray", 11)),
                rx.button(t("Change password"), type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AccountState.change_password,
            reset_on_submit=False,
            key=AccountState.password_form_key,
        ),
        width="100%",
    )


def _recovery_codes() -> rx.Component:
    return rx.cond(
        AccountState.new_recovery_codes.length() > 0,
        rx.callout.root(
            rx.callout.text(
                t("Your recovery codes. Each works once, in place of a code from your app. Keep them somewhere "
                "safe: they are shown only now.")
            ),
            rx.grid(
                rx.foreach(AccountState.new_recovery_codes,
                           lambda code: rx.code(code, data_testid="recovery-code")),
                columns="2",
                spacing="2",
            ),
            rx.button(t("I have saved them"), on_click=AccountState.hide_recovery_codes, variant="soft", size="1"),
            color_scheme="green",
            width="100%",
        ),
    )


def _enrolment() -> rx.Component:
    return rx.vstack(
        rx.text(t("Scan the QR code with an authenticator app, or type in the key, then enter the 6-digit code "
                "it shows.")),
        rx.image(src=AccountState.enrolment_qr, alt=t("QR code for your authenticator app"), width="14em",
                 height="14em"),
        rx.hstack(rx.text(t("Key:")), rx.code(AccountState.enrolment_secret, data_testid="enrolment-secret"),
                  align="center"),
        rx.form(
            rx.hstack(
                rx.input(name="code", id="enrol-code", placeholder="123456", input_mode="numeric",
                         auto_complete="one-time-code", max_length=6, aria_label=t("Code from your app")),
                rx.button(t("Turn on"), type="submit"),
                rx.button(t("Cancel"), type="button", variant="soft", color_scheme="gray",
                          on_click=AccountState.cancel_enrolment),
                spacing="2",
            ),
            on_submit=AccountState.confirm_enrolment,
            reset_on_submit=True,
        ),
        spacing="3",
    )


def _turned_on() -> rx.Component:
    return rx.vstack(
        rx.hstack(rx.badge(t("on"), color_scheme="green", data_testid="two-factor-status"),
                  rx.text(t("{count} recovery codes left.", count=AccountState.recovery_codes_left), data_testid="codes-left"),
                  align="center"),
        rx.button(t("New recovery codes"), on_click=AccountState.renew_recovery_codes, variant="soft"),
        rx.form(
            rx.hstack(
                rx.input(name="password", id="disable-password", type="password",
                         auto_complete="current-password", placeholder=t("Your password"),
                         aria_label=t("Your password, to turn two-factor sign-in off")),
                rx.button(t("Turn off"), type="submit", color_scheme="red", variant="soft"),
                spacing="2",
            ),
            on_submit=AccountState.disable_two_factor,
            reset_on_submit=True,
        ),
        spacing="3",
    )


def _two_factor_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Two-factor sign-in"), size="4"),
            rx.text(t("After your password, sign-in asks for a code from an app on your phone."), size="2",
                    color=rx.color("gray", 11)),
            _recovery_codes(),
            rx.cond(
                AccountState.two_factor_on,
                _turned_on(),
                rx.cond(
                    AccountState.enrolment_secret != "",
                    _enrolment(),
                    rx.hstack(rx.badge(t("off"), color_scheme="gray", data_testid="two-factor-status"),
                              rx.button(t("Set up two-factor sign-in"), on_click=AccountState.start_enrolment),
                              align="center"),
                ),
            ),
            rx.cond(
                AccountState.two_factor_error != "",
                rx.text(AccountState.two_factor_error, color=rx.color("red", 11), size="2", role="alert",
                        data_testid="two-factor-error"),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _time_zone_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Time zone"), size="4"),
            rx.text(t("Task due times are typed and shown on this clock."), size="2"),
            rx.el.select(
                rx.el.option(t("Choose…"), value="", disabled=True),
                *[rx.el.option(name, value=name) for name in time_zone_names()],
                value=AccountState.time_zone,
                on_change=AccountState.set_time_zone,
                aria_label=t("Time zone"),
            ),
            spacing="3",
        ),
        width="100%",
    )


def _language_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Language"), size="4"),
            rx.text(t("The language you read this app in."), size="2"),
            rx.el.select(
                rx.el.option(t("Your browser's language"), value=""),
                *[rx.el.option(name, value=code) for code, name in LANGUAGES.items()],
                value=AccountState.language,
                on_change=AccountState.set_language,
                aria_label=t("Language"),
                data_testid="language-select",
            ),
            spacing="3",
        ),
        width="100%",
    )


def _sessions_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("Sessions"), size="4"),
            rx.text(t("Signed in on a computer you no longer use? End every session, this one too."), size="2"),
            rx.button(t("Sign out everywhere"), on_click=AccountState.sign_out_everywhere, color_scheme="red",
                      variant="soft"),
            spacing="3",
        ),
        width="100%",
    )


@staff_page(route=routes.ACCOUNT, title="Your account", on_load=[AccountState.load, OwnTokensState.load])
def account() -> rx.Component:
    return rx.vstack(
        _owed(),
        rx.grid(
            _password_card(),
            _two_factor_card(),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="4",
            width="100%",
        ),
        _language_card(),
        _time_zone_card(),
        # Not while a password change or two-factor enrolment is owed: until then the token handlers refuse.
        rx.cond(AccountState.must_change_password | (AccountState.two_factor_required & ~AccountState.two_factor_on),
                rx.fragment(), own_tokens_card()),
        _sessions_card(),
        spacing="4",
        width="100%",
        max_width="70em",
    )
