"""A chart's text alternative: one line saying what a Plotly figure shows, for screen readers and anyone who
cannot see the chart (WCAG 1.1.1). The rows behind it stay one click away ("Show rows").

Its words go through `say` as the charts' do (analytics/charts.py): the reader's translation of each English
template, `{placeholders}` filled after."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from crm_app.analytics.charts import Say, as_written

# Traces drawn only to shade a range (a forecast's interval band) say nothing on their own.
_SKIPPED = {"skip", "none"}


def _number(value: float) -> str:
    """12,345 for large values, 12.5 for small ones: what a reader of the chart would see."""
    if abs(value) >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _points(trace: dict) -> list[tuple[str, float]]:
    """(label, value) of each point with a value; a horizontal trace (a funnel) has its values on x."""
    horizontal = trace.get("orientation") == "h" or (trace.get("type") == "funnel" and trace.get("orientation") != "v")
    labels, values = (trace.get("y"), trace.get("x")) if horizontal else (trace.get("x"), trace.get("y"))
    if values is None:
        return []
    labels = list(labels) if labels is not None else list(range(1, len(values) + 1))
    return [(str(label), float(value)) for label, value in zip(labels, values)
            if value is not None and not (isinstance(value, float) and math.isnan(value))]


def _count(points: int, say: Say) -> str:
    return say("1 point") if points == 1 else say("{count} points").format(count=f"{points:,}")


def _heatmap_text(trace: dict, say: Say) -> str | None:
    cells = [float(v) for row in (trace.get("z") or []) for v in row
             if v is not None and not (isinstance(v, float) and math.isnan(v))]
    rows = len(trace.get("z") or [])
    if not cells:
        return None
    return say("{rows} rows, values from {low} to {high}").format(rows=f"{rows:,}", low=_number(min(cells)),
                                                                  high=_number(max(cells)))


def _cloud_text(trace: dict, say: Say) -> str | None:
    """A point cloud (markers on two numeric axes, a map of customers): its count and extent, not a 'highest'."""
    pairs = [(float(x), float(y)) for x, y in zip(trace.get("x") or [], trace.get("y") or [])
             if x is not None and y is not None and not (isinstance(x, float) and math.isnan(x))
             and not (isinstance(y, float) and math.isnan(y))]
    if not pairs:
        return None
    xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
    return say("{count}, x from {x_low} to {x_high}, y from {y_low} to {y_high}").format(
        count=_count(len(pairs), say), x_low=_number(min(xs)), x_high=_number(max(xs)), y_low=_number(min(ys)),
        y_high=_number(max(ys)))


def _is_cloud(trace: dict) -> bool:
    return (trace.get("type") == "scatter" and trace.get("mode") == "markers"
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (trace.get("x") or ["-"])))


def _trace_text(trace: dict, title: str, say: Say, words: dict[str, str]) -> str | None:
    if trace.get("hoverinfo") in _SKIPPED:
        return None
    name = "" if trace.get("name") == title else trace.get("name") or ""
    if trace.get("type") == "heatmap":
        text = _heatmap_text(trace, say)
        return None if text is None else f"{name}: {text}" if name else text
    if _is_cloud(trace):
        text = _cloud_text(trace, say)
        return None if text is None else f"{name}: {text}" if name else text
    points = _points(trace)
    if not points:
        return None
    high = max(points, key=lambda point: point[1])
    low = min(points, key=lambda point: point[1])
    text = say("{count}, highest {high} ({high_label}), lowest {low} ({low_label})").format(
        count=_count(len(points), say), high=_number(high[1]), high_label=words.get(high[0], high[0]),
        low=_number(low[1]), low_label=words.get(low[0], low[0]))
    return f"{name}: {text}" if name else text


def _axis_words(layout: dict) -> dict[str, str]:
    """category -> the words its axis shows for it (charts._labelled's ticktext), on any axis."""
    words: dict[str, str] = {}
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(axis, dict) and axis.get("ticktext") is not None:
            words.update(zip(map(str, axis.get("tickvals") or []), map(str, axis["ticktext"])))
    return words


def figure_summary(figure: go.Figure, say: Say = as_written) -> str:
    """"<title>. <trace>: <n> points, highest <value> (<label>), lowest <value> (<label>). ..." for each trace
    that carries data (a heatmap: its rows and range; a cloud of markers on numeric axes: its x and y extent), or
    "<title>: no data." when none has any. Values are as plotted (units of the chart)."""
    layout = figure.layout.to_plotly_json() if hasattr(figure.layout, "to_plotly_json") else dict(figure.layout)
    title = ((layout.get("title") or {}).get("text") or say("Chart")).rstrip(".")
    traces = [trace.to_plotly_json() if hasattr(trace, "to_plotly_json") else dict(trace) for trace in figure.data]
    words = _axis_words(layout)
    parts = [text for text in (_trace_text(trace, title, say, words) for trace in traces) if text]
    if not parts:
        return say("{title}: no data.").format(title=title)
    return say("{title}. {details}.").format(title=title, details=say(". ").join(parts))
