"""Win probability of open deals: a calibrated logistic regression learnt from closed deals, compared
on a time-ordered holdout with the fixed probability of each stage.

Closed deals carry their final stage (Won/Lost), so the data layer supplies `stage_reached`: the last open
stage a deal was in before it closed (from the audit trail). For open deals it is their current stage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from crm_app.analytics._common import DAY, utc, utc_column
from crm_app.domain import OPEN_STAGES, STAGE_PROBABILITY, DealStage

if TYPE_CHECKING:  # annotations only
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.pipeline import Pipeline

Moment = datetime | date | str | pd.Timestamp

NUMERIC = ["log_amount", "age_days", "owner_win_rate"]


def owner_win_rates(closed: pd.DataFrame, *, prior_weight: float = 5.0, owner_col: str = "owner_id",
                    stage_col: str = "stage") -> tuple[pd.Series, float]:
    """(rate per owner, overall rate): rate = (wins + m p̄) / (closed + m), p̄ the overall win rate and m =
    `prior_weight` pseudo-deals, so an owner with few deals is pulled towards p̄."""
    won = (closed[stage_col] == DealStage.won).astype(float)
    overall = float(won.mean())
    grouped = won.groupby(closed[owner_col])
    return (grouped.sum() + prior_weight * overall) / (grouped.size() + prior_weight), overall


def deal_features(deals: pd.DataFrame, as_of: Moment, rates: pd.Series, overall: float) -> pd.DataFrame:
    """stage_reached; log_amount = ln(1 + amount); age_days = (closed_at, or as_of while open) − created_at
    in days; owner_win_rate from `rates` (owners without history get `overall`)."""
    end = utc_column(deals["closed_at"]).fillna(utc(as_of))
    return pd.DataFrame(
        {
            "stage_reached": deals["stage_reached"].astype(str),
            "log_amount": np.log1p(deals["amount"].astype(float)),
            "age_days": (end - utc_column(deals["created_at"])) / DAY,
            "owner_win_rate": deals["owner_id"].map(rates).fillna(overall).astype(float),
        },
        index=deals.index,
    )


def _pipeline(random_state: int) -> CalibratedClassifierCV:
    # Imported on first use: scikit-learn adds about a second to a worker's start (benchmarks/worker_start.py).
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    features = ColumnTransformer([
        ("stage", OneHotEncoder(categories=[list(OPEN_STAGES)], handle_unknown="ignore"), ["stage_reached"]),
        ("numeric", StandardScaler(), NUMERIC),
    ])
    logistic = Pipeline([("features", features), ("model", LogisticRegression(max_iter=1000))])
    return CalibratedClassifierCV(logistic, method="sigmoid", cv=3)


@dataclass(frozen=True)
class WinProbabilityModel:
    """`metrics`: Brier score and log loss on the holdout for the model and the fixed stage probabilities
    (lower is better); `model`, `rates`, `overall` are refitted on every closed deal for scoring."""

    metrics: pd.DataFrame
    train_deals: int
    test_deals: int
    model: CalibratedClassifierCV
    rates: pd.Series
    overall: float


def fit_win_probability(closed: pd.DataFrame, *, test_fraction: float = 0.25, random_state: int = 0,
                        prior_weight: float = 5.0) -> WinProbabilityModel:
    """Learn P(won) from closed deals (stage Won/Lost with closed_at, stage_reached, amount, created_at,
    owner_id). Holdout: the last `test_fraction` of deals by closed_at; owner rates come from the training
    part only. Brier = mean (p − y)²; log loss = −mean(y ln p + (1 − y) ln(1 − p)).
    The baseline gives each deal STAGE_PROBABILITY[stage_reached]."""
    # Imported on first use: scikit-learn adds about a second to a worker's start (benchmarks/worker_start.py).
    from sklearn.metrics import brier_score_loss, log_loss

    closed = closed.sort_values("closed_at", kind="stable")
    n_test = max(1, round(test_fraction * len(closed)))
    train, test = closed.iloc[:-n_test], closed.iloc[-n_test:]
    rates, overall = owner_win_rates(train, prior_weight=prior_weight)
    model = _pipeline(random_state).fit(deal_features(train, train["closed_at"].max(), rates, overall),
                                        (train["stage"] == DealStage.won).astype(int))
    y = (test["stage"] == DealStage.won).astype(int)
    predicted = model.predict_proba(deal_features(test, test["closed_at"].max(), rates, overall))[:, 1]
    fixed = test["stage_reached"].map(STAGE_PROBABILITY).astype(float).to_numpy()
    metrics = pd.DataFrame(
        {"brier": [brier_score_loss(y, predicted), brier_score_loss(y, fixed)],
         "log_loss": [log_loss(y, predicted, labels=[0, 1]), log_loss(y, fixed, labels=[0, 1])]},
        index=pd.Index(["model", "stage_probability"], name="method"),
    )
    rates, overall = owner_win_rates(closed, prior_weight=prior_weight)
    final = _pipeline(random_state).fit(deal_features(closed, closed["closed_at"].max(), rates, overall),
                                        (closed["stage"] == DealStage.won).astype(int))
    return WinProbabilityModel(metrics=metrics, train_deals=len(train), test_deals=len(test), model=final,
                               rates=rates, overall=overall)


def score_open_deals(fitted: WinProbabilityModel, open_deals: pd.DataFrame, as_of: Moment) -> pd.DataFrame:
    """Per open deal: model_probability, stage_probability (fixed by stage) and the weighted values
    amount × each probability (currency units)."""
    deals = open_deals.assign(stage_reached=open_deals["stage"], closed_at=pd.NaT)
    probability = fitted.model.predict_proba(deal_features(deals, as_of, fitted.rates, fitted.overall))[:, 1]
    amount = deals["amount"].astype(float)
    stage = deals["stage"].map(STAGE_PROBABILITY).astype(float)
    return pd.DataFrame(
        {"model_probability": probability, "stage_probability": stage,
         "weighted_by_model": amount * probability, "weighted_by_stage": amount * stage},
        index=open_deals.index,
    )


def weighted_pipeline(scored: pd.DataFrame, *, method: str = "model") -> float:
    """Σ amount × probability over the scored open deals, with the model's ("model") or the fixed stage
    ("stage") probabilities."""
    return float(scored[f"weighted_by_{method}"].sum())
