"""Churn risk: who will not order in the next N days, from RFM, tenure, feedback and open tasks.

Label at a cutoff c: churned = 1 when the customer (with a revenue order before c) places no revenue
order in [c, c + N days). Time-based holdout: the models learn from features at as_of − N with labels
seen in [as_of − N, as_of), and are tested on features at as_of with labels from [as_of, as_of + N).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from crm_app.analytics._common import DAY, between, revenue_orders, utc, utc_column
from crm_app.analytics.rfm import rfm_table

if TYPE_CHECKING:  # annotations only
    from sklearn.pipeline import Pipeline

Moment = datetime | date | str | pd.Timestamp

FEATURES: tuple[str, ...] = (
    "recency_days", "frequency", "monetary", "tenure_days",
    "csat_mean", "nps_mean", "feedback_count", "open_tasks", "overdue_tasks",
)


def churn_features(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    cutoff: Moment,
    *,
    feedback: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    id_col: str = "id",
    created_col: str = "created_at",
) -> pd.DataFrame:
    """Features at `cutoff` of each customer with a revenue order before it (indexed by customer_id):

    recency_days, frequency, monetary (rfm_table at cutoff); tenure_days = cutoff − customer created_at
    (days); csat_mean, nps_mean (NaN without answers) and feedback_count over feedback submitted before
    cutoff; open_tasks = tasks created before cutoff and not done by it; overdue_tasks = those due before it.
    Feedback needs customer_id, csat, nps, submitted_at; activities customer_id, kind, created_at, done,
    done_at, due_at.
    """
    cutoff = utc(cutoff)
    frame = rfm_table(orders, cutoff)
    created = customers.set_index(id_col)[created_col]
    frame["tenure_days"] = (cutoff - utc_column(created.reindex(frame.index))) / DAY
    if feedback is not None and len(feedback):
        seen = feedback.loc[utc_column(feedback["submitted_at"]) < cutoff]
        grouped = seen.groupby("customer_id")
        frame["csat_mean"] = grouped["csat"].mean().reindex(frame.index).astype(float)
        frame["nps_mean"] = grouped["nps"].mean().reindex(frame.index).astype(float)
        frame["feedback_count"] = grouped.size().reindex(frame.index, fill_value=0).astype("int64")
    else:
        frame[["csat_mean", "nps_mean"]] = np.nan
        frame["feedback_count"] = 0
    if activities is not None and len(activities):
        tasks = activities.loc[activities["kind"] == "task"]
        done_at = utc_column(tasks["done_at"])
        open_ = (utc_column(tasks["created_at"]) < cutoff) & ~(tasks["done"].astype(bool) & (done_at < cutoff))
        overdue = open_ & (utc_column(tasks["due_at"]) < cutoff)
        frame["open_tasks"] = open_.groupby(tasks["customer_id"]).sum().reindex(frame.index, fill_value=0)
        frame["overdue_tasks"] = overdue.groupby(tasks["customer_id"]).sum().reindex(frame.index, fill_value=0)
        frame[["open_tasks", "overdue_tasks"]] = frame[["open_tasks", "overdue_tasks"]].astype("int64")
    else:
        frame["open_tasks"] = frame["overdue_tasks"] = 0
    return frame[list(FEATURES)]


def churn_labels(orders: pd.DataFrame, customer_ids: pd.Index, cutoff: Moment, horizon_days: int) -> pd.Series:
    """1 when the customer has no revenue order in [cutoff, cutoff + horizon_days), else 0."""
    cutoff = utc(cutoff)
    paid = revenue_orders(orders)
    buyers = set(paid.loc[between(paid["ordered_at"], cutoff, cutoff + horizon_days * DAY), "customer_id"])
    return pd.Series([0 if c in buyers else 1 for c in customer_ids], index=customer_ids, name="churned",
                     dtype="int64")


def precision_at_k(labels, scores, k: int) -> float:
    """Share of churners among the k highest scores (ties broken by position): Σ label of top k / k."""
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:k]
    return float(np.asarray(labels)[order].mean())


def _models(random_state: int) -> dict[str, Pipeline]:
    # Imported on first use: scikit-learn adds about a second to a worker's start (benchmarks/worker_start.py).
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "logistic": Pipeline([
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("scale", StandardScaler()),
            ("model", LogisticRegression(max_iter=1000)),
        ]),
        "gradient_boosting": Pipeline([
            # an all-missing column (no NPS answers yet) breaks the booster's binning, so impute here too
            ("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
            ("model", HistGradientBoostingClassifier(max_iter=100, learning_rate=0.1, random_state=random_state)),
        ]),
    }


def logistic_drivers(pipeline: Pipeline, features: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """Per customer, the `top` features pushing the logistic model's churn log-odds up the most:
    contribution = coefficient × standardised (imputed) value. Long format: customer, rank, feature, contribution."""
    z = pipeline[:-1].transform(features)
    contributions = z * pipeline[-1].coef_[0]
    ranks = np.argsort(-contributions, axis=1, kind="stable")[:, :top]
    shown = ranks.shape[1]
    return pd.DataFrame({
        features.index.name or "customer_id": np.repeat(features.index.to_numpy(), shown),
        "rank": np.tile(np.arange(1, shown + 1, dtype=np.int64), len(features)),
        "feature": pd.Series(features.columns.to_numpy(dtype=object)[ranks.ravel()], dtype="str"),
        "contribution": np.take_along_axis(contributions, ranks, axis=1).ravel().astype(float),
    })


@dataclass(frozen=True)
class ChurnBacktest:
    """`metrics`: AUC and precision@k per model (logistic, gradient_boosting, recency rule) on the test
    cutoff; `scores`: test customers' labels and scores; `drivers`: top logistic drivers per test customer;
    `models`: the fitted pipelines."""

    metrics: pd.DataFrame
    k: int
    train_customers: int
    test_customers: int
    train_churn_rate: float
    test_churn_rate: float
    scores: pd.DataFrame
    drivers: pd.DataFrame
    models: dict[str, Pipeline]


def _fit_and_score(customers, orders, as_of, horizon_days, extra, random_state):
    """Fit both models at as_of − N (labels observed by as_of) and score the features at as_of."""
    train_cut = as_of - horizon_days * DAY
    x_train = churn_features(customers, orders, train_cut, **extra)
    y_train = churn_labels(orders, x_train.index, train_cut, horizon_days)
    x_now = churn_features(customers, orders, as_of, **extra)
    scores = pd.DataFrame(index=x_now.index)
    fitted = {}
    for name, pipeline in _models(random_state).items():
        fitted[name] = pipeline.fit(x_train, y_train)
        scores[name] = pipeline.predict_proba(x_now)[:, 1]
    scores["recency_rule"] = x_now["recency_days"]
    return y_train, x_now, scores, fitted


def backtest_churn(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    as_of: Moment,
    *,
    horizon_days: int = 90,
    feedback: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    k: int | None = None,
    random_state: int = 0,
) -> ChurnBacktest:
    """Train at as_of − N (labels from [as_of − N, as_of)), test at as_of (labels from [as_of, as_of + N)).

    AUC = P(score of a random churner > score of a random stayer); precision@k over the k highest scores
    (k defaults to 10 % of the test customers, at least 1). The baseline scores each customer by
    recency_days alone. Needs both classes in training and test labels.
    """
    # Imported on first use: scikit-learn adds about a second to a worker's start (benchmarks/worker_start.py).
    from sklearn.metrics import roc_auc_score

    as_of = utc(as_of)
    extra = {"feedback": feedback, "activities": activities}
    y_train, x_test, scores, fitted = _fit_and_score(customers, orders, as_of, horizon_days, extra, random_state)
    y_test = churn_labels(orders, x_test.index, as_of, horizon_days)
    k = k or max(1, round(0.1 * len(x_test)))
    models = ["logistic", "gradient_boosting", "recency_rule"]
    metrics = pd.DataFrame(
        {
            "auc": [roc_auc_score(y_test, scores[m]) for m in models],
            "precision_at_k": [precision_at_k(y_test, scores[m], k) for m in models],
        },
        index=pd.Index(models, name="model"),
    )
    return ChurnBacktest(
        metrics=metrics, k=k, train_customers=len(y_train), test_customers=len(x_test),
        train_churn_rate=float(y_train.mean()), test_churn_rate=float(y_test.mean()),
        scores=scores.assign(churned=y_test)[["churned", *models]],
        drivers=logistic_drivers(fitted["logistic"], x_test), models=fitted,
    )


def churn_risk(
    customers: pd.DataFrame,
    orders: pd.DataFrame,
    as_of: Moment,
    *,
    horizon_days: int = 90,
    feedback: pd.DataFrame | None = None,
    activities: pd.DataFrame | None = None,
    random_state: int = 0,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(risk, drivers) for today's customers: models trained at as_of − N with labels observed by as_of,
    applied to the features at as_of. risk has churn probabilities from both models (fractions) and
    recency_days (the baseline's score); drivers is logistic_drivers' long frame."""
    extra = {"feedback": feedback, "activities": activities}
    _, x_now, scores, fitted = _fit_and_score(customers, orders, utc(as_of), horizon_days, extra, random_state)
    return scores.rename(columns={"recency_rule": "recency_days"}), logistic_drivers(fitted["logistic"], x_now)
