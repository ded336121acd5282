"""The demo company generator: deterministic, internally consistent, and realistic where analytics will look."""

from __future__ import annotations

import math
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import phonenumbers
import pytest
from email_validator import EmailNotValidError, validate_email
from pandas.testing import assert_frame_equal
from rapidfuzz import fuzz

from crm_app.analytics.sentiment import sentiment_label, sentiment_score
from crm_app.data.models import Role
from crm_app.data.seed import (
    DATA_QUALITY_DEFECT_RATE,
    DEFAULT_AS_OF,
    DEMO_LOGINS,
    DemoLogin,
    generate_demo_company,
)
from crm_app.domain import STAGE_PROBABILITY, DealStage, OrderStatus, SalesChannel

AS_OF = pd.Timestamp(DEFAULT_AS_OF, tz="UTC")
HISTORY_START = pd.Timestamp("2023-11-01", tz="UTC")


@pytest.fixture(scope="module")
def company():
    return generate_demo_company(seed=11, customers=4_000, orders=20_000)


@pytest.fixture(scope="module")
def tables(company):
    return company.tables


def _valid_email(email: str) -> bool:
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


def _valid_phone(phone: str) -> bool:
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and phonenumbers.format_number(
        number, phonenumbers.PhoneNumberFormat.E164) == phone


# --- determinism -------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_company_row_for_row():
    first = generate_demo_company(seed=5, customers=300, orders=2_000)
    second = generate_demo_company(seed=5, customers=300, orders=2_000)
    assert first.tables.keys() == second.tables.keys()
    for name in first.tables:
        assert_frame_equal(first.tables[name], second.tables[name], obj=name)
    assert_frame_equal(first.defects, second.defects)


def test_another_seed_gives_another_company():
    first = generate_demo_company(seed=5, customers=300, orders=2_000).tables
    second = generate_demo_company(seed=6, customers=300, orders=2_000).tables
    for name in ("customer", "sales_order", "order_line", "deal", "feedback"):
        with pytest.raises(AssertionError):
            assert_frame_equal(first[name], second[name], obj=name)


def test_sizes_are_exact_and_history_ends_before_as_of(tables):
    orders = tables["sales_order"]
    assert len(tables["customer"]) == 4_000
    assert len(orders) == 20_000
    assert orders["ordered_at"].min() >= HISTORY_START
    assert orders["ordered_at"].max() < AS_OF
    assert tables["feedback"]["submitted_at"].max() < AS_OF


def test_a_company_without_orders_still_loads_its_other_tables():
    empty = generate_demo_company(seed=1, customers=5, orders=0).tables
    assert len(empty["sales_order"]) == len(empty["order_line"]) == len(empty["feedback"]) == 0
    assert len(empty["customer"]) == 5
    assert len(empty["kpi_target"]) == 48


def test_a_company_needs_a_customer():
    with pytest.raises(ValueError):
        generate_demo_company(seed=1, customers=0, orders=10)


# --- people ------------------------------------------------------------------------------


def test_the_printed_demo_logins_come_first():
    assert DEMO_LOGINS[:4] == (
        DemoLogin("admin@example.com", "demo-admin-2026", Role.admin, "Ada Admin"),
        DemoLogin("exec@example.com", "demo-exec-2026", Role.executive, "Evan Executive"),
        DemoLogin("rep1@example.com", "demo-rep1-2026", Role.sales_rep, "Riley Rep"),
        DemoLogin("rep2@example.com", "demo-rep2-2026", Role.sales_rep, "Sam Seller"),
    )
    assert all(login.role == Role.sales_rep for login in DEMO_LOGINS[4:-1])
    assert DEMO_LOGINS[-1] == DemoLogin("marketer@example.com", "demo-marketer-2026", Role.marketer, "Mia Marketer")


def test_owners_are_sales_reps_and_every_rep_has_a_book(tables):
    reps = tables["app_user"].loc[tables["app_user"]["role"] == Role.sales_rep, "id"]
    owners = tables["customer"]["owner_id"].dropna()
    assert set(owners) == set(reps)
    assert set(tables["deal"]["owner_id"]) <= set(reps)


