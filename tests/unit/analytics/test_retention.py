"""Retention and cohorts on five hand-placed customers."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from crm_app.analytics.retention import cohort_retention, retention_rate

T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731

ORDERS = pd.DataFrame(
    [
        (1, T("2024-01-05"), "paid"),
        (1, T("2024-02-10"), "shipped"),
        (1, T("2024-04-01"), "paid"),
        (2, T("2024-01-20"), "paid"),
        (2, T("2024-03-03"), "paid"),
        (3, T("2024-02-14"), "paid"),
        (4, T("2024-02-20"), "cancelled"),  # not a purchase: customer 4 joins in March
        (4, T("2024-03-15"), "paid"),
        (5, T("2024-03-30"), "paid"),
        (5, T("2024-04-20"), "paid"),  # after as_of: ignored by the cohort matrix
    ],
    columns=["customer_id", "ordered_at", "status"],
)


def test_february_retains_one_of_januarys_two_customers():
    # February 2024 has 29 days, so the base window is [Jan 3, Feb 1): buyers {1, 2}
    # February buyers {1, 3}; retained {1} -> 1/2, churn 1/2
    rate = retention_rate(ORDERS, "2024-02-01", "2024-03-01")
    assert rate.base_start == T("2024-01-03")
    assert (rate.base_customers, rate.retained_customers, rate.retention, rate.churn) == (2, 1, 0.5, 0.5)


def test_longer_lookback():
    # base [Jan 1, Mar 1) = {1, 2, 3}; March buyers {2, 4, 5} -> 1/3
    rate = retention_rate(ORDERS, "2024-03-01", "2024-04-01", lookback=pd.Timedelta(days=60))
    assert (rate.base_customers, rate.retained_customers) == (3, 1)
    assert rate.retention == pytest.approx(1 / 3)
    assert rate.churn == pytest.approx(2 / 3)


def test_no_base_means_no_rate():
    rate = retention_rate(ORDERS, "2023-01-01", "2023-02-01")
    assert rate.base_customers == 0 and rate.retention is None and rate.churn is None


def test_cohort_matrix_by_hand():
    cohorts = cohort_retention(ORDERS, "2024-04-15")
    # Jan cohort {1, 2}: month 1 (Feb) only 1, month 2 (Mar) only 2, month 3 (Apr) only 1
    # Feb cohort {3}: never again; May (month 3) has not started -> NaN
    # Mar cohort {4, 5}: nobody in April yet (5's order is after as_of); months 2-3 not started
    nan = np.nan
    expected = pd.DataFrame(
        [[1.0, 0.5, 0.5, 0.5], [1.0, 0.0, 0.0, nan], [1.0, 0.0, nan, nan]],
        index=pd.Index(["2024-01", "2024-02", "2024-03"], name="cohort"),
        columns=pd.RangeIndex(4, name="months_since_acquisition"),
    )
    assert_frame_equal(cohorts.rates, expected)
    assert_series_equal(cohorts.customers, pd.Series([2, 1, 2], index=expected.index, name="customers"))


def test_cohort_matrix_of_no_orders_is_empty():
    cohorts = cohort_retention(ORDERS, "2023-01-01")
    assert cohorts.rates.empty and cohorts.customers.empty
