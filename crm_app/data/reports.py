"""The reports of `crm-app report …` and of the /insights page: fact frames + analytics -> typed results.

One builder per report, taking the (already narrowed) `Facts` and returning its dataclass
(crm_app/data/report_results.py); the CLI prints it as text or JSON and the page shows it, so both always show
the same numbers. Conventions:

- `as_of` is a date; models see what happened before its midnight UTC (the seed's history ends there too).
- A period `[start, end]` is whole UTC days, both included (so it covers [start 00:00, end + 1 day 00:00)).
  Without dates it is the 30 days before as_of.
- Filters narrow the frames in one place, `filtered_facts`, by the rules the cockpit uses too
  (crm_app.analytics.filters): region, segment and rep (the customer's owner, a deal's owner) apply to every
  frame that has them; channel to orders; category keeps the orders with a line in the category and counts
  only those lines' net amounts as the order's value; a campaign's cost is shared by its targets in the view.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session, select
from threadpoolctl import threadpool_limits

from crm_app.analytics import measures
from crm_app.analytics._common import utc_column
from crm_app.analytics.campaigns import campaign_performance
from crm_app.analytics.churn import backtest_churn, churn_risk
from crm_app.analytics.clv import customer_lifetime_value, fit_bgnbd, fit_gamma_gamma, rfm_summary
from crm_app.analytics.errors import TooLittleData
from crm_app.analytics.filters import FILTERED_BY, cost_in_view, net_by_order_and_category, row_mask
from crm_app.analytics.forecast import forecast_revenue, revenue_series
from crm_app.analytics.kpis import sales_kpis
from crm_app.analytics.quality import data_quality, email_validity, phone_validity
from crm_app.analytics.retention import retention_rate
from crm_app.analytics.rfm import SEGMENTS, rfm_clusters, rfm_scores, rfm_table
from crm_app.analytics.segment_map import segment_map
from crm_app.analytics.stats import csat_score, nps_score
from crm_app.analytics.win_probability import fit_win_probability, score_open_deals
from crm_app.analytics.words import Words
from crm_app.data.facts import Facts
from crm_app.data.report_results import (
    CampaignsResult, ChurnResult, ClvResult, ForecastResult, KpisResult, QualityResult, Report, ReportResult,
    SegmentsResult, WinprobResult, from_plain,
)
from crm_app.data.models import User
from crm_app.domain import OPEN_STAGES, REVENUE_STATUSES, TargetGroup

DEFAULT_PERIOD_DAYS = 30
TOP_ROWS = 50
# KMeans over k = 2..8 with 10 restarts each is slow: cluster a seeded sample of this many customers.
CLUSTER_SAMPLE = 20_000
TOO_FEW_SEGMENTED = "Segments need at least 3 customers with a paid order; there are {count}."
# Validating every email and phone and comparing names pairwise took minutes at 100,000 customers: score a
# seeded sample. Field shares are unbiased; uniqueness only sees pairs with both records in the sample.
QUALITY_SAMPLE = 20_000
# BG/NBD and Gamma-Gamma have 4 and 3 parameters: a seeded sample of this many customers pins them down, and
# the full fit took 25-40 s at 100,000 customers. Every customer is still scored.
CLV_FIT_SAMPLE = 20_000
CLV_TIME_UNIT, CLV_MONTHS, CLV_MONTHLY_DISCOUNT = "W", 12, 0.01
CHURN_HORIZON_DAYS = 90
# Only customers who ordered within this many days are on the churn list: the rest are already gone.
CHURN_LIST_RECENCY_DAYS = 365
FORECAST_HORIZON, FORECAST_SEASON, FORECAST_MAX_FOLDS = 6, 12, 3
# The win model's 3-fold calibration and the 25 % holdout need a few deals of each outcome.
WINPROB_MIN_CLOSED, WINPROB_MIN_EACH = 40, 10

CHURN_DRIVER_LABELS = {
    "recency_days": "Days since last order", "frequency": "Number of orders", "monetary": "Spend",
    "tenure_days": "Customer for (days)", "csat_mean": "CSAT", "nps_mean": "NPS",
    "feedback_count": "Feedback answers", "open_tasks": "Open tasks", "overdue_tasks": "Overdue tasks",
}


# --- what a report is about ------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportFilters:
    """What the data is narrowed to; None is everything. `rep_id` is the rep named by `rep` (an email)."""

    region: str | None = None
    segment: str | None = None
    category: str | None = None
    channel: str | None = None
    rep: str | None = None
    rep_id: int | None = None

    def shown(self) -> dict[str, str]:
        return {name: value for name, value in asdict(self).items() if value is not None and name != "rep_id"}


@dataclass(frozen=True)
class ReportPeriod:
    """The as-of day of the models and the [start, end] days (inclusive) of the period KPIs."""

    as_of: date
    start: date
    end: date

    @classmethod
    def ending(cls, as_of: date, start: date | None = None, end: date | None = None) -> ReportPeriod:
        """Fill the missing days: end = the day before as_of, start = end − 29 days (30 days in all)."""
        end = end or as_of - timedelta(days=1)
        start = start or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
        if start > end:
            raise ValueError(f"The period starts ({start}) after it ends ({end}).")
        return cls(as_of=as_of, start=start, end=end)

    def shown(self) -> dict[str, str]:
        return {"as_of": self.as_of.isoformat(), "from": self.start.isoformat(), "to": self.end.isoformat()}


def rep_id_for(*, session: Session, email: str) -> int | None:
    """The id of the user with this email (any case), or None."""
    return session.exec(select(User.id).where(User.email == email.strip().lower())).first()


def _keep(frame: pd.DataFrame, table: str, wanted: dict[str, Any]) -> pd.DataFrame:
    return frame[row_mask({name: frame[name] for name in frame.columns}, wanted, table)]


def filtered_facts(facts: Facts, filters: ReportFilters) -> Facts:
    """The facts narrowed by `filters`, by the rules every view shares (crm_app.analytics.filters)."""
    wanted = {"region": filters.region, "segment": filters.segment, "channel": filters.channel,
              "owner_id": filters.rep_id}
    orders = _keep(facts.orders, "orders", wanted)
    lines = facts.lines[facts.lines["order_id"].isin(orders["id"])]
    if filters.category is not None:
        lines = lines[(lines["category"] == filters.category).to_numpy(dtype=bool)]
        net = net_by_order_and_category(lines).droplevel("category")
        orders = orders[orders["id"].isin(net.index)].assign(total_amount=lambda o: o["id"].map(net).round(2).astype(float))
    customers = _keep(facts.customers, "customers", wanted)
    targets = _keep(facts.campaign_targets, "campaign_targets", wanted)
    campaigns = facts.campaigns
    if any(wanted[name] is not None for name in FILTERED_BY["campaign_targets"]):
        ids = campaigns["id"].to_numpy()
        # The cost is shared by the contacted targets (the cockpit's campaign_totals does the same).
        in_view = _contacted(targets).groupby("campaign_id").size().reindex(ids, fill_value=0).to_numpy()
        everyone = (_contacted(facts.campaign_targets).groupby("campaign_id").size()
                    .reindex(ids, fill_value=0).to_numpy())
        campaigns = campaigns.assign(cost=cost_in_view(campaigns["cost"].to_numpy(float), in_view, everyone))
        campaigns = campaigns[targets.groupby("campaign_id").size().reindex(ids, fill_value=0).to_numpy() > 0]
    return replace(
        facts,
        orders=orders,
        lines=lines,
        customers=customers,
        deals=_keep(facts.deals, "deals", wanted),
        feedback=_keep(facts.feedback, "feedback", wanted),
        activities=facts.activities[facts.activities["customer_id"].isin(customers["id"])],
        campaigns=campaigns,
        campaign_targets=targets,
    )


def _plain(value: Any) -> Any:
    """JSON-ready: numpy scalars as Python numbers, NaN and infinities as None, dates as ISO text."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return _plain(frame.to_dict(orient="records"))


