"""The rows behind a cockpit chart name customers and reps, keep their ids, and head amounts with the currency."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crm_app.states import drill_rows


def _orders() -> pd.DataFrame:  # analytics.cockpit.drill_down's "orders" shape
    return pd.DataFrame({"order": [9, 8], "day": ["2026-03-02", "2026-03-01"], "customer": np.array([522, -1]),
                         "region": ["EMEA", "APAC"], "segment": ["SMB", "SMB"], "channel": ["online", ""],
                         "rep": np.array([4, 7]), "amount": [1234.5, 20.0]})


def test_names_come_before_their_ids_and_the_amount_names_its_currency():
    shown = drill_rows.readable(_orders(), customer_names={522: "Ada Lovelace"}, rep_names={4: "Riley Rep"})
    assert list(shown.columns) == ["order", "day", "customer", "customer id", "region", "segment", "channel", "rep",
                                   "rep id", "amount (USD)"]
    assert shown.iloc[0].tolist() == [9, "2026-03-02", "Ada Lovelace", 522, "EMEA", "SMB", "Online", "Riley Rep",
                                      4, 1234.5]
    # an unknown customer (-1) has neither name nor id; a rep the directory does not list keeps the id only
    assert shown.iloc[1][["customer", "customer id", "channel", "rep", "rep id"]].tolist() == ["", None, "", "", 7]


def test_the_screen_writes_money():
    assert drill_rows.screen_cell("amount (USD)", 1234.5) == "$1,234.50"
    assert drill_rows.screen_cell("probability", 0.25) == "0.25"
    assert drill_rows.screen_cell("customer id", 522) == "522"  # an id, not a quantity: no grouping
    assert drill_rows.screen_cell("customer id", None) == ""


def test_frames_without_people_pass_through():
    campaigns = pd.DataFrame({"name": ["Spring"], "targets": [10], "responders": [2], "response_rate": [0.2]})
    assert drill_rows.readable(campaigns, customer_names={}, rep_names={}).equals(campaigns)
