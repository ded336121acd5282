"""A KPI card: actual, target, gap, change against the comparison period, sparkline, explain. Two colours, two
meanings: the border is the status against the view's target, the change badge the direction of the change."""

from __future__ import annotations

import reflex as rx

from crm_app.components.translated import t


def _explain(card: rx.Var, filters_text: rx.Var, comparison_text: rx.Var) -> rx.Component:
    return rx.popover.root(
        rx.popover.trigger(rx.button(t("Explain"), size="1", variant="ghost", aria_label=t("Explain {label}", label=card['label']))),
        rx.popover.content(
            rx.vstack(
                rx.text(card["formula"], size="2"),
                rx.text(t("Filters: "), filters_text, size="1", color=rx.color("gray", 11)),
                rx.text(t("Compared with "), comparison_text, ": ", card["comparison"], size="1",
                        color=rx.color("gray", 11)),
                rx.text(t("Sample size: "), card["sample"], size="1", color=rx.color("gray", 11)),
                rx.text(t("Target of this view: "), card["target"], " (", card["target_source"], ")", size="1",
                        color=rx.color("gray", 11)),
                rx.text(t("The border shows the status against that target: "), card["status_text"], ".", size="1",
                        color=rx.color("gray", 11), data_testid="explain-status"),
                rx.text(t("The badge shows the change against the comparison period, green when the KPI moved the "
                        "good way, red the bad way: "), card["direction_text"], ".", size="1",
                        color=rx.color("gray", 11), data_testid="explain-direction"),
                spacing="1",
            ),
            max_width="22em",
        ),
    )


SPARK_WIDTH, SPARK_HEIGHT = 120, 30


def _sparkline(spark: rx.Var) -> rx.Component:
    """The KPI's last months as one SVG line scaled to the box (lowest value at the bottom, highest at the top): a
    polyline is drawn with the card, where a chart component re-laid-out twelve small charts on every filter change."""
    x = f"i * {SPARK_WIDTH} / Math.max(s.length - 1, 1)"
    y = f"{SPARK_HEIGHT - 1} - (hi > lo ? (p.v - lo) / (hi - lo) * {SPARK_HEIGHT - 2} : {SPARK_HEIGHT // 2})"
    points = rx.Var(
        _js_expr=f"((s) => {{ const v = s.map((p) => p.v); const lo = Math.min(...v), hi = Math.max(...v);"
                 f" return s.map((p, i) => `${{{x}}},${{{y}}}`).join(' '); }})({spark} ?? [])",
        _var_type=str, _var_data=spark._get_all_var_data())
    return rx.el.svg(
        rx.el.svg.polyline(points=points, fill="none", stroke=rx.color("accent", 9), stroke_width="1.5"),
        width=SPARK_WIDTH, height=SPARK_HEIGHT, view_box=f"0 0 {SPARK_WIDTH} {SPARK_HEIGHT}", aria_hidden="true",
    )


def kpi_card(card: rx.Var, filters_text: rx.Var, comparison_text: rx.Var) -> rx.Component:
    """One KPI from a display-ready dict (label, actual, target, gap, change, colour, spark, formula, ...)."""
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text(card["label"], size="2", weight="medium"),
                rx.spacer(),
                rx.badge(card["change"], color_scheme=card["change_colour"], variant="soft",
                         data_testid=f"change-{card['key']}"),
                width="100%",
            ),
            rx.text(card["actual"], size="6", weight="bold", data_testid=f"kpi-{card['key']}"),
            rx.text(card["target_line"], size="1", color=rx.color("gray", 11), data_testid=f"target-{card['key']}"),
            rx.hstack(
                _sparkline(card["spark"]),
                rx.spacer(),
                _explain(card, filters_text, comparison_text),
                width="100%",
                align="center",
            ),
            spacing="1",
        ),
        border_left=f"4px solid var(--{card['colour']}-9)",
        data_testid="kpi-card",
    )
