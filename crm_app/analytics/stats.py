"""Survey scores and their confidence intervals: CSAT, NPS and the Wilson interval for proportions."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

import pandas as pd

from crm_app.analytics.measures import net_promoter_score
from crm_app.domain import is_detractor, is_promoter, is_satisfied


@dataclass(frozen=True)
class Proportion:
    """successes / n with a confidence interval; value, lower and upper are fractions in [0, 1]."""

    successes: int
    n: int
    value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class CsatScore:
    """CSAT = satisfied / n, where satisfied counts answers of 4 or 5 on the 1-5 scale (fractions in [0, 1])."""

    satisfied: int
    n: int
    value: float
    lower: float
    upper: float


@dataclass(frozen=True)
class NpsScore:
    """NPS = 100 × (promoters − detractors) / n, in points from −100 to 100, with its confidence interval."""

    promoters: int
    passives: int
    detractors: int
    n: int
    value: float
    lower: float
    upper: float


def _z(confidence: float) -> float:
    # The standard library's normal quantile: SciPy's would add 0.4-0.8 s to a worker's first cockpit answer.
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> Proportion:
    """Wilson score interval for a binomial proportion p̂ = successes / n (statsmodels' proportion_confint
    "wilson", written out so the cockpit's first answer does not import SciPy and statsmodels).

    centre = (p̂ + z²/2n) / (1 + z²/n); half-width = z √(p̂(1−p̂)/n + z²/4n²) / (1 + z²/n), z the normal
    quantile for `confidence`; clipped to [0, 1]. With n = 0 every figure is NaN.
    """
    if n == 0:
        return Proportion(successes=0, n=0, value=math.nan, lower=math.nan, upper=math.nan)
    p, z = successes / n, _z(confidence)
    denominator = 1 + z**2 / n
    centre = (p + z**2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denominator
    # With no (every) success the bound is exactly 0 (1): centre and half-width are equal, up to rounding.
    lower = 0.0 if successes == 0 else max(0.0, centre - half)
    upper = 1.0 if successes == n else min(1.0, centre + half)
    return Proportion(successes=successes, n=n, value=p, lower=lower, upper=upper)


def csat_score(answers: pd.Series, confidence: float = 0.95) -> CsatScore:
    """CSAT of the non-missing 1-5 answers: share of 4s and 5s, with a Wilson interval."""
    scores = answers.dropna()
    interval = wilson_interval(int(is_satisfied(scores).sum()), int(scores.size), confidence)
    return CsatScore(satisfied=interval.successes, n=interval.n, value=interval.value,
                     lower=interval.lower, upper=interval.upper)


def nps_score(answers: pd.Series, confidence: float = 0.95) -> NpsScore:
    """NPS of the non-missing 0-10 answers: promoters 9-10, passives 7-8, detractors 0-6.

    NPS = 100 (p_P − p_D). Its variance under the multinomial model is
    Var = 100² (p_P + p_D − (p_P − p_D)²) / n, and the interval is NPS ± z √Var, clipped to [−100, 100].
    """
    scores = answers.dropna()
    n = int(scores.size)
    promoters, detractors = int(is_promoter(scores).sum()), int(is_detractor(scores).sum())
    passives = n - promoters - detractors
    if n == 0:
        return NpsScore(0, 0, 0, 0, math.nan, math.nan, math.nan)
    p_promoter, p_detractor = promoters / n, detractors / n
    value = net_promoter_score(promoters, detractors, n)
    half = _z(confidence) * 100 * math.sqrt((p_promoter + p_detractor - (p_promoter - p_detractor) ** 2) / n)
    return NpsScore(promoters=promoters, passives=passives, detractors=detractors, n=n, value=value,
                    lower=max(-100.0, value - half), upper=min(100.0, value + half))
