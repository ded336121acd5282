"""The add/edit customer dialog, with the duplicate warning that offers to open or merge the existing record."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t
from crm_app.components.forms import field_error, text_field
from crm_app.labels import LABELS
from crm_app.domain import ACQUISITION_CHANNELS, REGIONS, SEGMENTS
from crm_app.states.customer_form import NO_OWNER, CustomerFormState


def _choice(label: str, name: str, choices: tuple[str, ...], items: list | None = None) -> rx.Component:
    errors = CustomerFormState.errors
    return rx.vstack(
        rx.el.label(label, html_for=f"field-{name}"),
        rx.select.root(
            rx.select.trigger(id=f"field-{name}", aria_label=label, width="100%"),
            rx.select.content(*(items or [rx.select.item(t(LABELS.get(c, c)), value=c) for c in choices])),
            name=name,
            default_value=CustomerFormState.values[name],
        ),
        field_error(errors, name),
        spacing="1",
        width="100%",
    )


def _consent(label: str, name: str) -> rx.Component:
    return rx.el.label(
        rx.hstack(
            rx.checkbox(name=name, default_checked=CustomerFormState.values[name] == "on", id=f"field-{name}"),
            rx.text(label, size="2"),
            align="center",
        ),
    )


def _fields() -> rx.Component:
    errors, values = CustomerFormState.errors, CustomerFormState.values
    return rx.grid(
        text_field(t("Name"), "name", errors, default_value=values["name"], auto_focus=True),
        text_field(t("Company"), "company", errors, default_value=values["company"]),
        text_field(t("Email"), "email", errors, default_value=values["email"], type="email"),
        text_field(t("Phone, with country code"), "phone", errors, default_value=values["phone"], type="tel",
                   placeholder="+44 20 7946 0958"),
        _choice(t("Region"), "region", REGIONS),
        _choice(t("Segment"), "segment", SEGMENTS),
        _choice(t("Acquired through"), "acquisition_channel", ACQUISITION_CHANNELS),
        rx.cond(
            CustomerFormState.can_choose_owner,
            _choice(t("Owner"), "owner_id", (), items=[
                rx.select.item(t("Unassigned"), value=NO_OWNER),
                rx.foreach(CustomerFormState.owners, lambda o: rx.select.item(o["name"], value=o["id"])),
            ]),
        ),
        rx.vstack(
            rx.text(t("The customer agreed to be contacted by"), size="2"),
            rx.hstack(_consent("email", "consent_email"), _consent("phone", "consent_phone"), spacing="4"),
            spacing="1",
        ),
        columns=rx.breakpoints(initial="1", sm="2"),
        spacing="3",
        width="100%",
    )


def _merge_button(candidate: dict) -> rx.Component:
    verb = rx.cond(CustomerFormState.editing_id > 0, t("Merge it into this customer"), t("Merge into it"))
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(rx.button(verb, size="1", variant="soft", color_scheme="orange", type="button",
                                          aria_label=t("Merge with {name}", name=candidate['name']))),
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("Merge these two customers?")),
            rx.alert_dialog.description(
                rx.cond(
                    CustomerFormState.editing_id > 0,
                    rx.text(candidate["name"], t("'s orders, deals, tasks and feedback move to the customer you are "
                            "editing, and "), candidate["name"], t("'s record is deleted.")),
                    rx.text(t("Your details are added to "), candidate["name"], t("'s empty fields; no second record "
                            "is kept.")),
                ),
            ),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("Cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(t("Merge"), color_scheme="orange",
                                                 on_click=CustomerFormState.merge_with(candidate["id"]))),
                justify="end",
                spacing="3",
            ),
        ),
    )


def _duplicate_warning() -> rx.Component:
    return rx.cond(
        CustomerFormState.duplicates.length() > 0,
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert")),
            rx.vstack(
                rx.text(t("This looks like a customer you already have. Open it, merge with it, or save anyway."),
                        weight="medium"),
                rx.foreach(CustomerFormState.duplicates, lambda d: rx.flex(
                    rx.vstack(
                        rx.text(d["name"], " ", rx.text.span(d["company"], color=rx.color("gray", 11)), size="2"),
                        rx.text(d["contact"], t(" · owner: "), d["owner"], " · ", d["reasons"], size="1"),
                        spacing="0",
                    ),
                    rx.spacer(),
                    rx.hstack(
                        rx.link(t("Open"), href=d["link"], is_external=True, size="2",
                                aria_label=t("Open {name} in a new tab", name=d['name'])),
                        _merge_button(d),
                    ),
                    width="100%", wrap="wrap", gap="2", data_testid="duplicate-candidate",
                )),
                rx.button(t("Save anyway"), size="1", variant="outline", type="button",
                          on_click=CustomerFormState.save_anyway),
                spacing="2",
                width="100%",
            ),
            color_scheme="orange",
            role="alert",
            width="100%",
        ),
    )


def customer_form_dialog() -> rx.Component:
    """The dialog CustomerFormState.open_new / open_edit opens; `values` fill it, `errors` show under the fields."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(rx.cond(CustomerFormState.editing_id > 0, t("Edit customer"), t("New customer"))),
            rx.dialog.description(t("Email and phone are checked; a phone number needs its country code."),
                                  size="2", margin_bottom="1em"),
            rx.form(
                rx.vstack(
                    _fields(),
                    _duplicate_warning(),
                    rx.hstack(
                        rx.dialog.close(rx.button(t("Cancel"), variant="soft", color_scheme="gray", type="button")),
                        rx.button(t("Save customer"), type="submit"),
                        justify="end",
                        spacing="3",
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=CustomerFormState.save,
                key=CustomerFormState.form_key,
                # The server's messages, under each field, replace the browser's own pop-ups.
                no_validate=True,
            ),
            max_width="42em",
        ),
        open=CustomerFormState.is_open,
        on_open_change=CustomerFormState.set_is_open,
    )
