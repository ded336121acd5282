"""Campaign performance on two hand-built campaigns."""

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from crm_app.analytics.campaigns import campaign_performance
from crm_app.analytics.stats import wilson_interval
from crm_app.analytics.uplift import newcombe_difference

CAMPAIGNS = pd.DataFrame({"id": [7, 8, 9], "name": ["spring", "summer", "free"], "cost": [200.0, 50.0, 0.0]})
TARGETS = pd.DataFrame(
    {
        "campaign_id": [7, 7, 7, 7, 8, 8, 9],
        "responded": [True, False, True, False, False, False, True],
        "attributed_revenue": [500.0, 0.0, 300.0, 0.0, 0.0, 0.0, 40.0],
        "margin": [150.0, 0.0, 100.0, 0.0, 0.0, 0.0, 10.0],
    }
)


def test_performance_by_hand():
    result = campaign_performance(CAMPAIGNS, TARGETS, margin_rate=0.4)
    spring, summer, free = wilson_interval(2, 4), wilson_interval(0, 2), wilson_interval(1, 1)
    expected = pd.DataFrame(
        {
            "cost": [200.0, 50.0, 0.0],
            "targets": [4, 2, 1],
            "responders": [2, 0, 1],
            "attributed_revenue": [800.0, 0.0, 40.0],
            "response_rate": [0.5, 0.0, 1.0],
            "response_rate_lower": [spring.lower, summer.lower, free.lower],
            "response_rate_upper": [spring.upper, summer.upper, free.upper],
            # 200/4, 50/2, 0/1; 200/2, no responder, 0/1
            "cost_per_target": [50.0, 25.0, 0.0],
            "cost_per_response": [100.0, np.nan, 0.0],
            # 40 % of revenue: 320, 0, 16
            "attributed_margin": [320.0, 0.0, 16.0],
            # (320 - 200)/200 = 0.6; (0 - 50)/50 = -1; no cost -> no ROI
            "roi": [0.6, -1.0, np.nan],
        },
        index=pd.Index([7, 8, 9], name="id"),
    )
    assert_frame_equal(result[expected.columns], expected)
    assert result["holdout_targets"].tolist() == [0, 0, 0] and result["uplift"].isna().all()
    # Wilson 95 % for 2 of 4: [0.1500, 0.8500] (symmetric around 1/2)
    assert (spring.lower, spring.upper) == (pytest.approx(0.15004, abs=1e-5), pytest.approx(0.84996, abs=1e-5))


def test_margin_column_overrides_the_rate():
    result = campaign_performance(CAMPAIGNS, TARGETS, margin_col="margin")
    # spring: margin 150 + 100 = 250 -> ROI (250 - 200)/200 = 0.25
    assert result.loc[7, "attributed_margin"] == 250.0
    assert result.loc[7, "roi"] == 0.25


def test_campaign_without_targets():
    result = campaign_performance(pd.DataFrame({"id": [1], "cost": [10.0]}), TARGETS)
    assert result.loc[1, "targets"] == 0 and np.isnan(result.loc[1, "response_rate"])
    assert np.isnan(result.loc[1, "cost_per_target"]) and result.loc[1, "roi"] == -1.0


def test_the_holdout_gives_uplift_and_incremental_roi_and_stays_out_of_the_naive_figures():
    holdout = pd.DataFrame({"campaign_id": [7, 7], "responded": [True, False], "attributed_revenue": [100.0, 0.0],
                            "margin": [0.0, 0.0], "target_group": ["holdout", "holdout"]})
    targets = pd.concat([TARGETS.assign(target_group="contacted"), holdout], ignore_index=True)
    spring = campaign_performance(CAMPAIGNS, targets).loc[7]
    # The naive figures are the contacted group's: 2 of 4, 800 of revenue, ROI (800 − 200) / 200.
    assert (spring.targets, spring.responders, spring.attributed_revenue, spring.roi) == (4, 2, 800.0, 3.0)
    assert (spring.holdout_targets, spring.holdout_responders, spring.holdout_revenue) == (2, 1, 100.0)
    # 1/2 respond either way: no uplift; revenue per target 200 against 50, so 150 × 4 = 600 was incremental,
    # and (600 − 200) / 200 = 2.
    expected = newcombe_difference(2, 4, 1, 2)
    assert (spring.uplift, spring.uplift_low, spring.uplift_high) == (0.0, expected.lower, expected.upper)
    assert (spring.incremental_revenue, spring.incremental_roi) == (600.0, 2.0)