def test_customers_cover_every_region_segment_and_channel(tables):
    customers = tables["customer"]
    assert set(customers["region"]) == {"EMEA", "North America", "LATAM", "APAC"}
    assert set(customers["segment"]) == {"Enterprise", "Mid-Market", "SMB", "Consumer"}
    assert set(customers["acquisition_channel"]) == {"organic", "paid_search", "referral", "partner", "event"}
    assert customers["external_ref"].iloc[122] == "C000123"
    assert customers["company"].isna().equals(customers["segment"] == "Consumer")


# --- data-quality defects ----------------------------------------------------------------


def test_about_three_percent_of_customers_carry_a_defect(company):
    n = len(company.tables["customer"])
    expected = n * DATA_QUALITY_DEFECT_RATE
    four_sigma = 4 * math.sqrt(n * DATA_QUALITY_DEFECT_RATE * (1 - DATA_QUALITY_DEFECT_RATE))
    assert abs(len(company.defects) - expected) <= four_sigma
    assert set(company.defects["defect"]) == {"invalid_email", "invalid_phone", "near_duplicate"}
    assert company.defects["customer_id"].is_unique


def test_broken_contact_details_are_exactly_the_planted_ones(company):
    customers = company.tables["customer"].set_index("id")
    planted = company.defects.groupby("defect")["customer_id"].apply(set)
    bad_emails = {i for i, email in customers["email"].items() if not _valid_email(email)}
    bad_phones = {i for i, phone in customers["phone"].dropna().items() if not _valid_phone(phone)}
    assert bad_emails == planted["invalid_email"]
    assert bad_phones == planted["invalid_phone"]


def test_near_duplicates_are_the_same_person_spelled_slightly_differently(company):
    customers = company.tables["customer"].set_index("id")
    pairs = company.defects[company.defects["defect"] == "near_duplicate"]
    for copy_id, original_id in zip(pairs["customer_id"], pairs["duplicate_of"]):
        copy, original = customers.loc[copy_id], customers.loc[original_id]
        assert copy_id > original_id
        assert copy["name"] != original["name"] or copy["company"] != original["company"]
        assert fuzz.ratio(copy["name"], original["name"]) >= 80
        assert copy["email"] == original["email"]
        assert (copy["region"], copy["segment"]) == (original["region"], original["segment"])


def test_no_two_business_contacts_are_exact_duplicates(tables):
    business = tables["customer"].dropna(subset=["company"])
    assert not business.duplicated(["name", "company"]).any()


# --- orders ------------------------------------------------------------------------------


def test_every_order_total_is_the_sum_of_its_lines_each_rounded_half_up(tables):
    """The README's rule, by hand in decimal arithmetic: each line's quantity × unit price × (1 − discount)
    rounded half up to cents, then added. (Rounding the exact sum once instead differed on 4,864 of 40,000
    demo orders by a cent or two.)"""
    lines = tables["order_line"]
    cent = Decimal("0.01")
    by_order: dict[int, Decimal] = {}
    for order_id, quantity, price, discount in zip(lines["order_id"], lines["quantity"], lines["unit_price"],
                                                   lines["discount"]):
        amount = (Decimal(int(quantity)) * Decimal(repr(float(price))) * (1 - Decimal(repr(float(discount)))))
        by_order[int(order_id)] = by_order.get(int(order_id), Decimal(0)) + amount.quantize(cent, ROUND_HALF_UP)
    totals = tables["sales_order"].set_index("id")["total_amount"]
    assert set(totals.index) == set(by_order)
    wrong = [(order_id, total) for order_id, total in totals.items() if Decimal(repr(float(total))) != by_order[order_id]]
    assert wrong == []


def test_orders_have_one_to_four_lines_of_distinct_products(tables):
    lines = tables["order_line"]
    per_order = lines.groupby("order_id").size()
    assert per_order.between(1, 4).all()
    assert not lines.duplicated(["order_id", "product_id"]).any()
    assert lines["discount"].between(0, 0.2).all()
    assert (lines["quantity"] >= 1).all()


def test_unit_prices_stay_near_list_price(tables):
    lines = tables["order_line"].merge(tables["product"], left_on="product_id", right_on="id")
    ratio = lines["unit_price"] / lines["list_price"]
    # At most 3 % a year lower over three years, then within 5 % either way: 0.91 x 0.95 to 1.05.
    assert ratio.between(0.8645 - 0.001, 1.05 + 0.001).all()


