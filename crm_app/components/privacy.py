"""The admin-only Privacy section of the customer page: export the customer's data, or erase the person."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t
from crm_app.components.forms import field_error
from crm_app.states.privacy import PrivacyState


def _erase_dialog() -> rx.Component:
    """Erasing cannot be undone, so the admin types the customer's name to confirm it."""
    errors = PrivacyState.erase_errors
    return rx.dialog.root(
        rx.dialog.trigger(rx.button(rx.icon("eraser", size=16), t("Erase personal data"), color_scheme="red",
                                    variant="soft", data_testid="privacy-erase")),
        rx.dialog.content(
            rx.dialog.title(t("Erase this customer's personal data?")),
            rx.dialog.description(
                t("Their name, email, phone and company, their feedback comments and contact details, notes about "
                "them and their details in the history are replaced everywhere. Orders, amounts and scores stay. "
                "This cannot be undone."),
                size="2",
            ),
            rx.form(
                rx.vstack(
                    rx.el.label(t("Type "), rx.text.strong(PrivacyState.customer_name), t(" to confirm"),
                                html_for="field-confirm_name"),
                    rx.input(id="field-confirm_name", name="confirm_name", width="100%", auto_complete="off",
                             aria_invalid=rx.cond(errors.contains("confirm_name"), "true", "false"),
                             aria_describedby="confirm_name-error"),
                    field_error(errors, "confirm_name"),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("Cancel"), type="button", variant="soft", color_scheme="gray")),
                        rx.button(t("Erase"), type="submit", color_scheme="red"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=PrivacyState.erase,
                reset_on_submit=False,
                margin_top="12px",
            ),
        ),
        open=PrivacyState.erase_open,
        on_open_change=PrivacyState.set_erase_open,
    )


def privacy_section() -> rx.Component:
    """Export JSON and Erase, shown to admins only (the server refuses everyone else anyway)."""
    return rx.box(
        rx.cond(
            PrivacyState.shown,
            rx.card(
                rx.vstack(
                    rx.heading(t("Privacy"), size="4"),
                    rx.text(t("Answer a customer's request to see or erase the data held about them."), size="2",
                            color=rx.color("gray", 11)),
                    rx.hstack(
                        rx.button(rx.icon("download", size=16), t("Export data (JSON)"), variant="soft",
                                  on_click=PrivacyState.download_export, data_testid="privacy-export"),
                        _erase_dialog(),
                        wrap="wrap",
                        spacing="3",
                    ),
                    spacing="2",
                    width="100%",
                ),
                width="100%",
                data_testid="privacy-section",
            ),
        ),
        on_mount=PrivacyState.load,
        width="100%",
    )
