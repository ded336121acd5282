"""/cockpit: the business against its targets, sliced by period, region, segment, category, channel, rep and
deal stage."""

from collections.abc import Iterable

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.i18n import in_context
from crm_app.analytics.cockpit import COMPARISONS, KPIS, PRESETS
from crm_app.components.filters import native_filter_menu
from crm_app.components.kpi_card import kpi_card
from crm_app.components.near_view import near_view
from crm_app.components.plot_card import plot_card, steady_finance
from crm_app.components.responsive import PHONE_ONLY_BLOCK, WIDE_ONLY_FLEX, sheet, table_region
from crm_app.components.shell import staff_page
from crm_app.domain import OPEN_STAGES
from crm_app.states.cockpit import CHART_STATES, CockpitCards, CockpitState, CockpitSystem
from crm_app.states.cockpit_drill import CockpitDrill


def _choices(name: str) -> list:
    """The options of a slicer's menu: the values the data holds, known at run time."""
    return [rx.foreach(CockpitState.choices[name], lambda c: rx.el.option(c, value=c))]


def _options(pairs: Iterable[tuple[str, str]]) -> list[rx.Component]:
    """The options of a fixed menu: (value, English text) pairs, the text in the reader's language."""
    return [rx.el.option(t(text), value=key) for key, text in pairs]


def _filters(**layout) -> rx.Component:
    return rx.flex(
        native_filter_menu(CockpitState, t("Period"), "period", CockpitState.preset, _options(PRESETS.items()),
                           with_any=False),
        rx.form(
            rx.hstack(
                rx.input(type="date", name="from", default_value=CockpitState.date_from, aria_label=t("First day"),
                         key=CockpitState.date_from),
                rx.input(type="date", name="to", default_value=CockpitState.date_to, aria_label=t("Last day"),
                         key=CockpitState.date_to),
                rx.button(t("Apply dates"), type="submit", variant="soft"),
                wrap="wrap",
            ),
            on_submit=CockpitState.set_dates,
            align_self="end",
        ),
        native_filter_menu(CockpitState, t("Compare to"), "compare", CockpitState.compare,
                           _options(COMPARISONS.items()), with_any=False),
        native_filter_menu(CockpitState, t("Region"), "region", CockpitState.region, _choices("region")),
        native_filter_menu(CockpitState, t("Segment"), "segment", CockpitState.segment, _choices("segment")),
        native_filter_menu(CockpitState, t("Product category"), "category", CockpitState.category, _choices("category")),
        native_filter_menu(CockpitState, t("Channel"), "channel", CockpitState.channel, _choices("channel")),
        rx.cond(CockpitState.shows_rep_filter,
                native_filter_menu(CockpitState, t("Sales rep"), "rep", CockpitState.rep,
                                   [rx.foreach(CockpitState.reps, lambda r: rx.el.option(r["name"], value=r["id"]))])),
        native_filter_menu(CockpitState, t("Deal stage"), "stage", CockpitState.stage,
                           _options((stage, stage) for stage in OPEN_STAGES)),
        rx.button(t("Reset filters"), variant="soft", color_scheme="gray", on_click=CockpitState.reset_filters,
                  align_self="end"),
        **{"wrap": "wrap", "spacing": "3", "align": "end", **layout},
    )


def _filter_bar() -> rx.Component:
    """The filters in a row from 768 px up; on a phone in a sheet behind a Filters button (the same menus, the
    same state)."""
    return rx.fragment(
        _filters(display=WIDE_ONLY_FLEX),
        rx.box(
            sheet(
                rx.button(rx.icon("sliders-horizontal", size=16), t("Filters"), variant="soft"),
                t("Filters"),
                _filters(direction="column", align="stretch"),
                rx.dialog.close(rx.button(t("Show the figures"), width="100%")),
                close_label=t("Close filters"),
                side="right",
                data_testid="filters-sheet",
            ),
            display=PHONE_ONLY_BLOCK,
        ),
    )


