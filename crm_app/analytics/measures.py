"""Each KPI's formula once, as a small kernel on numbers or numpy arrays: the cockpit engine, the report builders
(`kpis.py`, `stats.py`, `retention.py`, `campaigns.py`, `data/reports.py`) and the tests all call these.

A kernel takes what a formula reads (amounts, counts, answers) and returns the figure, or None when the
figure has no base (no orders, no answers, no closed deal, no cost). Money in the orders' currency; rates
and shares are fractions; NPS is in points (−100 to 100).
"""

from __future__ import annotations

import numpy as np

from crm_app.analytics.clv import discounted_clv
from crm_app.domain import is_detractor, is_promoter, is_satisfied

# Historical value per customer: the trailing year's revenue per customer, kept three years and discounted 10 % a
# year. Not the model CLV of /insights (BG/NBD + Gamma-Gamma), hence its own name.
HISTORICAL_VALUE_YEARS, HISTORICAL_VALUE_DISCOUNT_RATE = 3, 0.10


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator ÷ denominator, None when the denominator is 0."""
    return numerator / denominator if denominator else None


def revenue(amounts: np.ndarray) -> float:
    """Σ amount of the revenue orders (domain.REVENUE_STATUSES) in the period."""
    return float(np.sum(amounts))


def average_order_value(revenue_total: float, orders: int) -> float | None:
    """Revenue ÷ orders."""
    return ratio(revenue_total, orders)


def growth(current: float, base: float) -> float | None:
    """(current − base) ÷ base, None without a base."""
    return None if not base else (current - base) / base


def retention(base_customers: int, retained_customers: int) -> float | None:
    """Customers active before who bought again ÷ customers active before."""
    return ratio(retained_customers, base_customers)


def csat(answers: np.ndarray) -> float | None:
    """CSAT: answers of 4 or 5 ÷ answers (1-5 scale; NaN is no answer)."""
    answers = np.asarray(answers, dtype=float)
    given = answers[~np.isnan(answers)]
    return float(is_satisfied(given).mean()) if given.size else None


def nps(answers: np.ndarray) -> float | None:
    """NPS = 100 × (share of promoters 9-10 − share of detractors 0-6) over the answers (NaN is no answer)."""
    answers = np.asarray(answers, dtype=float)
    given = answers[~np.isnan(answers)]
    return 100 * float(is_promoter(given).mean() - is_detractor(given).mean()) if given.size else None


def net_promoter_score(promoters: int, detractors: int, answers: int) -> float | None:
    """NPS from counts: 100 × (promoters − detractors) ÷ answers."""
    return None if not answers else 100 * (promoters - detractors) / answers


def win_rate(won: int, lost: int) -> float | None:
    """Deals won ÷ deals won or lost."""
    return ratio(won, won + lost)


def weighted_pipeline(amounts: np.ndarray, probabilities: np.ndarray) -> float:
    """Σ amount × win probability of the open deals."""
    return float(np.sum(np.asarray(amounts, dtype=float) * np.asarray(probabilities, dtype=float)))


def roi(attributed: float, cost: float) -> float | None:
    """(Attributed revenue or margin − cost) ÷ cost, None for no cost."""
    return None if not cost else (attributed - cost) / cost


def response_rate(responders: int, targets: int) -> float | None:
    """Responders ÷ targets."""
    return ratio(responders, targets)


def historical_value(revenue_total: float, customers: int) -> float | None:
    """Revenue per customer active in the trailing year, kept HISTORICAL_VALUE_YEARS years and discounted at
    HISTORICAL_VALUE_DISCOUNT_RATE a year (discounted_clv); None without customers."""
    annual = ratio(revenue_total, customers)
    return None if annual is None else discounted_clv([annual] * HISTORICAL_VALUE_YEARS,
                                                      HISTORICAL_VALUE_DISCOUNT_RATE)
