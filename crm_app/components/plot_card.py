"""A chart in a card with its text alternative: a summary line under it and, one click away, its rows. Plotly's
own toolbar downloads it as PNG."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

# The modebar's camera button saves a PNG; no Plotly logo, no editing tools.
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 2},
               "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def plot_card(figure: rx.Var, label: str, summary: rx.Var, on_click=None, on_rows=None,
              plot: Callable[..., rx.Component] = rx.plotly.cartesian) -> rx.Component:
    """`figure` a go.Figure state var, `summary` its text alternative (analytics/chart_text.figure_summary);
    `on_click` receives the clicked points (cross-filtering); `on_rows`
    opens the rows behind the chart. `plot` is the Plotly bundle that draws it: the cartesian one (bar,
    scatter, heatmap) is a third of the full library a browser would otherwise fetch and parse on a cold
    open; a funnel needs the finance one."""
    props = {"on_click": on_click} if on_click is not None else {}
    summary_id = f"chart-summary-{label.lower().replace(' ', '-')}"
    return rx.card(
        # The drawing is described by the summary under it (a figure, not an image: its toolbar stays usable).
        rx.box(plot(data=figure, config=PLOT_CONFIG, width="100%", **props), role="figure", aria_label=label,
               aria_describedby=summary_id),
        rx.text(summary, id=summary_id, size="1", color=rx.color("gray", 11), data_testid="figure-summary"),
        rx.button("Show rows", size="1", variant="soft", on_click=on_rows,
                  aria_label=f"Show the rows behind the {label.lower()} chart") if on_rows is not None
        else rx.fragment(),
        aria_label=label,
        data_testid=f"chart-{label.lower().replace(' ', '-')}",
        width="100%",
        min_width="0",
    )
