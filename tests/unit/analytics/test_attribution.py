"""Responses: an order in the window after contact, attributed once to the latest campaign; or a survey answer."""

from __future__ import annotations

import pandas as pd

from crm_app.analytics.attribution import attribute_responses

T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731

# Customer 1 is in campaign 10 (contacted 1 March) and 11 (contacted 10 March), customer 2 is in 10's holdout
# (the campaign began contacting 1 March), customer 3 in 11 with a 5-day window.
TARGETS = pd.DataFrame({
    "target_id": [100, 101, 102, 103],
    "customer_id": [1, 1, 2, 3],
    "campaign_id": [10, 11, 10, 11],
    "reference_at": [T("2026-03-01"), T("2026-03-10"), T("2026-03-01"), T("2026-03-10")],
    "window_days": [30, 30, 30, 5],
})


def test_orders_in_the_window_go_once_to_the_latest_campaign():
    orders = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 3, 3],
        "ordered_at": [T("2026-02-28"), T("2026-03-05"), T("2026-03-12"), T("2026-03-30 23:00"),
                       T("2026-03-15"), T("2026-03-14 23:59")],
        "amount": [999.0, 100.0, 40.0, 70.0, 5.0, 8.0],
    })
    result = attribute_responses(TARGETS, orders, pd.DataFrame(columns=["customer_id", "campaign_id", "answered_at"]))
    # 28 Feb is before any contact; 5 March only campaign 10's window; 12 March both: the later campaign 11;
    # the holdout's order on day 29 counts; customer 3's window ends at 15 March 00:00, so only the order before.
    assert result["attributed_revenue"].to_dict() == {100: 100.0, 101: 40.0, 102: 70.0, 103: 8.0}
    assert result["responded_at"].to_dict() == {100: T("2026-03-05"), 101: T("2026-03-12"),
                                                 102: T("2026-03-30 23:00"), 103: T("2026-03-14 23:59")}


def test_a_survey_answer_through_the_campaigns_link_is_a_response_without_revenue():
    answers = pd.DataFrame({"customer_id": [3, 1], "campaign_id": [11, 99], "answered_at": [T("2026-03-11"),
                                                                                         T("2026-03-11")]})
    empty = pd.DataFrame({"customer_id": pd.Series([], dtype=int), "ordered_at": pd.Series([], dtype="datetime64[ns, UTC]"),
                          "amount": pd.Series([], dtype=float)})
    result = attribute_responses(TARGETS, empty, answers)
    assert result["responded_at"].notna().to_dict() == {100: False, 101: False, 102: False, 103: True}
    assert result.loc[103, "responded_at"] == T("2026-03-11")
    assert result["attributed_revenue"].sum() == 0.0
