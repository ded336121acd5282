"""Win probability: owner rates by hand, the stage table, and a model that beats fixed stage odds."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_series_equal

from crm_app.analytics.win_probability import (
    fit_win_probability,
    owner_win_rates,
    score_open_deals,
    weighted_pipeline,
)
from crm_app.domain import OPEN_STAGES, STAGE_PROBABILITY


def test_owner_rates_are_pulled_towards_the_overall_rate():
    closed = pd.DataFrame({"owner_id": [1, 1, 1, 2], "stage": ["Won", "Won", "Lost", "Lost"]})
    rates, overall = owner_win_rates(closed, prior_weight=2)
    # overall 2/4; owner 1: (2 + 2·0.5)/(3 + 2) = 0.6; owner 2: (0 + 1)/(1 + 2) = 1/3
    assert overall == 0.5
    assert_series_equal(rates, pd.Series({1: 0.6, 2: 1 / 3}), check_names=False)


def _closed_deals(n: int = 800, seed: int = 0) -> pd.DataFrame:
    """Wins depend strongly on the owner, which fixed stage probabilities cannot know."""
    rng = np.random.default_rng(seed)
    stages = rng.choice([str(stage) for stage in OPEN_STAGES], n)
    owner = rng.integers(1, 5, n)
    owner_effect = np.array([0, -2.0, -0.5, 0.5, 2.0])[owner]
    stage_logit = np.log(np.array([STAGE_PROBABILITY[s] for s in stages]) / (1 - np.array(
        [STAGE_PROBABILITY[s] for s in stages])))
    won = rng.random(n) < 1 / (1 + np.exp(-(stage_logit + owner_effect)))
    created = pd.Timestamp("2023-01-01", tz="UTC") + pd.to_timedelta(rng.uniform(0, 300, n), unit="D")
    return pd.DataFrame({
        "stage": np.where(won, "Won", "Lost"), "stage_reached": stages, "owner_id": owner,
        "amount": rng.gamma(2, 5000, n), "created_at": created,
        "closed_at": created + pd.to_timedelta(rng.uniform(5, 90, n), unit="D"),
    })


def test_model_beats_fixed_stage_probabilities_on_the_holdout():
    fitted = fit_win_probability(_closed_deals())
    assert (fitted.train_deals, fitted.test_deals) == (600, 200)
    metrics = fitted.metrics
    assert metrics.loc["model", "brier"] < metrics.loc["stage_probability", "brier"]
    assert metrics.loc["model", "log_loss"] < metrics.loc["stage_probability", "log_loss"]

    open_deals = pd.DataFrame({
        "stage": ["Negotiation", "Negotiation", "Lead"], "owner_id": [4, 1, 4], "amount": [1000.0, 1000.0, 500.0],
        "created_at": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-10"], utc=True),
    })
    scored = score_open_deals(fitted, open_deals, "2024-02-01")
    # the strong owner (4) is more likely to win the same deal than the weak one (1)
    assert scored.loc[0, "model_probability"] > scored.loc[1, "model_probability"]
    # stage-weighted: 1000·0.75 + 1000·0.75 + 500·0.10 = 1550
    assert weighted_pipeline(scored, method="stage") == pytest.approx(1550.0)
    assert weighted_pipeline(scored) == pytest.approx(float((open_deals.amount * scored.model_probability).sum()))
