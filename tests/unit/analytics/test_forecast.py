"""Revenue series, error measures, the seasonal-naive baseline and model choice on a synthetic series."""

import math

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from crm_app import i18n
from crm_app.analytics.errors import TooLittleData
from crm_app.analytics.forecast import forecast_revenue, mape, revenue_series, seasonal_naive, smape

T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731
Z95 = 1.959963984540054


def test_monthly_series_keeps_complete_months_only():
    orders = pd.DataFrame(
        [
            (T("2024-01-15"), "paid", 100.0),
            (T("2024-01-31 23:00"), "shipped", 50.0),
            (T("2024-02-10"), "cancelled", 999.0),  # not revenue: February is 0
            (T("2024-03-05"), "paid", 30.0),
            (T("2024-04-02"), "paid", 70.0),  # April is not over at as_of
        ],
        columns=["ordered_at", "status", "total_amount"],
    )
    expected = pd.Series(
        [150.0, 0.0, 30.0],
        index=pd.DatetimeIndex(["2024-01-01", "2024-02-01", "2024-03-01"], freq="MS", name="period"),
        name="revenue",
    )
    assert_series_equal(revenue_series(orders, "2024-04-10"), expected)


def test_weekly_series_runs_monday_to_sunday():
    orders = pd.DataFrame(
        [
            (T("2024-01-08"), "paid", 10.0),  # Monday
            (T("2024-01-14 23:59"), "paid", 5.0),  # Sunday, same week
            (T("2024-01-15"), "paid", 7.0),
            (T("2024-01-22"), "paid", 100.0),  # the week of as_of (Wed 24th) is not over
        ],
        columns=["ordered_at", "status", "total_amount"],
    )
    series = revenue_series(orders, "2024-01-24", period="week")
    assert series.index.tolist() == [pd.Timestamp("2024-01-08"), pd.Timestamp("2024-01-15")]
    assert series.tolist() == [15.0, 7.0]


def test_error_measures_by_hand():
    # sMAPE terms 2·10/210, 2·20/380, 0 (both zero) -> mean 0.066834 -> 6.6834 %
    assert smape([100, 200, 0], [110, 180, 0]) == pytest.approx(100 * (20 / 210 + 40 / 380) / 3)
    # MAPE skips the zero actual: (10/100 + 20/200)/2 = 10 %
    assert mape([100, 200, 0], [110, 180, 0]) == pytest.approx(10.0)


def test_seasonal_naive_by_hand():
    # season 3: repeats 4, 5, 6; seasonal differences are all 3 -> σ = 3, the 4th step has √2 σ
    result = seasonal_naive(pd.Series([1.0, 2, 3, 4, 5, 6]), 4, 3)
    sd = np.array([3, 3, 3, 3 * math.sqrt(2)])
    z80 = 1.2815515655446004
    expected = pd.DataFrame(
        {
            "forecast": [4.0, 5, 6, 4],
            "lower_80": [4, 5, 6, 4] - z80 * sd, "upper_80": [4, 5, 6, 4] + z80 * sd,
            "lower_95": [4, 5, 6, 4] - Z95 * sd, "upper_95": [4, 5, 6, 4] + Z95 * sd,
        }
    )
    assert_frame_equal(result, expected)


def _synthetic(periods: int = 72) -> pd.Series:
    # trend + yearly seasonality + noise, fixed seed
    rng = np.random.default_rng(0)
    t = np.arange(periods)
    values = 1000 + 10 * t + 150 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 30, periods)
    return pd.Series(values, index=pd.date_range("2018-01-01", periods=periods, freq="MS"), name="revenue")


def test_chosen_model_beats_seasonal_naive_on_a_trending_seasonal_series():
    result = forecast_revenue(_synthetic(), horizon=6, season=12, folds=3)
    assert result.model != "seasonal naive"
    assert result.backtest.loc[result.model, "smape"] < result.backtest.loc["seasonal naive", "smape"]
    assert result.backtest["smape"].idxmin() == result.model
    forecast = result.forecast
    assert forecast.index[0] == pd.Timestamp("2024-01-01") and len(forecast) == 6
    # 95 % intervals contain the 80 % ones, which contain the point forecast
    assert (forecast.lower_95 < forecast.lower_80).all() and (forecast.lower_80 < forecast.forecast).all()
    assert (forecast.forecast < forecast.upper_80).all() and (forecast.upper_80 < forecast.upper_95).all()


def test_short_history_is_refused():
    with pytest.raises(TooLittleData, match="The forecast needs at least 42 periods of history; there are 30."):
        forecast_revenue(_synthetic(30), horizon=6, season=12, folds=3)


def test_short_history_is_said_in_the_readers_language():
    with pytest.raises(TooLittleData) as refused:
        forecast_revenue(_synthetic(30), horizon=6, season=12, folds=3)
    assert i18n.say(refused.value.args[0], i18n.CHINESE) == "预测至少需要 42 期历史数据；目前有 30 期。"
