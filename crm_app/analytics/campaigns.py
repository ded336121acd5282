"""Campaign performance: response rate with its Wilson interval, costs per target and response, margin and ROI,
and, against the holdout (targets never contacted), the uplift with its Newcombe interval and the incremental ROI."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_app.analytics.measures import roi
from crm_app.analytics.stats import wilson_interval
from crm_app.analytics.uplift import uplift_totals
from crm_app.domain import TargetGroup


def campaign_performance(
    campaigns: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    margin_rate: float = 1.0,
    margin_col: str | None = None,
    confidence: float = 0.95,
    campaign_id_col: str = "id",
    cost_col: str = "cost",
    target_campaign_col: str = "campaign_id",
    responded_col: str = "responded",
    revenue_col: str = "attributed_revenue",
    group_col: str = "target_group",
) -> pd.DataFrame:
    """One row per campaign (indexed by its id, in the order of `campaigns`):

    - targets = rows in `targets`; responders = rows with responded true
    - response_rate = responders / targets with a Wilson interval (response_rate_lower/upper) at `confidence`
    - cost_per_target = cost / targets; cost_per_response = cost / responders (NaN when the divisor is 0)
    - attributed_revenue = Σ attributed revenue; attributed_margin = Σ `margin_col` of the targets when
      given, else attributed_revenue × margin_rate (the gross-margin fraction, 1.0 = revenue itself)
    - roi = (attributed_margin − cost) / cost, a fraction (0.5 = +50 %); NaN for a campaign that cost nothing
    Money in currency units.

    The figures above count the contacted targets only (`group_col` "contacted", or every row without that
    column); the holdout adds holdout_targets, holdout_responders, holdout_revenue and analytics.uplift's
    uplift, uplift_low, uplift_high (fractions), incremental_revenue and incremental_roi (NaN without a holdout).
    """
    if group_col in targets.columns:
        held_out = (targets[group_col] == TargetGroup.holdout).to_numpy()
        holdout, targets = targets[held_out], targets[~held_out]
    else:
        holdout = targets.iloc[0:0]
    grouped = targets.groupby(target_campaign_col)
    counts = grouped.size()
    responders = grouped[responded_col].apply(lambda values: int(values.fillna(False).astype(bool).sum()))
    revenue = grouped[revenue_col].sum()
    ids = campaigns[campaign_id_col]
    frame = pd.DataFrame(
        {
            "cost": campaigns[cost_col].astype(float).to_numpy(),
            "targets": counts.reindex(ids, fill_value=0).astype("int64").to_numpy(),
            "responders": responders.reindex(ids, fill_value=0).astype("int64").to_numpy(),
            "attributed_revenue": revenue.reindex(ids, fill_value=0.0).astype(float).to_numpy(),
        },
        index=pd.Index(ids.to_numpy(), name=campaign_id_col),
    )
    intervals = [wilson_interval(int(r), int(n), confidence) for r, n in zip(frame.responders, frame.targets)]
    frame["response_rate"] = [i.value for i in intervals]
    frame["response_rate_lower"] = [i.lower for i in intervals]
    frame["response_rate_upper"] = [i.upper for i in intervals]
    frame["cost_per_target"] = frame.cost / frame.targets.replace(0, np.nan)
    frame["cost_per_response"] = frame.cost / frame.responders.replace(0, np.nan)
    if margin_col is not None:
        frame["attributed_margin"] = grouped[margin_col].sum().reindex(ids, fill_value=0.0).astype(float).to_numpy()
    else:
        frame["attributed_margin"] = frame.attributed_revenue * margin_rate
    frame["roi"] = [np.nan if (value := roi(margin, cost)) is None else value
                    for margin, cost in zip(frame.attributed_margin, frame.cost)]
    held = holdout.groupby(target_campaign_col)
    frame["holdout_targets"] = held.size().reindex(ids, fill_value=0).astype("int64").to_numpy()
    answered = holdout[responded_col].astype("boolean").fillna(False).astype("int64")
    frame["holdout_responders"] = (answered.groupby(holdout[target_campaign_col]).sum()
                                   .reindex(ids, fill_value=0).astype("int64").to_numpy())
    frame["holdout_revenue"] = held[revenue_col].sum().reindex(ids, fill_value=0.0).astype(float).to_numpy()
    totals = [uplift_totals(row.responders, row.targets, row.holdout_responders, row.holdout_targets,
                            row.attributed_revenue, row.holdout_revenue, row.cost) for row in frame.itertuples()]
    for name in ("uplift", "uplift_low", "uplift_high", "incremental_revenue", "incremental_roi"):
        frame[name] = [getattr(total, name) for total in totals]
    return frame