def _targets_form() -> rx.Component:
    """Executives and admins set a KPI's target for the period and the scope on screen (the company, or the one
    region, segment or rep the filters show); other filter combinations have no target to set."""
    return rx.cond(
        CockpitState.can_set_targets,
        rx.cond(
            CockpitState.target_scope_text != "",
            rx.form(
                rx.hstack(
                    rx.select.root(
                        rx.select.trigger(placeholder=t("KPI"), aria_label=t("KPI of the target")),
                        rx.select.content(*[rx.select.item(t(k.label), value=k.key) for k in KPIS]),
                        name="kpi",
                    ),
                    rx.input(name="target", placeholder=t("Target (percent for rates)"), aria_label=t("Target value"),
                             width="14em"),
                    rx.button(t("Set target for "), CockpitState.target_scope_text, t(", this period"), type="submit",
                              data_testid="set-target"),
                    wrap="wrap",
                ),
                on_submit=CockpitState.save_target,
                reset_on_submit=True,
            ),
            rx.text(t("Targets are set for the company or for one region, segment or rep."), size="2",
                    color=rx.color("gray", 11)),
        ),
    )


def _slo_card(card: rx.Var) -> rx.Component:
    return rx.card(
        rx.text(card["label"], size="2", color=rx.color("gray", 11)),
        rx.heading(card["value"], size="5", color=rx.color(card["colour"], 11)),
        rx.text(card["target"], size="1"),
        data_testid=card["testid"],
    )


def _rows_table(caption: str, columns: list[tuple[str, str]], rows: rx.Var, testid: str) -> rx.Component:
    return rx.box(
        rx.heading(caption, size="3", as_="h3"),
        table_region(
            rx.table.root(
                rx.table.header(rx.table.row(*[rx.table.column_header_cell(title) for _, title in columns])),
                rx.table.body(rx.foreach(rows, lambda row: rx.table.row(
                    *[rx.table.cell(row[key]) for key, _ in columns]))),
                size="1",
                variant="surface",
            ),
            label=caption,
        ),
        width="100%",
        data_testid=testid,
    )


def _chart(key: str, label: str, **props) -> rx.Component:
    """A chart (its state by `key`, CHART_STATES) with its summary line and its "Show rows" (the drill-down of the
    same `key`). A filter change builds the charts near the viewport and redraws those in view; one scrolled far
    away keeps its figure, busy, until it comes near, and one just below the fold draws its new figure as it comes
    into view."""
    chart = CHART_STATES[key]
    return plot_card(chart.figure, label, chart.summary, on_rows=CockpitDrill.open_drill(key),
                     waits_off_screen=True, on_near=lambda near: CockpitState.show_section(key, near), section=key,
                     busy=chart.busy, **props)


def _drill_cell(value: rx.Var, index: rx.Var) -> rx.Component:
    """A drill-down value; an order's or a deal's number opens its page."""
    column = CockpitDrill.drill_columns[index]
    return rx.table.cell(rx.cond(
        column == "order", rx.link(value, href=routes.order_page("") + value),
        rx.cond(column == "deal", rx.link(value, href=routes.deal_page("") + value), value)))


