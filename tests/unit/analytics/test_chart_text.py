"""A chart's text alternative names its title and, per trace, how many points and where the highest and lowest
are, with the values as plotted."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from crm_app.analytics import charts
from crm_app.analytics.chart_text import figure_summary


def test_a_bar_chart_names_its_highest_and_lowest_bar():
    figure = charts.bar_figure(pd.Series([1200.0, 300.0, 45.0], index=["EMEA", "APAC", "NA"]), "Revenue by region")
    assert figure_summary(figure) == "Revenue by region. 3 points, highest 1,200 (EMEA), lowest 45 (NA)."


def test_each_trace_of_a_two_trace_chart_is_described_by_its_name():
    monthly = pd.DataFrame({"orders": [10, 14], "aov": [52.25, 48.5]}, index=["2026-01", "2026-02"])
    assert figure_summary(charts.orders_aov_figure(monthly)) == (
        "Orders and average order value. Orders: 2 points, highest 14 (2026-02), lowest 10 (2026-01). "
        "Average order value: 2 points, highest 52.2 (2026-01), lowest 48.5 (2026-02)."
    )


def test_a_funnel_reads_its_values_from_x_and_its_stages_from_y():
    pipeline = pd.DataFrame({"deals": [10, 4], "amount": [1000.0, 500.0]}, index=["Lead", "Proposal"])
    assert figure_summary(charts.funnel_figure(pipeline)) == (
        "Pipeline by stage (deals, amount). 2 points, highest 10 (Lead), lowest 4 (Proposal).")


def test_a_heatmap_gives_its_range_and_skips_empty_cells():
    rates = pd.DataFrame([[1.0, 0.5], [1.0, math.nan]], index=["2026-01", "2026-02"], columns=[0, 1])
    assert figure_summary(charts.cohort_figure(rates)) == "Cohort retention (%). 2 rows, values from 50 to 100."


def test_a_forecast_band_is_left_out_and_a_chart_without_data_says_so():
    monthly = pd.DataFrame({"revenue": [100.0, 250.0]}, index=["2026-01", "2026-02"])
    forecast = pd.DataFrame({"forecast": [300.0], "lower_80": [200.0], "upper_80": [400.0]},
                            index=pd.to_datetime(["2026-03-01"]))
    assert figure_summary(charts.revenue_trend_figure(monthly, forecast)) == (
        "Revenue by month. Revenue: 2 points, highest 250 (2026-02), lowest 100 (2026-01). "
        "Forecast: 1 point, highest 300 (2026-03), lowest 300 (2026-03).")
    assert figure_summary(charts.bar_figure(pd.Series([], dtype=float), "Win rate by rep (%)")) == (
        "Win rate by rep (%): no data.")
    assert figure_summary(go.Figure()) == "Chart: no data."


def test_a_cloud_of_customers_gives_each_clusters_count_and_extent():
    figure = charts.segment_map_figure([0.5, -1.25, 2.0], [0.1, 0.2, -0.3], [1, 0, 1], [0.7, 0.2], 40)
    assert figure_summary(figure) == (
        "Customers by log RFM (PCA): 3 of 40 shown. Cluster 1: 1 point, x from -1.2 to -1.2, y from 0.2 to 0.2. "
        "Cluster 2: 2 points, x from 0.5 to 2, y from -0.3 to 0.1.")
