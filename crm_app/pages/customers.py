"""/customers: the customers this user may see, searchable, filterable, sortable, 50 a page."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.empty_state import empty_state
from crm_app.components.filters import filter_menu
from crm_app.components.customer_form import customer_form_dialog
from crm_app.components.pager import pager
from crm_app.components.responsive import card_cell, screen_reader_only, table_region
from crm_app.components.shell import staff_page
from crm_app.components.saved_views import saved_views_menu
from crm_app.components.customer_bulk import bulk_bar, bulk_dialogs
from crm_app.states.auth import AuthState
from crm_app.states.customer_form import CustomerFormState
from crm_app.states.customers import CHURN_RISK, CustomersState

COLUMNS = [(t("Name"), "name"), (t("Company"), "company"), (t("Email"), None), (t("Phone"), None), (t("Region"), "region"),
           (t("Segment"), "segment"), (t("Owner"), None), (t("Open deals"), None)]


def _reset_filters() -> rx.Component:
    return rx.button(t("Reset filters"), variant="soft", color_scheme="gray", on_click=CustomersState.reset_filters,
                     align_self="end")


def _new_customer() -> rx.Component:
    # Shown to those who may add customers (admins and sales reps); the server checks again on every event.
    return rx.cond((AuthState.user_role == "admin") | (AuthState.user_role == "sales_rep"),
                   rx.button(rx.icon("plus", size=16), t("New customer"), on_click=CustomerFormState.open_new,
                             align_self="end"))


def _filters() -> rx.Component:
    return rx.flex(
        rx.form(
            rx.hstack(
                rx.input(name="q", default_value=CustomersState.search, placeholder=t("Name, email, company or phone"),
                         aria_label=t("Search customers"), width="18em", key=CustomersState.search),
                rx.button(t("Search"), type="submit"),
            ),
            on_submit=CustomersState.search_for,
            align_self="end",
        ),
        filter_menu(CustomersState, t("Region"), "region", CustomersState.region,
                    [rx.foreach(CustomersState.regions, lambda r: rx.select.item(r, value=r))]),
        filter_menu(CustomersState, t("Segment"), "segment", CustomersState.segment,
                    [rx.foreach(CustomersState.segments, lambda s: rx.select.item(s, value=s))]),
        rx.cond(
            CustomersState.shows_owner_filter,
            filter_menu(CustomersState, t("Owner"), "owner", CustomersState.owner,
                        [rx.foreach(CustomersState.owners, lambda o: rx.select.item(o["name"], value=o["id"]))]),
        ),
        filter_menu(CustomersState, t("Open deals"), "open_deals", CustomersState.open_deals,
                    [rx.select.item(t("Has open deals"), value="yes"), rx.select.item(t("No open deals"), value="no")]),
        filter_menu(CustomersState, t("Churn risk"), "risk", CustomersState.risk,
                    [rx.select.item(t("On the last churn fit's list"), value=CHURN_RISK)]),
        _reset_filters(),
        saved_views_menu(CustomersState),
        rx.button(rx.icon("download", size=16), t("Export CSV"), variant="soft", on_click=CustomersState.export("csv"),
                  align_self="end"),
        rx.button(rx.icon("sheet", size=16), t("Export Excel"), variant="soft", on_click=CustomersState.export("xlsx"),
                  align_self="end"),
        _new_customer(),
        wrap="wrap",
        spacing="3",
        align="end",
    )


def _header(label: str, column: str | None) -> rx.Component:
    if column is None:
        return rx.table.column_header_cell(label)
    arrow = rx.cond(CustomersState.sort == column, rx.cond(CustomersState.order == "asc", " ↑", " ↓"), "")
    return rx.table.column_header_cell(
        rx.button(label, arrow, variant="ghost", size="1", on_click=CustomersState.sort_by(column),
                  aria_label=t("Sort by {label}", label=label)),
        aria_sort=rx.cond(CustomersState.sort == column,
                          rx.cond(CustomersState.order == "asc", "ascending", "descending"), "none"),
    )


def _row(row: dict) -> rx.Component:
    # The phone card: the name, then the tick box, the company and the phone number, and Log activity.
    return rx.table.row(
        rx.table.cell(rx.checkbox(checked=CustomersState.selected.contains(row["id"]),
                                  on_change=lambda ticked: CustomersState.tick(row["id"], ticked),
                                  aria_label=t("Select {value}", value=row["name"]), data_testid="select-customer")),
        card_cell(rx.link(row["name"], href=row["link"]), class_name="card-title"),
        *[card_cell(row[key], label=label, phone=key in ("company", "phone"))
          for label, key in ((t("Company"), "company"), (t("Email"), "email"), (t("Phone"), "phone"), (t("Region"), "region"),
                             (t("Segment"), "segment"), (t("Owner"), "owner"), (t("Open deals"), "open_deals"))],
        rx.table.cell(rx.cond(CustomersState.can_log_activity, rx.link(
            rx.icon("message-square-plus", size=14), t("Log activity"), href=row["log_link"], size="2",
            aria_label=t("Log activity for {value}", value=row["name"]), data_testid="log-activity-link"))),
        data_testid="customer-row",
    )


@staff_page(route=routes.CUSTOMERS, title="Customers", on_load=CustomersState.load)
def customers() -> rx.Component:
    return rx.vstack(
        customer_form_dialog(),
        _filters(),
        rx.text(CustomersState.total_label, size="2", data_testid="customers-total"),
        bulk_bar(),
        bulk_dialogs(),
        rx.cond(CustomersState.churn_fitted != "",
                rx.text(t("At churn risk as fitted on Insights "), CustomersState.churn_fitted, size="2",
                        color=rx.color("gray", 11))),
        table_region(
            rx.table.root(
                rx.table.header(rx.table.row(
                    rx.table.column_header_cell(rx.checkbox(
                        checked=CustomersState.page_selected, on_change=CustomersState.tick_page,
                        aria_label=t("Select every customer on this page"))),
                    *[_header(label, column) for label, column in COLUMNS],
                    rx.table.column_header_cell(screen_reader_only(t("Actions"))))),
                rx.table.body(rx.foreach(CustomersState.rows, _row)),
                width="100%",
                size="1",
            ),
            label=t("Customers"),
            cards=True,
        ),
        empty_state(t("No customers match"), _reset_filters(), _new_customer(), shown=CustomersState.total == 0),
        pager(CustomersState),
        spacing="4",
        width="100%",
    )
