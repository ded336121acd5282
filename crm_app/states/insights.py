"""/insights: segments, CLV, churn risk, the revenue forecast, data quality and the win model, from the last stored fit.

A page load only reads the stored reports (ModelRun); fitting runs in a background event (in a child process,
awaited on a worker thread) when an executive or admin asks for it or when a model was never fitted, so no one
waits on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import reflex as rx

from crm_app import i18n, routes
from crm_app.analytics.chart_text import figure_summary
from crm_app.analytics.charts import forecast_figure, segment_map_figure
from crm_app.counts import count_of
from crm_app.data.change_text import FIELD_LABELS
from crm_app.data.db import read_session, write_session
from crm_app.data.models import ModelRun, Role
from crm_app.data.permissions import COMPANY_READERS
from crm_app.data.insights_refresh import FITTED_ON, latest_insights, refresh_insights_apart, stored_error
from crm_app.data.report_results import (
    ChurnResult, ClvResult, ForecastResult, QualityResult, SegmentsResult, WinprobResult, stored_result,
)
from crm_app.data.repositories.follow_ups import create_churn_follow_ups
from crm_app.formatting import moment, number, percent, whole_money
from crm_app.i18n import N_
from crm_app.labels import label, rfm_segment
from crm_app.states.auth import AuthState, current_actor, staff_event
from crm_app.states.forms import as_id

_money, _share = whole_money, percent
# Whoever reads the company's figures; marketers too: its segments and clusters are what they build audiences from.
READERS = COMPANY_READERS
REFIT_FAILED = N_("The models could not be refitted; the last fits are still shown.")
CHURN_MODELS = {"logistic": N_("Logistic regression"), "gradient_boosting": N_("Gradient boosting"),
                "recency_rule": N_("Days since last order (baseline)")}
WIN_METHODS = {"model": N_("Win model (calibrated logistic regression)"),
               "stage_probability": N_("Fixed stage probabilities")}

logger = logging.getLogger(__name__)


def _fitted_label(name: str, run: ModelRun | None, time_zone: str | None) -> str:
    if run is None:
        return i18n.gettext("Not fitted yet")
    when, seconds = moment(run.fitted_at, time_zone), number(run.seconds, decimals=1)
    if isinstance(sample := (run.summary or {}).get("sample"), dict):
        return i18n.gettext("Fitted {when} on a sample of {sampled} of {customers} in {seconds} s", when=when,
                            sampled=number(sample["customers"]), customers=count_of(sample["of"], "customer"),
                            seconds=seconds)
    return i18n.gettext("Fitted {when} on {rows} in {seconds} s", when=when,
                        rows=count_of(run.rows, FITTED_ON[name].removesuffix("s")), seconds=seconds)


def _named(names: dict[str, str], code: str) -> str:
    """A model's or method's name in the reader's language (an unknown code as stored)."""
    return i18n.gettext(names[code]) if code in names else code