def _contacted(targets: pd.DataFrame) -> pd.DataFrame:
    """The targets a campaign contacted (every row of targets without a group column)."""
    if "target_group" not in targets:
        return targets
    return targets[(targets["target_group"] != TargetGroup.holdout).to_numpy(dtype=bool)]


def _names(facts: Facts) -> pd.Series:
    return facts.customers.set_index("id")["name"]


# --- the reports --------------------------------------------------------------------------------------


def kpis_report(facts: Facts, period: ReportPeriod) -> KpisResult:
    """Sales KPIs of the period (analytics.kpis.sales_kpis), CSAT and NPS of the answers submitted in it, and
    `figures`: the cockpit's KPIs for the same view, by the same kernels (analytics.measures)."""
    start, end = pd.Timestamp(period.start, tz="UTC"), pd.Timestamp(period.end + timedelta(days=1), tz="UTC")
    kpis = sales_kpis(facts.orders, start, end, lines=facts.lines, deals=facts.deals)
    submitted = facts.feedback["submitted_at"]
    answers = facts.feedback[((submitted >= start) & (submitted < end)).to_numpy(dtype=bool)]
    csat, nps = csat_score(answers["csat"]), nps_score(answers["nps"])
    sales = {k: v for k, v in asdict(kpis).items() if k not in ("start", "end")}
    return from_plain(KpisResult, _plain({
        **period.shown(),
        "kpis": sales,
        "satisfaction": {"csat": csat.value if csat.n else None, "csat_answers": csat.n,
                         "nps": nps.value if nps.n else None, "nps_answers": nps.n},
        "figures": _cockpit_figures(facts, kpis, answers, start, end),
    }))


