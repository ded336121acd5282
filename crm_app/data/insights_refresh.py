"""The /insights page's fits: every insight fitted on the company (on a reproducible random sample of its
customers when it has more than MODEL_SAMPLE_CUSTOMERS), timed, stored as a ModelRun, and read back (the page
shows the last stored fit; the pipeline reads the win model's probabilities from it).

Fitting runs in a child process for the web server (`refresh_insights_apart`); the builders themselves are
crm_app/data/reports.py's.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from multiprocessing import get_context
from typing import Any

import pandas as pd
from sqlmodel import Session, select

from crm_app.analytics.errors import TooLittleData
from crm_app.analytics.sampling import customer_sample
from crm_app.analytics.words import Words
from crm_app.data.db import read_session, write_session
from crm_app.data.facts import Facts, customer_ids, daily_revenue, load_model_facts
from crm_app.data.models import ModelRun
from crm_app.data.report_results import stored_result
from crm_app.data.reports import INSIGHTS, ReportPeriod, build_report
from crm_app.data.repositories.model_runs import latest_model_run, record_model_run
from crm_app.settings import get_settings

logger = logging.getLogger(__name__)

# What each insight is fitted on, for "fitted on N rows".
FITTED_ON = {"segments": "orders", "clv": "orders", "churn": "orders", "forecast": "orders", "quality": "customers",
             "winprob": "deals"}
# Above this many customers the models are fitted on a random sample of this many, each with their whole history
# (the same sample on every refresh of the same customers): a hundred thousand customers pin down models of a
# dozen parameters, and the refresh then costs about the same at ten million orders as at one million.
MODEL_SAMPLE_CUSTOMERS = 100_000
MODEL_SAMPLE_SEED = 17
# The forecast is of the company's revenue, so it is never fitted on a sample.
UNSAMPLED = ("forecast",)


@dataclass(frozen=True)
class ModelFacts:
    """What the models are fitted on: `facts` of every customer, or of a random sample of `sampled` of the
    company's `customers` with `revenue`, the company's revenue per day (facts.daily_revenue), for the forecast."""

    facts: Facts
    customers: int
    sampled: int | None = None
    revenue: pd.DataFrame | None = None

    def for_insight(self, name: str) -> Facts:
        """The facts the insight `name` is built from."""
        if self.revenue is not None and name in UNSAMPLED:
            # revenue_series sums total_amount per month of the revenue statuses, which the day's sums give too.
            return replace(self.facts, orders=self.revenue)
        return self.facts

    def sample_of(self, name: str) -> dict[str, int] | None:
        """{"customers": sampled, "of": the company's customers} when `name` is fitted on a sample, else None."""
        return None if self.sampled is None or name in UNSAMPLED else {"customers": self.sampled, "of": self.customers}

    def rows(self, name: str) -> int:
        """How many rows `name` is fitted on: the sampled customers, or its FITTED_ON table's rows."""
        if (sample := self.sample_of(name)) is not None:
            return sample["customers"]
        if name in UNSAMPLED and self.revenue is not None:
            return int(self.revenue["orders"].sum())
        return len(getattr(self.facts, FITTED_ON[name]))


def model_facts(session: Session, *, cap: int = MODEL_SAMPLE_CUSTOMERS) -> ModelFacts:
    """The facts the models read (facts.load_model_facts): of every customer up to `cap` customers, else of the
    sample analytics.sampling.customer_sample draws with MODEL_SAMPLE_SEED."""
    everyone = customer_ids(session)
    if len(everyone) <= cap:
        return ModelFacts(facts=load_model_facts(session), customers=len(everyone))
    sample = customer_sample(everyone, cap, seed=MODEL_SAMPLE_SEED)
    return ModelFacts(facts=load_model_facts(session, customers=sample), customers=len(everyone),
                      sampled=len(sample), revenue=daily_revenue(session))


@dataclass(frozen=True)
class InsightFit:
    """One fitted insight: its report (or {"error": why} when the data cannot support it) and its cost."""

    name: str
    report: dict[str, Any]
    rows: int
    seconds: float


def fit_insight(name: str, facts: Facts | ModelFacts, period: ReportPeriod) -> InsightFit:
    """Build the insight report `name`, timing it; too little data becomes the report's error. A fit on a sample
    of the customers says so in the report's `sample` ({"customers": sampled, "of": all})."""
    model = facts if isinstance(facts, ModelFacts) else ModelFacts(facts=facts, customers=len(facts.customers))
    started = time.perf_counter()
    try:
        report = build_report(name, model.for_insight(name), period).as_json()
    except TooLittleData as too_little:
        logger.info("Insight %s not fitted: %s", name, too_little)
        report = {"report": name, "error": str(too_little), **_said_again(too_little)}
    if (sample := model.sample_of(name)) is not None:
        report["sample"] = sample
    return InsightFit(name=name, report=report, rows=model.rows(name), seconds=time.perf_counter() - started)


def _said_again(too_little: TooLittleData) -> dict[str, Any]:
    """The error's message template and values when it was written as Words, so each reader reads it in their
    language (stored_error)."""
    words = too_little.args[0] if too_little.args else None
    return {"error_words": [words.template, words.values]} if isinstance(words, Words) else {}


def stored_error(summary: dict[str, Any]) -> str:
    """Why a stored fit has no result ("" when it has one), as Words when it was written so."""
    if isinstance(words := summary.get("error_words"), list) and len(words) == 2:
        return Words(str(words[0]), **dict(words[1]))
    return str(summary.get("error", ""))


def insight_model_name(name: str) -> str:
    """The ModelRun.model under which an insight's latest fit is stored."""
    return f"insights_{name}"


_refresh_lock = threading.Lock()


def refresh_insights(*, as_of: date, requested_at: datetime | None = None,
                     sample_cap: int = MODEL_SAMPLE_CUSTOMERS) -> list[InsightFit]:
    """Fit every insight on the company as of `as_of` (on a sample when it has more than `sample_cap` customers,
    model_facts) and store each report as a ModelRun, so a page load shows it without refitting. One refresh at a
    time per process: a request made while another ran is answered by that run (returns [] when every insight was
    fitted after `requested_at`)."""
    with _refresh_lock:
        if requested_at is not None:
            with read_session() as session:
                runs = latest_insights(session=session)
            if all(run is not None and _aware(run.fitted_at) >= requested_at for run in runs.values()):
                return []
        with read_session() as session:
            facts = model_facts(session, cap=sample_cap)
        period = ReportPeriod.ending(as_of)
        fits = [fit_insight(name, facts, period) for name in INSIGHTS]
        with write_session() as session:
            for fit in fits:
                record_model_run(session=session, model=insight_model_name(fit.name), rows=fit.rows,
                                 seconds=fit.seconds, summary=fit.report)
        return fits


def refresh_insights_apart(*, as_of: date, requested_at: datetime | None = None,
                           sample_cap: int = MODEL_SAMPLE_CUSTOMERS) -> list[InsightFit]:
    """refresh_insights in a child process, for the web server: pandas and scikit-learn hold the GIL for
    hundreds of milliseconds at a time on large frames, which would stall every user's events if the fits
    ran on a thread of the server's own process. Call it from a worker thread (asyncio.to_thread)."""
    with _refresh_lock, ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as child:
        return child.submit(_refresh_in_child, get_settings().database_url, as_of, requested_at, sample_cap).result()


def _refresh_in_child(database_url: str, as_of: date, requested_at: datetime | None,
                      sample_cap: int) -> list[InsightFit]:
    get_settings().database_url = database_url
    return refresh_insights(as_of=as_of, requested_at=requested_at, sample_cap=sample_cap)


def latest_insights(*, session: Session) -> dict[str, ModelRun | None]:
    """The last stored fit of each insight (None when it was never fitted)."""
    return {name: latest_model_run(session=session, model=insight_model_name(name)) for name in INSIGHTS}


@dataclass(frozen=True)
class WinProbabilities:
    """The last successful win-model fit: when, and each open deal's P(won) by the stage it was scored in."""

    fitted_at: datetime
    by_stage: dict[str, dict[int, float]]


def latest_win_model_fit(*, session: Session) -> datetime | None:
    """When the win model was last fitted, without reading its probabilities; None when it was never fitted or
    its last fit had too little data."""
    row = session.exec(
        select(ModelRun.fitted_at, ModelRun.summary["error"].as_string())
        .where(ModelRun.model == insight_model_name("winprob"))
        .order_by(ModelRun.fitted_at.desc(), ModelRun.id.desc()).limit(1)
    ).first()
    return _aware(row[0]) if row is not None and row[1] is None else None


def latest_win_probabilities(*, session: Session) -> WinProbabilities | None:
    """The open deals' model probabilities of the last win-model fit; None when it was never fitted or its last
    fit had too little data."""
    run = latest_model_run(session=session, model=insight_model_name("winprob"))
    stored = (run.summary or {}).get("open_deal_probabilities") if run else None
    if stored is None:
        return None
    by_stage = {stage: {int(deal_id): p for deal_id, p in deals.items()} for stage, deals in stored.items()}
    return WinProbabilities(fitted_at=_aware(run.fitted_at), by_stage=by_stage)


@dataclass(frozen=True)
class ChurnRisk:
    """The customers on the last churn fit's at-risk list (riskiest first) and their P(no order in 90 days)."""

    fitted_at: datetime
    customer_ids: tuple[int, ...]
    probabilities: dict[int, float]


def latest_churn_risk(*, session: Session) -> ChurnRisk | None:
    """The at-risk list of the last churn fit shown on /insights; None when it was never fitted or its last
    fit had too little data."""
    run = latest_model_run(session=session, model=insight_model_name("churn"))
    result = stored_result("churn", run.summary) if run else None
    if result is None:
        return None
    return ChurnRisk(fitted_at=_aware(run.fitted_at), customer_ids=tuple(row.customer_id for row in result.at_risk),
                     probabilities={row.customer_id: row.probability for row in result.at_risk})


def _aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without their zone; they are stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
