"""Plotly figures of the cockpit: DataFrame in, go.Figure out. Small payloads: values rounded to what the eye
can see, no per-point hover templates, one shared compact layout.

Fast to build: traces and layouts are plain dicts and the figure skips plotly's validation (`_validate=False`),
which otherwise takes most of a filter change's time (about 5 ms a figure, eleven figures per change);
tests/unit/analytics/test_charts.py validates every builder's output against plotly's schema instead.

Words: every text a chart shows (title, axis titles, trace names) is written through `say`, the reader's
translation of an English text (crm_app/i18n.py say; a template's `{placeholders}` are filled after it); left out,
the English as written. The module stays pure: the caller brings the language."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crm_app.analytics.segment_map import map_traces

Say = Callable[[str], str]


def as_written(text: str) -> str:
    """The English text itself: the charts' words when no translation is asked for."""
    return text


COLOURS = ["#636efa", "#EF553B", "#00cc96", "#ab63fa", "#FFA15A", "#19d3f3", "#FF6692", "#B6E880"]
FADED = "#c8ccf2"  # the first colour, faded: the stages of the funnel that are not chosen
# A small template in the default look: plotly's own is sent with every figure on every filter change
# (about 6 KB each).
# Tick labels may overflow (they never do, the margins grow to fit them): checking each label's box against the
# chart's forces the browser to lay out the whole page once per label, most of a redraw's time.
TEMPLATE = {"layout": {
    "colorway": COLOURS, "font": {"color": "#2a3f5f"}, "paper_bgcolor": "white", "plot_bgcolor": "#E5ECF6",
    "xaxis": {"gridcolor": "white", "zerolinecolor": "white", "ticklabeloverflow": "allow"},
    "yaxis": {"gridcolor": "white", "zerolinecolor": "white", "ticklabeloverflow": "allow"},
}}
HEIGHT_PX = 280  # every chart's: the page keeps each one in a box of that height (components/plot_card.py)
MAP_HEIGHT_PX = 420  # the segment map's: taller, customers are picked on it
LAYOUT = {"margin": {"l": 40, "r": 10, "t": 30, "b": 30}, "height": HEIGHT_PX, "showlegend": True,
          "legend": {"orientation": "h", "y": -0.2}, "clickmode": "event", "template": TEMPLATE}


class Figure(go.Figure):
    """A go.Figure that is also unpickled without validation: a state manager in Redis unpickles the page's
    state on every event, eleven figures at about 4 ms each when validated."""

    def __reduce__(self):
        return _unpickled, (self.to_dict(),)


def _unpickled(properties: dict) -> Figure:
    return Figure(properties, _validate=False)


def _figure(traces: list[dict], title: str, **layout) -> Figure:
    return Figure(data=traces, layout={**LAYOUT, "title": {"text": title, "font": {"size": 14}}, **layout},
                  _validate=False)


def _trace(kind: str, **properties) -> dict:
    return {"type": kind, **properties}


def _money_axis(money: Mapping[str, str] | None, axis: str = "yaxis", title: str = "") -> dict:
    """Layout for an axis of amounts in the company's style. `money` holds Plotly's `separators` (decimal then
    group character), the currency's `tickprefix` or `ticksuffix` and its `code` (formatting.axis_money)."""
    if not money:
        return {}
    text = f"{title} ({money['code']})" if title else ""
    return {"separators": money["separators"],
            axis: {"tickprefix": money["tickprefix"], "ticksuffix": money["ticksuffix"],
                   **({"title": {"text": text}} if text else {})}}


def _labelled(categories: list[str], say: Say) -> dict:
    """A category axis showing each category in the reader's words while a click still sends the stored name
    (a stage, a segment: what the filter takes); nothing when the words are the names."""
    words = [say(category) for category in categories]
    return {} if words == categories else {"tickmode": "array", "tickvals": categories, "ticktext": words}


def _rounded(values, digits: int = 0) -> list:
    return [None if pd.isna(v) else round(float(v), digits) for v in values]


def revenue_trend_figure(monthly: pd.DataFrame, forecast: pd.DataFrame | None = None,
                         money: Mapping[str, str] | None = None, say: Say = as_written) -> go.Figure:
    """Monthly revenue bars (click one to see that month), with the forecast and its 80 % band when given;
    `money` labels the amount axis in the company's currency (see _money_axis)."""
    traces = [_trace("bar", x=list(monthly.index), y=_rounded(monthly["revenue"]), name=say("Revenue"))]
    if forecast is not None and len(forecast):
        months = [stamp.strftime("%Y-%m") for stamp in forecast.index]
        traces += [
            _trace("scatter", x=months + months[::-1],
                   y=_rounded(forecast["upper_80"]) + _rounded(forecast["lower_80"])[::-1],
                   fill="toself", line={"width": 0}, name=say("{level} % interval").format(level=80), opacity=0.3,
                   hoverinfo="skip"),
            _trace("scatter", x=months, y=_rounded(forecast["forecast"]), name=say("Forecast"),
                   line={"dash": "dash"}),
        ]
    return _figure(traces, say("Revenue by month"), **_money_axis(money, title=say("Revenue")))


