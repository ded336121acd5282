"""/campaigns (list with response, uplift and ROI; a new campaign) and /campaigns/[campaign_id] (settings, audience,
start, figures against the holdout and the cumulative responses chart)."""

import reflex as rx

from crm_app.components.translated import t
from crm_app import routes
from crm_app.components.forms import field_error, select_field, text_field
from crm_app.components.plot_card import plot_card
from crm_app.components.record_page import fact
from crm_app.components.responsive import table_region
from crm_app.components.shell import staff_page
from crm_app.analytics import rfm
from crm_app.domain import REGIONS, SEGMENTS, CampaignChannel
from crm_app.i18n import in_context
from crm_app.labels import RFM_SEGMENT
from crm_app.states.budget_planner import BudgetPlannerState
from crm_app.states.campaigns import CampaignsState, CampaignState

CHANNELS = [channel.value for channel in CampaignChannel]


def _settings_fields(errors: rx.Var, form: rx.Var | None = None) -> list[rx.Component]:
    value = (lambda key, default="": form[key]) if form is not None else (lambda key, default="": default)  # noqa: E731
    return [
        text_field(t("Name"), "name", errors, max_length=200, default_value=value("name")),
        select_field(t("Channel"), "channel", CHANNELS, errors, "email") if form is None else
        rx.vstack(rx.el.label(t("Channel"), html_for="field-channel"),
                  rx.el.select(*[rx.el.option(c, value=c) for c in CHANNELS], id="field-channel", name="channel",
                               default_value=form["channel"], style={"width": "100%", "padding": "0.4em"}),
                  field_error(errors, "channel"), spacing="1", width="100%"),
        text_field(t("Offer"), "offer", errors, max_length=2000, default_value=value("offer")),
        text_field(t("Cost"), "cost", errors, input_mode="decimal", default_value=value("cost", "0")),
        text_field(t("Start"), "start_date", errors, type="date", default_value=value("start_date")),
        text_field(t("End"), "end_date", errors, type="date", default_value=value("end_date")),
        text_field(t("Attribution window (days)"), "attribution_days", errors, input_mode="numeric",
                   default_value=value("attribution_days", "30")),
        text_field(t("Holdout (%)"), "holdout_share", errors, input_mode="decimal",
                   default_value=value("holdout_share", "10")),
        text_field(t("Email subject ({name} is filled in)"), "email_subject", errors, max_length=200,
                   default_value=value("email_subject")),
        rx.vstack(rx.el.label(t("Email text ({name}, {survey_link} are filled in)"), html_for="field-email_body"),
                  rx.text_area(id="field-email_body", name="email_body", default_value=value("email_body"),
                               width="100%", rows="5"),
                  field_error(errors, "email_body"), spacing="1", width="100%"),
        field_error(errors, "form"),
    ]


def _error(errors: rx.Var, test_id: str) -> rx.Component:
    return rx.cond(errors.contains("form"), rx.callout(errors["form"], icon="triangle-alert", color_scheme="red",
                                                       data_testid=test_id))


def _plan_create_form() -> rx.Component:
    p = BudgetPlannerState
    errors = p.create_errors
    return rx.form(rx.vstack(
        rx.heading(t("Create the audience"), size="3", as_="h3"),
        rx.text(t("One draft campaign per channel of the plan, its audience the planned customers; the holdout is "
                "drawn from them as for any campaign and never contacted."), size="2", color=rx.color("gray", 11)),
        rx.grid(
            text_field(t("Campaign name"), "plan_name", errors, max_length=200, default_value=p.defaults["plan_name"]),
            text_field(t("Start"), "plan_start_date", errors, type="date", default_value=p.defaults["plan_start_date"]),
            text_field(t("End"), "plan_end_date", errors, type="date", default_value=p.defaults["plan_end_date"]),
            text_field(t("Holdout (%)"), "plan_holdout_share", errors, input_mode="decimal", default_value="10"),
            columns=rx.breakpoints(initial="1", md="2"), spacing="2", width="100%"),
        rx.cond(p.uses_email, rx.vstack(
            text_field(t("Email subject ({name} is filled in)"), "plan_email_subject", errors, max_length=200),
            rx.vstack(rx.el.label(t("Email text ({name}, {survey_link} are filled in)"), html_for="field-plan_email_body"),
                      rx.text_area(id="field-plan_email_body", name="plan_email_body", width="100%", rows="4"),
                      field_error(errors, "plan_email_body"), spacing="1", width="100%"),
            spacing="2", width="100%")),
        _error(errors, "plan-create-error"),
        rx.button(t("Create audience"), type="submit", data_testid="plan-create"),
        rx.foreach(p.created, lambda item: rx.hstack(
            rx.link(item["name"], href=item["link"]), rx.text(item["audience"], size="2"),
            spacing="2", data_testid="plan-created")),
        spacing="2", width="100%"),
        on_submit=BudgetPlannerState.create_audience, reset_on_submit=False, width="100%")