def _cockpit_figures(facts: Facts, kpis: Any, answers: pd.DataFrame, start: pd.Timestamp,
                     end: pd.Timestamp) -> dict[str, float | None]:
    """The cockpit's KPIs (analytics.cockpit.KPIS) of [start, end) from the (already filtered) fact frames."""
    paid = facts.orders[facts.orders["status"].astype(str).isin(REVENUE_STATUSES).to_numpy(dtype=bool)]
    ordered = utc_column(paid["ordered_at"])
    year = paid[((ordered >= end - pd.DateOffset(years=1)) & (ordered < end)).to_numpy(dtype=bool)]
    started = pd.to_datetime(facts.campaigns["start_date"])
    naive = start.tz_localize(None), end.tz_localize(None)
    campaigns = facts.campaigns[((started >= naive[0]) & (started < naive[1])).to_numpy(dtype=bool)]
    performance = campaign_performance(campaigns, facts.campaign_targets)
    return {
        "revenue": kpis.revenue,
        "orders": kpis.orders,
        "aov": kpis.average_order_value,
        "active_customers": kpis.active_customers,
        "retention": retention_rate(facts.orders, start, end).retention,
        "historical_value": measures.historical_value(float(year["total_amount"].sum()),
                                                      int(year["customer_id"].nunique())),
        "csat": measures.csat(answers["csat"].to_numpy(dtype=float, na_value=np.nan)),
        "nps": measures.nps(answers["nps"].to_numpy(dtype=float, na_value=np.nan)),
        "weighted_pipeline": kpis.weighted_pipeline,
        "win_rate": kpis.win_rate,
        "campaign_roi": measures.roi(float(performance["attributed_revenue"].sum()), float(performance["cost"].sum())),
    }


def _cluster_sample(rfm: pd.DataFrame, cluster_sample: int) -> pd.DataFrame:
    return rfm if len(rfm) <= cluster_sample else rfm.sample(cluster_sample, random_state=0).sort_index()


def segment_members(facts: Facts, as_of: date, *, segment: str | None = None, cluster: int | None = None,
                    cluster_sample: int = CLUSTER_SAMPLE) -> list[int]:
    """The customer ids of one RFM segment, or of one KMeans cluster (numbered from 0), exactly as segments_report
    found them as of `as_of` (the same data, sample and seeds give the same clusters): a campaign audience."""
    rfm = rfm_table(facts.orders, as_of)
    if len(rfm) < 3:
        raise TooLittleData(Words(TOO_FEW_SEGMENTED, count=len(rfm)))
    if segment is not None:
        scored = rfm_scores(rfm)
        return sorted(int(i) for i in scored.index[scored["segment"] == segment])
    labels = rfm_clusters(_cluster_sample(rfm, cluster_sample)).labels
    return sorted(int(i) for i in labels.index[labels == cluster])


