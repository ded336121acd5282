"""Churn features and labels by hand, and the time-based backtest on a simulated customer base."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from crm_app.analytics.churn import FEATURES, backtest_churn, churn_features, churn_labels, churn_risk, precision_at_k

T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731
NaT = pd.NaT

CUSTOMERS = pd.DataFrame({"id": [1, 2, 3], "created_at": [T("2023-01-01"), T("2023-06-01"), T("2024-01-01")]})
ORDERS = pd.DataFrame(
    [
        (1, T("2024-01-01"), "paid", 100.0),
        (1, T("2024-03-01"), "paid", 50.0),
        (1, T("2024-04-15"), "paid", 70.0),  # after the cutoff: customer 1 stays
        (2, T("2024-02-01"), "shipped", 80.0),
        (3, T("2024-02-10"), "pending", 10.0),  # no revenue order: customer 3 is not scored
    ],
    columns=["customer_id", "ordered_at", "status", "total_amount"],
)
FEEDBACK = pd.DataFrame(
    {
        "customer_id": [1, 1, 1],
        "csat": [4, 2, 1],
        "nps": [9, 5, None],
        "submitted_at": [T("2024-02-01"), T("2024-03-01"), T("2024-04-02")],  # the last is after the cutoff
    }
)
ACTIVITIES = pd.DataFrame(
    {
        "customer_id": [1, 1, 2, 2, 2],
        "kind": ["task", "task", "task", "call", "task"],
        "created_at": [T("2024-03-01"), T("2024-03-01"), T("2024-03-20"), T("2024-03-21"), T("2024-04-02")],
        "due_at": [T("2024-03-15"), T("2024-03-20"), T("2024-04-10"), NaT, T("2024-04-03")],
        "done": [False, True, True, False, False],
        "done_at": [NaT, T("2024-03-10"), T("2024-04-05"), NaT, NaT],
    }
)


def test_features_at_a_cutoff_by_hand():
    features = churn_features(CUSTOMERS, ORDERS, "2024-04-01", feedback=FEEDBACK, activities=ACTIVITIES)
    expected = pd.DataFrame(
        {
            # 1: Mar 1 -> Apr 1 = 31 days; 2: Feb 1 -> Apr 1 = 29 + 31 = 60 days
            "recency_days": [31.0, 60.0],
            "frequency": [2, 1],
            "monetary": [150.0, 80.0],
            # 1: 2023-01-01 -> 2024-04-01 = 365 + 91; 2: 2023-06-01 -> 2024-01-01 = 214, + 91
            "tenure_days": [456.0, 305.0],
            # 1: csat (4 + 2)/2, nps (9 + 5)/2 from two answers before the cutoff; 2 has none
            "csat_mean": [3.0, np.nan],
            "nps_mean": [7.0, np.nan],
            "feedback_count": [2, 0],
            # 1: one task open and overdue, one done; 2: a task done only after the cutoff is still open
            # then, not overdue (due Apr 10); the call and the task created after the cutoff do not count
            "open_tasks": [1, 1],
            "overdue_tasks": [1, 0],
        },
        index=pd.Index([1, 2], name="customer_id"),
    )
    assert_frame_equal(features, expected)


def test_labels():
    labels = churn_labels(ORDERS, pd.Index([1, 2], name="customer_id"), "2024-04-01", 30)
    assert_series_equal(labels, pd.Series([0, 1], index=pd.Index([1, 2], name="customer_id"), name="churned"))
    # with a 10-day horizon customer 1's April 15 order is too late
    assert churn_labels(ORDERS, pd.Index([1]), "2024-04-01", 10).tolist() == [1]


def test_precision_at_k_by_hand():
    # top 2 scores: 0.9 (churner), 0.8 (stayer) -> 1/2; top 3 adds 0.7 (churner) -> 2/3
    assert precision_at_k([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 2) == 0.5
    assert precision_at_k([1, 0, 1, 0], [0.9, 0.8, 0.7, 0.1], 3) == pytest.approx(2 / 3)


def _simulated_base(n: int = 600, seed: int = 0):
    """Customers buy as Poisson processes (mean gap ~30 days) until they leave; unhappy ones leave sooner."""
    rng = np.random.default_rng(seed)
    start, end = T("2022-01-01"), T("2024-01-01")
    days = (end - start).days
    created = rng.uniform(0, 300, n)
    csat = rng.integers(1, 6, n)
    lifetime = rng.exponential(np.where(csat <= 2, 120, 900))
    rate = rng.gamma(4, 1 / 120, n)  # orders per day
    orders, feedback = [], []
    for i in range(n):
        t = created[i]
        while True:
            t += rng.exponential(1 / rate[i])
            if t > min(created[i] + lifetime[i], days):
                break
            orders.append((i, start + pd.Timedelta(days=t), "paid", float(rng.gamma(2, 50))))
        feedback.append((i, csat[i], None, start + pd.Timedelta(days=created[i] + 20)))
    customers = pd.DataFrame({"id": range(n), "created_at": [start + pd.Timedelta(days=c) for c in created]})
    return (customers, pd.DataFrame(orders, columns=["customer_id", "ordered_at", "status", "total_amount"]),
            pd.DataFrame(feedback, columns=["customer_id", "csat", "nps", "submitted_at"]))


def test_backtest_on_a_simulated_base():
    customers, orders, feedback = _simulated_base()
    result = backtest_churn(customers, orders, "2023-10-01", horizon_days=90, feedback=feedback)
    metrics = result.metrics
    assert metrics.index.tolist() == ["logistic", "gradient_boosting", "recency_rule"]
    # churn here is predictable from recency and CSAT: every model ranks far better than chance
    assert (metrics["auc"] > 0.7).all()
    # the logistic model learnt the simulation's story: staleness raises churn, satisfaction lowers it
    coefficients = dict(zip(FEATURES, result.models["logistic"][-1].coef_[0]))
    assert coefficients["recency_days"] > 0 and coefficients["csat_mean"] < 0
    assert result.k == round(0.1 * result.test_customers)
    assert 0 < result.test_churn_rate < 1 and 0 < result.train_churn_rate < 1
    # three drivers per test customer, ranked by descending contribution
    drivers = result.drivers
    assert len(drivers) == 3 * result.test_customers
    first, second = drivers.loc[drivers["rank"] == 1, "contribution"].to_numpy(), drivers.loc[
        drivers["rank"] == 2, "contribution"].to_numpy()
    assert (first >= second).all()

    risk, _ = churn_risk(customers, orders, "2024-01-01", horizon_days=90, feedback=feedback)
    assert risk["logistic"].between(0, 1).all() and len(risk) > 0