def test_most_orders_are_paid_or_shipped_and_refs_are_zero_padded(tables):
    orders = tables["sales_order"]
    shares = orders["status"].value_counts(normalize=True)
    assert shares[OrderStatus.paid] + shares[OrderStatus.shipped] > 0.9
    assert 0 < shares[OrderStatus.cancelled] < 0.06
    assert 0 < shares[OrderStatus.refunded] < 0.05
    assert set(orders["channel"]) <= {c.value for c in SalesChannel}
    assert orders["external_ref"].iloc[122] == "O0000123"
    assert orders["ordered_at"].is_monotonic_increasing


def test_orders_peak_in_q4_dip_in_summer_and_grow_year_on_year(tables):
    ordered = tables["sales_order"]["ordered_at"]
    per_month = ordered.dt.month.value_counts()
    assert (per_month[11] + per_month[12]) > 1.4 * (per_month[7] + per_month[8])
    year = (ordered - HISTORY_START).dt.days // 365
    per_year = year[year < 3].value_counts().sort_index()
    assert per_year[0] < per_year[1] < per_year[2] < 1.6 * per_year[0]


def test_bigger_segments_place_bigger_orders(tables):
    orders = tables["sales_order"].merge(tables["customer"][["id", "segment"]], left_on="customer_id",
                                         right_on="id")
    mean_order = orders.groupby("segment")["total_amount"].mean()
    assert mean_order["Enterprise"] > mean_order["Mid-Market"] > mean_order["SMB"] > mean_order["Consumer"]


def test_some_customers_stop_ordering_long_before_as_of(tables):
    last_order = tables["sales_order"].groupby("customer_id")["ordered_at"].max()
    lapsed = (last_order < AS_OF - pd.Timedelta(days=365)).mean()
    assert 0.05 < lapsed < 0.4


# --- pipeline and work -------------------------------------------------------------------


def test_lost_deals_and_only_they_have_a_reason(tables):
    deals = tables["deal"]
    assert deals["lost_reason"].notna().equals(deals["stage"] == DealStage.lost)


def test_closed_deals_have_a_close_time_and_open_ones_do_not(tables):
    deals = tables["deal"]
    closed = deals["stage"].isin([DealStage.won, DealStage.lost])
    assert deals["closed_at"].notna().equals(closed)
    assert (deals.loc[closed, "closed_at"] < AS_OF).all()
    assert set(deals.loc[~closed, "stage"]) == {"Lead", "Qualified", "Proposal", "Negotiation"}


def test_deal_probabilities_follow_their_stage_and_a_quarter_of_closed_deals_are_won(tables):
    deals = tables["deal"]
    expected = deals["stage"].map(lambda stage: STAGE_PROBABILITY[DealStage(stage)])
    assert np.array_equal(deals["probability"].to_numpy(), expected.to_numpy())
    closed = deals[deals["stage"].isin([DealStage.won, DealStage.lost])]
    assert 0.2 <= (closed["stage"] == DealStage.won).mean() <= 0.3
    assert (deals["amount"] >= 100).all()


def test_closed_deals_moved_up_the_stages_in_order_and_their_last_move_closed_them(tables):
    deals, moves = tables["deal"].set_index("id"), tables["audit_log"]
    closed = deals[deals["closed_at"].notna()]
    assert set(moves["entity_id"]) == set(closed.index)  # open deals were seeded where they are
    assert moves["id"].tolist() == list(range(1, len(moves) + 1)) and moves["at"].is_monotonic_increasing
    order = ["Lead", "Qualified", "Proposal", "Negotiation"]
    for deal_id, trail in moves.groupby("entity_id"):
        deal = closed.loc[deal_id]
        steps = [(m["stage"], n["stage"]) for m, n in zip(trail["old_values"], trail["new_values"])]
        reached = steps[-1][0]
        assert steps == [*zip(order, order[1:order.index(reached) + 1]), (reached, deal["stage"])]
        assert trail["new_values"].iloc[-1] == {"stage": deal["stage"], "probability": STAGE_PROBABILITY[deal["stage"]],
                                                "closed_at": deal["closed_at"].isoformat(),
                                                **({"lost_reason": deal["lost_reason"]} if deal["stage"] == "Lost" else {})}
        assert trail["at"].iloc[-1] == deal["closed_at"] and trail["at"].iloc[0] >= deal["created_at"]
        assert set(trail["actor_id"]) == {deal["owner_id"]}


