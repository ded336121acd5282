"""What a campaign caused, measured against its holdout (the targets drawn at random and never contacted).

Response rates with Wilson intervals, uplift = difference of the two response rates with Newcombe's hybrid score
interval, incremental revenue per target with a seeded bootstrap interval, cost per target, cost per incremental
response, and the ROI on incremental revenue next to the naive ROI (all attributed revenue of the contacted, as if
none of it would have come anyway). Pure functions: numbers and numpy arrays in, dataclasses out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from crm_app.analytics.measures import ratio, roi
from crm_app.analytics.stats import Proportion, wilson_interval

# Resamples of the revenue bootstrap: the interval's ends move by well under 1 % of its width between seeds.
BOOTSTRAP_RESAMPLES = 2_000
_RESAMPLES_PER_CHUNK = 50


@dataclass(frozen=True)
class Difference:
    """An estimated difference (contacted − holdout) with its confidence interval; NaN when it has no base."""

    value: float
    lower: float
    upper: float

    def covers(self, truth: float) -> bool:
        return self.lower <= truth <= self.upper


_UNKNOWN = Difference(math.nan, math.nan, math.nan)


def newcombe_difference(successes_1: int, n_1: int, successes_2: int, n_2: int,
                        confidence: float = 0.95) -> Difference:
    """p̂₁ − p̂₂ with Newcombe's hybrid score interval (Newcombe 1998, method 10), from each rate's Wilson interval
    (l₁, u₁) and (l₂, u₂):

        lower = (p̂₁ − p̂₂) − √((p̂₁ − l₁)² + (u₂ − p̂₂)²)
        upper = (p̂₁ − p̂₂) + √((u₁ − p̂₁)² + (p̂₂ − l₂)²)

    Fractions (0.05 = 5 points). NaN when either group is empty.
    """
    if n_1 == 0 or n_2 == 0:
        return _UNKNOWN
    first, second = wilson_interval(successes_1, n_1, confidence), wilson_interval(successes_2, n_2, confidence)
    difference = first.value - second.value
    return Difference(
        value=difference,
        lower=difference - math.hypot(first.value - first.lower, second.upper - second.value),
        upper=difference + math.hypot(first.upper - first.value, second.value - second.lower),
    )


def _resampled_means(values: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """The mean of each of `resamples` resamples (with replacement, same size) of `values`, in chunks so that
    20,000 targets never need a 2,000 × 20,000 index array at once."""
    means = np.empty(resamples)
    for start in range(0, resamples, _RESAMPLES_PER_CHUNK):
        stop = min(start + _RESAMPLES_PER_CHUNK, resamples)
        means[start:stop] = values[rng.integers(0, values.size, size=(stop - start, values.size))].mean(axis=1)
    return means


def bootstrap_mean_difference(contacted: np.ndarray, holdout: np.ndarray, *, seed: int,
                              resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = 0.95) -> Difference:
    """mean(contacted) − mean(holdout) with a percentile bootstrap interval: each group resampled with replacement
    on its own, `resamples` times, from numpy's PCG64 seeded with `seed` (the same seed gives the same interval);
    the interval is the (1 − confidence)/2 and (1 + confidence)/2 quantiles of the resampled differences
    (numpy's default linear interpolation). Units of the values (revenue per target). NaN when a group is empty.
    """
    contacted, holdout = np.asarray(contacted, dtype=float), np.asarray(holdout, dtype=float)
    if contacted.size == 0 or holdout.size == 0:
        return _UNKNOWN
    rng = np.random.default_rng(seed)
    differences = _resampled_means(contacted, resamples, rng) - _resampled_means(holdout, resamples, rng)
    lower, upper = np.quantile(differences, [(1 - confidence) / 2, (1 + confidence) / 2])
    return Difference(value=float(contacted.mean() - holdout.mean()), lower=float(lower), upper=float(upper))


@dataclass(frozen=True)
class CampaignUplift:
    """One campaign's figures, contacted against holdout. Rates and uplift are fractions; money in currency units;
    ROIs are fractions (0.5 = +50 %); None or NaN where a figure has no base (no holdout, no cost, ...).

    - contacted / holdout: response rate with its Wilson interval
    - uplift: contacted rate − holdout rate, Newcombe interval
    - incremental_revenue_per_target: mean revenue per contacted target − per holdout target, bootstrap interval
    - incremental_responses = uplift × contacted targets; incremental_revenue = its per-target figure × contacted
    - cost_per_target = cost ÷ contacted targets; cost_per_incremental_response = cost ÷ incremental responses
      (None unless the campaign brought more responses than the holdout predicts)
    - naive_roi = (revenue of the contacted − cost) ÷ cost; incremental_roi = (incremental revenue − cost) ÷ cost
    """

    contacted: Proportion
    holdout: Proportion
    uplift: Difference
    incremental_revenue_per_target: Difference
    contacted_revenue: float
    cost: float
    incremental_responses: float
    incremental_revenue: float
    cost_per_target: float | None
    cost_per_incremental_response: float | None
    naive_roi: float | None
    incremental_roi: float | None


def campaign_uplift(contacted_responded: np.ndarray, contacted_revenue: np.ndarray, holdout_responded: np.ndarray,
                    holdout_revenue: np.ndarray, *, cost: float, seed: int,
                    confidence: float = 0.95, resamples: int = BOOTSTRAP_RESAMPLES) -> CampaignUplift:
    """The figures of CampaignUplift from one row per target of each group: whether it responded and the revenue
    attributed to it. `seed` is the campaign's stored seed, so the bootstrap interval is the same on every page load.
    """
    contacted_responded = np.asarray(contacted_responded, dtype=bool)
    holdout_responded = np.asarray(holdout_responded, dtype=bool)
    n_contacted, n_holdout = contacted_responded.size, holdout_responded.size
    contacted = wilson_interval(int(contacted_responded.sum()), n_contacted, confidence)
    holdout = wilson_interval(int(holdout_responded.sum()), n_holdout, confidence)
    uplift = newcombe_difference(contacted.successes, n_contacted, holdout.successes, n_holdout, confidence)
    per_target = bootstrap_mean_difference(contacted_revenue, holdout_revenue, seed=seed, resamples=resamples,
                                           confidence=confidence)
    revenue = float(np.sum(contacted_revenue))
    incremental_responses = uplift.value * n_contacted
    incremental_revenue = per_target.value * n_contacted
    known = not math.isnan(incremental_revenue)
    return CampaignUplift(
        contacted=contacted, holdout=holdout, uplift=uplift, incremental_revenue_per_target=per_target,
        contacted_revenue=revenue, cost=float(cost), incremental_responses=incremental_responses,
        incremental_revenue=incremental_revenue,
        cost_per_target=ratio(cost, n_contacted),
        cost_per_incremental_response=(cost / incremental_responses if incremental_responses > 0 else None),
        naive_roi=roi(revenue, cost),
        incremental_roi=roi(incremental_revenue, cost) if known else None,
    )


@dataclass(frozen=True)
class UpliftTotals:
    """The figures the cockpit's campaign card and `crm-app report campaigns` add from group totals alone:
    uplift (fraction) with its Newcombe interval, incremental revenue = (revenue per contacted target − revenue
    per holdout target) × contacted targets, and incremental_roi = (incremental revenue − cost) ÷ cost.
    NaN without a holdout (or without contacted targets); incremental_roi NaN without cost."""

    uplift: float
    uplift_low: float
    uplift_high: float
    incremental_revenue: float
    incremental_roi: float


def uplift_totals(responders: int, targets: int, holdout_responders: int, holdout_targets: int,
                  revenue: float, holdout_revenue: float, cost: float, confidence: float = 0.95) -> UpliftTotals:
    """UpliftTotals from the contacted and holdout groups' counts and revenue sums (campaign_uplift's definitions)."""
    uplift = newcombe_difference(responders, targets, holdout_responders, holdout_targets, confidence)
    if targets and holdout_targets:
        incremental = (revenue / targets - holdout_revenue / holdout_targets) * targets
    else:
        incremental = math.nan
    value = roi(incremental, cost) if not math.isnan(incremental) else None
    return UpliftTotals(uplift=uplift.value, uplift_low=uplift.lower, uplift_high=uplift.upper,
                        incremental_revenue=incremental, incremental_roi=math.nan if value is None else value)
