"""Which facts a filter narrows, and how: one set of rules for the cockpit, `crm-app report` and /insights.

- region, segment and rep (`owner_id`: the customer's owner, a deal's owner) narrow every fact that has them:
  orders, customers, deals, feedback and campaign targets (activities follow their customer);
- channel narrows orders only;
- category keeps the orders with a line in the category, and an order then counts for the net amount of
  those lines alone (`net_by_order_and_category`: each line rounded half up to cents, then added);
- a campaign's cost is shared out by its share of targets within the filters (`cost_in_view`), and a campaign
  without a target within them is not part of the view.

The cockpit applies these rules to its prepared numpy columns (labels as codes), the reports to the fact
frames; both call `row_mask` with the columns `FILTERED_BY` names for the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from crm_app.domain import net_line_amount

SLICERS = ("region", "segment", "category", "channel", "owner_id")
FILTERED_BY: dict[str, tuple[str, ...]] = {
    "orders": ("region", "segment", "channel", "owner_id"),
    "customers": ("region", "segment", "owner_id"),
    "deals": ("region", "segment", "owner_id"),
    "feedback": ("region", "segment", "owner_id"),
    "campaign_targets": ("region", "segment", "owner_id"),
}


def row_mask(columns: Mapping[str, Any], wanted: Mapping[str, Any], table: str) -> np.ndarray:
    """The rows of `columns` (arrays or Series of one fact table) equal to every non-None value in `wanted`
    among the columns FILTERED_BY[table] names."""
    size = len(next(iter(columns.values())))
    mask = np.ones(size, dtype=bool)
    for name in FILTERED_BY[table]:
        value = wanted.get(name)
        if value is not None and name in columns:
            hit = columns[name] == value
            mask &= hit.to_numpy(dtype=bool, na_value=False) if isinstance(hit, pd.Series) else hit
    return mask


def net_by_order_and_category(lines: pd.DataFrame) -> pd.Series:
    """Σ net_line_amount per (order_id, category) of order lines with quantity, unit_price, discount, category."""
    net = net_line_amount(lines["quantity"].astype(float), lines["unit_price"].astype(float),
                          lines["discount"].astype(float))
    return net.groupby([lines["order_id"], lines["category"].astype(str)]).sum()


def cost_in_view(cost: np.ndarray, targets_in_view: np.ndarray, all_targets: np.ndarray) -> np.ndarray:
    """Each campaign's cost × its targets within the filters ÷ all its targets (0 for a campaign without
    targets), in the cost's money."""
    share = np.divide(targets_in_view, all_targets, out=np.zeros(len(all_targets)), where=np.asarray(all_targets) > 0)
    return np.asarray(cost, dtype=float) * share
