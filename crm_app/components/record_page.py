"""Building blocks of the pages that show one record (a deal, an order): its facts and its small tables."""

import reflex as rx

from crm_app.components.responsive import card_cell, table_region
from crm_app.components.translated import t

# What a screen reader calls each record table (by its test id).
TABLE_NAMES = {"stage-spell": "Stage history", "deal-task": "Tasks", "order-line-row": "Lines",
               "status-change": "Status history"}


def fact(label: str | rx.Var, value: rx.Var, test_id: str) -> rx.Component:
    """One labelled fact of the record, e.g. "Stage  Proposal"."""
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 11)), rx.text(value, size="2", data_testid=test_id),
        spacing="0",
    )


def linked_fact(label: str | rx.Var, text: rx.Var, href: rx.Var) -> rx.Component:
    """A labelled fact that is a link to another record, e.g. the customer."""
    return rx.vstack(rx.text(label, size="1", color=rx.color("gray", 11)), rx.link(text, href=href, size="2"),
                     spacing="0")


def rows_table(rows: rx.Var, columns: list[tuple[str | rx.Var, str]], test_id: str) -> rx.Component:
    """The rows (dicts of display-ready text) as a compact table, one column per (header, key); a card a row on a
    phone, its fields labelled by their headers."""
    return table_region(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(label) for label, _ in columns])),
            rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
                *[card_cell(rx.text(row[key], size="2"), label=None if i == 0 else label)
                  for i, (label, key) in enumerate(columns)], data_testid=test_id))),
            width="100%", size="1",
        ),
        label=t(TABLE_NAMES.get(test_id, "Details")), cards=True,
    )
