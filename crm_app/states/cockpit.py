"""The evaluation cockpit: filters live in the URL. A page load reads them and recomputes every card and chart; a
filter change recomputes in the same event and pushes its URL (UrlFilters.URL_IN_PLACE), and only the charts whose
figure changed are sent and redrawn. A chart or panel the page says is scrolled away (`show_section`) is left as it
was, marked stale, and built when it comes near the viewport: a change computes and sends what the reader sees."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import math
import pickle
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar

import plotly.graph_objects as go
import reflex as rx

from crm_app import formatting, i18n, metrics, routes
from crm_app.analytics import charts
from crm_app.analytics.chart_text import figure_summary
from crm_app.analytics import cockpit as evaluation
from crm_app.counts import count_of
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.repositories import metrics as measured
from crm_app.data.repositories import targets
from crm_app.data.repositories.customers import visible_among
from crm_app.data.repositories.users import staff_directory
from crm_app.data.snapshot import current_facts, reloading, revenue_forecast
from crm_app.labels import label
from crm_app.states.auth import current_actor, staff_event
from crm_app.states import drill_rows
from crm_app.states.downloading import offer, refused_format
from crm_app.states.forms import ANY, as_day, as_id
from crm_app.states.url_filters import UrlFilters, UrlParam

SLICERS = ("region", "segment", "category", "channel")
# The card's border: its status against the target of the view. The change badge: the direction of the change.
STATUS_COLOURS = {"good": "green", "warning": "amber", "bad": "red", "none": "gray"}
DIRECTION_COLOURS = {"good": "green", "bad": "red", "none": "gray"}
STATUS_WORDS = {"good": i18n.N_("at or above target"), "warning": i18n.N_("within 5 % under target"),
                "bad": i18n.N_("more than 5 % under target"), "none": i18n.N_("no target to compare with")}
DIRECTION_WORDS = {"good": i18n.N_("moved the good way"), "bad": i18n.N_("moved the bad way"),
                   "none": i18n.N_("no change to judge")}
# Each chart's var, and the key of its summary line and its drill-down; each drill-down's name and count.
CHART_KEYS = {"revenue_figure": "revenue", "orders_figure": "orders", "region_figure": "region",
              "segment_figure": "segment", "category_figure": "category", "customers_figure": "customers",
              "cohort_figure": "cohorts", "pipeline_figure": "pipeline", "win_rate_figure": "win-rate",
              "satisfaction_figure": "satisfaction", "campaigns_figure": "campaigns"}
CHART_NAMES = {"revenue": i18n.N_("revenue"), "orders": i18n.N_("orders"), "region": i18n.N_("region"),
               "segment": i18n.N_("segment"), "category": i18n.N_("category"), "customers": i18n.N_("customers"),
               "cohorts": i18n.N_("cohorts"), "pipeline": i18n.N_("pipeline"), "win-rate": i18n.N_("win rate"),
               "satisfaction": i18n.N_("satisfaction"), "campaigns": i18n.N_("campaigns")}
# What the page may leave stale while it is scrolled away: each chart (by key) and the system panels.
SYSTEM_PANELS = "system"
SECTIONS = (*CHART_KEYS.values(), SYSTEM_PANELS)
DRILL_COUNTS: dict[str, Callable[[int], str]] = {  # by chart; the other charts' rows are orders
    "pipeline": lambda n: count_of(n, "open deal"), "win-rate": lambda n: count_of(n, "closed deal"),
    "satisfaction": lambda n: count_of(n, "feedback answer"), "campaigns": lambda n: count_of(n, "campaign")}


def _kpi(definition: evaluation.KpiDefinition, value: float | None) -> str:
    """A KPI value in the company's currency and locale (formatting.kpi_value)."""
    return formatting.kpi_value(definition.unit, value)


def _signed_percent(change: float | None) -> str:
    return "—" if change is None else f"{change * 100:+.1f} %"


def _axis_money() -> dict[str, str]:
    """The company's currency on the charts' amount axes (charts._money_axis)."""
    return dataclasses.asdict(formatting.axis_money())


