"""The evaluation cockpit: filters live in the URL. A page load reads them and recomputes every card and chart; a
filter change recomputes in the same event and pushes its URL (UrlFilters.URL_IN_PLACE), and only the charts whose
figure changed are sent and redrawn. A chart or panel the page says is scrolled away (`show_section`) is left as it
was, marked stale, and built when it comes near the viewport: a change computes and sends what the reader sees.

What the page shows is split into substates (the KPI cards, each chart, the system panels; the rows dialog in
states/cockpit_drill.py): each is one store entry in the browser, and a component re-renders only when an entry it
reads changes, so a filter change re-renders the filters, the cards and the charts it redrew instead of every
component of the page. A var is assigned only when its value changed (`_assign`): an unchanged one is not sent."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
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
from crm_app.data.db import read_session, write_session
from crm_app.data.models import Role
from crm_app.data.repositories import metrics as measured
from crm_app.data.repositories import targets
from crm_app.data.repositories.users import staff_directory
from crm_app.data.snapshot import current_facts, reloading, revenue_forecast
from crm_app.labels import label
from crm_app.states.auth import current_actor, staff_event
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
# Each chart's key (its summary line's, its drill-down's and its section's name) and its name in a sentence.
CHART_NAMES = {"revenue": i18n.N_("revenue"), "orders": i18n.N_("orders"), "region": i18n.N_("region"),
               "segment": i18n.N_("segment"), "category": i18n.N_("category"), "customers": i18n.N_("customers"),
               "cohorts": i18n.N_("cohorts"), "pipeline": i18n.N_("pipeline"), "win-rate": i18n.N_("win rate"),
               "satisfaction": i18n.N_("satisfaction"), "campaigns": i18n.N_("campaigns")}
# What the page may leave stale while it is scrolled away: each chart (by key) and the system panels.
SYSTEM_PANELS = "system"
SECTIONS = (*CHART_NAMES, SYSTEM_PANELS)


def _assign(state: rx.State, **values: Any) -> None:
    """Set each of `state`'s vars whose value changed: one assigned is sent to the browser (and re-renders what
    reads its state there) even when it holds what it held."""
    for name, value in values.items():
        if getattr(state, name) != value:
            setattr(state, name, value)


def _kpi(definition: evaluation.KpiDefinition, value: float | None) -> str:
    """A KPI value in the company's currency and locale (formatting.kpi_value)."""
    return formatting.kpi_value(definition.unit, value)


def _signed_percent(change: float | None) -> str:
    return "—" if change is None else f"{change * 100:+.1f} %"


