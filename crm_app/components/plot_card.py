"""A chart in a card with its text alternative: a summary line under it and, one click away, its rows. Plotly's
own toolbar downloads it as PNG."""

from __future__ import annotations

from collections.abc import Callable
from hashlib import sha256

import reflex as rx
from reflex_base.components.component import field
from reflex_base.utils.imports import ImportVar
from reflex_base.vars.base import LiteralVar, Var, VarData
from reflex_components_plotly.plotly import Plotly, PlotlyCartesian, PlotlyFinance

from crm_app.analytics.charts import HEIGHT_PX

from crm_app.components.near_view import near_view
from crm_app.components.translated import t

# The modebar's camera button saves a PNG; no Plotly logo, no editing tools.
PLOT_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png", "scale": 2},
               "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
# A chart whose selection means something (the segment map) keeps the box and lasso tools.
SELECT_CONFIG = {**PLOT_CONFIG, "modeBarButtonsToRemove": []}


# A chart off screen keeps the figure it last drew until it comes near the viewport (or until it has drawn none):
# a filter change redraws only the charts the reader can see, each of the others as it scrolls into view.
DRAWN_NEAR_VIEW = """
const useFigureNearView = (figure) => {
  const [near, setNear] = useState(true);
  const [drawn, setDrawn] = useState(figure);
  const observer = useRef(null);
  const shown = near || !drawn?.data?.length ? figure : drawn;
  if (shown !== drawn) setDrawn(shown);
  const watch = useCallback((_figure, plot) => {
    if (observer.current || typeof IntersectionObserver !== "function") return;
    observer.current = new IntersectionObserver(
      (entries) => setNear(entries[entries.length - 1].isIntersecting), {rootMargin: "100px 0px"});
    observer.current.observe(plot);
  }, []);
  useEffect(() => () => observer.current?.disconnect(), []);
  return [shown, watch];
};
"""


class _SteadyFigure:
    """Mixed into a Plotly component: the figure merged with the colour mode's template, and the config, are built
    once per new figure (useMemo) instead of on every render. react-plotly redraws whenever data, layout or config
    is a new object, and the stock component builds them anew each time anything in its state changes: a filter
    change redrew every chart on the page, even those whose figure the server had not sent again. With
    `waits_off_screen` (a field of each component below) a new figure is drawn only once the chart is near the
    viewport (DRAWN_NEAR_VIEW)."""

    waits_off_screen: bool

    def _steady_name(self) -> str:
        return "steady_figure_" + sha256(str(self.data).encode()).hexdigest()[:16]

    def add_hooks(self) -> list:
        figure = self.data.to(dict)
        config = self.config if self.config is not None else LiteralVar.create({})
        merged = f"({{...mergician({figure}, {{layout: {{template: {self.template}}}}}), config: {config}}})"
        name = self._steady_name()
        code = f"const {name} = useMemo(() => {merged}, [{figure}, resolvedColorMode])"
        hooks = [Var(_js_expr=code, _var_data=VarData.merge(
            figure._get_all_var_data(), self.template._get_all_var_data(), config._get_all_var_data(),
            VarData(imports={"react": [ImportVar(tag="useMemo")]})))]
        if self.waits_off_screen:
            hooks.append(Var(_js_expr=f"const [{name}_shown, {name}_watch] = useFigureNearView({name})",
                             _var_data=VarData(imports={"react": [ImportVar(tag=tag) for tag in (
                                 "useState", "useRef", "useCallback", "useEffect")]})))
        return hooks

    def add_custom_code(self) -> list[str]:
        return [DRAWN_NEAR_VIEW] if self.waits_off_screen else []

    def _exclude_props(self) -> set[str]:
        return {"data", "layout", "template", "locale", "config"}

    def _render(self):
        tag = super(Plotly, self)._render()
        name = self._steady_name()
        if not self.waits_off_screen:
            return tag.set(special_props=[*tag.special_props, Var(_js_expr=name)])
        return tag.set(special_props=[*tag.special_props, Var(_js_expr=f"{name}_shown")],
                       props={**tag.props, "onInitialized": Var(_js_expr=f"{name}_watch")})


class SteadyCartesianPlot(_SteadyFigure, PlotlyCartesian):
    """The cartesian bundle (bar, scatter, heatmap), redrawn only when its figure changes."""

    waits_off_screen: bool = field(default=False, is_javascript_property=False)


class SteadyFinancePlot(_SteadyFigure, PlotlyFinance):
    """The finance bundle (funnel), redrawn only when its figure changes."""

    waits_off_screen: bool = field(default=False, is_javascript_property=False)


steady_cartesian = SteadyCartesianPlot.create
steady_finance = SteadyFinancePlot.create


def plot_card(figure: rx.Var, label: str, summary: rx.Var, on_click=None, on_rows=None,
              plot: Callable[..., rx.Component] = steady_cartesian, on_selected=None,
              height_px: int = HEIGHT_PX, waits_off_screen: bool = False, on_near=None, section: str = "",
              busy: rx.Var | None = None) -> rx.Component:
    """`figure` a go.Figure state var, `summary` its text alternative (analytics/chart_text.figure_summary);
    `on_click` receives the clicked points (cross-filtering), `on_selected` the points of a box or lasso selection
    (and keeps those tools on the toolbar); `height_px` is the figure's layout height; `on_rows`
    opens the rows behind the chart. `plot` is the Plotly bundle that draws it: the cartesian one (bar,
    scatter, heatmap) is a third of the full library a browser would otherwise fetch and parse on a cold
    open; a funnel needs the finance one. With `waits_off_screen` a new figure is drawn once the chart comes near
    the viewport, not while it is scrolled away. A page whose server builds a chart only near the viewport passes
    `on_near` (told whether the drawing is near it, components/near_view.py; `section` names the chart, unique on
    the page) and `busy`, true while the chart still shows an earlier figure (aria-busy)."""
    props = {"on_click": on_click} if on_click is not None else {}
    if on_selected is not None:
        props["on_selected"] = on_selected
    summary_id = f"chart-summary-{label.lower().replace(' ', '-')}"
    drawing = plot(data=figure, config=SELECT_CONFIG if on_selected is not None else PLOT_CONFIG, width="100%",
                   waits_off_screen=waits_off_screen, **props)
    # The drawing is described by the summary under it (a figure, not an image: its toolbar stays usable).
    # Its own layout: the box's size never depends on the drawing, so the browser lays out only this box
    # when Plotly measures text while redrawing, not the whole page each time.
    box = {"role": "figure", "aria_label": label, "aria_describedby": summary_id, "height": f"{height_px}px",
           "contain": "strict"}
    return rx.card(
        rx.box(drawing, **box) if on_near is None else near_view(drawing, section=section, on_near=on_near, **box),
        rx.text(summary, id=summary_id, size="1", color=rx.color("gray", 11), data_testid="figure-summary"),
        rx.button(t("Show rows"), size="1", variant="soft", on_click=on_rows,
                  aria_label=t("Show the rows behind the {value} chart", value=label.lower())) if on_rows is not None
        else rx.fragment(),
        aria_label=label,
        **({"aria_busy": busy} if busy is not None else {}),
        data_testid=f"chart-{label.lower().replace(' ', '-')}",
        width="100%",
        min_width="0",
    )
