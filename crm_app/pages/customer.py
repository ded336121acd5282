"""/customers/[customer_id]: one customer's file."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.customer_form import customer_form_dialog
from crm_app.components.privacy import privacy_section
from crm_app.components.responsive import card_cell, table_region
from crm_app.components.shell import staff_page
from crm_app.components.timeline import timeline_panel
from crm_app.states.customer import CustomerState
from crm_app.states.customer_form import CustomerFormState


def _cell(row: rx.Var, key: str, linked: str | None, label: str | None) -> rx.Component:
    if key == linked:
        return card_cell(rx.link(row[key], href=row["link"], size="2"), label=label)
    # Free text stays text: never rendered as HTML or markdown.
    return card_cell(rx.text(row[key], size="2"), label=label)


def _table(title: str, rows: rx.Var, columns: list[tuple[str, str]], test_id: str,
           linked: str | None = None) -> rx.Component:
    """A titled table; the `linked` column opens the row's own page (its "link")."""
    return rx.vstack(
        rx.heading(title, size="4"),
        rx.cond(
            rows.length() > 0,
            table_region(
                rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(label) for label, _ in columns])),
                    rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
                        *[_cell(row, key, linked, None if i == 0 else label) for i, (label, key) in enumerate(columns)],
                        data_testid=test_id,
                    ))),
                    width="100%",
                    size="1",
                ),
                label=title,
                cards=True,
            ),
            rx.text(t("None"), size="2", color=rx.color("gray", 11)),
        ),
        width="100%",
        spacing="2",
    )


def _confirm(trigger: rx.Component, title: str, description: rx.Component | str, action: str,
             on_confirm: rx.EventHandler) -> rx.Component:
    """A destructive action that asks first."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button(t("Cancel"), variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(action, color_scheme="red", on_click=on_confirm)),
                justify="end",
                spacing="3",
            ),
        ),
    )


def _actions() -> rx.Component:
    return rx.hstack(
        rx.button(rx.icon("pencil", size=16), t("Edit"), on_click=CustomerFormState.open_edit(CustomerState.customer_id)),
        _confirm(
            rx.button(rx.icon("trash-2", size=16), t("Delete"), variant="soft", color_scheme="red"),
            t("Delete this customer?"),
            t("Only a customer without orders, deals, tasks, feedback or campaigns can be deleted; merge the others."),
            t("Delete"),
            CustomerState.delete_customer,
        ),
        wrap="wrap",
    )


def _merge_candidates() -> rx.Component:
    return rx.cond(
        CustomerState.can_edit & (CustomerState.merge_candidates.length() > 0),
        rx.vstack(
            rx.heading(t("Possible duplicates"), size="4"),
            rx.foreach(CustomerState.merge_candidates, lambda d: rx.card(
                rx.flex(
                    rx.vstack(
                        rx.link(d["name"], href=d["link"]),
                        rx.text(d["company"], t(" · owner: "), d["owner"], " · ", d["reasons"], size="1"),
                        spacing="0",
                    ),
                    rx.spacer(),
                    _confirm(
                        rx.button(t("Merge into this customer"), size="1", variant="soft", color_scheme="orange",
                                  aria_label=t("Merge {name} into this customer", name=d['name'])),
                        t("Merge these two customers?"),
                        rx.text(d["name"], t("'s orders, deals, tasks and feedback move to this customer, its empty "
                                "fields are filled from "), d["name"], t(", and "), d["name"], t("'s record is deleted.")),
                        t("Merge"),
                        CustomerState.merge_into_this(d["id"]),
                    ),
                    wrap="wrap", gap="2", width="100%", align="center",
                ),
                width="100%",
                data_testid="merge-candidate",
            )),
            width="100%",
            spacing="2",
        ),
    )


def _profile() -> rx.Component:
    p = CustomerState.profile
    fact = lambda label, key: rx.vstack(  # noqa: E731
        rx.text(label, size="1", color=rx.color("gray", 11)), rx.text(p[key], size="2"), spacing="0",
    )
    return rx.card(
        rx.vstack(
            rx.heading(p["name"], size="6", data_testid="customer-name"),
            rx.grid(
                fact(t("Company"), "company"), fact(t("Email"), "email"), fact(t("Phone"), "phone"),
                fact(t("Region"), "region"), fact(t("Segment"), "segment"), fact(t("Acquired through"), "channel"),
                fact(t("Owner"), "owner"), fact(t("External ref"), "external_ref"), fact(t("Contact consent"), "consent"),
                columns=rx.breakpoints(initial="2", md="3"),
                spacing="3",
                width="100%",
            ),
            rx.cond(CustomerState.can_edit, _actions()),
            rx.cond(
                CustomerState.can_send_survey,
                rx.hstack(
                    rx.button(t("Create survey link"), on_click=CustomerState.create_survey_link, variant="soft"),
                    rx.cond(CustomerState.can_email_survey,
                            rx.button(rx.icon("mail", size=16), t("Email survey invitation"),
                                      on_click=CustomerState.email_survey_invitation, variant="soft")),
                    rx.button(rx.link(rx.icon("list-checks", size=16), t("New task"),
                                      href=f"{routes.TASKS}?customer={CustomerState.customer_id}"),
                              as_child=True, variant="soft"),
                    rx.button(rx.link(rx.icon("receipt", size=16), t("New order"),
                                      href=f"{routes.ORDER_NEW}?customer={CustomerState.customer_id}"),
                              as_child=True, variant="soft"),
                    rx.cond(CustomerState.survey_link != "",
                            rx.input(value=CustomerState.survey_link, read_only=True, width="100%",
                                     aria_label=t("Survey link"), data_testid="survey-link")),
                    width="100%",
                    align="center",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


@staff_page(route=routes.CUSTOMER, title="Customer", on_load=CustomerState.load)
def customer() -> rx.Component:
    return rx.cond(
        CustomerState.found,
        rx.vstack(
            customer_form_dialog(),
            _profile(),
            _merge_candidates(),
            rx.grid(
                rx.foreach(CustomerState.figures, lambda f: rx.card(
                    rx.text(f["label"], size="1", color=rx.color("gray", 11)),
                    rx.text(f["value"], size="5", weight="bold"),
                    data_testid="lifetime-figure",
                )),
                columns=rx.breakpoints(initial="2", md="5"),
                spacing="3",
                width="100%",
            ),
            _table(t("Open tasks"), CustomerState.tasks, [(t("Due"), "due"), (t("Kind"), "kind"), (t("Subject"), "subject")],
                   "task-row"),
            _table(t("Deals"), CustomerState.deals, [(t("Title"), "title"), (t("Stage"), "stage"), (t("Amount"), "amount"),
                                                  (t("Expected close"), "close")], "deal-row", linked="title"),
            _table(t("Recent orders"), CustomerState.orders, [(t("Order"), "number"), (t("Date"), "date"), (t("Status"), "status"),
                                                           (t("Channel"), "channel"), (t("Total"), "total")], "order-row",
                   linked="number"),
            _table(t("Feedback"), CustomerState.feedback, [(t("Date"), "date"), (t("CSAT"), "csat"), (t("NPS"), "nps"),
                                                        (t("Comment"), "comment")], "feedback-row"),
            timeline_panel(),
            privacy_section(),
            spacing="5",
            width="100%",
        ),
        rx.text(t("No such customer, or not one of yours."), data_testid="customer-missing"),
    )