def orders_aov_figure(monthly: pd.DataFrame, money: Mapping[str, str] | None = None,
                      say: Say = as_written) -> go.Figure:
    """Orders per month (bars) and average order value (line, right axis, in the currency of `money`)."""
    aov_axis = _money_axis(money, "yaxis2")
    return _figure(
        [_trace("bar", x=list(monthly.index), y=_rounded(monthly["orders"]), name=say("Orders")),
         _trace("scatter", x=list(monthly.index), y=_rounded(monthly["aov"], 2), name=say("Average order value"),
                yaxis="y2")],
        say("Orders and average order value"),
        **{**aov_axis, "yaxis2": {"overlaying": "y", "side": "right", "showgrid": False, **aov_axis.get("yaxis2", {})}},
    )


def customers_figure(monthly: pd.DataFrame, say: Say = as_written) -> go.Figure:
    """New and returning customers per month, stacked."""
    return _figure(
        [_trace("bar", x=list(monthly.index), y=_rounded(monthly["new"]), name=say("New customers")),
         _trace("bar", x=list(monthly.index), y=_rounded(monthly["returning"]), name=say("Returning customers"))],
        say("New and returning customers"), barmode="stack",
    )


def cohort_figure(rates: pd.DataFrame, say: Say = as_written) -> go.Figure:
    """Cohort retention heatmap in percent (row: acquisition month, column: months since)."""
    z = np.round(rates.to_numpy(dtype=float) * 100, 1)
    return _figure([_trace("heatmap", z=[[None if np.isnan(v) else v for v in row] for row in z],
                           x=[int(c) for c in rates.columns], y=list(rates.index), colorscale="Blues",
                           zmin=0, zmax=100)],
                   say("Cohort retention (%)"), xaxis={"title": {"text": say("months since first order")}})


def bar_figure(values: pd.Series, title: str, *, digits: int = 0, percent: bool = False,
               money: Mapping[str, str] | None = None, say: Say = as_written) -> go.Figure:
    """One bar per label (region, segment, category, stage, rep ...); clicking a bar filters by it. Amounts
    carry the currency of `money` on their axis. `title` is the reader's already."""
    y = values.astype(float) * (100 if percent else 1)
    labels = [str(i) for i in values.index]
    money_axis = _money_axis(money)
    return _figure([_trace("bar", x=labels, y=_rounded(y, digits), name=title)], title,
                   showlegend=False, **{**money_axis, "xaxis": _labelled(labels, say)})


def funnel_figure(pipeline: pd.DataFrame, selected: str | None = None,
                  amount_text: Callable[[float], str] = "{:,.0f}".format, say: Say = as_written) -> go.Figure:
    """Open deals per stage as a funnel, with their amount (written by `amount_text`) in the label; clicking a
    stage chooses it, and the `selected` stage stands out (the others faded)."""
    marker = {} if selected is None else {"marker": {"color": [COLOURS[0] if stage == selected else FADED
                                                               for stage in pipeline.index]}}
    stages = [str(stage) for stage in pipeline.index]
    return _figure([_trace("funnel", y=stages, x=_rounded(pipeline["deals"]),
                           text=[amount_text(v) for v in pipeline["amount"]], textinfo="value+text", **marker)],
                   say("Pipeline by stage (deals, amount)"), showlegend=False, yaxis=_labelled(stages, say))


def satisfaction_figure(monthly: pd.DataFrame, say: Say = as_written) -> go.Figure:
    """NPS (points, left axis) and CSAT (% satisfied, right axis) per month."""
    return _figure(
        [_trace("scatter", x=list(monthly.index), y=_rounded(monthly["nps"], 1), name="NPS"),
         _trace("scatter", x=list(monthly.index), y=_rounded(monthly["csat"] * 100, 1), name=say("CSAT %"),
                yaxis="y2")],
        say("NPS and CSAT"), yaxis2={"overlaying": "y", "side": "right", "showgrid": False},
    )


