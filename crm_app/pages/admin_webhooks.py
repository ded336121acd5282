"""/admin/webhooks: the endpoints that receive the CRM's events, and the log of every delivery."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.i18n import in_context
from crm_app.components.empty_state import empty_state
from crm_app.components.forms import field_error, text_field
from crm_app.components.responsive import table_region
from crm_app.components.shell import staff_page
from crm_app.data.models import Role
from crm_app.states.admin_webhooks import EVENT_CHOICES, STATUS_CHOICES, AdminWebhooksState

_STATUS_COLOURS = {"delivered": "green", "pending": "amber", "failed": "red"}


def _create_form() -> rx.Component:
    errors = AdminWebhooksState.form_errors
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading(t("Add an endpoint"), size="4"),
                text_field(t("URL (https://, or http:// to localhost)"), "url", errors,
                           placeholder=t("https://example.com/hooks/crm")),
                rx.el.fieldset(
                    rx.el.legend(t("Events"), style={"marginBottom": "0.25rem"}),
                    rx.hstack(
                        *[rx.el.label(rx.hstack(rx.checkbox(name=f"event-{event}", id=f"event-{event}",
                                                            aria_label=event),
                                                rx.text(event, size="2"), align="center", spacing="2"))
                          for event in EVENT_CHOICES],
                        spacing="4",
                        wrap="wrap",
                    ),
                    field_error(errors, "events"),
                    style={"border": "none", "padding": 0, "margin": 0},
                ),
                rx.button(t("Add endpoint"), type="submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AdminWebhooksState.create_endpoint,
            key=AdminWebhooksState.form_key,
        ),
        width="100%",
    )


def _new_secret() -> rx.Component:
    return rx.cond(
        AdminWebhooksState.new_secret != "",
        rx.callout.root(
            rx.callout.text(
                rx.vstack(
                    rx.text(t("The signing secret of "), rx.code(AdminWebhooksState.new_secret_url),
                            t(". Copy it now: it is not shown again.")),
                    rx.code(AdminWebhooksState.new_secret, data_testid="webhook-secret", size="3"),
                    rx.button(t("I have copied it"), size="1", variant="soft",
                              on_click=AdminWebhooksState.dismiss_secret),
                    spacing="2",
                    align="start",
                ),
            ),
            color_scheme="amber",
            role="status",
            width="100%",
        ),
    )


def _endpoint_row(endpoint: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(endpoint["url"])),
        rx.table.cell(rx.text(endpoint["events"], size="2")),
        rx.table.cell(rx.cond(endpoint["is_active"], rx.badge(t("active"), color_scheme="green"),
                              rx.badge(t("paused"), color_scheme="gray"))),
        rx.table.cell(endpoint["pending"]),
        rx.table.cell(endpoint["failed"]),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    endpoint["is_active"],
                    rx.button(t("Pause"), size="1", variant="soft",
                              on_click=AdminWebhooksState.set_active(endpoint["id"], False),
                              aria_label=t("Pause {url}", url=endpoint['url'])),
                    rx.button(t("Resume"), size="1", variant="soft",
                              on_click=AdminWebhooksState.set_active(endpoint["id"], True),
                              aria_label=t("Resume {url}", url=endpoint['url'])),
                ),
                rx.alert_dialog.root(
                    rx.alert_dialog.trigger(rx.button(t("Remove"), size="1", variant="soft", color_scheme="red",
                                                      aria_label=t("Remove {url}", url=endpoint['url']))),
                    rx.alert_dialog.content(
                        rx.alert_dialog.title(t("Remove this endpoint?")),
                        rx.alert_dialog.description(endpoint["url"], t(" gets no more events, and its delivery log "
                                                                     "goes with it.")),
                        rx.hstack(
                            rx.alert_dialog.cancel(rx.button(t("Cancel"), variant="soft", color_scheme="gray")),
                            rx.alert_dialog.action(rx.button(
                                t("Remove"), color_scheme="red",
                                on_click=AdminWebhooksState.delete_endpoint(endpoint["id"]))),
                            justify="end",
                            spacing="3",
                        ),
                    ),
                ),
                spacing="2",
            )
        ),
        data_testid="endpoint-row",
    )


def _delivery_row(delivery: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(delivery["created"]),
        rx.table.cell(rx.text(delivery["event_type"]), rx.text(delivery["event_id"], size="1",
                                                                color=rx.color("gray", 11))),
        rx.table.cell(rx.code(delivery["url"], size="1")),
        rx.table.cell(rx.match(delivery["status"],
                               *[(status, rx.badge(status, color_scheme=colour))
                                 for status, colour in _STATUS_COLOURS.items()],
                               rx.badge(delivery["status"]))),
        rx.table.cell(delivery["attempts"]),
        rx.table.cell(delivery["response"], rx.cond(delivery["error"] != "",
                                                    rx.text(delivery["error"], size="1",
                                                            color=rx.color("gray", 11)))),
        rx.table.cell(rx.cond(delivery["status"] == "delivered", delivery["delivered"], delivery["next_attempt"])),
        rx.table.cell(rx.button(t("Resend"), size="1", variant="soft", on_click=AdminWebhooksState.resend(delivery["id"]),
                                aria_label=t("Resend delivery {id}", id=delivery['id']))),
        data_testid="delivery-row",
    )


def _delivery_log() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.heading(t("Delivery log"), size="4"),
            rx.select.root(
                rx.select.trigger(aria_label=t("Show deliveries of status")),
                rx.select.content(*[rx.select.item(choice, value=choice) for choice in STATUS_CHOICES]),
                value=AdminWebhooksState.log_status, on_change=AdminWebhooksState.set_log_status, size="1",
            ),
            rx.button(t("Refresh"), size="1", variant="soft", on_click=AdminWebhooksState.refresh),
            align="center",
            spacing="3",
        ),
        rx.text(t("The newest 50. Delivered shows when; pending shows the next attempt. A failed delivery was "
                "retried for 24 hours; Resend queues it again with the same event id."),
                size="2", color=rx.color("gray", 11)),
        empty_state(t("No deliveries yet"), shown=AdminWebhooksState.deliveries.length() == 0),
        rx.cond(
            AdminWebhooksState.deliveries.length() > 0,
            table_region(
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        t("Created"), t(in_context("Webhook delivery", "Event")), t("Endpoint"), t("Status"), t("Attempts"), t("Last response"), t("Delivered / next"),
                        "")])),
                    rx.table.body(rx.foreach(AdminWebhooksState.deliveries, _delivery_row)),
                    width="100%",
                ),
                label=t("Delivery log"),
            ),
        ),
        spacing="3",
        width="100%",
    )


@staff_page(route=routes.ADMIN_WEBHOOKS, title="Webhooks", on_load=AdminWebhooksState.load, roles=(Role.admin,))
def admin_webhooks() -> rx.Component:
    return rx.vstack(
        _new_secret(),
        _create_form(),
        rx.cond(
            AdminWebhooksState.endpoints.length() > 0,
            table_region(
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        "URL", t("Events"), t("Status"), t("Pending"), t("Failed"), "")])),
                    rx.table.body(rx.foreach(AdminWebhooksState.endpoints, _endpoint_row)),
                    width="100%",
                ),
                label=t("Webhook endpoints"),
            ),
        ),
        _delivery_log(),
        spacing="4",
        width="100%",
    )
