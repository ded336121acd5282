"""The rows behind a cockpit chart ("Show rows" and its CSV) as people read them: customers and reps by name with
their ids kept in their own columns, codes as labels, amounts in the company's currency.

Downloads (states/downloading.offer) keep numbers plain (a spreadsheet sums them) under a header naming the currency
("amount (USD)"); the table on screen writes them like the rest of the app (formatting.money)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from crm_app import formatting
from crm_app.labels import label

# Drill columns holding an id, shown as "<name> id" next to a "<name>" column of names.
NAMED_IDS = ("customer", "rep")
AMOUNT_COLUMNS = ("amount",)
CODE_COLUMNS = ("channel",)


def readable(frame: pd.DataFrame, *, customer_names: Mapping[int, str], rep_names: Mapping[int, str]) -> pd.DataFrame:
    """`frame` (analytics.cockpit.drill_down) with a name column before each id column (customer, rep; an id the
    reader may not see or an unknown one gets an empty name), channel codes as labels, and the amount column headed
    with the company's currency."""
    out = frame.copy()
    lookups = {"customer": customer_names, "rep": rep_names}
    for column in NAMED_IDS:
        if column not in out.columns:
            continue
        ids = out[column]
        at = out.columns.get_loc(column)
        out = out.rename(columns={column: f"{column} id"})
        out.insert(at, column, [lookups[column].get(int(i), "") if i is not None and i >= 0 else "" for i in ids])
        # Whole numbers (a spreadsheet's cells are typed), None where unknown; object keeps them off floats.
        out[f"{column} id"] = pd.Series([int(i) if i is not None and i >= 0 else None for i in ids], dtype=object,
                                         index=out.index)
    for column in CODE_COLUMNS:
        if column in out.columns:
            out[column] = [label(code) if code else "" for code in out[column]]
    return out.rename(columns={column: formatting.currency_label(column) for column in AMOUNT_COLUMNS
                               if column in out.columns})


def screen_cell(column: str, value: Any) -> str:
    """A value for the table on screen: amounts as money, other numbers with the locale's grouping."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if column == formatting.currency_label("amount"):
        return formatting.money(value)
    if isinstance(value, float):
        return formatting.number(value, decimals=0 if value.is_integer() else 2)
    return str(value)