def campaigns_figure(campaigns: pd.DataFrame, say: Say = as_written) -> go.Figure:
    """Response rate (%) and naive ROI (%) per campaign; with a holdout also the incremental ROI (%) and the
    uplift in points with its 95 % interval as error bars (right axis)."""
    names = list(campaigns["name"])
    traces = [_trace("bar", x=names, y=_rounded(campaigns["response_rate"] * 100, 1), name=say("Response %")),
              _trace("bar", x=names, y=_rounded(campaigns["roi"] * 100, 0), name=say("ROI %"))]
    layout: dict = {}
    if "uplift" in campaigns:
        uplift = campaigns["uplift"] * 100
        traces += [
            _trace("bar", x=names, y=_rounded(campaigns["incremental_roi"] * 100, 0), name=say("Incremental ROI %")),
            _trace("scatter", mode="markers", x=names, y=_rounded(uplift, 1), name=say("Uplift (points)"), yaxis="y2",
                   error_y={"type": "data", "symmetric": False,
                            "array": _rounded(campaigns["uplift_high"] * 100 - uplift, 1),
                            "arrayminus": _rounded(uplift - campaigns["uplift_low"] * 100, 1)}),
        ]
        layout["yaxis2"] = {"overlaying": "y", "side": "right", "showgrid": False, "title": {"text": say("points")}}
    return _figure(traces, say("Campaign response, ROI and uplift"), barmode="group", **layout)


def forecast_figure(history: pd.Series, forecast: pd.DataFrame, say: Say = as_written) -> go.Figure:
    """Revenue per period (line) and the forecast (dashed) with its 95 % and 80 % prediction bands.

    `history`: revenue indexed by period start; `forecast`: forecast, lower_/upper_80 and _95 indexed likewise.
    """
    past = [stamp.strftime("%Y-%m") for stamp in pd.to_datetime(history.index)]
    future = [stamp.strftime("%Y-%m") for stamp in pd.to_datetime(forecast.index)]
    bands = [
        _trace("scatter", x=future + future[::-1],
               y=_rounded(forecast[f"upper_{level}"]) + _rounded(forecast[f"lower_{level}"])[::-1],
               fill="toself", line={"width": 0}, name=say("{level} % interval").format(level=level), opacity=opacity, hoverinfo="skip")
        for level, opacity in ((95, 0.2), (80, 0.35))
    ]
    return _figure(
        [_trace("scatter", x=past, y=_rounded(history), name=say("Revenue")), *bands,
         _trace("scatter", x=future, y=_rounded(forecast["forecast"]), name=say("Forecast"), line={"dash": "dash"})],
        say("Revenue by month: history and forecast"),
    )


def campaign_responses_figure(cumulative: pd.DataFrame, say: Say = as_written) -> go.Figure:
    """Cumulative response rate (%) by day since contact, contacted against holdout (the holdout's day 0 is the
    campaign's start)."""
    days = list(cumulative.index)
    return _figure(
        [_trace("scatter", mode="lines", x=days, y=_rounded(cumulative["contacted"] * 100, 2), name=say("Contacted")),
         _trace("scatter", mode="lines", x=days, y=_rounded(cumulative["holdout"] * 100, 2), name=say("Holdout"),
                line={"dash": "dash"})],
        say("Cumulative responses"), xaxis={"title": {"text": say("days since contact")}},
        yaxis={"title": {"text": say("% responded")}},
    )


def segment_map_figure(x: list[float], y: list[float], clusters: list[int], explained_variance: list[float],
                       mapped_customers: int, say: Say = as_written) -> go.Figure:
    """The segment map: customers on the first two principal components of their log RFM features, one trace per
    KMeans cluster (numbered from 1, as on the page; analytics.segment_map.map_traces), the share of variance on
    each axis; the title says how many of the mapped customers are drawn. Box selection by default (lasso on the
    toolbar)."""
    traces = [_trace("scatter", mode="markers", x=[x[i] for i in positions], y=[y[i] for i in positions],
                     name=say("Cluster {number}").format(number=cluster + 1), marker={"size": 5, "opacity": 0.7})
              for cluster, positions in map_traces(clusters)]
    first, second = explained_variance
    return _figure(
        traces, say("Customers by log RFM (PCA): {shown} of {mapped} shown").format(shown=f"{len(x):,}",
                                                                                   mapped=f"{mapped_customers:,}"),
        xaxis={"title": {"text": say("PC1 ({share} % of variance)").format(share=f"{first * 100:.1f}")},
               "zeroline": False},
        yaxis={"title": {"text": say("PC2 ({share} % of variance)").format(share=f"{second * 100:.1f}")},
               "zeroline": False},
        height=MAP_HEIGHT_PX, dragmode="select", hovermode="closest",
    )
