"""The charts' words in the reader's language (issue 16): every text a chart or its text alternative shows is
asked of `say` (analytics/charts.py, chart_text.py), and the catalogue translates each one; a chart for a reader of
Chinese is titled, named and summarised in Chinese while a click still sends the stored category."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_app import i18n
from crm_app.analytics import charts
from crm_app.analytics.chart_text import figure_summary
from tests.unit.analytics.test_charts import EUROS, FORECAST, MONTHLY, MONTHS, PIPELINE


def _every_chart(say) -> list:
    return [
        charts.revenue_trend_figure(MONTHLY, FORECAST, money=EUROS, say=say),
        charts.orders_aov_figure(MONTHLY, money=EUROS, say=say),
        charts.customers_figure(MONTHLY, say=say),
        charts.cohort_figure(pd.DataFrame([[1.0, 0.5], [1.0, np.nan]], index=MONTHS[:2]), say=say),
        charts.bar_figure(pd.Series({"SMB": 10.0, "Enterprise": 5.0}), "Revenue by segment", say=say),
        charts.funnel_figure(PIPELINE, "Proposal", say=say),
        charts.satisfaction_figure(MONTHLY, say=say),
        charts.campaigns_figure(pd.DataFrame({
            "name": ["Spring"], "response_rate": [0.15], "roi": [1.5], "uplift": [0.05], "uplift_low": [0.03],
            "uplift_high": [0.07], "incremental_roi": [0.4]}), say=say),
        charts.campaign_responses_figure(pd.DataFrame({"contacted": [0.0, 0.1], "holdout": [0.0, 0.05]}), say=say),
        charts.segment_map_figure([0.5, -1.25], [0.1, 0.2], [1, 0], [0.7, 0.2], 40, say=say),
        charts.forecast_figure(MONTHLY["revenue"].set_axis(pd.date_range("2026-01-01", periods=3, freq="MS")),
                               FORECAST, say=say),
        charts.bar_figure(pd.Series(dtype=float), "Revenue by region", say=say),  # no data
    ]


def test_every_word_a_chart_asks_for_is_in_the_catalogue():
    asked: set[str] = set()

    def say(text: str) -> str:
        asked.add(text)
        return text

    for figure in _every_chart(say):
        figure_summary(figure, say)
    stages_and_segments = {"Lead", "Qualified", "Proposal", "Negotiation", "SMB", "Enterprise"}
    assert {"Revenue by month", "{count} points", "{title}: no data."} <= asked
    assert sorted(asked - stages_and_segments - set(i18n.catalogue(i18n.CHINESE))) == []


def test_a_reader_of_chinese_gets_a_chinese_chart_whose_bars_still_send_the_stored_segment():
    with i18n.speaking(i18n.CHINESE):
        figure = charts.bar_figure(pd.Series({"SMB": 1200.0, "Enterprise": 500.0}), i18n.gettext("Revenue by segment"),
                                   say=i18n.say)
        summary = figure_summary(figure, i18n.say)
        funnel = charts.funnel_figure(PIPELINE, say=i18n.say)
    assert figure.layout.title.text == "按客户分层的收入"
    assert figure.data[0].x == ("SMB", "Enterprise")  # what a click sends: the filter's value
    assert figure.layout.xaxis.ticktext == ("中小企业", "大型企业")
    assert summary == "按客户分层的收入。2 个点，最高 1,200（中小企业），最低 500（大型企业）。"
    assert funnel.layout.title.text == "各阶段商机（数量、金额）"
    assert funnel.layout.yaxis.ticktext == ("线索", "已确认", "方案", "谈判")
