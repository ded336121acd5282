"""Revenue forecasts: ETS and SARIMA chosen by a rolling-origin backtest against a seasonal-naive baseline.

Prediction intervals: ETS uses statsmodels ETSModel's exact (analytic) variance for its additive-error
model (Hyndman et al. 2008, class 1-3); SARIMA the Kalman-filter forecast variance of SARIMAX; the
seasonal-naive baseline σ √⌈h/m⌉ with σ the RMS of the in-sample seasonal differences (Hyndman &
Athanasopoulos, FPP3 §5.5). All intervals assume normal errors.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from crm_app.analytics._common import revenue_orders, utc
from crm_app.analytics.errors import TooLittleData
from crm_app.analytics.words import Words

Moment = datetime | date | str | pd.Timestamp

# Period labels: a month starts on its 1st, a week on Monday (UTC).
FREQUENCIES = {"month": ("M", "MS", 12), "week": ("W-SUN", "W-MON", 52)}
LEVELS = (80, 95)


def revenue_series(
    orders: pd.DataFrame,
    as_of: Moment,
    *,
    period: str = "month",
    date_col: str = "ordered_at",
    amount_col: str = "total_amount",
    status_col: str = "status",
) -> pd.Series:
    """Revenue (Σ total_amount of paid or shipped orders) per UTC calendar month (`period="month"`) or
    Monday-to-Sunday week (`"week"`), indexed by the period's first day (naive UTC dates), from the first
    period with an order to the last period that ended by `as_of`; periods without orders are 0."""
    to_period, label_freq, _ = FREQUENCIES[period]
    as_of = utc(as_of)
    paid = revenue_orders(orders, status_col=status_col, date_col=date_col)
    paid = paid.loc[paid[date_col] < as_of]
    starts = paid[date_col].dt.tz_convert(None).dt.to_period(to_period).dt.start_time
    totals = paid[amount_col].astype(float).groupby(starts).sum()
    current = pd.Timestamp(as_of.tz_convert(None)).to_period(to_period).start_time
    last_complete = current - pd.tseries.frequencies.to_offset(label_freq)
    if totals.empty or totals.index.min() > last_complete:
        return pd.Series([], index=pd.DatetimeIndex([], freq=label_freq), name="revenue", dtype=float)
    index = pd.date_range(totals.index.min(), last_complete, freq=label_freq)
    return totals.reindex(index, fill_value=0.0).rename("revenue").rename_axis("period")


def smape(actual, forecast) -> float:
    """Symmetric MAPE in percent: 100 · mean(2 |F − A| / (|A| + |F|)); a term with A = F = 0 counts 0."""
    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    denominator = np.abs(actual) + np.abs(forecast)
    terms = np.divide(2 * np.abs(forecast - actual), denominator, out=np.zeros_like(actual), where=denominator > 0)
    return float(100 * terms.mean())


def mape(actual, forecast) -> float:
    """MAPE in percent: 100 · mean(|F − A| / |A|) over the periods with A ≠ 0 (NaN if there are none)."""
    actual, forecast = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    nonzero = actual != 0
    if not nonzero.any():
        return float("nan")
    return float(100 * np.mean(np.abs(forecast[nonzero] - actual[nonzero]) / np.abs(actual[nonzero])))


def _interval_columns(mean: np.ndarray, sd: np.ndarray) -> dict[str, np.ndarray]:
    # Imported on first use: SciPy and statsmodels add about a second to a worker's start (benchmarks/worker_start.py).
    from scipy.stats import norm

    columns = {"forecast": mean}
    for level in LEVELS:
        z = norm.ppf(0.5 + level / 200)
        columns[f"lower_{level}"], columns[f"upper_{level}"] = mean - z * sd, mean + z * sd
    return columns


def seasonal_naive(history: pd.Series, horizon: int, season: int) -> pd.DataFrame:
    """ŷ_{T+h} = y_{T+h−m⌈h/m⌉}: each period repeats the same period of the last season (m = `season`).
    Intervals: ŷ ± z σ √⌈h/m⌉, σ² = mean of (y_t − y_{t−m})² in the history."""
    values = history.to_numpy(dtype=float)
    steps = np.arange(1, horizon + 1)
    mean = values[len(values) - season + (steps - 1) % season]
    residuals = values[season:] - values[:-season]
    sigma = math.sqrt(np.mean(residuals**2)) if residuals.size else float("nan")
    return pd.DataFrame(_interval_columns(mean, sigma * np.sqrt(np.ceil(steps / season))))


def _ets(history: pd.Series, horizon: int, season: int) -> pd.DataFrame:
    # Imported on first use: SciPy and statsmodels add about a second to a worker's start (benchmarks/worker_start.py).
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    model = ETSModel(history.astype(float), error="add", trend="add", damped_trend=True,
                     seasonal="add", seasonal_periods=season)
    fit = model.fit(disp=False, maxiter=200)
    n = len(history)
    frames = {level: fit.get_prediction(start=n, end=n + horizon - 1).summary_frame(alpha=1 - level / 100)
              for level in LEVELS}
    columns = {"forecast": frames[80]["mean"].to_numpy()}
    for level, frame in frames.items():
        columns[f"lower_{level}"] = frame["pi_lower"].to_numpy()
        columns[f"upper_{level}"] = frame["pi_upper"].to_numpy()
    return pd.DataFrame(columns)


def _sarima(history: pd.Series, horizon: int, season: int) -> pd.DataFrame:
    # Imported on first use: SciPy and statsmodels add about a second to a worker's start (benchmarks/worker_start.py).
    from statsmodels.tsa.statespace.sarimax import SARIMAX

    model = SARIMAX(history.astype(float), order=(1, 0, 0), seasonal_order=(0, 1, 1, season),
                    trend="c")
    fit = model.fit(disp=False, maxiter=50)
    prediction = fit.get_forecast(horizon)
    return pd.DataFrame(_interval_columns(prediction.predicted_mean.to_numpy(), np.sqrt(prediction.var_pred_mean.to_numpy())))


MODELS: dict[str, Callable[[pd.Series, int, int], pd.DataFrame]] = {
    "ETS(A,Ad,A)": _ets,
    "SARIMA(1,0,0)(0,1,1)": _sarima,
    "seasonal naive": seasonal_naive,
}


@dataclass(frozen=True)
class RevenueForecast:
    """`model`: the model with the lowest backtest sMAPE; `backtest`: mean MAPE and sMAPE (percent) per
    model over the folds; `forecast`: per future period the point forecast and 80 % / 95 % intervals."""

    model: str
    backtest: pd.DataFrame
    forecast: pd.DataFrame
    history: pd.Series


def forecast_revenue(
    series: pd.Series,
    *,
    horizon: int = 6,
    season: int = 12,
    folds: int = 3,
    models: tuple[str, ...] = tuple(MODELS),
) -> RevenueForecast:
    """Choose among `models` by a rolling-origin backtest, then forecast `horizon` periods with the winner.

    Fold i (i = folds..1) fits on the first n − i·horizon periods and forecasts the next `horizon`;
    the model with the lowest mean sMAPE wins (the seasonal-naive baseline can win). The series needs
    at least 2·season + folds·horizon periods and a regular DatetimeIndex (as from revenue_series).
    """
    # Imported on first use: SciPy and statsmodels add about a second to a worker's start (benchmarks/worker_start.py).
    from statsmodels.tools.sm_exceptions import ConvergenceWarning

    n = len(series)
    if n < 2 * season + folds * horizon:
        raise TooLittleData(Words("The forecast needs at least {needed} periods of history; there are {count}.",
                                  needed=2 * season + folds * horizon, count=n))
    scores = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        for name in models:
            errors = []
            for i in range(folds, 0, -1):
                cut = n - i * horizon
                predicted = MODELS[name](series.iloc[:cut], horizon, season)["forecast"].to_numpy()
                actual = series.iloc[cut:cut + horizon].to_numpy()
                errors.append((mape(actual, predicted), smape(actual, predicted)))
            scores[name] = np.nanmean(np.array(errors, dtype=float), axis=0)
        backtest = pd.DataFrame.from_dict(scores, orient="index", columns=["mape", "smape"]).rename_axis("model")
        best = str(backtest["smape"].idxmin())
        future = MODELS[best](series, horizon, season)
    future.index = pd.date_range(series.index[-1], periods=horizon + 1, freq=series.index.freq)[1:]
    future.index.name = series.index.name
    return RevenueForecast(model=best, backtest=backtest, forecast=future, history=series)
