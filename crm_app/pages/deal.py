"""/deals/[deal_id]: one deal: facts, edit, stage history with time in each stage, tasks, its order, timeline."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.forms import field_error, text_field
from crm_app.components.record_page import fact, linked_fact, rows_table
from crm_app.components.shell import staff_page
from crm_app.components.timeline import timeline_panel
from crm_app.states.deal import STAGE_CHOICES, DealState


def _table(title: str, rows: rx.Var, columns: list[tuple[str, str]], test_id: str) -> rx.Component:
    return rx.vstack(
        rx.heading(title, size="4"),
        rx.cond(rows.length() > 0, rows_table(rows, columns, test_id),
                rx.text(t("None"), size="2", color=rx.color("gray", 11))),
        width="100%", spacing="2",
    )


def _facts() -> rx.Component:
    f = DealState.facts
    deal_fact = lambda label, key: fact(label, f[key], f"deal-{key}")  # noqa: E731
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(f["title"], size="6", data_testid="deal-heading"),
                rx.cond(f["overdue"] != "", rx.badge(t("Overdue"), color_scheme="red", data_testid="deal-overdue")),
                align="center", wrap="wrap",
            ),
            rx.grid(
                linked_fact(t("Customer"), f["customer"], f["customer_link"]),
                deal_fact(t("Amount"), "amount"), deal_fact(t("Stage"), "stage"), deal_fact(t("Probability"), "probability"),
                deal_fact(t("Expected close"), "close"), deal_fact(t("Owner"), "owner"),
                deal_fact(t("Lost reason"), "lost_reason"),
                deal_fact(t("Created"), "created"), deal_fact(t("Closed"), "closed"),
                columns=rx.breakpoints(initial="2", md="3"), spacing="3", width="100%",
            ),
            spacing="3", width="100%",
        ),
        width="100%",
    )


def _edit() -> rx.Component:
    errors = DealState.errors
    return rx.card(
        rx.vstack(
            rx.heading(t("Edit"), size="4"),
            rx.form(
                rx.vstack(
                    text_field(t("Title"), "title", errors, max_length=200, default_value=DealState.form["title"]),
                    text_field(t("Amount"), "amount", errors, input_mode="decimal", default_value=DealState.form["amount"]),
                    text_field(t("Expected close"), "expected_close_date", errors, type="date",
                               default_value=DealState.form["expected_close_date"]),
                    rx.button(t("Save"), type="submit"),
                    spacing="2", width="100%",
                ),
                on_submit=DealState.save_details,
                width="100%",
            ),
            rx.form(
                rx.vstack(
                    rx.el.label(t("Stage"), html_for="field-stage"),
                    rx.el.select(*[rx.el.option(t(stage), value=stage) for stage in STAGE_CHOICES],
                                 id="field-stage", name="stage", default_value=DealState.stage,
                                 style={"width": "100%", "padding": "0.4em"}),
                    field_error(errors, "stage"),
                    text_field(t("Lost reason (when moving to Lost)"), "lost_reason", errors, max_length=200),
                    rx.button(t("Change stage"), type="submit", variant="soft"),
                    spacing="2", width="100%",
                ),
                on_submit=DealState.change_stage,
                width="100%",
            ),
            rx.cond(
                DealState.can_reassign,
                rx.vstack(
                    rx.el.label(t("Owner"), html_for="deal-owner"),
                    rx.el.select(rx.foreach(DealState.owners, lambda o: rx.el.option(o["name"], value=o["id"])),
                                 id="deal-owner", value=DealState.owner_id, on_change=DealState.reassign,
                                 style={"width": "100%", "padding": "0.4em"}),
                    spacing="1", width="100%",
                ),
            ),
            spacing="4", width="100%",
        ),
        width="100%",
    )


def _order() -> rx.Component:
    o = DealState.order
    return rx.vstack(
        rx.heading(t("Order"), size="4"),
        rx.cond(
            DealState.order.length() > 0,
            rx.text(rx.link(o["number"], href=o["link"], data_testid="deal-order-link"), " · ", o["status"], " · ",
                    o["total"], size="2"),
            rx.text(t("No order yet."), size="2", color=rx.color("gray", 11)),
        ),
        spacing="2", width="100%",
    )


@staff_page(route=routes.DEAL, title="Deal", on_load=DealState.load)
def deal() -> rx.Component:
    return rx.cond(
        DealState.found,
        rx.vstack(
            _facts(),
            rx.cond(DealState.can_change, _edit()),
            _table(t("Stage history"), DealState.stages,
                   [(t("Stage"), "stage"), (t("Entered"), "entered"), (t("Left"), "left"), (t("Time in stage"), "spent")],
                   "stage-spell"),
            _table(t("Tasks"), DealState.tasks, [(t("Subject"), "subject"), (t("Kind"), "kind"), (t("Due"), "due"), ("", "done")],
                   "deal-task"),
            _order(),
            timeline_panel(),
            spacing="5", width="100%",
        ),
        rx.cond(DealState.missing != "",
                rx.callout(DealState.missing, icon="triangle-alert", color_scheme="red", data_testid="not-found")),
    )