def _budget_planner() -> rx.Component:
    """Budget and costs per contact in, the contacts per segment and channel that maximise the expected
    incremental revenue out, and the plan made into draft campaigns."""
    p = BudgetPlannerState
    return rx.card(rx.vstack(
        rx.heading(t("Budget planner"), size="4", as_="h2"),
        rx.text(t("How many customers of each RFM segment to contact on each channel for the most expected incremental "
                "revenue (measured uplift × revenue per response), within the budget and the customers' consent. "
                "Leave a channel's cost blank to leave it out."), size="2", color=rx.color("gray", 11)),
        rx.form(rx.vstack(
            rx.grid(
                text_field(t("Budget"), "budget", p.errors, input_mode="decimal"),
                *[text_field(t("Cost per contact: {label}", label=label), f"cost_{code}", p.errors, input_mode="decimal")
                  for code, label in (("email", "email"), ("phone", "phone"), ("event", "event"), ("ads", "ads"))],
                columns=rx.breakpoints(initial="1", md="5"), spacing="2", width="100%"),
            _error(p.errors, "plan-error"),
            rx.button(t("Plan"), type="submit", data_testid="plan-submit"),
            spacing="2", width="100%"),
            on_submit=BudgetPlannerState.plan, reset_on_submit=False, width="100%"),
        rx.cond(p.planned, rx.vstack(
            rx.cond(p.rows.length() > 0,
                    table_region(rx.table.root(
                        rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                            t("Segment"), t("Channel"), t("Contacts"), t("Cost"), t("Uplift"), t("Uplift 95 %"),
                            t("Revenue per response"), t("Expected incremental revenue"))])),
                        rx.table.body(rx.foreach(p.rows, lambda row: rx.table.row(
                            *[rx.table.cell(rx.text(row[key], size="2")) for key in (
                                "segment", "channel", "contacts", "cost", "uplift", "uplift_range",
                                "revenue_per_response", "expected")],
                            data_testid="plan-row"))),
                        width="100%", size="1"), label=t("Budget plan")),
                    rx.text(t("The plan contacts nobody: no segment and channel with a cost has a positive measured "
                            "return within the budget."), size="2", data_testid="plan-empty")),
            rx.grid(*[fact(text, p.totals[key], f"plan-{key}") for text, key in (
                (t("Contacts"), "contacts"), (t("Spent of the budget"), "spent"), (t("Budget"), "budget"),
                (t("Expected incremental revenue"), "expected"), (t("Range (uplift 95 % interval)"), "range"))],
                columns=rx.breakpoints(initial="2", md="5"), spacing="3", width="100%"),
            rx.text(p.note, size="1", color=rx.color("gray", 11), data_testid="plan-note"),
            rx.cond(p.rows.length() > 0, _plan_create_form()),
            spacing="3", width="100%")),
        spacing="3", width="100%"), width="100%")


