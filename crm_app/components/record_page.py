"""Building blocks of the pages that show one record (a deal, an order): its facts and its small tables."""

import reflex as rx


def fact(label: str, value: rx.Var, test_id: str) -> rx.Component:
    """One labelled fact of the record, e.g. "Stage  Proposal"."""
    return rx.vstack(
        rx.text(label, size="1", color=rx.color("gray", 10)), rx.text(value, size="2", data_testid=test_id),
        spacing="0",
    )


def linked_fact(label: str, text: rx.Var, href: rx.Var) -> rx.Component:
    """A labelled fact that is a link to another record, e.g. the customer."""
    return rx.vstack(rx.text(label, size="1", color=rx.color("gray", 10)), rx.link(text, href=href, size="2"),
                     spacing="0")


def rows_table(rows: rx.Var, columns: list[tuple[str, str]], test_id: str) -> rx.Component:
    """The rows (dicts of display-ready text) as a compact table, one column per (header, key)."""
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(label) for label, _ in columns])),
            rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
                *[rx.table.cell(rx.text(row[key], size="2")) for _, key in columns], data_testid=test_id))),
            width="100%", size="1",
        ),
        overflow_x="auto", width="100%",
    )