class InsightsState(rx.State):
    fitted: dict[str, str] = {}
    problems: dict[str, str] = {}
    refreshing: bool = False
    can_create_tasks: bool = False
    # Each model's answer in one sentence, shown first on its tab ("" until it is fitted).
    headlines: dict[str, str] = {}

    segments: list[dict[str, str]] = []
    segment_customers: str = ""
    # The segment map (at most analytics.segment_map.MAP_POINTS points) and its text alternative.
    segment_map: go.Figure = go.Figure()
    segment_map_summary: str = ""
    can_target: bool = False  # marketers and admins make a selection on the map an audience
    silhouette: list[dict[str, str]] = []
    clusters: list[dict[str, str]] = []
    cluster_note: str = ""

    clv_rows: list[dict[str, str]] = []
    clv_parameters: str = ""

    churn_rows: list[dict[str, str]] = []
    churn_backtest: list[dict[str, str]] = []
    churn_note: str = ""
    selected: list[str] = []

    forecast: go.Figure = go.Figure()
    forecast_backtest: list[dict[str, str]] = []
    forecast_note: str = ""

    quality_overall: str = ""
    quality_parts: dict[str, str] = {}
    quality_fields: list[dict[str, str]] = []
    quality_queue: list[dict[str, str]] = []
    quality_note: str = ""

    winprob_comparison: list[dict[str, str]] = []
    winprob_pipeline: list[dict[str, str]] = []
    winprob_note: str = ""

    _refresh_requested_at: datetime | None = None
    _map_run_id: int = 0  # the segments fit the map was drawn from
    _churn_ids: list[int] = []

    def _show(self) -> bool:
        """Read the stored fits into display rows; True when some insight was never fitted."""
        with read_session() as session:
            runs = latest_insights(session=session)
        zone = current_actor().time_zone
        self.fitted = {name: _fitted_label(name, run, zone) for name, run in runs.items()}
        stored = {name: (run.summary or {}) if run else {} for name, run in runs.items()}
        self.problems = {name: i18n.say(stored_error(summary)) for name, summary in stored.items()}
        self.headlines = {name: "" for name in runs}
        self._show_segments(stored_result("segments", stored["segments"]))
        self._map_run_id = runs["segments"].id if runs["segments"] is not None else 0
        self._show_clv(stored_result("clv", stored["clv"]))
        self._show_churn(stored_result("churn", stored["churn"]))
        self._show_forecast(stored_result("forecast", stored["forecast"]))
        self._show_quality(stored_result("quality", stored["quality"]))
        self._show_winprob(stored_result("winprob", stored["winprob"]))
        return any(run is None for run in runs.values())

    def _show_segments(self, report: SegmentsResult | None) -> None:
        self.segments = [
            {"segment": rfm_segment(row.segment), "customers": f"{row.customers:,}", "share": _share(row.share),
             "recency": f"{row.recency_days:.0f}", "frequency": f"{row.frequency:.1f}",
             "monetary": _money(row.monetary)}
            for row in (report.segments if report else [])
        ]
        self.segment_customers = f"{report.customers:,}" if report else ""
        clusters = report.clusters if report else None
        self.silhouette = [{"k": str(row.k), "score": f"{row.silhouette:.3f}",
                            "chosen": i18n.gettext("chosen") if row.k == clusters.k else ""}
                           for row in (clusters.silhouette if clusters else [])]
        self.clusters = [
            {"cluster": str(row.cluster + 1), "customers": f"{row.customers:,}", "share": _share(row.share),
             "recency": f"{row.recency_days:.0f}", "frequency": f"{row.frequency:.1f}",
             "monetary": _money(row.monetary)}
            for row in (clusters.profile if clusters else [])
        ]
        if report and report.segments:
            largest = max(report.segments, key=lambda row: row.customers)
            self.headlines["segments"] = i18n.gettext(
                "{customers} with a paid order fall into {segments}; the largest is {largest} ({share} of them).",
                customers=count_of(report.customers, "customer"), segments=count_of(len(report.segments), "segment"),
                largest=rfm_segment(largest.segment), share=_share(largest.share))
        drawn = report.map if report else None
        self.segment_map = (segment_map_figure(drawn.x, drawn.y, drawn.cluster, drawn.explained_variance,
                                               drawn.mapped_customers, say=i18n.say) if drawn else go.Figure())
        self.segment_map_summary = figure_summary(self.segment_map, i18n.say) if drawn else ""
        self.cluster_note = i18n.gettext(
            "KMeans on log recency, frequency and spend; k = {k} has the best silhouette, on {customers}.",
            k=clusters.k, customers=count_of(clusters.clustered_customers, "customer")) if clusters else ""

    def _show_clv(self, report: ClvResult | None) -> None:
        self.clv_rows = [
            {"link": routes.customer_page(row.customer_id), "name": row.name or f"#{row.customer_id}",
             "purchases": f"{row.expected_purchases:.1f}", "alive": _share(row.p_alive),
             "value": _money(row.expected_average_value), "clv": _money(row.clv)}
            for row in (report.top if report else [])
        ]
        if report is None:
            self.clv_parameters = ""
            return
        bg, gg = report.bgnbd, report.gamma_gamma
        self.headlines["clv"] = i18n.gettext("Expected value of the next {months} months: {value} from {customers}.",
                                             months=report.months, value=_money(report.total_clv),
                                             customers=count_of(report.customers, "customer"))
        self.clv_parameters = i18n.gettext(
            "BG/NBD r = {r}, α = {alpha}, a = {a}, b = {b} (time unit: {time_unit}); Gamma-Gamma p = {p}, q = {q}, "
            "γ = {gamma}. CLV over {months} months at {rate} a month; total {value} over {customers}.",
            r=f"{bg.r:.3f}", alpha=f"{bg.alpha:.3f}", a=f"{bg.a:.3f}", b=f"{bg.b:.3f}",
            time_unit=i18n.say(report.time_unit), p=f"{gg.p:.3f}", q=f"{gg.q:.3f}", gamma=f"{gg.gamma:.1f}",
            months=report.months, rate=f"{report.monthly_discount_rate:.0%}", value=_money(report.total_clv),
            customers=count_of(report.customers, "customer"))

    def _show_churn(self, report: ChurnResult | None) -> None:
        rows = report.at_risk if report else []
        self._churn_ids = [int(row.customer_id) for row in rows]
        self.selected = [s for s in self.selected if as_id(s) in self._churn_ids]
        self.churn_rows = [
            {"id": str(row.customer_id), "link": routes.customer_page(row.customer_id),
             "name": row.name or f"#{row.customer_id}", "probability": _share(row.probability),
             "recency": f"{row.recency_days:.0f}", "drivers": row.drivers or "–",
             "owner": "" if row.owner_id is not None else i18n.gettext("no owner")}
            for row in rows
        ]
        backtest = report.backtest if report else None
        self.churn_backtest = [{"model": _named(CHURN_MODELS, row.model), "auc": f"{row.auc:.3f}",
                                "precision": _share(row.precision_at_k)} for row in (backtest.models if backtest else [])]
        if report:
            self.headlines["churn"] = i18n.gettext(
                "{customers} most likely to place no order in the next {days}, of {scored} scored.",
                customers=count_of(len(rows), "customer"), days=count_of(report.horizon_days, "day"),
                scored=count_of(report.on_watch, "customer"))
        self.churn_note = i18n.gettext(
            "No order in the next {days}; {scored} who ordered within a year are scored, the riskiest {shown} shown. "
            "Backtest: trained 180 days before the as-of date, tested on {tested} 90 days before it (precision among "
            "the top {k}).", days=count_of(report.horizon_days, "day"), scored=count_of(report.on_watch, "customer"),
            shown=f"{len(rows):,}", tested=count_of(backtest.test_customers, "customer"), k=f"{backtest.k:,}",
        ) if report and backtest else ""

    def _show_forecast(self, report: ForecastResult | None) -> None:
        if report is None or not report.forecast:
            self.forecast, self.forecast_backtest, self.forecast_note = go.Figure(), [], ""
            return
        history = pd.Series([point.revenue for point in report.history], index=[point.period for point in report.history])
        bands = pd.DataFrame([vars(point) for point in report.forecast]).set_index("period")
        self.forecast = forecast_figure(history, bands, say=i18n.say)
        self.forecast_backtest = [
            {"model": i18n.say(row.model), "mape": f"{row.mape:.1f} %", "smape": f"{row.smape:.1f} %",
             "chosen": i18n.gettext("chosen") if row.model == report.model else ""}
            for row in report.backtest
        ]
        first = report.forecast[0]
        self.headlines["forecast"] = i18n.gettext(
            "Revenue forecast for {month}: {value} (80 % between {low} and {high}).", month=first.period,
            value=_money(first.forecast), low=_money(first.lower_80), high=_money(first.upper_80))
        self.forecast_note = i18n.gettext(
            "{model} has the lowest sMAPE over {folds} rolling 6-month backtest folds; bands are 80 % and 95 % "
            "prediction intervals.", model=i18n.say(report.model), folds=report.folds)

    def _show_quality(self, report: QualityResult | None) -> None:
        self.quality_overall = _share(report.overall if report else None)
        self.quality_parts = {part: _share(getattr(report, part) if report else None)
                              for part in ("field_score", "uniqueness", "freshness")}
        self.quality_fields = [
            {"field": i18n.say(FIELD_LABELS.get(row.field, row.field)), "completeness": _share(row.completeness),
             "validity": _share(row.validity), "score": _share(row.score), "weight": _share(row.weight)}
            for row in (report.fields if report else [])
        ]
        self.quality_queue = [
            {"link": routes.customer_page(row.customer_id), "name": row.name,
             # The duplicate problem ("... #606", data/reports.py) is shown as its own link.
             "problems": "; ".join(i18n.say(p) for p in row.problems.split("; ")
                                   if p and not (row.duplicate_of and p.endswith(f"#{row.duplicate_of}"))),
             "duplicate": (i18n.gettext("possible duplicate of #{id}", id=row.duplicate_of)
                           if row.duplicate_of else ""),
             "duplicate_link": routes.customer_page(row.duplicate_of) if row.duplicate_of else ""}
            for row in (report.queue if report else [])
        ]
        if report and report.fields:
            self.headlines["quality"] = i18n.gettext("Data quality {score}: {records} to fix.",
                                                     score=_share(report.overall),
                                                     records=count_of(report.records_to_fix, "customer record"))
        self.quality_note = i18n.gettext(
            "{to_fix} of {scored} customer records scored (of {customers}) need a fix ({exact} exact and {fuzzy} "
            "fuzzy duplicate pairs); the first {listed} are listed.", to_fix=f"{report.records_to_fix:,}",
            scored=f"{report.scored_customers:,}", customers=f"{report.customers:,}",
            exact=f"{report.exact_duplicate_pairs:,}", fuzzy=f"{report.fuzzy_duplicate_pairs:,}",
            listed=f"{len(self.quality_queue):,}",
        ) if report and report.fields else ""

    def _show_winprob(self, report: WinprobResult | None) -> None:
        self.winprob_comparison = [
            {"method": _named(WIN_METHODS, row.method), "brier": f"{row.brier:.3f}",
             "log_loss": f"{row.log_loss:.3f}"}
            for row in (report.comparison if report else [])
        ]
        self.winprob_pipeline = [
            {"stage": label(row.stage), "deals": f"{row.deals:,}", "amount": _money(row.amount),
             "by_stage": _money(row.by_stage_probability), "by_model": _money(row.by_model)}
            for row in (report.weighted_pipeline if report else [])
        ]
        if report and report.weighted_pipeline:
            by_model = sum(row.by_model for row in report.weighted_pipeline)
            by_stage = sum(row.by_stage_probability for row in report.weighted_pipeline)
            self.headlines["winprob"] = i18n.gettext(
                "Open deals are worth {by_model} weighted by the win model, {by_stage} by the fixed stage "
                "probabilities.", by_model=_money(by_model), by_stage=_money(by_stage))
        self.winprob_note = i18n.gettext(
            "Trained on {train} closed deals and tested on the {test} closed last; {left_out} closed deals without a "
            "recorded stage history are left out. Lower Brier score and log loss are better.",
            train=f"{report.train_deals:,}", test=f"{report.test_deals:,}",
            left_out=f"{report.closed_without_stage_history:,}",
        ) if report else ""

    def _request_refresh(self) -> Any:
        if self.refreshing:
            return None
        self.refreshing = True
        self._refresh_requested_at = datetime.now(UTC)
        return InsightsState.refresh_models

    @staff_event(*READERS)
    def load(self) -> Any:
        self.can_create_tasks = current_actor().role == Role.admin
        self.can_target = current_actor().runs_campaigns
        never_fitted = self._show()
        return self._request_refresh() if never_fitted else None

    @staff_event(*READERS)
    def refit(self) -> Any:
        if self.refreshing:
            return rx.toast.info(i18n.gettext("The models are being refitted already."))
        return [rx.toast.info(i18n.gettext("Refitting the models; the page updates when they are done.")), self._request_refresh()]

    @rx.event(background=True)
    async def refresh_models(self) -> Any:
        """Fit every insight in a child process, waited for on a worker thread; only runs when a guarded
        handler asked for it."""
        async with self:
            requested_at, self._refresh_requested_at = self._refresh_requested_at, None
            language = (await self.get_state(AuthState)).language
        if requested_at is None:
            return None
        try:
            await asyncio.to_thread(refresh_insights_apart, as_of=datetime.now(UTC).date(), requested_at=requested_at)
        except Exception:  # noqa: BLE001  (the fit's failure is logged; the reader is told, not shown a crash)
            logger.exception("The insights could not be refitted")
            return rx.toast.error(i18n.gettext(REFIT_FAILED, language))
        finally:
            async with self:
                self.refreshing = False
        return InsightsState.show_fits

    @staff_event(*READERS)
    def show_fits(self) -> Any:
        self._show()
        return rx.toast.success(i18n.gettext("The insights are up to date."))

    @staff_event(Role.admin)
    def toggle_customer(self, customer_id: str, ticked: bool) -> None:
        target = as_id(customer_id)
        if target is None or target not in self._churn_ids:
            return
        others = [s for s in self.selected if s != str(target)]
        self.selected = others + [str(target)] if ticked is True else others

    @staff_event(Role.admin)
    def select_all_at_risk(self) -> None:
        self.selected = [str(customer_id) for customer_id in self._churn_ids]

    @staff_event(Role.admin)
    def create_follow_up_tasks(self) -> Any:
        chosen = [customer_id for customer_id in self._churn_ids if str(customer_id) in self.selected]
        if not chosen:
            return rx.toast.error(i18n.gettext("Tick the customers who should get a follow-up call first."))
        with write_session() as session:
            done = create_churn_follow_ups(session=session, actor=current_actor(), customer_ids=chosen,
                                           today=datetime.now(UTC).date())
        self.selected = []
        skipped = [i18n.gettext("{n} already had one open", n=done.already_open) if done.already_open else "",
                   i18n.gettext("{n} have no owner", n=done.without_owner) if done.without_owner else ""]
        detail = "; ".join(s for s in skipped if s)
        if detail:
            return rx.toast.success(i18n.gettext("Created {n} follow-up task(s) for the owners ({detail}).",
                                                 n=done.created, detail=detail))
        return rx.toast.success(i18n.gettext("Created {n} follow-up task(s) for the owners.", n=done.created))
