"""Personal access tokens on screen: the user's own card on /account (create, the once-shown secret, the list with
Revoke) and the admin's list of everybody's on /admin/users."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t
from crm_app.components.forms import select_field, text_field
from crm_app.components.pager import pager
from crm_app.components.responsive import card_cell, screen_reader_only, table_region
from crm_app.data.models import TOKEN_ACCESS_LABELS, TokenAccess, TokenStatus
from crm_app.data.repositories.api_tokens import DEFAULT_DAYS, EXPIRY_CHOICES, MAX_NAME
from crm_app.labels import choices
from crm_app.states.api_tokens import AllTokensState, OwnTokensState

_STATUS_COLOURS = {TokenStatus.active: "green", TokenStatus.expired: "gray", TokenStatus.revoked: "red"}
_HEADERS = (t("Name"), t("Access"), t("Created"), t("Expires"), t("Last used"), t("Status"))


def _status_badge(token: dict) -> rx.Component:
    return rx.match(token["status"],
                    *[(status.value, rx.badge(token["status_label"], color_scheme=colour, high_contrast=True))
                      for status, colour in _STATUS_COLOURS.items()],
                    rx.badge(token["status_label"]))


def _revoke(token: dict, handler: rx.EventHandler, whose: rx.Var | str, button_label: rx.Var | str) -> rx.Component:
    """Revoke behind a confirmation, for a token still working; `button_label` names the token for a screen reader."""
    return rx.cond(
        token["status"] == TokenStatus.active.value,
        rx.alert_dialog.root(
            rx.alert_dialog.trigger(rx.button(t("Revoke"), color_scheme="red", variant="soft", size="1",
                                              aria_label=button_label)),
            rx.alert_dialog.content(
                rx.alert_dialog.title(t("Revoke this token?")),
                rx.alert_dialog.description(
                    whose, t(" token “"), token["name"], t("” stops working at once: whatever uses it gets "
                    "401 Unauthorized. This cannot be undone.")
                ),
                rx.hstack(
                    rx.alert_dialog.cancel(rx.button(t("Cancel"), variant="soft", color_scheme="gray")),
                    rx.alert_dialog.action(rx.button(t("Revoke"), color_scheme="red", on_click=handler(token["id"]))),
                    justify="end",
                    spacing="3",
                ),
            ),
        ),
    )


def _cells(token: dict) -> list[rx.Component]:
    """The cells both lists share, after the name: access and the dates (a phone card keeps access and expiry)."""
    return [
        card_cell(token["access"], label=t("Access")),
        card_cell(token["created"], phone=False),
        card_cell(token["expires"], label=t("Expires")),
        card_cell(token["last_used"], label=t("Last used"), phone=False),
        card_cell(_status_badge(token)),
    ]


def _own_row(token: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(token["name"]),
        *_cells(token),
        rx.table.cell(_revoke(token, OwnTokensState.revoke_token, t("Your"),
                              t("Revoke the token {name}", name=token['name']))),
        data_testid="own-token-row",
    )


def _create_form() -> rx.Component:
    errors = OwnTokensState.form_errors
    return rx.form(
        rx.vstack(
            rx.grid(
                text_field(t("Token name (what will use it)"), "name", errors, max_length=MAX_NAME,
                           placeholder=t("shop sync")),
                select_field(t("Access"), "access", [(code, t(text)) for code, text in choices(TOKEN_ACCESS_LABELS)], errors, default=TokenAccess.read.value),
                select_field(t("Expires in"), "days", [(str(days), t("{count} days", count=str(days))) for days in EXPIRY_CHOICES], errors,
                             default=str(DEFAULT_DAYS)),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="3",
                width="100%",
            ),
            rx.button(t("Create token"), type="submit"),
            spacing="3",
            width="100%",
        ),
        on_submit=OwnTokensState.create_token,
        reset_on_submit=False,
        key=OwnTokensState.form_key,
    )


def _secret_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Your new token “"), OwnTokensState.new_secret_name, "”"),
            rx.dialog.description(
                t("Copy it now and keep it somewhere safe, like a password manager. You will not see it again: the "
                "CRM keeps only a fingerprint of it. Send it as the header Authorization: Bearer <token>.")
            ),
            rx.vstack(
                rx.code(OwnTokensState.new_secret, data_testid="new-token-secret", size="3",
                        style={"wordBreak": "break-all"}),
                rx.hstack(
                    rx.button(rx.icon("copy", size=16), t("Copy"),
                              on_click=[rx.set_clipboard(OwnTokensState.new_secret),
                                        rx.toast.success(t("Token copied."))]),
                    rx.button(t("I have copied it"), variant="soft", color_scheme="gray",
                              on_click=OwnTokensState.dismiss_secret),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="3",
                margin_top="1em",
                width="100%",
            ),
        ),
        open=OwnTokensState.new_secret != "",
        on_open_change=lambda _open: OwnTokensState.dismiss_secret(),
    )


def own_tokens_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("API tokens"), size="4"),
            rx.text(t("A token lets a script or another system use the CRM's API (/api/v1) as you: it sees and "
                    "changes exactly what you may. Read-only tokens change nothing."), size="2",
                    color=rx.color("gray", 11)),
            _create_form(),
            _secret_dialog(),
            rx.cond(
                OwnTokensState.tokens.length() == 0,
                rx.text(t("You have no API tokens yet."), size="2", data_testid="no-own-tokens"),
                table_region(
                    rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in _HEADERS],
                                                     rx.table.column_header_cell(screen_reader_only(t("Revoke"))))),
                        rx.table.body(rx.foreach(OwnTokensState.tokens, _own_row)),
                        width="100%",
                    ),
                    label=t("Your API tokens"),
                    cards=True,
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _any_row(token: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(token["owner"], rx.text(token["owner_email"], size="1", color=rx.color("gray", 11))),
        card_cell(token["name"], label=t("Token")),
        *_cells(token),
        rx.table.cell(_revoke(token, AllTokensState.revoke_token, t("{owner}’s", owner=token['owner']),
                              t("Revoke the token {name} of {owner_email}", name=token['name'], owner_email=token['owner_email']))),
        data_testid="any-token-row",
    )


def all_tokens_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("API tokens of every user"), size="4"),
            rx.text(AllTokensState.summary, size="2", color=rx.color("gray", 11), data_testid="token-total"),
            rx.cond(
                AllTokensState.total > 0,
                rx.vstack(
                    table_region(
                        rx.table.root(
                            rx.table.header(rx.table.row(
                                rx.table.column_header_cell(t("Owner")),
                                *[rx.table.column_header_cell(h) for h in _HEADERS],
                                rx.table.column_header_cell(screen_reader_only(t("Revoke"))),
                            )),
                            rx.table.body(rx.foreach(AllTokensState.tokens, _any_row)),
                            width="100%",
                        ),
                        label=t("API tokens of every user"),
                        cards=True,
                    ),
                    rx.cond(AllTokensState.pages > 1, pager(AllTokensState)),
                    spacing="3",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