DRILL_PAGE_ROWS = 50
NAMES_PER_QUERY = 900  # customer ids per name query: under SQLite's bound-parameter limit
DRILL_CSV_ROWS = 100_000  # a CSV past this is an export job, not a download from a dialog


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f} ms"


def _slo_card(testid: str, label: str, p95: float | None, target_ms: float, count: int) -> dict[str, str]:
    colour = "gray" if p95 is None else ("green" if p95 <= target_ms else "red")
    return {"label": label, "value": _ms(p95), "colour": colour, "testid": testid,
            "target": i18n.gettext("SLO ≤ {ms} ms · {count} calls", ms=f"{target_ms:,.0f}", count=f"{count:,}")}


def _availability_card(*figures: measured.Latency) -> dict[str, str]:
    count, errors = sum(f.count for f in figures), sum(f.errors for f in figures)
    share = None if not count else 1 - errors / count
    colour = "gray" if share is None else ("green" if share >= metrics.SLO_AVAILABILITY else "red")
    return {"label": i18n.gettext("Availability"), "value": "—" if share is None else f"{100 * share:.2f} %",
            "target": i18n.gettext("SLO ≥ {share} % · {errors} errors", share=f"{100 * metrics.SLO_AVAILABILITY:.1f}",
                                   errors=f"{errors:,}"),
            "colour": colour, "testid": "slo-availability"}


def _latency_row(figure: measured.Latency) -> dict[str, str]:
    rate = figure.error_rate
    return {"kind": figure.kind, "name": figure.name, "count": f"{figure.count:,}",
            "p50": _ms(figure.percentile(0.5)), "p95": _ms(figure.percentile(0.95)),
            "p99": _ms(figure.percentile(0.99)), "errors": "—" if rate is None else f"{100 * rate:.2f} %"}


