"""/import: customers or orders from a CSV file; a dry run lists every bad row before anything is written."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.shell import staff_page
from crm_app.data.repositories import imports
from crm_app.domain import ACQUISITION_CHANNELS, REGIONS, SEGMENTS
from crm_app.states.imports import IMPORTERS, SHOWN_PROBLEMS, UPLOAD_ID, ImportState

# What each kind of file holds; the README's "CSV import" section says the same at length.
COLUMN_HELP = {
    "customers": t(
        "Required: {required}. Optional: email, phone, company, owner_email. region: {regions}; segment: "
        "{segments}; channel: {channels}. Phones without +country code are read as US numbers. Sales reps import "
        "into their own book: leave owner_email empty or give your own.",
        required=", ".join(imports.CUSTOMER_REQUIRED), regions=", ".join(REGIONS), segments=", ".join(SEGMENTS),
        channels=", ".join(ACQUISITION_CHANNELS)),
    "orders": t(
        "Required: {required}. Optional: discount (0.1 or 10%), status (default paid), channel (online, store, "
        "phone or partner; default online). Rows sharing an external_ref are the lines of one order. ordered_at is "
        "an ISO date or date-time (UTC unless it says otherwise).", required=", ".join(imports.ORDER_REQUIRED)),
}


def _kind_picker() -> rx.Component:
    return rx.vstack(
        rx.el.label(t("What the file holds"), html_for="import-kind"),
        rx.select.root(
            rx.select.trigger(id="import-kind", aria_label=t("What the file holds")),
            rx.select.content(rx.select.item(t("Customers"), value="customers"), rx.select.item(t("Orders"), value="orders")),
            value=ImportState.kind,
            on_change=ImportState.choose_kind,
            disabled=ImportState.busy,
        ),
        rx.text(rx.cond(ImportState.kind == "customers", COLUMN_HELP["customers"], COLUMN_HELP["orders"]),
                size="2", color=rx.color("gray", 11), data_testid="import-columns"),
        spacing="1",
        width="100%",
    )


def _file_picker() -> rx.Component:
    # The label around the dropzone names its file input (react-dropzone's, which takes no props of ours) and opens it
    # on a click; the dropzone itself still opens it from the keyboard.
    return rx.vstack(
        rx.el.label(rx.upload(
            rx.vstack(
                rx.icon("file-up", size=28, aria_hidden="true"),
                rx.text(t("Drop a CSV file here, or press to choose one (UTF-8, {value} MB at most).", value=imports.MAX_UPLOAD_BYTES // (1024 * 1024))),
                rx.foreach(rx.selected_files(UPLOAD_ID),
                           lambda name: rx.text(name, weight="medium", data_testid="import-chosen-file")),
                align="center",
                spacing="2",
            ),
            id=UPLOAD_ID,
            accept={"text/csv": [".csv"], "application/vnd.ms-excel": [".csv"], "text/plain": [".csv", ".txt"]},
            multiple=False,
            max_files=1,
            max_size=imports.MAX_UPLOAD_BYTES,
            disabled=ImportState.busy,
            border=f"2px dashed {rx.color('gray', 7)}",
            border_radius="var(--radius-3)",
            padding="1.5em",
            width="100%",
            cursor="pointer",
            aria_label=t("CSV file to import"),
            no_click=True,
            data_testid="import-dropzone",
        ), width="100%"),
        rx.cond(ImportState.file_error != "",
                rx.text(ImportState.file_error, color=rx.color("red", 11), size="2", role="alert",
                        data_testid="import-file-error")),
        rx.hstack(
            rx.button(rx.icon("search-check", size=16), t("Check file"),
                      on_click=ImportState.receive_file(rx.upload_files(upload_id=UPLOAD_ID)),
                      disabled=ImportState.busy),
            rx.button(t("Start over"), variant="soft", color_scheme="gray", on_click=ImportState.start_over,
                      disabled=ImportState.busy),
            wrap="wrap",
        ),
        spacing="3",
        width="100%",
    )


def _progress() -> rx.Component:
    return rx.cond(
        ImportState.busy,
        rx.vstack(
            rx.text(rx.cond(ImportState.step == "writing", t("Writing "), t("Checking ")), ImportState.file_name, ": ",
                    ImportState.percent, " %", size="2", aria_live="polite"),
            rx.progress(value=ImportState.percent, max=100, aria_label=t("Import progress"), width="100%"),
            rx.text(t("You can leave this page: the import keeps running and tells you when it is done."), size="1",
                    color=rx.color("gray", 11)),
            width="100%",
            data_testid="import-progress",
        ),
    )


def _problem_row(problem: dict) -> rx.Component:
    return rx.table.row(
        rx.table.cell(problem["row"]), rx.table.cell(problem["column"]), rx.table.cell(problem["reason"]),
        data_testid="import-problem",
    )


def _problems() -> rx.Component:
    return rx.cond(
        ImportState.problem_count > 0,
        rx.vstack(
            rx.heading(t("Rows that will not be imported"), size="4"),
            rx.box(
                rx.table.root(
                    rx.table.header(rx.table.row(rx.table.column_header_cell(t("Row")),
                                                 rx.table.column_header_cell(t("Column")),
                                                 rx.table.column_header_cell(t("Reason")))),
                    rx.table.body(rx.foreach(ImportState.problems, _problem_row)),
                    size="1",
                    width="100%",
                ),
                max_height="24em",
                overflow="auto",
                width="100%",
            ),
            rx.hstack(
                rx.cond(ImportState.more_problems > 0,
                        rx.text(t("The first {SHOWN_PROBLEMS} are shown; ", SHOWN_PROBLEMS=SHOWN_PROBLEMS), ImportState.more_problems, t(" more are in "
                                "the download."), size="2")),
                rx.button(rx.icon("download", size=16), t("Download all problems"), variant="soft",
                          on_click=ImportState.download_problems("csv")),
                rx.button(rx.icon("sheet", size=16), t("Download as Excel"), variant="soft",
                          on_click=ImportState.download_problems("xlsx")),
                align="center",
                wrap="wrap",
            ),
            width="100%",
        ),
    )


def _result() -> rx.Component:
    checked = ImportState.step == "checked"
    return rx.cond(
        (ImportState.step == "checked") | (ImportState.step == "written"),
        rx.card(
            rx.vstack(
                rx.heading(rx.cond(checked, t("Preview: nothing is written yet"), t("Imported")), size="4"),
                rx.text(ImportState.summary, data_testid="import-summary"),
                rx.cond(ImportState.ignored_columns != "",
                        rx.text(t("Ignored columns: "), ImportState.ignored_columns, size="2")),
                _problems(),
                rx.cond(
                    checked,
                    rx.hstack(
                        rx.button(rx.icon("check", size=16), t("Import "), ImportState.good_records, t(" records"),
                                  on_click=ImportState.confirm_import, disabled=ImportState.good_records == 0,
                                  data_testid="import-confirm"),
                        rx.text(t("Bad rows are skipped; the good ones are written together or not at all."), size="2",
                                color=rx.color("gray", 11)),
                        align="center",
                        wrap="wrap",
                    ),
                ),
                spacing="3",
                width="100%",
            ),
            width="100%",
        ),
    )


@staff_page(route=routes.IMPORT, title="Import", on_load=ImportState.load, roles=IMPORTERS)
def import_page() -> rx.Component:
    return rx.vstack(
        rx.text(t("Create or update customers and orders from a CSV file, matched by external_ref: importing the "
                "same file again changes nothing."), size="2"),
        _kind_picker(),
        _file_picker(),
        _progress(),
        _result(),
        spacing="5",
        width="100%",
        max_width="60em",
    )