@staff_page(route=routes.CAMPAIGNS, title="Campaigns", on_load=CampaignsState.load)
def campaigns_page() -> rx.Component:
    return rx.vstack(  # headed by the shell's title
        rx.cond(CampaignsState.rows.length() > 0,
                table_region(rx.table.root(
                    rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in (
                        t("Campaign"), t("Channel"), t("Status"), t("Contacted"), t("Holdout"), t("Response"), t("Uplift"),
                        t("Uplift 95 %"), "ROI", t("Incremental ROI"))])),
                    rx.table.body(rx.foreach(CampaignsState.rows, lambda row: rx.table.row(
                        rx.table.cell(rx.link(row["name"], href=row["link"])),
                        *[rx.table.cell(rx.text(row[key], size="2")) for key in (
                            "channel", "status", "targets", "holdout", "response", "uplift", "uplift_range", "roi",
                            "incremental_roi")],
                        data_testid="campaign-row"))),
                    width="100%", size="1"), label=t("Campaigns")),
                rx.text(t("No campaigns yet."), size="2", color=rx.color("gray", 11))),
        rx.cond(
            CampaignsState.can_create,
            rx.card(rx.vstack(
                rx.heading(t("New campaign"), size="4"),
                rx.form(rx.vstack(*_settings_fields(CampaignsState.errors), rx.button(t("Create"), type="submit"),
                                  spacing="2", width="100%"),
                        on_submit=CampaignsState.create, width="100%"),
                width="100%"), width="100%"),
        ),
        rx.cond(CampaignsState.can_create, _budget_planner()),
        spacing="5", width="100%",
    )