class CockpitState(UrlFilters, rx.State):
    URL_ROUTE: ClassVar[str] = routes.COCKPIT
    URL_IN_PLACE: ClassVar[bool] = True
    URL_PARAMS: ClassVar[tuple[UrlParam, ...]] = (
        UrlParam("period", "preset", choices=tuple(evaluation.PRESETS), fallback="last_90_days"),
        UrlParam("from", "date_from", kind="day", settable=False),
        UrlParam("to", "date_to", kind="day", settable=False),
        UrlParam("compare", choices=tuple(evaluation.COMPARISONS), fallback="previous_period"),
        *(UrlParam(name) for name in SLICERS),
        UrlParam("rep", kind="id"),
        UrlParam("stage", choices=tuple(evaluation.OPEN_STAGES)),
    )

    preset: str = "last_90_days"
    date_from: str = ""
    date_to: str = ""
    compare: str = "previous_period"
    region: str = ANY
    segment: str = ANY
    category: str = ANY
    channel: str = ANY
    rep: str = ANY
    stage: str = ANY  # an open deal stage, chosen by clicking the funnel: narrows the pipeline figures
    period_text: str = ""
    comparison_text: str = ""
    filters_text: str = ""

    choices: dict[str, list[str]] = {}
    reps: list[dict[str, str]] = []
    shows_rep_filter: bool = False
    can_set_targets: bool = False
    target_scope_text: str = ""  # whom the targets form sets targets for: the scope on screen, or "" for none
    cards: list[dict[str, Any]] = []
    suggestions: list[str] = []
    detractor_topics: list[str] = []
    revenue_figure: go.Figure = go.Figure()
    orders_figure: go.Figure = go.Figure()
    customers_figure: go.Figure = go.Figure()
    cohort_figure: go.Figure = go.Figure()
    region_figure: go.Figure = go.Figure()
    segment_figure: go.Figure = go.Figure()
    category_figure: go.Figure = go.Figure()
    pipeline_figure: go.Figure = go.Figure()
    win_rate_figure: go.Figure = go.Figure()
    satisfaction_figure: go.Figure = go.Figure()
    campaigns_figure: go.Figure = go.Figure()
    _drawn_from: dict[str, str] = {}  # per chart var, a digest of what its figure was built from
    _away: list[str] = []  # the sections the page said are scrolled away (SECTIONS): built when they come near
    stale: list[str] = []  # the sections showing earlier filters' figures until they come near (aria-busy)
    freshness_text: str = ""
    loading: bool = True
    waiting_for_data: bool = False
    _waiter_running: bool = False
    shows_system_panels: bool = False
    slo_cards: list[dict[str, str]] = []
    latency_rows: list[dict[str, str]] = []
    usage_rows: list[dict[str, str]] = []
    completeness_rows: list[dict[str, str]] = []
    # The drill-down dialog: one page of the rows behind a chart, as display strings.
    drill_open: bool = False
    drill_chart: str = ""
    drill_title: str = ""
    drill_columns: list[str] = []  # the rows' keys (a column of order numbers links to the order)
    drill_headings: list[str] = []  # the same columns in the reader's words
    drill_rows: list[list[str]] = []
    drill_page: int = 0
    drill_pages: int = 0
    drill_total: str = ""

    # Each chart's text alternative, one line under it (crm_app/analytics/chart_text.py), written with its figure
    # in the reader's language.
    chart_summaries: dict[str, str] = {key: "" for key in CHART_KEYS.values()}

    def _url_choices(self, key: str) -> list[str]:
        return self.choices.get(key, [])

    def _filters(self, today: date) -> evaluation.CockpitFilters:
        """The filters the page's vars hold (each checked on the way in, from the URL or a control)."""
        start, end = evaluation.period_for(self.preset, today, as_day(self.date_from), as_day(self.date_to))
        if self.preset == "custom" and (end - start).days > 3660:
            start = end - timedelta(days=3660)
        self.date_from, self.date_to = start.isoformat(), (end - timedelta(days=1)).isoformat()
        owner = as_id(self.rep) if current_actor().reads_everything else None
        self.rep = str(owner) if owner else ANY
        return evaluation.CockpitFilters(
            start=start, end=end, compare=self.compare,
            **{name: None if getattr(self, name) == ANY else getattr(self, name) for name in SLICERS},
            owner_id=owner, stage=None if self.stage == ANY else self.stage,
        )

    def _url_values(self, values: dict[str, Any]) -> dict[str, Any]:
        if values["period"] != "custom":  # a preset's days follow from today
            values["from"] = values["to"] = ""
        return values

    @staff_event()
    def load(self) -> Any:
        """Read the filters from the URL and recompute every card and chart."""
        return self._recompute(read_url=True)

    def _show_url_filters(self) -> Any:
        return self._recompute(read_url=False)

    def _recompute(self, *, read_url: bool, stale_only: bool = False) -> Any:
        """Every card, and the charts and panels near the viewport; with `stale_only` (a section came near) only
        the charts and panels left stale."""
        actor = current_actor()
        with read_session() as session:
            facts, freshness = current_facts(session=session, actor=actor)
            self.freshness_text, self.loading = i18n.say(freshness.described), facts is None
            if facts is None:  # the first snapshot loads in the background; the page shows "loading"
                return self._wait_for_data()
            self.choices = {name: facts.labels[name] for name in SLICERS}
            if read_url:
                self._read_url_filters()
            filters = self._filters(datetime.now(UTC).date())
            goals = targets.targets_between(session=session, actor=actor, start=filters.start, end=filters.end)
            directory = staff_directory(session=session, actor=actor)
            self.shows_system_panels = actor.reads_everything
            if actor.reads_everything and self._builds(SYSTEM_PANELS, stale_only):
                self._show_system(session, actor, filters, facts)
        if stale_only and not set(self.stale) & (set(CHART_KEYS.values()) - set(self._away)):
            return self._wait_for_data() if freshness.refreshing else None  # no chart to build
        names = {uid: name for uid, name, _ in directory}
        own_rep = actor.id if actor.role == Role.sales_rep else None
        view = evaluation.evaluate(facts, filters, goals, own_rep=own_rep,
                                   reps=tuple(uid for uid, _, role in directory if role == Role.sales_rep),
                                   rep_names=names)
        # The forecast band belongs to the whole business: shown without slicers, once fitted in the background.
        sliced = any(getattr(filters, name) for name in (*SLICERS, "owner_id"))
        fitted = None if sliced else revenue_forecast(facts)
        self._show_charts(view, names, None if fitted is None else fitted.forecast, stale_only)
        if not stale_only:
            self.reps = [{"id": str(uid), "name": name} for uid, name, role in directory if role == Role.sales_rep]
            self.shows_rep_filter = actor.reads_everything
            self.can_set_targets = actor.role in (Role.admin, Role.executive)
            scope = evaluation.view_scope(filters)
            self.target_scope_text = i18n.say(scope.described(names)) if scope else ""
            self._show(view, names)
            self.suggestions = [i18n.say(text) for text in evaluation.gap_suggestions(facts, view, written=_kpi)]
        return self._wait_for_data() if freshness.refreshing else None

    def _builds(self, section: str, stale_only: bool) -> bool:
        """Whether this recompute builds `section`: near the viewport, and (with `stale_only`) left stale. One
        scrolled away is marked stale instead."""
        if section in self._away:
            if section not in self.stale:
                self.stale = [*self.stale, section]
            return False
        if stale_only and section not in self.stale:
            return False
        if section in self.stale:
            self.stale = [s for s in self.stale if s != section]
        return True

    @staff_event()
    def show_section(self, section: str, near: bool) -> Any:
        """The page says a chart (by key) or the system panels came near the viewport (`near`) or went away: a
        section left stale is built now; one away is left alone by the next filter change."""
        if section not in SECTIONS or not isinstance(near, bool):
            return None
        away = set(self._away) - {section} if near else {*self._away, section}
        self._away = sorted(away)
        if near and section in self.stale and not self.loading:
            return self._recompute(read_url=False, stale_only=True)
        return None

    def _wait_for_data(self) -> Any:
        if self.waiting_for_data:
            return None
        self.waiting_for_data = True
        return CockpitState.reload_when_ready

    @rx.event(background=True)
    async def reload_when_ready(self) -> Any:
        """Wait (off the state lock) for the snapshot reload, then recompute the page from the new data."""
        async with self:  # only the one waiter `load` asked for, whatever a client sends
            if not self.waiting_for_data or self._waiter_running:
                return None
            self._waiter_running = True
        for _ in range(1200):
            await asyncio.sleep(0.5)
            if not reloading():
                break
        async with self:
            self.waiting_for_data = self._waiter_running = False
        return CockpitState.load

    def _show_system(self, session, actor, filters: evaluation.CockpitFilters,
                     facts: evaluation.CockpitFacts) -> None:
        """The performance panel (latency, throughput, errors, availability against the SLOs) and the usage
        panel (events per module and role, completeness of each module's records) for the period."""
        metrics.flush()  # this process's last seconds too, so the panel is current (a few rows at most)
        figures = measured.latency_between(session=session, actor=actor, start=filters.start, end=filters.end)
        usage = measured.usage_between(session=session, actor=actor, start=filters.start, end=filters.end)
        minutes = max((filters.end - filters.start).days * 1440, 1)
        events, calls = measured.totals(figures, "event"), measured.totals(figures, "api")
        self.slo_cards = [
            _slo_card("slo-event", i18n.gettext("Event latency p95"), events.percentile(0.95),
                      metrics.SLO_EVENT_P95_MS, events.count),
            _slo_card("slo-api", i18n.gettext("API latency p95"), calls.percentile(0.95), metrics.SLO_API_P95_MS,
                      calls.count),
            _availability_card(events, calls),
            {"label": i18n.gettext("Throughput"),
             "value": i18n.gettext("{rate} / min", rate=f"{(events.count + calls.count) / minutes:,.2f}"),
             "target": i18n.gettext("{events} events · {calls} API calls", events=f"{events.count:,}",
                                    calls=f"{calls.count:,}"),
             "colour": "gray", "testid": "slo-throughput"},
        ]
        self.latency_rows = [_latency_row(f) for f in figures[:12]]
        roles = sorted({role for _, role in usage})
        per_module: dict[str, int] = {}
        for (module, _), count in usage.items():
            per_module[module] = per_module.get(module, 0) + count
        modules = sorted(per_module, key=lambda m: -per_module[m])
        self.usage_rows = [{"module": m, "counts": " · ".join(f"{label(r)}: {usage.get((m, r), 0):,}" for r in roles
                                                              if usage.get((m, r)))} for m in modules]
        self.completeness_rows = [{"module": m, "share": "—" if v is None else f"{100 * v:.1f} %"}
                                  for m, v in evaluation.module_completeness(facts).items()]

    def _show(self, view: evaluation.CockpitView, names: dict[int, str]) -> None:
        first, last = view.comparison
        day = formatting.day
        self.period_text = i18n.gettext("{start} to {end}", start=day(view.filters.start),
                                        end=day(view.filters.end - timedelta(days=1)))
        self.comparison_text = i18n.gettext("{start} to {end}", start=day(first), end=day(last - timedelta(days=1)))
        self.filters_text = " · ".join(i18n.say(part) for part in view.filters.described_parts(names))
        self.cards = [self._card(card) for card in view.cards]
        self.detractor_topics = [f"{topic} ({count})" for topic, count in view.detractor_topics]

    def _show_charts(self, view: evaluation.CockpitView, names: dict[int, str], forecast: Any,
                     stale_only: bool) -> None:
        money, say = _axis_money(), i18n.say
        chart = functools.partial(self._chart, stale_only=stale_only)
        chart("revenue_figure", charts.revenue_trend_figure, view.monthly, forecast, money=money, say=say)
        chart("orders_figure", charts.orders_aov_figure, view.monthly, money=money, say=say)
        chart("customers_figure", charts.customers_figure, view.monthly, say=say)
        chart("cohort_figure", charts.cohort_figure, view.cohorts, say=say)
        chart("region_figure", charts.bar_figure, view.revenue_by_region, i18n.gettext("Revenue by region"),
              money=money, say=say)
        chart("segment_figure", charts.bar_figure, view.revenue_by_segment, i18n.gettext("Revenue by segment"),
              money=money, say=say)
        chart("category_figure", charts.bar_figure, view.revenue_by_category, i18n.gettext("Revenue by category"),
              money=money, say=say)
        chart("pipeline_figure", charts.funnel_figure, view.pipeline, view.filters.stage,
              amount_text=formatting.whole_money, say=say)
        rates = view.win_rates["rate"].rename(index=lambda uid: names.get(uid, str(uid)))
        chart("win_rate_figure", charts.bar_figure, rates, i18n.gettext("Win rate by rep (%)"), digits=1,
              percent=True, say=say)
        chart("satisfaction_figure", charts.satisfaction_figure, view.satisfaction, say=say)
        chart("campaigns_figure", charts.campaigns_figure, view.campaigns, say=say)

    def _chart(self, var: str, build: Callable[..., go.Figure], *data: Any, stale_only: bool = False,
               **options: Any) -> None:
        """Build and set a chart's figure only when it is near the viewport (else it is marked stale, see
        `_builds`) and what it is built from changed (a chart builder is a pure function of its arguments): a var
        left alone is neither built nor sent, and its chart (the figure is memoized in the browser,
        components/plot_card.py) is not redrawn. A page load's hydration sends every var, so a reloaded tab gets
        every chart whatever this remembers (a stale one as it was, until it comes near)."""
        if not self._builds(CHART_KEYS[var], stale_only):
            return
        drawn_from = hashlib.blake2b(pickle.dumps((build.__name__, data, options, i18n.current_language())),
                                     digest_size=16).hexdigest()
        if self._drawn_from.get(var) != drawn_from:
            figure = build(*data, **options)
            setattr(self, var, figure)
            self.chart_summaries = {**self.chart_summaries, CHART_KEYS[var]: figure_summary(figure, i18n.say)}
            self._drawn_from[var] = drawn_from

    def _card(self, card: evaluation.KpiCard) -> dict[str, Any]:
        definition = card.definition
        spark = [v for v in card.sparkline if v is not None]
        return {
            "key": definition.key, "label": i18n.say(definition.label), "formula": i18n.say(definition.formula),
            "actual": _kpi(definition, card.actual.value),
            "target": _kpi(definition, card.target),
            "target_source": i18n.say(card.target_source),
            "target_line": i18n.gettext("No target for this view") if card.target is None else
            i18n.gettext("Target {target} ({source}) · gap {gap}", target=_kpi(definition, card.target),
                         source=i18n.say(card.target_source), gap=_kpi(definition, card.gap)),
            "status_text": i18n.say(STATUS_WORDS[card.status]),
            "direction_text": i18n.gettext(DIRECTION_WORDS[card.direction]),
            "change_colour": DIRECTION_COLOURS[card.direction],
            "gap": "—" if card.gap is None else _kpi(definition, card.gap),
            "change": _signed_percent(card.change),
            "comparison": _kpi(definition, card.comparison.value),
            "sample": formatting.number(card.actual.sample),
            "colour": STATUS_COLOURS[card.status],
            "spark": [{"i": i, "v": round(v, 2)} for i, v in enumerate(spark)],
        }

    @staff_event()
    def set_dates(self, form_data: dict) -> Any:
        form = form_data if isinstance(form_data, dict) else {}
        start, end = as_day(form.get("from")), as_day(form.get("to"))
        if start is None or end is None or end < start:
            return rx.toast.error(i18n.gettext("Choose a first and a last day, the last on or after the first."))
        return self._go(period="custom", **{"from": start.isoformat(), "to": end.isoformat()})

    @staff_event()
    def filter_by_click(self, name: str, points: list) -> Any:
        """Cross-filter: a click on a bar of the region, segment, category or channel chart filters the page."""
        if name not in SLICERS or not isinstance(points, list) or not points or not isinstance(points[0], dict):
            return None
        label = points[0].get("x")
        if not isinstance(label, str) or label not in self.choices.get(name, []):
            return None
        return self._go(**{name: label})

    @staff_event()
    def filter_by_stage(self, points: list) -> Any:
        """A click on a stage of the pipeline funnel: the page's pipeline figures narrow to that stage (in the
        URL as `stage=`) and its open deals open in the rows dialog, since what an executive asks of a stage
        is which deals sit in it. Order, customer and feedback figures keep the other filters: a stage
        belongs to a deal, so it cannot slice them."""
        if not isinstance(points, list) or not points or not isinstance(points[0], dict):
            return None
        stage = points[0].get("y")
        if not isinstance(stage, str) or stage not in evaluation.OPEN_STAGES:
            return None
        shown = self._go(stage=stage)
        opened = None if self.loading else self._open_drill("pipeline")
        return shown if opened is None else [*shown, opened]

    @staff_event()
    def open_month(self, points: list) -> Any:
        """A click on a month of the revenue chart makes that month the period."""
        if not isinstance(points, list) or not points or not isinstance(points[0], dict):
            return None
        month = as_day(f"{points[0].get('x')}-01") if isinstance(points[0].get("x"), str) else None
        if month is None:
            return None
        last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return self._go(period="custom", **{"from": month.isoformat(), "to": last.isoformat()})

    def _drill_frame(self) -> Any:
        """The rows behind the open chart for the filters on screen, from the snapshot (None while loading)."""
        with read_session() as session:
            facts, _ = current_facts(session=session, actor=current_actor())
        if facts is None or self.drill_chart not in evaluation.DRILLS:
            return None
        return evaluation.drill_down(facts, self._filters(datetime.now(UTC).date()), self.drill_chart)

    @staticmethod
    def _readable(rows: Any) -> Any:
        """Drill rows with customer and rep names next to their ids (names only of customers the user may see)."""
        actor = current_actor()
        with read_session() as session:
            ids = sorted({int(i) for i in rows["customer"] if i >= 0}) if "customer" in rows.columns else []
            customers = {cid: name for first in range(0, len(ids), NAMES_PER_QUERY)
                         for cid, name in visible_among(session=session, actor=actor,
                                                        ids=ids[first:first + NAMES_PER_QUERY])}
            reps = {uid: name for uid, name, _ in staff_directory(session=session, actor=actor)} \
                if "rep" in rows.columns else {}
        return drill_rows.readable(rows, customer_names=customers, rep_names=reps)

    def _show_drill_page(self) -> Any:
        frame = self._drill_frame()
        if frame is None:
            self.drill_open = False
            return rx.toast.info(i18n.gettext("The figures are still loading; try again in a moment."))
        self.drill_pages = max(math.ceil(len(frame) / DRILL_PAGE_ROWS), 1)
        self.drill_page = min(max(self.drill_page, 0), self.drill_pages - 1)
        page = self._readable(frame.iloc[self.drill_page * DRILL_PAGE_ROWS:(self.drill_page + 1) * DRILL_PAGE_ROWS])
        self.drill_columns = [str(c) for c in page.columns]
        self.drill_headings = [i18n.say(c) for c in page.columns]
        self.drill_rows = [[drill_rows.screen_cell(column, v) for column, v in zip(self.drill_columns, row)]
                           for row in page.itertuples(index=False)]
        self.drill_total = DRILL_COUNTS.get(self.drill_chart, lambda n: count_of(n, "order"))(len(frame))
        return None

    @staff_event()
    def open_drill(self, chart: str) -> Any:
        """Open the rows behind a chart (its key in evaluation.DRILLS), first page."""
        if not isinstance(chart, str) or chart not in evaluation.DRILLS:
            return None
        return self._open_drill(chart)

    def _open_drill(self, chart: str) -> Any:
        self.drill_chart, self.drill_page, self.drill_open = chart, 0, True
        self.drill_title = i18n.gettext("Rows behind the {chart} chart · {filters}", filters=self.filters_text,
                                        chart=i18n.gettext(CHART_NAMES[chart]))
        return self._show_drill_page()

    @staff_event()
    def turn_drill_page(self, step: int) -> Any:
        if not isinstance(step, int) or step not in (-1, 1):
            return None
        self.drill_page += step
        return self._show_drill_page()

    @staff_event()
    def close_drill(self, _open: Any = False) -> None:
        self.drill_open, self.drill_rows, self.drill_chart = False, [], ""

    @staff_event()
    def download_drill(self, file_format: str = "csv") -> Any:
        """The rows behind the open chart (every page, up to DRILL_CSV_ROWS) as CSV or XLSX, cells safe for
        spreadsheets; the workbook keeps numbers and dates typed."""
        if (refused := refused_format(file_format)) is not None:
            return refused
        frame = self._drill_frame()
        if frame is None:
            return rx.toast.error(i18n.gettext("Open a chart's rows first."))
        rows = self._readable(frame.head(DRILL_CSV_ROWS))
        return offer(file_format, f"cockpit-{self.drill_chart}", [i18n.say(c) for c in rows.columns],
                     rows.itertuples(index=False))

    @staff_event(Role.admin, Role.executive)
    def save_target(self, form_data: dict) -> Any:
        """Set the target of one KPI for the period and the scope on screen (the company, or the one region,
        segment or rep the filters show)."""
        form = form_data if isinstance(form_data, dict) else {}
        filters = self._filters(datetime.now(UTC).date())
        scope = evaluation.view_scope(filters)
        if scope is None:
            return rx.toast.error(i18n.gettext("Targets are set for the company or for one region, segment or rep: "
                                  "clear the other filters first."))
        with write_session() as session:
            try:
                target = targets.checked_target(
                    session=session, kpi=form.get("kpi"), scope=scope.scope, scope_value=scope.value,
                    period_start=filters.start, period_end=filters.end - timedelta(days=1), value=form.get("target"))
            except targets.TargetRefused as refusal:
                return rx.toast.error(i18n.say(str(refusal)))
            targets.set_target(session=session, actor=current_actor(), target=target)
        saved = rx.toast.success(i18n.gettext("Target saved for {target_scope_text}, {date_from} to {date_to}.", target_scope_text=self.target_scope_text, date_from=self.date_from, date_to=self.date_to))
        reloading_later = self._show_url_filters()
        return [saved] if reloading_later is None else [saved, reloading_later]