def _drill_dialog() -> rx.Component:
    """The rows behind a chart, 50 a page, with a CSV of all of them."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(CockpitDrill.drill_title),
            rx.dialog.description(CockpitDrill.drill_total, size="2"),
            table_region(
                rx.table.root(
                    rx.table.header(rx.table.row(rx.foreach(CockpitDrill.drill_headings,
                                                            lambda c: rx.table.column_header_cell(c)))),
                    rx.table.body(rx.foreach(CockpitDrill.drill_rows, lambda row: rx.table.row(
                        rx.foreach(row, _drill_cell)))),
                    size="1",
                ),
                label=t("Rows behind the chart"), overflow_y="auto", max_height="60vh", data_testid="drill-table",
            ),
            rx.hstack(
                rx.button(t("Previous"), variant="soft", on_click=CockpitDrill.turn_drill_page(-1),
                          disabled=CockpitDrill.drill_page <= 0),
                rx.text(t("Page "), CockpitDrill.drill_page + 1, t(" of "), CockpitDrill.drill_pages, size="2"),
                rx.button(t("Next"), variant="soft", on_click=CockpitDrill.turn_drill_page(1),
                          disabled=CockpitDrill.drill_page + 1 >= CockpitDrill.drill_pages),
                rx.spacer(),
                rx.button(t("Download CSV"), on_click=CockpitDrill.download_drill("csv")),
                rx.button(t("Download Excel"), on_click=CockpitDrill.download_drill("xlsx")),
                rx.dialog.close(rx.button(t("Close"), variant="soft", color_scheme="gray")),
                width="100%", wrap="wrap", align="center",
            ),
            max_width="min(1100px, 95vw)",
        ),
        open=CockpitDrill.drill_open,
        on_open_change=CockpitDrill.close_drill,
    )


def _system_panels() -> rx.Component:
    """How fast and available the CRM itself was over the period, and which modules were used by whom."""
    return rx.cond(
        CockpitSystem.shows,
        near_view(rx.vstack(
            rx.heading(t("System performance"), size="4", as_="h2"),
            rx.grid(rx.foreach(CockpitSystem.slo_cards, _slo_card), columns=rx.breakpoints(initial="1", sm="2", lg="4"),
                    spacing="3", width="100%"),
            _rows_table(t("Slowest and busiest calls"),
                        [("kind", t("Kind")), ("name", t("Event or route")), ("count", t(in_context("Performance", "Calls"))), ("p50", "p50"),
                         ("p95", "p95"), ("p99", "p99"), ("errors", t("Errors"))],
                        CockpitSystem.latency_rows, "latency-table"),
            rx.heading(t("Usage"), size="4", as_="h2"),
            rx.grid(
                _rows_table(t("Events per module and role"), [("module", t("Module")), ("counts", t("Events by role"))],
                            CockpitSystem.usage_rows, "usage-table"),
                _rows_table(t("Completeness of each module's records"), [("module", t("Module")), ("share", t("Filled in"))],
                            CockpitSystem.completeness_rows, "completeness-table"),
                columns=rx.breakpoints(initial="1", lg="2"), spacing="3", width="100%",
            ),
            spacing="3",
            width="100%",
            aria_busy=CockpitSystem.busy,
        ), section=CockpitSystem.SECTION, on_near=lambda near: CockpitState.show_section(CockpitSystem.SECTION, near),
            width="100%"),
    )


@staff_page(route=routes.COCKPIT, title="Cockpit", on_load=CockpitState.load)
def cockpit() -> rx.Component:
    return rx.vstack(
        _filter_bar(),
        rx.text(CockpitState.period_text, t(" · compared with "), CockpitState.comparison_text, size="2",
                data_testid="cockpit-period"),
        rx.text(CockpitState.freshness_text, size="1", color=rx.color("gray", 11), data_testid="cockpit-freshness",
                role="status"),
        rx.cond(CockpitState.loading,
                rx.callout.root(rx.callout.text(t("Loading the figures; the page fills in by itself.")),
                                data_testid="cockpit-loading")),
        rx.grid(
            rx.foreach(CockpitCards.cards,
                       lambda card: kpi_card(card, CockpitState.filters_text, CockpitState.comparison_text)),
            columns=rx.breakpoints(initial="1", sm="2", lg="4"),
            spacing="3",
            width="100%",
        ),
        rx.cond(
            CockpitCards.suggestions.length() > 0,
            rx.callout.root(
                rx.callout.text(rx.foreach(CockpitCards.suggestions, lambda s: rx.text(s, as_="div"))),
                color_scheme="amber", high_contrast=True, width="100%", data_testid="gap-suggestions",
            ),
        ),
        _targets_form(),
        rx.grid(
            _chart("revenue", t("Revenue"), on_click=CockpitState.open_month),
            _chart("orders", t("Orders")),
            _chart("region", t("Region"), on_click=lambda points: CockpitState.filter_by_click("region", points)),
            _chart("segment", t("Segment"), on_click=lambda points: CockpitState.filter_by_click("segment", points)),
            _chart("category", t("Category"),
                   on_click=lambda points: CockpitState.filter_by_click("category", points)),
            _chart("customers", t("Customers")),
            _chart("cohorts", t("Cohorts")),
            _chart("pipeline", t("Pipeline"), on_click=CockpitDrill.filter_by_stage, plot=steady_finance),
            _chart("win-rate", t("Win rate")),
            _chart("satisfaction", t("Satisfaction")),
            _chart("campaigns", t("Campaigns")),
            columns=rx.breakpoints(initial="1", lg="2"),
            spacing="3",
            width="100%",
        ),
        rx.text(t("Detractors mention: "), rx.foreach(CockpitCards.detractor_topics, lambda t: rx.badge(t, margin="2px")),
                size="2"),
        _system_panels(),
        _drill_dialog(),
        spacing="4",
        width="100%",
    )