def _facts() -> rx.Component:
    f = CampaignState.facts
    return rx.card(rx.vstack(
        rx.heading(f["name"], size="6", data_testid="campaign-heading"),
        rx.grid(*[fact(label, f[key], f"campaign-{key}") for label, key in (
            (t("Channel"), "channel"), (t("Status"), "status"), (t("Offer"), "offer"), (t("Cost"), "cost"), (t("Runs"), "dates"),
            (t("Attribution window"), "window"), (t("Holdout"), "holdout"), (t("Seed"), "seed"))],
            columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%"),
        rx.text(CampaignState.progress, size="2", data_testid="campaign-progress"),
        rx.cond(CampaignState.mail_notice != "", rx.callout(CampaignState.mail_notice, icon="info")),
        spacing="3", width="100%"), width="100%")


def _figures() -> rx.Component:
    g = CampaignState.figures
    rows = [(t("Targets"), "targets", "holdout_targets"), (t("Response rate"), "response", "holdout_response"),
            (t("95 % interval"), "response_range", "holdout_range")]
    return rx.card(rx.vstack(
        rx.heading(t("Figures against the holdout"), size="4"),
        rx.table.root(
            rx.table.header(rx.table.row(rx.table.column_header_cell(""), rx.table.column_header_cell(t("Contacted")),
                                         rx.table.column_header_cell(t("Holdout")))),
            rx.table.body(*[rx.table.row(rx.table.cell(label), rx.table.cell(rx.text(g[a], data_testid=f"figure-{a}")),
                                         rx.table.cell(rx.text(g[b], data_testid=f"figure-{b}")))
                            for label, a, b in rows]),
            size="1", width="100%"),
        rx.grid(*[fact(label, g[key], f"figure-{key}") for label, key in (
            (t("Uplift"), "uplift"), (t("Uplift 95 % (Newcombe)"), "uplift_range"),
            (t("Incremental revenue per target"), "revenue_per_target"), (t("95 % (bootstrap)"), "revenue_range"),
            (t("Attributed revenue"), "revenue"), (t("Incremental revenue"), "incremental_revenue"),
            (t("Cost per target"), "cost_per_target"), (t("Cost per incremental response"), "cost_per_incremental_response"),
            (t("Naive ROI"), "roi"), (t("Incremental ROI"), "incremental_roi"))],
            columns=rx.breakpoints(initial="2", md="4"), spacing="3", width="100%"),
        spacing="3", width="100%"), width="100%")


def _one_of(name: str, label: rx.Var, options: list[tuple[str, rx.Var]]) -> rx.Component:
    """A select of an audience source's values, headed by what it chooses (left there: any)."""
    return rx.el.select(rx.el.option(label, value=""), *(rx.el.option(text, value=code) for code, text in options),
                        name=name, aria_label=label, style={"width": "100%", "padding": "0.4em"})


def _audience() -> rx.Component:
    return rx.card(rx.vstack(
        rx.heading(t("Audience"), size="4"),
        rx.form(rx.vstack(
            rx.el.label(t("Source"), html_for="audience-source"),
            rx.el.select(rx.el.option(t("Customer filters (segment, region)"), value="filters"),
                         rx.el.option(t("A saved view of Customers"), value="view"),
                         rx.el.option(t("RFM segment of the last insights fit"), value="rfm"),
                         rx.el.option(t("KMeans cluster of the last insights fit"), value="cluster"),
                         rx.el.option(t("Churn risk, top N"), value="churn"),
                         rx.el.option(t("CSV of external refs"), value="refs"),
                         id="audience-source", name="source", default_value="filters",
                         style={"width": "100%", "padding": "0.4em"}),
            rx.el.label(t("Saved view of Customers (source “A saved view of Customers”)"), html_for="audience-view"),
            rx.el.select(rx.el.option(t("Choose…"), value=""),
                         rx.foreach(CampaignState.customer_views, lambda v: rx.el.option(v["name"], value=v["id"])),
                         id="audience-view", name="view_id", style={"width": "100%", "padding": "0.4em"}),
            rx.grid(
                _one_of("segment", t("Customer segment"), [(name, t(name)) for name in SEGMENTS]),
                _one_of("region", t("Region"), [(name, t(name)) for name in REGIONS]),
                _one_of("rfm_segment", t("RFM segment"),
                        [(name, t(in_context(RFM_SEGMENT, name))) for name in rfm.SEGMENTS]),
                rx.input(name="cluster", placeholder=t("Cluster number"), input_mode="numeric", aria_label=t("Cluster")),
                rx.input(name="churn_top", placeholder=t("Top N at risk"), input_mode="numeric",
                         aria_label=t("Top N at risk")),
                columns="2", spacing="2", width="100%"),
            rx.text_area(name="refs", placeholder=t("external_ref\nEXT-1\nEXT-2"), aria_label=t("External refs"), rows="3",
                         width="100%"),
            rx.hstack(rx.checkbox(t("Save as this campaign's audience"), name="save", data_testid="audience-save"),
                      rx.button(t("Count"), type="submit", data_testid="audience-submit"), align="center"),
            spacing="2", width="100%"),
            on_submit=CampaignState.choose_audience, width="100%"),
        rx.cond(CampaignState.audience_note != "", rx.text(CampaignState.audience_note, size="2",
                                                           data_testid="audience-note")),
        rx.cond(CampaignState.audience_error != "", rx.callout(CampaignState.audience_error, icon="triangle-alert",
                                                               color_scheme="red", data_testid="audience-error")),
        spacing="3", width="100%"), width="100%")


@staff_page(route=routes.CAMPAIGN, title="Campaign", on_load=CampaignState.load)
def campaign_page() -> rx.Component:
    return rx.cond(
        CampaignState.found,
        rx.vstack(
            _facts(),
            rx.cond(CampaignState.can_start,
                    rx.button(t("Start campaign"), on_click=CampaignState.start, data_testid="start-campaign")),
            _figures(),
            plot_card(CampaignState.responses_figure, t("Cumulative responses"), CampaignState.responses_summary),
            rx.cond(CampaignState.can_run & CampaignState.is_draft, _audience()),
            rx.cond(CampaignState.can_run & CampaignState.is_draft, rx.card(rx.vstack(
                rx.heading(t("Settings"), size="4"),
                rx.form(rx.vstack(*_settings_fields(CampaignState.errors, CampaignState.form),
                                  rx.button(t("Save settings"), type="submit"), spacing="2", width="100%"),
                        on_submit=CampaignState.save_settings, width="100%"),
                width="100%"), width="100%")),
            spacing="5", width="100%",
        ),
        rx.cond(CampaignState.missing != "",
                rx.callout(CampaignState.missing, icon="triangle-alert", color_scheme="red", data_testid="not-found")),
    )