def segments_report(facts: Facts, period: ReportPeriod, *, cluster_sample: int = CLUSTER_SAMPLE) -> SegmentsResult:
    """RFM named segments with their profiles, KMeans clusters with the silhouette score of each k tried (on a seeded
    sample of `cluster_sample` customers when there are more), and the clustered customers' segment map (at most
    analytics.segment_map.MAP_POINTS of them drawn)."""
    rfm = rfm_table(facts.orders, period.as_of)
    if len(rfm) < 3:
        raise TooLittleData(Words(TOO_FEW_SEGMENTED, count=len(rfm)))
    scored = rfm_scores(rfm)
    grouped = scored.groupby("segment")
    profile = pd.DataFrame({
        "customers": grouped.size(),
        "recency_days": grouped["recency_days"].mean(),
        "frequency": grouped["frequency"].mean(),
        "monetary": grouped["monetary"].mean(),
        "revenue": grouped["monetary"].sum(),
    }).reindex([s for s in SEGMENTS if s in grouped.groups])
    profile.insert(1, "share", profile["customers"] / len(scored))
    sample = _cluster_sample(rfm, cluster_sample)
    clusters = rfm_clusters(sample)
    mapped = segment_map(sample, clusters.labels)
    return from_plain(SegmentsResult, _plain({
        "as_of": period.as_of.isoformat(),
        "customers": len(scored),
        "segments": _records(profile.rename_axis("segment").reset_index()),
        "clusters": {
            "k": clusters.k,
            "clustered_customers": len(sample),
            "silhouette": _records(clusters.silhouette.reset_index()),
            "profile": _records(clusters.profile.reset_index()),
        },
        "map": {
            "explained_variance": list(mapped.explained_variance),
            "mapped_customers": mapped.customers,
            "customer_id": mapped.points.index.tolist(),
            # Four decimals: a thousandth of a standard deviation is far below a pixel on the map.
            "x": mapped.points["x"].round(4).tolist(),
            "y": mapped.points["y"].round(4).tolist(),
            "cluster": mapped.points["cluster"].tolist(),
        },
    }))


def clv_report(facts: Facts, period: ReportPeriod, *, top: int = TOP_ROWS,
               fit_sample: int = CLV_FIT_SAMPLE) -> ClvResult:
    """BG/NBD + Gamma-Gamma fitted on revenue orders before as_of (weeks; on a seeded sample of `fit_sample`
    customers when there are more); 12-month CLV at 1 % a month for every customer, top `top`."""
    summary = rfm_summary(facts.orders, period.as_of, time_unit=CLV_TIME_UNIT)
    if len(summary) < 3:
        raise TooLittleData(Words("CLV needs at least 3 customers with a paid order; there are {count}.",
                                  count=len(summary)))
    fitted_on = summary if len(summary) <= fit_sample else summary.sample(fit_sample, random_state=0)
    bgnbd, gamma_gamma = fit_bgnbd(fitted_on), fit_gamma_gamma(fitted_on)
    values = customer_lifetime_value(summary, bgnbd, gamma_gamma, months=CLV_MONTHS,
                                     monthly_discount_rate=CLV_MONTHLY_DISCOUNT, time_unit=CLV_TIME_UNIT)
    ranked = values.sort_values(["clv"], ascending=False, kind="stable").head(top)
    ranked = ranked.assign(name=_names(facts).reindex(ranked.index).fillna("")).rename_axis("customer_id")
    return from_plain(ClvResult, _plain({
        "as_of": period.as_of.isoformat(),
        "time_unit": "week",
        "months": CLV_MONTHS,
        "monthly_discount_rate": CLV_MONTHLY_DISCOUNT,
        "customers": len(values),
        "total_clv": float(values["clv"].sum()),
        "bgnbd": asdict(bgnbd),
        "gamma_gamma": asdict(gamma_gamma),
        "top": _records(ranked.reset_index()[["customer_id", "name", "expected_purchases", "p_alive",
                                              "expected_average_value", "clv"]]),
    }))


