"""Customer lifetime value: a discounted sum for known revenues, and BG/NBD + Gamma-Gamma for forecasts.

References: Fader, Hardie & Lee (2005) "Counting Your Customers the Easy Way: An Alternative to the
Pareto/NBD Model", Marketing Science 24(2) (BG/NBD); Fader, Hardie & Lee (2005) "RFM and CLV: Using
Iso-Value Curves for Customer Base Analysis", JMR 42(4), and Fader & Hardie (2013) "The Gamma-Gamma
Model of Monetary Value" (Gamma-Gamma).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

from crm_app.analytics._common import revenue_orders, utc
from crm_app.analytics.errors import TooLittleData
from crm_app.analytics.words import Words

Moment = datetime | date | str | pd.Timestamp
# An average month: 365.25 / 12 days.
MONTH = pd.Timedelta(days=365.25 / 12)


def discounted_clv(revenues: Sequence[float], discount_rate: float, margin: float = 1.0) -> float:
    """CLV = Σ_{t=1..T} margin × R_t / (1 + r)^t: revenues R_1..R_T of future periods, r the discount rate
    per period (0.1 = 10 %), margin the fraction kept. Currency units; the first revenue is discounted once."""
    values = np.asarray(revenues, dtype=float)
    periods = np.arange(1, values.size + 1)
    return float(np.sum(margin * values / (1 + discount_rate) ** periods))


# --- the summary frame -------------------------------------------------------------------


def rfm_summary(
    orders: pd.DataFrame,
    as_of: Moment,
    *,
    time_unit: str = "W",
    customer_col: str = "customer_id",
    date_col: str = "ordered_at",
    amount_col: str = "total_amount",
    status_col: str = "status",
) -> pd.DataFrame:
    """The (frequency, recency, T, monetary) frame the BG/NBD and Gamma-Gamma models take, one row per customer.

    Revenue orders before `as_of` are first summed per customer and UTC calendar day (one purchase a day).
    frequency = purchase days − 1 (repeat purchases); recency = last − first purchase day; T = as_of − first
    purchase day, both in `time_unit` (a pandas Timedelta unit: "W" weeks, "D" days);
    monetary = mean value of the repeat purchases (the first is excluded), 0 without repeats.
    """
    as_of = utc(as_of)
    unit = pd.Timedelta(1, unit=time_unit)
    paid = revenue_orders(orders, status_col=status_col, date_col=date_col)
    paid = paid.loc[paid[date_col] < as_of]
    daily = (
        paid.assign(_day=paid[date_col].dt.floor("D"))
        .groupby([customer_col, "_day"], sort=True)[amount_col].sum()
        .reset_index()
    )
    grouped = daily.groupby(customer_col, sort=True)
    first, last = grouped["_day"].min(), grouped["_day"].max()
    frequency = grouped.size() - 1
    repeat_total = grouped[amount_col].sum() - daily.groupby(customer_col, sort=True)[amount_col].first()
    summary = pd.DataFrame(
        {
            "frequency": frequency.astype("int64"),
            "recency": (last - first) / unit,
            "T": (as_of - first) / unit,
            "monetary": (repeat_total / frequency.where(frequency > 0)).fillna(0.0).astype(float),
        }
    )
    summary.index.name = customer_col
    return summary


def _minimise(cost, starts: list[np.ndarray], bound: float) -> tuple[np.ndarray, float]:
    """Nelder-Mead from each start, polished with L-BFGS-B inside ±bound; the lowest cost wins.
    Several starts guard against the flat ridges these likelihoods have (e.g. a → 0, b → ∞ in BG/NBD)."""
    # Imported on first use: SciPy adds about half a second to a worker's start (benchmarks/worker_start.py).
    from scipy.optimize import minimize

    best_x, best_cost = starts[0], np.inf
    for start in starts:
        rough = minimize(cost, start, method="Nelder-Mead", options={"maxiter": 4000, "xatol": 1e-6, "fatol": 1e-8})
        polished = minimize(cost, rough.x, method="L-BFGS-B", bounds=[(-bound, bound)] * len(start))
        for result in (rough, polished):
            if result.fun < best_cost:
                best_x, best_cost = result.x, float(result.fun)
    return best_x, best_cost


# --- BG/NBD ------------------------------------------------------------------------------


@dataclass(frozen=True)
class BgNbdFit:
    """BG/NBD parameters: purchase rates λ ~ Gamma(r, α) (α a rate in the summary's time unit),
    dropout after each purchase with probability p ~ Beta(a, b). `log_likelihood` is the maximum."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int


def bgnbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, frequency, recency, T
) -> np.ndarray:
    """Per-customer log-likelihood of the BG/NBD (Fader, Hardie & Lee 2005, eq. 6), for x = frequency,
    t_x = recency, T:

    L = B(a, b+x)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+T)^(r+x))
        + δ(x>0) · B(a+1, b+x−1)/B(a, b) · Γ(r+x) α^r / (Γ(r) (α+t_x)^(r+x))

    computed as ln Γ(r+x) − ln Γ(r) + r ln α + ln Γ(a+b) + ln Γ(b+x) − ln Γ(b) − ln Γ(a+b+x)
    + ln[(α+T)^−(r+x) + δ(x>0) a/(b+x−1) (α+t_x)^−(r+x)].
    """
    from scipy.special import gammaln  # on first use, as in _minimise

    x, t_x, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(b + x - 1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return a1 + a2 + np.logaddexp(a3, a4)


def fit_bgnbd(summary: pd.DataFrame, *, frequency_col: str = "frequency", recency_col: str = "recency",
              t_col: str = "T") -> BgNbdFit:
    """Maximum-likelihood BG/NBD: minimise −Σ log L over (ln r, ln α, ln a, ln b) with Nelder-Mead from
    three starts, each polished with L-BFGS-B. Working on logs keeps every parameter positive; identical customers are
    weighted, so the cost grows with distinct (x, t_x, T) rows, not customers."""
    rows = summary.groupby([frequency_col, recency_col, t_col]).size().reset_index(name="weight")
    x, t_x, T, w = (rows[c].to_numpy(dtype=float) for c in (frequency_col, recency_col, t_col, "weight"))

    def cost(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(log_params)
        value = -np.sum(w * bgnbd_log_likelihood(r, alpha, a, b, x, t_x, T))
        return float(value) if np.isfinite(value) else 1e300

    mean_T = max(float(np.average(T, weights=w)), 1e-3)
    starts = [np.zeros(4), np.log([1.0, mean_T, 1.0, 1.0]), np.log([0.5, mean_T / 5, 0.5, 2.0])]
    log_params, lowest = _minimise(cost, starts, bound=12)
    r, alpha, a, b = np.exp(log_params)
    return BgNbdFit(r=float(r), alpha=float(alpha), a=float(a), b=float(b),
                    log_likelihood=-lowest, customers=int(w.sum()))


def _alive_odds(fit: BgNbdFit, x: np.ndarray, t_x: np.ndarray, T: np.ndarray) -> np.ndarray:
    # δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x): the odds that the customer has already dropped out
    with np.errstate(divide="ignore", invalid="ignore"):
        odds = fit.a / (fit.b + x - 1) * ((fit.alpha + T) / (fit.alpha + t_x)) ** (fit.r + x)
    return np.where(x > 0, odds, 0.0)


def bgnbd_p_alive(fit: BgNbdFit, frequency, recency, T) -> np.ndarray:
    """P(alive | x, t_x, T) = 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)), a probability."""
    x, t_x, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    return 1.0 / (1.0 + _alive_odds(fit, x, t_x, T))


def bgnbd_expected_purchases(fit: BgNbdFit, t: float, frequency, recency, T) -> np.ndarray:
    """E[Y(t) | x, t_x, T], the expected purchases in the next t time units (FHL 2005, eq. 10):

    (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
    / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
    """
    from scipy.special import hyp2f1  # on first use, as in _minimise

    x, t_x, T = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    hyper = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    numerator = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyper)
    return numerator / (1.0 + _alive_odds(fit, x, t_x, T))


# --- Gamma-Gamma -------------------------------------------------------------------------


@dataclass(frozen=True)
class GammaGammaFit:
    """Gamma-Gamma parameters: each purchase value ~ Gamma(p, ν) and ν ~ Gamma(q, γ) across customers.
    The population mean spend per purchase is p γ / (q − 1) (finite for q > 1)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int


def gamma_gamma_log_likelihood(p: float, q: float, gamma: float, frequency, monetary) -> np.ndarray:
    """Per-customer log-density of the mean purchase value z̄ over x purchases (Fader & Hardie 2013, eq. 5):

    ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln z̄ + px ln x − (px+q) ln(γ + x z̄).
    """
    from scipy.special import gammaln  # on first use, as in _minimise

    x, z = np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float)
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(gamma)
            + (p * x - 1) * np.log(z) + p * x * np.log(x) - (p * x + q) * np.log(gamma + x * z))


def fit_gamma_gamma(summary: pd.DataFrame, *, frequency_col: str = "frequency",
                    monetary_col: str = "monetary") -> GammaGammaFit:
    """Maximum-likelihood Gamma-Gamma on customers with at least one repeat purchase and positive spend:
    minimise −Σ log-density over (ln p, ln q, ln γ), Nelder-Mead from two starts, then L-BFGS-B."""
    repeaters = summary.loc[(summary[frequency_col] > 0) & (summary[monetary_col] > 0)]
    x, z = repeaters[frequency_col].to_numpy(dtype=float), repeaters[monetary_col].to_numpy(dtype=float)
    if x.size == 0:
        raise TooLittleData(Words("The spend model (Gamma-Gamma) needs customers who bought more than once; there are none."))

    def cost(log_params: np.ndarray) -> float:
        value = -np.sum(gamma_gamma_log_likelihood(*np.exp(log_params), x, z))
        return float(value) if np.isfinite(value) else 1e300

    starts = [np.zeros(3), np.log([1.0, 2.0, float(np.mean(z))])]
    log_params, lowest = _minimise(cost, starts, bound=15)
    p, q, gamma = np.exp(log_params)
    return GammaGammaFit(p=float(p), q=float(q), gamma=float(gamma), log_likelihood=-lowest,
                         customers=int(x.size))


def expected_average_value(fit: GammaGammaFit, frequency, monetary) -> np.ndarray:
    """E[M | x, z̄] = (γ + x z̄) p / (p x + q − 1): a weighted mean of the population mean p γ/(q−1) and the
    customer's own z̄ (weight p x / (p x + q − 1)). Customers without repeat purchases get the population mean."""
    x, z = np.asarray(frequency, dtype=float), np.asarray(monetary, dtype=float)
    z = np.where(x > 0, z, 0.0)
    return (fit.gamma + x * z) * fit.p / (fit.p * x + fit.q - 1)


# --- CLV ---------------------------------------------------------------------------------


def customer_lifetime_value(
    summary: pd.DataFrame,
    bgnbd: BgNbdFit,
    gamma_gamma: GammaGammaFit,
    *,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    margin: float = 1.0,
    time_unit: str = "W",
) -> pd.DataFrame:
    """Per customer of `summary` (in `time_unit`, as built by rfm_summary):

    - p_alive (probability), expected_purchases over `months` months, expected_average_value (currency)
    - clv = Σ_{i=1..months} margin · E[M] · (E[Y(i)] − E[Y(i−1)]) / (1 + d)^i, with E[Y(i)] the expected
      purchases in the first i months (a month = 365.25/12 days) and d the monthly discount rate.
    """
    x, t_x, T = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))
    month = MONTH / pd.Timedelta(1, unit=time_unit)
    cumulative = np.vstack([np.zeros_like(x)] + [bgnbd_expected_purchases(bgnbd, i * month, x, t_x, T)
                                                  for i in range(1, months + 1)])
    per_month = np.diff(cumulative, axis=0)
    discount = (1 + monthly_discount_rate) ** -np.arange(1, months + 1)
    value = expected_average_value(gamma_gamma, x, summary["monetary"].to_numpy(dtype=float))
    return pd.DataFrame(
        {
            "p_alive": bgnbd_p_alive(bgnbd, x, t_x, T),
            "expected_purchases": cumulative[-1],
            "expected_average_value": value,
            "clv": margin * value * (discount @ per_month),
        },
        index=summary.index,
    )
