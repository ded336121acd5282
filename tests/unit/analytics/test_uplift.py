"""Uplift against Newcombe's published worked examples, hand-worked bootstrap cases and simulated campaigns."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.proportion import confint_proportions_2indep

from crm_app.analytics.uplift import bootstrap_mean_difference, campaign_uplift, newcombe_difference

# Newcombe RG (1998), "Interval estimation for the difference between independent proportions: comparison of
# eleven methods", Statistics in Medicine 17:873-890, Table II, method 10 (score interval, hybrid), to 4 places.
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
]


@pytest.mark.parametrize(("counts", "published"), NEWCOMBE_TABLE_II)
def test_newcombe_interval_matches_the_published_worked_examples(counts, published):
    difference = newcombe_difference(*counts)
    assert (round(difference.lower, 4), round(difference.upper, 4)) == published
    assert difference.value == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])


def test_newcombe_interval_agrees_with_statsmodels():
    for counts in [(30, 200, 12, 150), (0, 40, 3, 40), (1000, 18000, 200, 2000)]:
        ours = newcombe_difference(*counts)
        theirs = confint_proportions_2indep(*counts, method="newcomb", compare="diff")
        assert (ours.lower, ours.upper) == pytest.approx(tuple(map(float, theirs)), abs=1e-12)


def test_newcombe_without_a_holdout_is_unknown():
    assert math.isnan(newcombe_difference(5, 10, 0, 0).value)


def test_bootstrap_of_two_values_against_one_gives_the_hand_worked_percentiles():
    # Resampled means of [0, 10] are 0, 5 or 10 with chances 1/4, 1/2, 1/4; the holdout's are always 0.
    difference = bootstrap_mean_difference(np.array([0.0, 10.0]), np.array([0.0, 0.0]), seed=3)
    assert (difference.value, difference.lower, difference.upper) == (5.0, 0.0, 10.0)


def test_bootstrap_of_constant_groups_is_a_point_and_repeats_with_its_seed():
    assert bootstrap_mean_difference(np.array([4.0, 4, 4]), np.array([1.0, 1]), seed=1) == \
        bootstrap_mean_difference(np.array([4.0, 4, 4]), np.array([1.0, 1]), seed=99)
    rng = np.random.default_rng(5)
    contacted, holdout = rng.exponential(40, 3000), rng.exponential(30, 400)
    first = bootstrap_mean_difference(contacted, holdout, seed=11)
    assert first == bootstrap_mean_difference(contacted, holdout, seed=11)
    # With this many targets the percentile interval is close to the normal one: ± 1.96 standard errors.
    standard_error = math.sqrt(contacted.var(ddof=1) / 3000 + holdout.var(ddof=1) / 400)
    assert (first.upper - first.lower) / (2 * 1.96 * standard_error) == pytest.approx(1, abs=0.05)


def test_campaign_figures_worked_by_hand():
    figures = campaign_uplift(np.array([True, False, True, False]), np.array([100.0, 0, 50, 0]),
                              np.array([False, True]), np.array([0.0, 30]), cost=60, seed=1)
    assert (figures.contacted.value, figures.holdout.value, figures.uplift.value) == (0.5, 0.5, 0.0)
    assert figures.incremental_revenue_per_target.value == 37.5 - 15
    assert figures.incremental_revenue == 90.0
    assert figures.cost_per_target == 15.0
    assert figures.cost_per_incremental_response is None  # no more responses than the holdout predicts
    assert figures.naive_roi == (150 - 60) / 60
    assert figures.incremental_roi == (90 - 60) / 60


def test_a_campaign_that_cost_nothing_has_no_roi():
    figures = campaign_uplift(np.array([True]), np.array([10.0]), np.array([False]), np.array([0.0]), cost=0, seed=1)
    assert (figures.naive_roi, figures.incremental_roi, figures.cost_per_incremental_response) == (None, None, 0.0)


def _simulated_campaign(rng, contacted=18_000, holdout=2_000, base=0.10, uplift=0.05):
    return rng.random(contacted) < base + uplift, rng.random(holdout) < base


def test_a_simulated_campaign_of_20000_targets_covers_its_true_uplift():
    rng = np.random.default_rng(2027)
    contacted, holdout = _simulated_campaign(rng)
    # Each response brings 80 on average: the true incremental revenue per target is 0.05 × 80 = 4.
    figures = campaign_uplift(contacted, contacted * rng.exponential(80, contacted.size), holdout,
                              holdout * rng.exponential(80, holdout.size), cost=20_000, seed=7)
    assert figures.uplift.covers(0.05)
    assert figures.uplift.upper - figures.uplift.lower < 0.04
    assert figures.incremental_revenue_per_target.covers(4.0)
    assert figures.cost_per_incremental_response == pytest.approx(20_000 / (figures.uplift.value * 18_000))


def test_over_200_simulated_campaigns_the_interval_covers_the_truth_about_95_percent_of_the_time():
    rng = np.random.default_rng(19)
    covered = 0
    for _ in range(200):
        contacted = int(rng.binomial(18_000, 0.15))
        holdout = int(rng.binomial(2_000, 0.10))
        covered += newcombe_difference(contacted, 18_000, holdout, 2_000).covers(0.05)
    # 95 % ± 3 binomial standard errors (√(0.95 × 0.05 / 200) = 1.54 points).
    assert 0.95 - 3 * 0.0154 <= covered / 200 <= min(1.0, 0.95 + 3 * 0.0154)
