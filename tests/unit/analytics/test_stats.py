"""CSAT, NPS and their intervals on hand-computed examples."""

import math

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from crm_app.analytics.stats import csat_score, nps_score, wilson_interval

Z95 = 1.959963984540054


def test_wilson_interval_matches_the_formula_by_hand():
    # p = 8/10, z² = 3.841459; denominator = 1 + 0.3841459 = 1.3841459
    # centre = (0.8 + 0.1920729) / 1.3841459 = 0.7167401; half = 1.959964 √(0.016 + 0.0096036) / 1.3841459 = 0.2265777
    # -> [0.490162, 0.943318] (Wilson 1927; the same as R's prop.test without continuity correction)
    interval = wilson_interval(8, 10)
    assert interval.value == 0.8
    assert interval.lower == pytest.approx(0.490162, abs=1e-6)
    assert interval.upper == pytest.approx(0.943318, abs=1e-6)


def test_wilson_interval_stays_inside_zero_and_one():
    assert wilson_interval(0, 5).lower == 0.0
    assert wilson_interval(5, 5).upper == 1.0
    assert math.isnan(wilson_interval(0, 0).value)


@pytest.mark.parametrize(("successes", "n", "confidence"), [(8, 10, 0.95), (1, 3, 0.9), (0, 7, 0.99), (2_345, 18_000, 0.8)])
def test_wilson_interval_agrees_with_statsmodels(successes, n, confidence):
    interval = wilson_interval(successes, n, confidence)
    expected = proportion_confint(successes, n, alpha=1 - confidence, method="wilson")
    assert (interval.lower, interval.upper) == pytest.approx(tuple(map(float, expected)), abs=1e-12)


def test_csat_counts_fours_and_fives():
    # 4, 5, 5 satisfied of 5 answers (None ignored): 60 %
    score = csat_score(pd.Series([1, 4, 5, 3, 5, None]))
    assert (score.satisfied, score.n, score.value) == (3, 5, 0.6)
    expected = wilson_interval(3, 5)
    assert (score.lower, score.upper) == (expected.lower, expected.upper)


def test_nps_and_its_interval_by_hand():
    # 10 answers: promoters 9,10,10,9 (4); passives 7,8 (2); detractors 0,6,3,5 (4) -> NPS = 100(0.4 - 0.4) = 0
    # Var = 100²(0.4 + 0.4 - 0)/10 = 800 -> half-width = 1.959964 * sqrt(800) = 55.436
    score = nps_score(pd.Series([9, 10, 10, 9, 7, 8, 0, 6, 3, 5]))
    assert (score.promoters, score.passives, score.detractors, score.n) == (4, 2, 4, 10)
    assert score.value == 0
    assert score.upper == pytest.approx(Z95 * math.sqrt(800), abs=1e-9)
    assert score.upper == pytest.approx(55.436, abs=1e-3)
    assert score.lower == pytest.approx(-55.436, abs=1e-3)


def test_nps_of_mostly_promoters():
    # 6 promoters, 3 passives, 1 detractor: NPS = 100(0.6 - 0.1) = 50
    # Var = 100²(0.6 + 0.1 - 0.25)/10 = 450 -> half = 1.959964 * 21.2132 = 41.578
    score = nps_score(pd.Series([10] * 6 + [8] * 3 + [2]))
    assert score.value == pytest.approx(50)
    assert (score.lower, score.upper) == (pytest.approx(50 - 41.578, abs=1e-3), pytest.approx(91.578, abs=1e-3))


def test_empty_selection_gives_no_score():
    assert nps_score(pd.Series([], dtype=float)).n == 0
    assert math.isnan(csat_score(pd.Series([None])).value)
