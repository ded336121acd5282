"""The cockpit's figures skip plotly's validation for speed: each builder's output must still pass it, show
the rounded values, and survive the pickling a state manager does."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from crm_app.analytics import charts

MONTHS = ["2026-01", "2026-02", "2026-03"]
MONTHLY = pd.DataFrame({"revenue": [1200.4, 980.6, np.nan], "orders": [12, 9, 0], "aov": [100.036, 108.9556, np.nan],
                        "new": [5, 2, 0], "returning": [7, 7, 0], "nps": [12.345, -3.0, np.nan],
                        "csat": [0.8123, 0.75, np.nan]}, index=MONTHS)
FORECAST = pd.DataFrame({"forecast": [1000.4, 1100.6], "lower_80": [900.0, 950.0], "upper_80": [1100.0, 1250.0],
                         "lower_95": [850.0, 900.0], "upper_95": [1150.0, 1300.0]},
                        index=pd.to_datetime(["2026-04-01", "2026-05-01"]))
PIPELINE = pd.DataFrame({"deals": [8, 5, 3, 1], "amount": [8000.0, 6500.5, 4000.0, 2500.0]},
                        index=["Lead", "Qualified", "Proposal", "Negotiation"])
EUROS = {"separators": ",.", "tickprefix": "", "ticksuffix": "\xa0€", "code": "EUR"}  # formatting.axis_money, de_DE
FIGURES = {
    "revenue": charts.revenue_trend_figure(MONTHLY, FORECAST, money=EUROS),
    "orders": charts.orders_aov_figure(MONTHLY, money=EUROS),
    "customers": charts.customers_figure(MONTHLY),
    "cohorts": charts.cohort_figure(pd.DataFrame([[1.0, 0.5], [1.0, np.nan]], index=MONTHS[:2])),
    "region": charts.bar_figure(pd.Series({"APAC": 1234.56, "EMEA": 10.4}), "Revenue by region", money=EUROS),
    "win-rate": charts.bar_figure(pd.Series({"Ann": 0.4567}), "Win rate by rep (%)", digits=1, percent=True),
    "pipeline": charts.funnel_figure(PIPELINE, "Proposal"),
    "satisfaction": charts.satisfaction_figure(MONTHLY),
    "campaigns": charts.campaigns_figure(pd.DataFrame({"name": ["Spring"], "response_rate": [0.1234],
                                                       "roi": [1.5]})),
    "campaign responses": charts.campaign_responses_figure(pd.DataFrame(
        {"contacted": [0.0, 0.05, 0.1], "holdout": [0.0, 0.02, np.nan]}, index=pd.RangeIndex(3, name="day"))),
    "campaign uplift": charts.campaigns_figure(pd.DataFrame({
        "name": ["Spring", "No holdout"], "response_rate": [0.15, 0.1], "roi": [1.5, 0.2],
        "uplift": [0.05, np.nan], "uplift_low": [0.03, np.nan], "uplift_high": [0.071, np.nan],
        "incremental_roi": [0.4, np.nan]})),
    "segment map": charts.segment_map_figure([0.5, -1.25, 2.0], [0.1, 0.2, -0.3], [1, 0, 1], [0.7123, 0.2], 40),
    "forecast": charts.forecast_figure(MONTHLY["revenue"].set_axis(pd.date_range("2026-01-01", periods=3,
                                                                                 freq="MS")), FORECAST),
}


@pytest.mark.parametrize("name", FIGURES)
def test_every_figure_passes_plotlys_validation_and_pickles_unchanged(name):
    figure = FIGURES[name]
    go.Figure(figure.to_dict())  # raises ValueError on any property plotly does not know
    assert pio.to_json(pickle.loads(pickle.dumps(figure))) == pio.to_json(figure)


def test_figures_carry_the_rounded_values_the_page_shows():
    assert FIGURES["region"].data[0].y == (1235.0, 10.0)
    assert FIGURES["win-rate"].data[0].y == (45.7,)
    assert FIGURES["orders"].data[1].y == (100.04, 108.96, None)
    assert FIGURES["satisfaction"].data[1].y == (81.2, 75.0, None)


def test_the_chosen_funnel_stage_stands_out():
    assert FIGURES["pipeline"].data[0].marker.color == (charts.FADED, charts.FADED, charts.COLOURS[0], charts.FADED)
    assert "marker" not in charts.funnel_figure(PIPELINE).to_dict()["data"][0]


def test_amount_axes_are_in_the_companys_currency_and_separators():
    revenue = FIGURES["revenue"].layout
    assert (revenue.separators, revenue.yaxis.ticksuffix, revenue.yaxis.title.text) == (",.", "\xa0€", "Revenue (EUR)")
    orders = FIGURES["orders"].layout
    assert (orders.yaxis2.ticksuffix, orders.yaxis2.side, orders.yaxis.ticksuffix) == ("\xa0€", "right", None)
    assert FIGURES["region"].layout.yaxis.ticksuffix == "\xa0€"
    assert FIGURES["win-rate"].layout.separators is None  # a rate is no amount
    assert charts.funnel_figure(PIPELINE, amount_text="€{:,.0f}".format).data[0].text[1] == "€6,500"


def test_the_segment_map_has_a_trace_per_cluster_and_the_variance_on_its_axes():
    figure = FIGURES["segment map"]
    assert [(trace.name, list(trace.x), list(trace.y)) for trace in figure.data] == [
        ("Cluster 1", [-1.25], [0.2]), ("Cluster 2", [0.5, 2.0], [0.1, -0.3])]
    assert figure.layout.xaxis.title.text == "PC1 (71.2 % of variance)"
    assert figure.layout.yaxis.title.text == "PC2 (20.0 % of variance)"
    assert figure.layout.title.text == "Customers by log RFM (PCA): 3 of 40 shown"
    assert figure.layout.dragmode == "select"
