"""/insights (executives, admins and marketers): one tab per model (segments with the segment map, CLV, churn risk
with follow-up tasks, forecast, data quality, win probability), each with its headline first and its tables below."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.analytics.charts import MAP_HEIGHT_PX
from crm_app.analytics.segment_map import MAP_POINTS
from crm_app.components.forms import field_error, text_field
from crm_app.components.plot_card import plot_card
from crm_app.components.responsive import table_region
from crm_app.components.shell import staff_page
from crm_app.domain import CampaignChannel
from crm_app.states.insights import READERS, InsightsState
from crm_app.states.map_audience import NEW_CAMPAIGN, MapAudienceState

CHANNELS = [channel.value for channel in CampaignChannel]


# What a screen reader calls each table (by its rows' test id).
TABLE_NAMES = {"segment-row": "Segments", "silhouette-row": "Silhouette", "cluster-row": "Clusters",
               "clv-row": "Customer lifetime value", "churn-backtest-row": "Churn backtest",
               "forecast-backtest-row": "Forecast backtest", "quality-field-row": "Completeness",
               "winprob-comparison-row": "Win model comparison", "winprob-pipeline-row": "Win probability"}


def _table(columns: list[tuple[str, str]], rows: rx.Var, test_id: str, *, link: str | None = None) -> rx.Component:
    """A compact table of display-ready rows; the `link` column's text links to the row's "link"."""

    def cell(row: rx.Var, key: str) -> rx.Component:
        return rx.table.cell(rx.link(row[key], href=row["link"]) if key == link else rx.text(row[key]))

    return _scrolling_table(
        [rx.table.column_header_cell(label) for label, _ in columns],
        rx.foreach(rows, lambda row: rx.table.row(*[cell(row, key) for _, key in columns], data_testid=test_id)),
        t(TABLE_NAMES[test_id]),
    )


def _scrolling_table(header: list[rx.Component], body: rx.Component, label: str | rx.Var) -> rx.Component:
    """A table that scrolls sideways inside its card at phone width (a focusable region: axe)."""
    return table_region(
        rx.table.root(rx.table.header(rx.table.row(*header)), rx.table.body(body), size="1", width="100%"),
        label=label,
    )


def _section(title: str, name: str, *content: rx.Component) -> rx.Component:
    """A model's tab: its title and headline, when it was fitted and on how many rows, why it is missing if it is,
    then its tables."""
    return rx.card(
        rx.vstack(
            rx.heading(title, size="5", as_="h2"),
            rx.cond(InsightsState.headlines[name] != "",
                    rx.text(InsightsState.headlines[name], size="4", weight="medium", data_testid=f"headline-{name}")),
            rx.text(InsightsState.fitted[name], size="1", color=rx.color("gray", 11), data_testid=f"fitted-{name}"),
            rx.cond(InsightsState.problems[name] != "",
                    rx.callout(InsightsState.problems[name], icon="triangle-alert", color_scheme="amber")),
            *content,
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _note(text: rx.Var) -> rx.Component:
    return rx.text(text, size="2", color=rx.color("gray", 11))


def _segments() -> rx.Component:
    return _section(
        t("Segments"), "segments",
        rx.text(t("RFM segments of the "), InsightsState.segment_customers, t(" customers with a paid order"), size="2"),
        _table([(t("Segment"), "segment"), (t("Customers"), "customers"), (t("Share"), "share"),
                (t("Days since last order"), "recency"), (t("Orders"), "frequency"), (t("Spend"), "monetary")],
               InsightsState.segments, "segment-row"),
        rx.heading(t("Clusters"), size="3", as_="h3"),
        _note(InsightsState.cluster_note),
        rx.flex(
            _table([("k", "k"), (t("Silhouette"), "score"), ("", "chosen")], InsightsState.silhouette, "silhouette-row"),
            _table([(t("Cluster"), "cluster"), (t("Customers"), "customers"), (t("Share"), "share"),
                    (t("Days since last order"), "recency"), (t("Orders"), "frequency"), (t("Spend"), "monetary")],
                   InsightsState.clusters, "cluster-row"),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="4",
            width="100%",
        ),
        rx.cond(InsightsState.segment_map_summary != "", rx.vstack(
            rx.heading(t("Segment map"), size="3", as_="h3"),
            _note(t("The clustered customers on the two directions in which their log recency, frequency and spend vary most (PCA); at most {MAP_POINTS} are drawn.", MAP_POINTS=f"{MAP_POINTS:,}")),
            plot_card(InsightsState.segment_map, t("Segment map"), InsightsState.segment_map_summary,
                      on_selected=MapAudienceState.select_points, height_px=MAP_HEIGHT_PX),
            rx.cond(InsightsState.can_target, _map_audience()),
            spacing="3", width="100%")),
    )


def _map_audience() -> rx.Component:
    """The selection on the map as a campaign audience: its count first, then a new or an existing draft."""
    m = MapAudienceState
    return rx.card(rx.form(rx.vstack(
        rx.text(rx.cond(m.selected > 0, t("{count} customers selected on the map.", count=m.selected),
                        t("Select customers on the map with the box or lasso tool to make them an audience.")),
                size="2", data_testid="map-selected"),
        rx.el.label(t("Audience of"), html_for="field-map_target"),
        rx.el.select(rx.el.option(t("A new draft campaign"), value=NEW_CAMPAIGN),
                     rx.foreach(m.drafts, lambda d: rx.el.option(t("Draft: {value}", value=d["name"]), value=d["id"])),
                     id="field-map_target", name="map_target", default_value=NEW_CAMPAIGN,
                     style={"width": "100%", "padding": "0.4em"}),
        field_error(m.errors, "map_target"),
        rx.grid(
            text_field(t("New campaign's name"), "map_name", m.errors, max_length=200),
            rx.vstack(rx.el.label(t("Channel"), html_for="field-map_channel"),
                      rx.el.select(*[rx.el.option(c, value=c) for c in CHANNELS], id="field-map_channel",
                                   name="map_channel", default_value="phone",
                                   style={"width": "100%", "padding": "0.4em"}),
                      field_error(m.errors, "map_channel"), spacing="1", width="100%"),
            text_field(t("Email subject (email campaigns)"), "map_email_subject", m.errors, max_length=200),
            text_field(t("Email text (email campaigns)"), "map_email_body", m.errors, max_length=10_000),
            columns=rx.breakpoints(initial="1", md="2"), spacing="2", width="100%"),
        rx.cond(m.errors.contains("form"), rx.callout(m.errors["form"], icon="triangle-alert", color_scheme="red",
                                                       data_testid="map-audience-error")),
        rx.button(t("Make audience"), type="submit", disabled=m.selected == 0, data_testid="map-audience-submit"),
        rx.cond(m.note != "", rx.hstack(rx.text(m.note, size="2", data_testid="map-audience-note"),
                                        rx.link(t("Open the campaign"), href=m.link), spacing="2", wrap="wrap")),
        spacing="2", width="100%"),
        on_submit=MapAudienceState.make_audience, reset_on_submit=False, width="100%"), width="100%")


def _clv() -> rx.Component:
    return _section(
        t("Customer lifetime value"), "clv",
        _note(InsightsState.clv_parameters),
        _table([(t("Customer"), "name"), (t("Expected purchases (12 months)"), "purchases"), ("P(alive)", "alive"),
                (t("Expected order value"), "value"), ("CLV", "clv")], InsightsState.clv_rows, "clv-row", link="name"),
    )


def _churn_row(row: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.cond(
            InsightsState.can_create_tasks,
            rx.table.cell(rx.checkbox(
                checked=InsightsState.selected.contains(row["id"]),
                on_change=lambda ticked: InsightsState.toggle_customer(row["id"], ticked),
                aria_label=t("Select {value}", value=row["name"]),
            )),
        ),
        rx.table.cell(rx.link(row["name"], href=row["link"]), rx.text(row["owner"], size="1", color="gray")),
        rx.table.cell(row["probability"]),
        rx.table.cell(row["recency"]),
        rx.table.cell(row["drivers"]),
        data_testid="churn-row",
    )


def _churn() -> rx.Component:
    return _section(
        t("Churn risk"), "churn",
        _note(InsightsState.churn_note),
        _table([(t("Model"), "model"), ("AUC", "auc"), (t("Precision among the riskiest"), "precision")],
               InsightsState.churn_backtest, "churn-backtest-row"),
        rx.cond(
            InsightsState.can_create_tasks,
            rx.hstack(
                rx.button(t("Select all"), variant="soft", color_scheme="gray", on_click=InsightsState.select_all_at_risk),
                rx.button(rx.icon("list-plus", size=16), t("Create follow-up tasks"),
                          on_click=InsightsState.create_follow_up_tasks,
                          disabled=InsightsState.selected.length() == 0),
                rx.text(InsightsState.selected.length(), t(" selected"), size="2"),
                align="center",
                wrap="wrap",
            ),
        ),
        _scrolling_table(
            [rx.cond(InsightsState.can_create_tasks, rx.table.column_header_cell(t("Follow up"))),
             *[rx.table.column_header_cell(label) for label in
               (t("Customer"), t("Churn probability (90 days)"), t("Days since last order"), t("Main drivers"))]],
            rx.foreach(InsightsState.churn_rows, _churn_row),
            t("Customers at churn risk"),
        ),
    )


def _forecast() -> rx.Component:
    return _section(
        t("Revenue forecast"), "forecast",
        _note(InsightsState.forecast_note),
        rx.cond(InsightsState.forecast_backtest.length() > 0,
                rx.plotly(data=InsightsState.forecast, width="100%", aria_label=t("Revenue forecast chart"))),
        _table([(t("Model"), "model"), ("MAPE", "mape"), ("sMAPE", "smape"), ("", "chosen")],
               InsightsState.forecast_backtest, "forecast-backtest-row"),
    )


def _quality() -> rx.Component:
    return _section(
        t("Data quality"), "quality",
        rx.hstack(
            rx.vstack(rx.text(t("Overall score"), size="1"),
                      rx.heading(InsightsState.quality_overall, size="7", data_testid="quality-overall"), spacing="1"),
            *[rx.vstack(rx.text(label, size="1"), rx.text(InsightsState.quality_parts[key], size="4",
                                                          data_testid=f"quality-{key}"), spacing="1")
              for label, key in ((t("Fields"), "field_score"), (t("Uniqueness"), "uniqueness"),
                                 (t("Freshness (updated within a year)"), "freshness"))],
            spacing="6",
            wrap="wrap",
            align="end",
        ),
        _table([(t("Field"), "field"), (t("Completeness"), "completeness"), (t("Validity"), "validity"), (t("Score"), "score"),
                (t("Weight"), "weight")], InsightsState.quality_fields, "quality-field-row"),
        rx.heading(t("Records to fix"), size="3", as_="h3"),
        _note(InsightsState.quality_note),
        _scrolling_table(
            [rx.table.column_header_cell(t("Customer")), rx.table.column_header_cell(t("Problems"))],
            rx.foreach(InsightsState.quality_queue, lambda row: rx.table.row(
                rx.table.cell(rx.link(row["name"], href=row["link"])),
                rx.table.cell(
                    row["problems"],
                    rx.cond((row["problems"] != "") & (row["duplicate"] != ""), "; ", ""),
                    rx.cond(row["duplicate"] != "",
                            rx.link(row["duplicate"], href=row["duplicate_link"], data_testid="duplicate-link")),
                ),
                data_testid="quality-queue-row",
            )),
            t("Records to fix"),
        ),
    )


def _winprob() -> rx.Component:
    return _section(
        t("Win probability"), "winprob",
        _note(InsightsState.winprob_note),
        _table([(t("Method"), "method"), (t("Brier score"), "brier"), (t("Log loss"), "log_loss")],
               InsightsState.winprob_comparison, "winprob-comparison-row"),
        rx.heading(t("Weighted pipeline of the open deals"), size="3", as_="h3"),
        _table([(t("Stage"), "stage"), (t("Deals"), "deals"), (t("Amount"), "amount"), (t("By stage probability"), "by_stage"),
                (t("By win model"), "by_model")], InsightsState.winprob_pipeline, "winprob-pipeline-row"),
    )


TABS = (("segments", t("Segments"), _segments), ("clv", t("Lifetime value"), _clv), ("churn", t("Churn risk"), _churn),
        ("forecast", t("Forecast"), _forecast), ("quality", t("Data quality"), _quality), ("winprob", t("Win probability"), _winprob))


@staff_page(route=routes.INSIGHTS, title="Insights", on_load=InsightsState.load, roles=READERS)
def insights() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.button(rx.cond(InsightsState.refreshing, rx.spinner(size="2"), rx.icon("refresh-cw", size=16)),
                      rx.cond(InsightsState.refreshing, t("Refitting …"), t("Refit the models")),
                      on_click=InsightsState.refit, disabled=InsightsState.refreshing),
            rx.text(t("Models are fitted on the whole company as of today and stored; refit after new data arrives."),
                    size="2", color=rx.color("gray", 11)),
            align="center",
            wrap="wrap",
        ),
        rx.tabs.root(
            rx.tabs.list(*[rx.tabs.trigger(label, value=name, data_testid=f"tab-{name}") for name, label, _ in TABS],
                         wrap="wrap"),
            *[rx.tabs.content(section(), value=name, padding_top="1em") for name, _, section in TABS],
            default_value=TABS[0][0],
            width="100%",
        ),
        spacing="4",
        width="100%",
    )