def _axis_money() -> dict[str, str]:
    """The company's currency on the charts' amount axes (charts._money_axis)."""
    return dataclasses.asdict(formatting.axis_money())


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
    """The filters (in the URL), what the filter bar and the page's head show, and the recompute that fills the
    substates below from one evaluation of the view."""

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
    _away: list[str] = []  # the sections the page said are scrolled away (SECTIONS): built when they come near
    freshness_text: str = ""
    loading: bool = True
    waiting_for_data: bool = False
    _waiter_running: bool = False

    def _url_choices(self, key: str) -> list[str]:
        return self.choices.get(key, [])

    def _filters(self, today: date) -> evaluation.CockpitFilters:
        """The filters the page's vars hold (each checked on the way in, from the URL or a control)."""
        start, end = evaluation.period_for(self.preset, today, as_day(self.date_from), as_day(self.date_to))
        if self.preset == "custom" and (end - start).days > 3660:
            start = end - timedelta(days=3660)
        owner = as_id(self.rep) if current_actor().reads_everything else None
        _assign(self, date_from=start.isoformat(), date_to=(end - timedelta(days=1)).isoformat(),
                rep=str(owner) if owner else ANY)
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
    async def load(self) -> Any:
        """Read the filters from the URL and recompute every card and chart."""
        return await self._recompute(read_url=True)

    async def _show_url_filters(self) -> Any:
        return await self._recompute(read_url=False)

    async def _recompute(self, *, read_url: bool, stale_only: bool = False) -> Any:
        """Every card, and the charts and panels near the viewport; with `stale_only` (a section came near) only
        the charts and panels left stale."""
        actor = current_actor()
        cards, system = await self.get_state(CockpitCards), await self.get_state(CockpitSystem)
        drawings = {key: await self.get_state(chart) for key, chart in CHART_STATES.items()}
        with read_session() as session:
            facts, freshness = current_facts(session=session, actor=actor)
            _assign(self, freshness_text=i18n.say(freshness.described), loading=facts is None)
            if facts is None:  # the first snapshot loads in the background; the page shows "loading"
                return self._wait_for_data()
            _assign(self, choices={name: facts.labels[name] for name in SLICERS})
            if read_url:
                self._read_url_filters()
            filters = self._filters(datetime.now(UTC).date())
            goals = targets.targets_between(session=session, actor=actor, start=filters.start, end=filters.end)
            directory = staff_directory(session=session, actor=actor)
            _assign(system, shows=actor.reads_everything)
            if actor.reads_everything and self._builds(system, stale_only):
                system._show_panels(session, actor, filters, facts)
        if stale_only and not any(chart.busy for key, chart in drawings.items() if key not in self._away):
            return self._wait_for_data() if freshness.refreshing else None  # no chart to build
        names = {uid: name for uid, name, _ in directory}
        own_rep = actor.id if actor.role == Role.sales_rep else None
        view = evaluation.evaluate(facts, filters, goals, own_rep=own_rep,
                                   reps=tuple(uid for uid, _, role in directory if role == Role.sales_rep),
                                   rep_names=names)
        # The forecast band belongs to the whole business: shown without slicers, once fitted in the background.
        sliced = any(getattr(filters, name) for name in (*SLICERS, "owner_id"))
        fitted = None if sliced else revenue_forecast(facts)
        self._show_charts(drawings, view, names, None if fitted is None else fitted.forecast, stale_only)
        if not stale_only:
            scope = evaluation.view_scope(filters)
            _assign(self, reps=[{"id": str(uid), "name": name} for uid, name, role in directory
                                if role == Role.sales_rep],
                    shows_rep_filter=actor.reads_everything,
                    can_set_targets=actor.role in (Role.admin, Role.executive),
                    target_scope_text=i18n.say(scope.described(names)) if scope else "")
            self._show_head(view, names)
            cards._show_cards(view, facts)
        return self._wait_for_data() if freshness.refreshing else None

    def _builds(self, section: CockpitSection, stale_only: bool) -> bool:
        """Whether this recompute builds `section`: near the viewport, and (with `stale_only`) left stale. One
        scrolled away is marked stale (busy) instead."""
        away = section.SECTION in self._away
        if away or stale_only and not section.busy:
            _assign(section, busy=section.busy or away)
            return False
        _assign(section, busy=False)
        return True

    @staff_event()
    async def show_section(self, section: str, near: bool) -> Any:
        """The page says a chart (by key) or the system panels came near the viewport (`near`) or went away: a
        section left stale is built now; one away is left alone by the next filter change."""
        if section not in SECTIONS or not isinstance(near, bool):
            return None
        away = set(self._away) - {section} if near else {*self._away, section}
        self._away = sorted(away)
        shown = await self.get_state(CockpitSystem if section == SYSTEM_PANELS else CHART_STATES[section])
        if near and shown.busy and not self.loading:
            return await self._recompute(read_url=False, stale_only=True)
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

    def _show_head(self, view: evaluation.CockpitView, names: dict[int, str]) -> None:
        """The period, the comparison and the filters in words."""
        first, last = view.comparison
        day = formatting.day
        _assign(self, period_text=i18n.gettext("{start} to {end}", start=day(view.filters.start),
                                               end=day(view.filters.end - timedelta(days=1))),
                comparison_text=i18n.gettext("{start} to {end}", start=day(first), end=day(last - timedelta(days=1))),
                filters_text=" · ".join(i18n.say(part) for part in view.filters.described_parts(names)))

    def _show_charts(self, drawings: dict[str, CockpitChart], view: evaluation.CockpitView, names: dict[int, str],
                     forecast: Any, stale_only: bool) -> None:
        money, say = _axis_money(), i18n.say

        def chart(key: str, build: Callable[..., go.Figure], *data: Any, **options: Any) -> None:
            if self._builds(drawings[key], stale_only):
                drawings[key]._draw(build, *data, **options)

        chart("revenue", charts.revenue_trend_figure, view.monthly, forecast, money=money, say=say)
        chart("orders", charts.orders_aov_figure, view.monthly, money=money, say=say)
        chart("customers", charts.customers_figure, view.monthly, say=say)
        chart("cohorts", charts.cohort_figure, view.cohorts, say=say)
        chart("region", charts.bar_figure, view.revenue_by_region, i18n.gettext("Revenue by region"),
              money=money, say=say)
        chart("segment", charts.bar_figure, view.revenue_by_segment, i18n.gettext("Revenue by segment"),
              money=money, say=say)
        chart("category", charts.bar_figure, view.revenue_by_category, i18n.gettext("Revenue by category"),
              money=money, say=say)
        chart("pipeline", charts.funnel_figure, view.pipeline, view.filters.stage,
              amount_text=formatting.whole_money, say=say)
        rates = view.win_rates["rate"].rename(index=lambda uid: names.get(uid, str(uid)))
        chart("win-rate", charts.bar_figure, rates, i18n.gettext("Win rate by rep (%)"), digits=1,
              percent=True, say=say)
        chart("satisfaction", charts.satisfaction_figure, view.satisfaction, say=say)
        chart("campaigns", charts.campaigns_figure, view.campaigns, say=say)

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
    def open_month(self, points: list) -> Any:
        """A click on a month of the revenue chart makes that month the period."""
        if not isinstance(points, list) or not points or not isinstance(points[0], dict):
            return None
        month = as_day(f"{points[0].get('x')}-01") if isinstance(points[0].get("x"), str) else None
        if month is None:
            return None
        last = (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
        return self._go(period="custom", **{"from": month.isoformat(), "to": last.isoformat()})

    @staff_event(Role.admin, Role.executive)
    async def save_target(self, form_data: dict) -> Any:
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
        reloading_later = await self._show_url_filters()
        return [saved] if reloading_later is None else [saved, reloading_later]


class CockpitCards(CockpitState):
    """The KPI cards, the suggestions to close their gaps and the detractors' topics."""

    cards: list[dict[str, Any]] = []
    suggestions: list[str] = []
    detractor_topics: list[str] = []

    def _show_cards(self, view: evaluation.CockpitView, facts: evaluation.CockpitFacts) -> None:
        _assign(self, cards=[self._card(card) for card in view.cards],
                detractor_topics=[f"{topic} ({count})" for topic, count in view.detractor_topics],
                suggestions=[i18n.say(text) for text in evaluation.gap_suggestions(facts, view, written=_kpi)])

    @staticmethod
    def _card(card: evaluation.KpiCard) -> dict[str, Any]:
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


class CockpitSection(rx.State, mixin=True):
    """What the page may leave stale while it is scrolled away (`show_section`), named SECTION (SECTIONS)."""

    SECTION: ClassVar[str] = ""
    busy: bool = False  # showing earlier filters' figures until it comes near (aria-busy)


class CockpitChart(CockpitSection, mixin=True):
    """One chart: its figure and its text alternative, one line under it (crm_app/analytics/chart_text.py),
    written with its figure in the reader's language."""

    figure: go.Figure = go.Figure()
    summary: str = ""
    _drawn_from: str = ""  # a digest of what the figure was built from

    def _draw(self, build: Callable[..., go.Figure], *data: Any, **options: Any) -> None:
        """Build and set the figure only when what it is built from changed (a chart builder is a pure function of
        its arguments): a figure left alone is neither built nor sent, and its chart (the figure is memoized in
        the browser, components/plot_card.py) is not redrawn. A page load's hydration sends every var, so a
        reloaded tab gets every chart whatever this remembers (a stale one as it was, until it comes near)."""
        drawn_from = hashlib.blake2b(pickle.dumps((build.__name__, data, options, i18n.current_language())),
                                     digest_size=16).hexdigest()
        if self._drawn_from != drawn_from:
            self.figure = build(*data, **options)
            self.summary = figure_summary(self.figure, i18n.say)
            self._drawn_from = drawn_from


class CockpitRevenueChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "revenue"


class CockpitOrdersChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "orders"


class CockpitRegionChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "region"


class CockpitSegmentChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "segment"


class CockpitCategoryChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "category"


class CockpitCustomersChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "customers"


class CockpitCohortChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "cohorts"


class CockpitPipelineChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "pipeline"


class CockpitWinRateChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "win-rate"


class CockpitSatisfactionChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "satisfaction"


class CockpitCampaignsChart(CockpitChart, CockpitState):
    SECTION: ClassVar[str] = "campaigns"


# Each chart's state by its key (CHART_NAMES).
CHART_STATES: dict[str, type[CockpitChart]] = {chart.SECTION: chart for chart in (
    CockpitRevenueChart, CockpitOrdersChart, CockpitRegionChart, CockpitSegmentChart, CockpitCategoryChart,
    CockpitCustomersChart, CockpitCohortChart, CockpitPipelineChart, CockpitWinRateChart, CockpitSatisfactionChart,
    CockpitCampaignsChart)}


class CockpitSystem(CockpitSection, CockpitState):
    """The system panels, for those who read everything: performance against the SLOs, and usage."""

    SECTION: ClassVar[str] = SYSTEM_PANELS
    shows: bool = False
    slo_cards: list[dict[str, str]] = []
    latency_rows: list[dict[str, str]] = []
    usage_rows: list[dict[str, str]] = []
    completeness_rows: list[dict[str, str]] = []

    def _show_panels(self, session, actor, filters: evaluation.CockpitFilters,
                     facts: evaluation.CockpitFacts) -> None:
        """The performance panel (latency, throughput, errors, availability against the SLOs) and the usage
        panel (events per module and role, completeness of each module's records) for the period."""
        metrics.flush()  # this process's last seconds too, so the panel is current (a few rows at most)
        figures = measured.latency_between(session=session, actor=actor, start=filters.start, end=filters.end)
        usage = measured.usage_between(session=session, actor=actor, start=filters.start, end=filters.end)
        minutes = max((filters.end - filters.start).days * 1440, 1)
        events, calls = measured.totals(figures, "event"), measured.totals(figures, "api")
        roles = sorted({role for _, role in usage})
        per_module: dict[str, int] = {}
        for (module, _), count in usage.items():
            per_module[module] = per_module.get(module, 0) + count
        modules = sorted(per_module, key=lambda m: -per_module[m])
        _assign(
            self,
            slo_cards=[
                _slo_card("slo-event", i18n.gettext("Event latency p95"), events.percentile(0.95),
                          metrics.SLO_EVENT_P95_MS, events.count),
                _slo_card("slo-api", i18n.gettext("API latency p95"), calls.percentile(0.95),
                          metrics.SLO_API_P95_MS, calls.count),
                _availability_card(events, calls),
                {"label": i18n.gettext("Throughput"),
                 "value": i18n.gettext("{rate} / min", rate=f"{(events.count + calls.count) / minutes:,.2f}"),
                 "target": i18n.gettext("{events} events · {calls} API calls", events=f"{events.count:,}",
                                        calls=f"{calls.count:,}"),
                 "colour": "gray", "testid": "slo-throughput"},
            ],
            latency_rows=[_latency_row(f) for f in figures[:12]],
            usage_rows=[{"module": m, "counts": " · ".join(f"{label(r)}: {usage.get((m, r), 0):,}" for r in roles
                                                           if usage.get((m, r)))} for m in modules],
            completeness_rows=[{"module": m, "share": "—" if v is None else f"{100 * v:.1f} %"}
                               for m, v in evaluation.module_completeness(facts).items()],
        )