def test_won_deals_mostly_went_the_whole_way_and_lost_ones_dropped_out_all_along(tables):
    moves = tables["audit_log"]
    closing = moves[moves["new_values"].map(lambda new: "closed_at" in new)]
    reached = pd.crosstab(closing["old_values"].map(lambda old: old["stage"]),
                          closing["new_values"].map(lambda new: new["stage"]), normalize="columns")
    assert reached.loc["Negotiation", "Won"] > 0.5 > reached.loc["Negotiation", "Lost"]
    assert reached.loc["Lead", "Lost"] > reached.loc["Lead", "Won"]


def test_activities_are_done_overdue_or_upcoming(tables):
    activities = tables["activity"]
    past = activities["due_at"] < AS_OF
    assert activities["done_at"].notna().equals(activities["done"])
    assert (activities.loc[activities["done"], "due_at"] < AS_OF).all()
    assert (past & ~activities["done"]).sum() > 0
    assert (~past).sum() > 0
    assert activities["done"].mean() > 0.8
    assert set(activities["kind"]) == {"call", "email", "meeting", "task"}
    assert activities["customer_id"].notna().all()


# --- voice of the customer ---------------------------------------------------------------


def test_scores_are_in_range_and_every_answer_has_one(tables):
    feedback = tables["feedback"]
    assert feedback["csat"].dropna().between(1, 5).all()
    assert feedback["nps"].dropna().between(0, 10).all()
    assert (feedback["csat"].notna() | feedback["nps"].notna()).all()
    assert "topic" not in feedback.columns  # left for the topic model's fit


def test_sentiment_is_scored_as_for_a_new_answer(tables):
    feedback = tables["feedback"]
    pd.testing.assert_series_equal(feedback["sentiment"], feedback["comment"].map(sentiment_score), check_names=False)
    assert feedback["sentiment"].notna().sum() == feedback["comment"].notna().sum() > 0


def test_csat_and_nps_tell_the_same_story(tables):
    both = tables["feedback"].dropna(subset=["csat", "nps"]).astype({"csat": float, "nps": float})
    assert both["csat"].corr(both["nps"]) > 0.7


def test_comment_sentiment_agrees_with_the_scores(tables):
    feedback = tables["feedback"].dropna(subset=["comment", "nps"])
    labels = feedback["comment"].map(lambda comment: sentiment_label(sentiment_score(comment)))
    assert (labels[feedback["nps"] >= 9] == "positive").all()
    assert (labels[feedback["nps"] <= 6] == "negative").all()


def test_the_company_has_more_promoters_than_detractors(tables):
    nps = tables["feedback"]["nps"].dropna()
    score = 100 * ((nps >= 9).mean() - (nps <= 6).mean())
    assert 0 < score < 60


# --- marketing and targets ---------------------------------------------------------------


def test_campaign_targets_are_unique_and_five_to_fifteen_percent_respond(tables):
    targets = tables["campaign_target"]
    assert 6 <= len(tables["campaign"]) <= 10
    assert not targets.duplicated(["campaign_id", "customer_id"]).any()
    assert 0.05 <= targets["responded"].mean() <= 0.15
    assert targets["responded_at"].notna().equals(targets["responded"])
    assert (targets.loc[~targets["responded"], "attributed_revenue"] == 0).all()
    assert targets["attributed_revenue"].sum() > 0


def test_kpi_targets_cover_each_of_the_last_twelve_months(tables):
    targets = tables["kpi_target"]
    assert targets.groupby("kpi").size().to_dict() == {"csat": 12, "nps": 12, "orders": 12, "revenue": 12}
    assert targets["period_start"].min() == date(2025, 11, 1)
    assert targets["period_end"].max() == date(2026, 10, 31)
    assert not targets.duplicated(["kpi", "period_start", "period_end"]).any()
    assert (targets.loc[targets["kpi"] == "revenue", "target_value"] > 0).all()


def test_demo_campaigns_hold_out_a_tenth_never_contacted(tables):
    targets = tables["campaign_target"]
    held = targets["target_group"] == "holdout"
    assert 0.07 <= held.mean() <= 0.13
    assert targets.loc[held, "contacted_at"].isna().all() and targets.loc[~held, "contacted_at"].notna().all()
    assert set(tables["campaign"]["status"]) == {"done"}