def churn_report(facts: Facts, period: ReportPeriod, *, top: int = TOP_ROWS) -> ChurnResult:
    """Who will not order in the next 90 days: the logistic model's probability and its top drivers for the
    customers who ordered within a year, riskiest first; plus a backtest ending at as_of (train at
    as_of − 180 days, test at as_of − 90 days with the orders seen by as_of) against the recency rule."""
    as_of = pd.Timestamp(period.as_of, tz="UTC")
    extra = {"feedback": facts.feedback, "activities": facts.activities}
    backtest = backtest_churn(facts.customers, facts.orders, as_of - pd.Timedelta(days=CHURN_HORIZON_DAYS),
                              horizon_days=CHURN_HORIZON_DAYS, **extra)
    risk, drivers = churn_risk(facts.customers, facts.orders, as_of, horizon_days=CHURN_HORIZON_DAYS, **extra)
    reachable = risk[risk["recency_days"] <= CHURN_LIST_RECENCY_DAYS]
    ranked = reachable.sort_values("logistic", ascending=False, kind="stable").head(top)
    shown = drivers[(drivers["contribution"] > 0).to_numpy() & drivers["customer_id"].isin(ranked.index).to_numpy()]
    pushing = shown.assign(label=lambda d: d["feature"].map(CHURN_DRIVER_LABELS))
    reasons = pushing.groupby("customer_id")["label"].agg(", ".join)
    owners = facts.customers.set_index("id")["owner_id"]
    rows = pd.DataFrame({
        "customer_id": ranked.index,
        "name": _names(facts).reindex(ranked.index).fillna("").to_numpy(),
        "owner_id": owners.reindex(ranked.index).to_numpy(),
        "probability": ranked["logistic"].to_numpy(),
        "gradient_boosting": ranked["gradient_boosting"].to_numpy(),
        "recency_days": ranked["recency_days"].to_numpy(),
        "drivers": reasons.reindex(ranked.index).fillna("").to_numpy(),
    })
    return from_plain(ChurnResult, _plain({
        "as_of": period.as_of.isoformat(),
        "horizon_days": CHURN_HORIZON_DAYS,
        "customers": len(risk),
        "on_watch": len(reachable),
        "backtest": {
            "k": backtest.k, "train_customers": backtest.train_customers, "test_customers": backtest.test_customers,
            "test_churn_rate": backtest.test_churn_rate,
            "models": _records(backtest.metrics.reset_index()),
        },
        "at_risk": _records(rows),
    }))


