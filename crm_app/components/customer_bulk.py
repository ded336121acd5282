"""The bulk actions of /customers: the bar shown while rows are selected ("12 customers selected", "Select all
1,234 customers matching"), and the change-owner and create-task dialogs. The server checks everything again."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t
from crm_app.components.forms import field_error, task_fields
from crm_app.states.customers import UNASSIGNED, CustomersState as S

def bulk_bar() -> rx.Component:
    offer_all = S.page_selected & ~S.all_matching & (S.total > S.rows.length())
    return rx.cond(
        S.selection_label != "",
        rx.flex(
            rx.text(S.selection_label, size="2", weight="medium", data_testid="selection-label"),
            rx.cond(offer_all, rx.button(t("Select all "), S.total_label, t(" matching"), variant="ghost", size="1",
                                         on_click=S.select_all_matching)),
            rx.cond(S.can_reassign, rx.button(rx.icon("user-cog", size=14), t("Change owner"), size="1",
                                              on_click=S.show_bulk_dialog("owner"))),
            rx.cond(S.can_log_activity, rx.button(rx.icon("list-plus", size=14), t("Create a task for each"), size="1",
                                                  on_click=S.show_bulk_dialog("task"))),
            rx.cond(S.can_add_to_campaign, rx.button(rx.icon("megaphone", size=14), t("Add to a campaign"), size="1",
                                                     on_click=S.show_bulk_dialog("campaign"))),
            rx.button(rx.icon("download", size=14), t("Export selection"), size="1", variant="soft",
                      on_click=S.export_selected("csv")),
            rx.button(rx.icon("sheet", size=14), t("Export selection as Excel"), size="1", variant="soft",
                      on_click=S.export_selected("xlsx")),
            rx.button(t("Clear selection"), size="1", variant="soft", color_scheme="gray", on_click=S.clear_selection),
            spacing="3", align="center", wrap="wrap", padding="2", width="100%",
            background=rx.color("accent", 3), border_radius="6px", data_testid="bulk-bar",
        ),
    )


def _buttons(label: str) -> rx.Component:
    return rx.hstack(
        rx.button(t("Cancel"), type="button", variant="soft", color_scheme="gray", on_click=S.show_bulk_dialog("")),
        rx.button(label, type="submit"),
        justify="end", width="100%",
    )


def _owner_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Change the owner of "), S.selection_label.lower()),
            rx.form(
                rx.vstack(
                    rx.el.label(t("New owner"), html_for="field-owner_id"),
                    rx.el.select(
                        rx.el.option(t("Choose…"), value=""),
                        rx.foreach(S.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                        rx.el.option(t("Nobody (unassigned)"), value=UNASSIGNED),
                        name="owner_id", id="field-owner_id", aria_describedby="owner_id-error",
                    ),
                    field_error(S.bulk_errors, "owner_id"),
                    _buttons(t("Reassign")),
                    spacing="3",
                ),
                on_submit=S.bulk_reassign,
                reset_on_submit=False,
            ),
        ),
        open=S.bulk_dialog == "owner",
        on_open_change=lambda _open: S.show_bulk_dialog(""),
    )


def _task_dialog() -> rx.Component:
    errors = S.bulk_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("A task for each of "), S.selection_label.lower()),
            rx.form(
                rx.vstack(
                    *task_fields(errors, due_on=S.default_due_on, due_time=S.default_due_time,
                                 time_zone=S.time_zone),
                    _buttons(t("Create tasks")),
                    spacing="3",
                ),
                on_submit=S.bulk_create_tasks,
                reset_on_submit=False,
                key=S.default_due_on + S.default_due_time,
            ),
        ),
        open=S.bulk_dialog == "task",
        on_open_change=lambda _open: S.show_bulk_dialog(""),
    )


def _campaign_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("Add "), S.selection_label.lower(), t(" to a campaign")),
            rx.dialog.description(t("Only customers who consent to the campaign's channel join it, each once; its "
                                  "holdout is drawn again over the whole audience."), size="2"),
            rx.form(
                rx.vstack(
                    rx.el.label(t("Campaign (drafts)"), html_for="field-campaign_id"),
                    rx.el.select(
                        rx.el.option(t("Choose…"), value=""),
                        rx.foreach(S.draft_campaigns, lambda c: rx.el.option(c["name"], value=c["id"])),
                        name="campaign_id", id="field-campaign_id", aria_describedby="campaign_id-error",
                    ),
                    field_error(S.bulk_errors, "campaign_id"),
                    _buttons(t("Add to campaign")),
                    spacing="3",
                ),
                on_submit=S.bulk_add_to_campaign,
                reset_on_submit=False,
            ),
        ),
        open=S.bulk_dialog == "campaign",
        on_open_change=lambda _open: S.show_bulk_dialog(""),
    )


def bulk_dialogs() -> rx.Component:
    return rx.fragment(_owner_dialog(), _task_dialog(), _campaign_dialog())
