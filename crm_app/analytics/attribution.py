"""Campaign responses: which orders and survey answers count as a target's response, and to which campaign.

Pure: DataFrames in, a DataFrame out.
"""

from __future__ import annotations

import pandas as pd


def attribute_responses(targets: pd.DataFrame, orders: pd.DataFrame, answers: pd.DataFrame) -> pd.DataFrame:
    """One row per target of `targets` (indexed by target_id): responded_at and attributed_revenue.

    targets: target_id, customer_id, campaign_id, reference_at (when the target was contacted; for the holdout,
    when the campaign began contacting, so both groups are measured over the same days), window_days.
    orders: customer_id, ordered_at, amount (revenue orders only).
    answers: customer_id, campaign_id, answered_at (survey answers through a campaign's personal link).

    An order responds to a target when reference_at ≤ ordered_at < reference_at + window_days; an order within
    the windows of several of the customer's campaigns is attributed once, to the latest one (the largest
    reference_at; ties to the larger target_id). A survey answer through a campaign's link responds to that
    campaign's target at answered_at, with no revenue. responded_at = the earliest response; NaT without one.
    """
    index = pd.Index(targets["target_id"], name="target_id")
    reference = targets[["target_id", "customer_id", "campaign_id", "reference_at", "window_days"]]
    candidates = orders.reset_index(drop=True).rename_axis("order").reset_index().merge(reference, on="customer_id")
    in_window = ((candidates["ordered_at"] >= candidates["reference_at"])
                 & (candidates["ordered_at"] < candidates["reference_at"]
                    + pd.to_timedelta(candidates["window_days"], unit="D")))
    latest = (candidates[in_window].sort_values(["order", "reference_at", "target_id"])
              .drop_duplicates("order", keep="last"))
    revenue = latest.groupby("target_id")["amount"].sum().reindex(index, fill_value=0.0).astype(float)
    first_order = latest.groupby("target_id")["ordered_at"].min().reindex(index)
    through_link = answers.merge(reference, on=["customer_id", "campaign_id"])
    first_answer = through_link.groupby("target_id")["answered_at"].min().reindex(index)
    responded_at = pd.concat([first_order, first_answer], axis=1).min(axis=1)
    return pd.DataFrame({"responded_at": responded_at, "attributed_revenue": revenue.round(2)}, index=index)