def forecast_report(facts: Facts, period: ReportPeriod) -> ForecastResult:
    """Monthly revenue for the next 6 months with 80 % / 95 % intervals, from the model (ETS, SARIMA or the
    seasonal-naive baseline) with the lowest sMAPE over up to 3 rolling 6-month backtest folds."""
    series = revenue_series(facts.orders, period.as_of, period="month")
    folds = min(FORECAST_MAX_FOLDS, (len(series) - 2 * FORECAST_SEASON) // FORECAST_HORIZON)
    if folds < 1:
        needed = 2 * FORECAST_SEASON + FORECAST_HORIZON
        raise TooLittleData(Words("The forecast needs {needed} complete months of revenue; there are {count}.",
                                  needed=needed, count=len(series)))
    result = forecast_revenue(series, horizon=FORECAST_HORIZON, season=FORECAST_SEASON, folds=folds)
    return from_plain(ForecastResult, _plain({
        "as_of": period.as_of.isoformat(),
        "period": "month",
        "model": result.model,
        "folds": folds,
        "backtest": _records(result.backtest.reset_index()),
        "history": _records(series.rename_axis("period").reset_index().assign(
            period=lambda f: f["period"].dt.strftime("%Y-%m-%d"))),
        "forecast": _records(result.forecast.rename_axis("period").reset_index().assign(
            period=lambda f: f["period"].dt.strftime("%Y-%m-%d"))),
    }))


def quality_report(facts: Facts, period: ReportPeriod, *, top: int = TOP_ROWS,
                   sample: int = QUALITY_SAMPLE) -> QualityResult:
    """The data-quality scorecard (per field and overall, analytics.quality.data_quality) and the queue of
    customer records to fix: invalid emails or phones, missing fields, duplicate candidates, most problems first.
    Above `sample` customers both are computed on a seeded sample of that many (see QUALITY_SAMPLE)."""
    customers = facts.customers
    if len(customers) > sample:
        customers = customers.sample(sample, random_state=0).sort_values("id")
    customers = customers.reset_index(drop=True)
    quality = data_quality(customers, pd.Timestamp(period.as_of, tz="UTC"))
    problems = pd.DataFrame(index=customers.index)
    problems["invalid email"] = email_validity(customers["email"]).eq(False).fillna(False).to_numpy(dtype=bool)
    problems["invalid phone"] = phone_validity(customers["phone"]).eq(False).fillna(False).to_numpy(dtype=bool)
    for field in ("email", "phone", "company", "owner_id"):
        problems[f"no {field.removesuffix('_id')}"] = customers[field].isna().to_numpy()
    pairs = pd.concat([quality.exact_duplicates[["id_a", "id_b"]], quality.fuzzy_duplicates[["id_a", "id_b"]]])
    duplicate_of = pairs.groupby("id_b")["id_a"].min()
    problems["possible duplicate"] = customers["id"].isin(duplicate_of.index).to_numpy()
    counts = problems.sum(axis=1)
    flagged = customers.assign(problems=counts)[counts.to_numpy() > 0]
    flagged = flagged.sort_values(["problems", "id"], ascending=[False, True], kind="stable").head(top)

    def described(position: int) -> str:
        found = [name for name, hit in problems.loc[position].items() if hit]
        return "; ".join(f"possible duplicate of #{duplicate_of[customers.at[position, 'id']]}"
                         if name == "possible duplicate" else name for name in found)

    queue = [{"customer_id": customers.at[i, "id"], "name": customers.at[i, "name"], "problems": described(i),
              "duplicate_of": duplicate_of.get(customers.at[i, "id"])} for i in flagged.index]
    return from_plain(QualityResult, _plain({
        "as_of": period.as_of.isoformat(),
        "customers": len(facts.customers),
        "scored_customers": len(customers),
        "overall": quality.overall,
        "field_score": quality.field_score,
        "uniqueness": quality.uniqueness,
        "freshness": quality.freshness,
        "fields": _records(quality.fields.reset_index()),
        "exact_duplicate_pairs": len(quality.exact_duplicates),
        "fuzzy_duplicate_pairs": len(quality.fuzzy_duplicates),
        "records_to_fix": int((counts > 0).sum()),
        "queue": queue,
    }))


def winprob_report(facts: Facts, period: ReportPeriod) -> WinprobResult:
    """Win probability of the open deals (analytics.win_probability): a calibrated logistic regression fitted on
    the deals closed before as_of whose last open stage is known from the audit trail, against the fixed stage
    probabilities on a holdout of the last 25 % closed (Brier and log loss, lower is better); the weighted
    pipeline Σ amount × P(won) of today's open deals per stage by each; and each open deal's model probability,
    `open_deal_probabilities` = {stage scored in: {deal id: P(won) to 3 decimals}}, which the pipeline board
    uses while the deal is still in that stage. Open deals are those open now (as_of only dates the model)."""
    deals = facts.deals
    as_of = pd.Timestamp(period.as_of, tz="UTC")
    closed = deals[(deals["stage"].isin(["Won", "Lost"]) & (deals["closed_at"] < as_of)).to_numpy(dtype=bool)]
    known = closed[closed["stage_reached"].notna().to_numpy()]
    wins = int((known["stage"] == "Won").sum())
    if len(known) < WINPROB_MIN_CLOSED or min(wins, len(known) - wins) < WINPROB_MIN_EACH:
        raise TooLittleData(Words("The win model needs {needed} closed deals with their stage history, at least {each} won "
                                  "and {each} lost; there are {count} ({wins} won).", needed=WINPROB_MIN_CLOSED,
                                  each=WINPROB_MIN_EACH, count=len(known), wins=wins))
    plain = {"stage": str, "stage_reached": str}
    fitted = fit_win_probability(known.astype(plain))
    open_deals = deals[deals["stage"].isin(OPEN_STAGES).to_numpy(dtype=bool)].astype(plain)
    scored = (score_open_deals(fitted, open_deals, as_of) if len(open_deals)
              else pd.DataFrame(columns=["model_probability", "weighted_by_model", "weighted_by_stage"], dtype=float))
    # Kept to 3 decimals, and weighted with those, so the board's "Win model" figures add up to the same sums.
    probability = scored["model_probability"].round(3)
    scored = scored.assign(model_probability=probability, weighted_by_model=open_deals["amount"] * probability,
                           stage=open_deals["stage"], deal_id=open_deals["id"], amount=open_deals["amount"])
    by_stage = scored.groupby("stage").agg(deals=("deal_id", "size"), amount=("amount", "sum"),
                                           by_stage_probability=("weighted_by_stage", "sum"),
                                           by_model=("weighted_by_model", "sum")).reindex(list(OPEN_STAGES))
    by_stage = by_stage.fillna(0).astype({"deals": int})
    total = by_stage.sum().to_frame("Total").T.astype({"deals": int})
    probabilities = {stage: dict(zip(rows["deal_id"], rows["model_probability"]))
                     for stage, rows in scored.groupby("stage")}
    return from_plain(WinprobResult, _plain({
        "as_of": period.as_of.isoformat(),
        "closed_deals": len(closed),
        "closed_without_stage_history": len(closed) - len(known),
        "train_deals": fitted.train_deals,
        "test_deals": fitted.test_deals,
        "comparison": _records(fitted.metrics.reset_index()),
        "weighted_pipeline": _records(pd.concat([by_stage, total]).rename_axis("stage").reset_index()),
        "open_deal_probabilities": probabilities,
    }))


def campaigns_report(facts: Facts, period: ReportPeriod) -> CampaignsResult:
    """Per campaign: contacted targets, responders, response rate with its 95 % Wilson interval, costs, revenue and
    ROI; holdout_targets, uplift with its 95 % Newcombe interval and the ROI on incremental revenue."""
    performance = campaign_performance(facts.campaigns, facts.campaign_targets)
    named = facts.campaigns.set_index("id")[["name", "channel", "start_date"]].join(performance)
    named["start_date"] = named["start_date"].dt.strftime("%Y-%m-%d")
    return from_plain(CampaignsResult, _plain({
        "as_of": period.as_of.isoformat(),
        "campaigns": _records(named.rename_axis("campaign_id").reset_index()),
    }))


# Every report by its CLI name; the insights page refits the ones in INSIGHTS.
REPORTS: dict[str, Callable[[Facts, ReportPeriod], ReportResult]] = {
    "kpis": kpis_report, "segments": segments_report, "clv": clv_report, "churn": churn_report,
    "forecast": forecast_report, "campaigns": campaigns_report, "quality": quality_report, "winprob": winprob_report,
}
INSIGHTS: tuple[str, ...] = ("segments", "clv", "churn", "forecast", "quality", "winprob")


def build_report(name: str, facts: Facts, period: ReportPeriod, filters: ReportFilters = ReportFilters()) -> Report:
    """Report `name` of the facts narrowed by `filters`, with the filters it was built for."""
    narrowed = filtered_facts(facts, filters) if filters.shown() else facts
    # One OpenMP/BLAS thread: on a busy 2-core server the default threads spin against each other and
    # against the web worker (KMeans and the churn models measured 25-50x slower under load).
    with threadpool_limits(limits=1):
        report = REPORTS[name](narrowed, period)
    return Report(name=name, filters=filters.shown(), result=report)
