"""RFM table, scores, segments and clusters on hand-built customers."""

import itertools

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal, assert_series_equal

from crm_app import i18n
from crm_app.analytics.errors import TooLittleData
from crm_app.analytics.rfm import SEGMENTS, quintile_score, rfm_clusters, rfm_scores, rfm_segment, rfm_table

T = lambda text: pd.Timestamp(text, tz="UTC")  # noqa: E731


def test_rfm_table_by_hand():
    orders = pd.DataFrame(
        [
            (1, T("2024-03-31 12:00"), "paid", 100.0),
            (1, T("2024-03-01"), "shipped", 50.0),
            (2, T("2024-01-01"), "paid", 200.0),
            (2, T("2024-03-30"), "cancelled", 999.0),  # not revenue
            (3, T("2024-04-01"), "paid", 500.0),  # at as_of: not yet seen
            (3, T("2024-03-22"), "paid", 30.0),
        ],
        columns=["customer_id", "ordered_at", "status", "total_amount"],
    )
    # 1: 12 hours ago = 0.5 days, 2 orders, 150; 2: Jan 1 -> Apr 1 = 31 + 29 + 31 = 91 days; 3: 10 days
    expected = pd.DataFrame(
        {"recency_days": [0.5, 91.0, 10.0], "frequency": [2, 1, 1], "monetary": [150.0, 200.0, 30.0]},
        index=pd.Index([1, 2, 3], name="customer_id"),
    )
    assert_frame_equal(rfm_table(orders, "2024-04-01"), expected)


def test_quintiles_of_ten_values_put_two_in_each():
    # ranks 1..10 (the tie 20, 20 broken by position) -> qcut into fifths: 1,1,2,2,3,3,4,4,5,5
    values = pd.Series([10, 20, 20, 30, 40, 50, 60, 70, 80, 90])
    assert quintile_score(values).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # reversed: ranks of -value are 10, 8, 9, 7, 6, ..., 1 (the first 20 still ranks lower) -> 5, 4, 5, 4, ...
    assert quintile_score(values, higher_is_better=False).tolist() == [5, 4, 5, 4, 3, 3, 2, 2, 1, 1]
    # all equal: ranks still split into fifths without crashing
    assert quintile_score(pd.Series([1] * 5)).tolist() == [1, 2, 3, 4, 5]
    assert quintile_score(pd.Series([7.0])).tolist() == [3]


def test_segment_rules():
    cases = {
        (5, 5, 5): "Champions", (4, 5, 3): "Loyal", (3, 4, 1): "Loyal", (1, 5, 5): "Can't lose",
        (2, 4, 3): "At risk", (1, 3, 5): "At risk", (5, 1, 1): "New", (3, 2, 5): "Potential loyalist",
        (4, 3, 1): "Potential loyalist", (2, 1, 1): "Hibernating", (1, 2, 5): "Lost",
    }
    r, f, m = (pd.Series([key[i] for key in cases]) for i in range(3))
    assert rfm_segment(r, f, m).tolist() == list(cases.values())


def test_every_score_combination_has_a_segment():
    grid = pd.DataFrame(list(itertools.product(range(1, 6), repeat=3)), columns=["r", "f", "m"])
    assert set(rfm_segment(grid.r, grid.f, grid.m)) == set(SEGMENTS)


def test_rfm_scores_adds_codes_and_segments():
    rfm = pd.DataFrame(
        {"recency_days": [1.0, 2, 3, 4, 5], "frequency": [5, 4, 3, 2, 1], "monetary": [50.0, 40, 30, 20, 10]},
        index=pd.Index([11, 12, 13, 14, 15], name="customer_id"),
    )
    scored = rfm_scores(rfm)
    # five customers: one per quintile; customer 11 is best on all three, 15 worst
    assert scored["rfm_code"].tolist() == ["555", "444", "333", "222", "111"]
    assert scored["segment"].tolist() == ["Champions", "Champions", "Potential loyalist", "Hibernating", "Lost"]


def test_three_obvious_groups_are_found():
    # ten customers in each of three tight groups far apart on the log scale
    groups = [(2.0, 20, 5000.0), (60.0, 4, 400.0), (400.0, 1, 20.0)]
    rows = [(r + i * 0.1, f, m + i) for r, f, m in groups for i in range(10)]
    rfm = pd.DataFrame(rows, columns=["recency_days", "frequency", "monetary"])
    clusters = rfm_clusters(rfm, k_values=range(2, 6))
    assert clusters.k == 3
    assert clusters.silhouette.index.tolist() == [2, 3, 4, 5]
    assert clusters.silhouette.idxmax() == 3
    # numbering by descending mean spend: 5000-ish group is 0
    assert_series_equal(clusters.labels, pd.Series([0] * 10 + [1] * 10 + [2] * 10, name="cluster"))
    expected = pd.DataFrame(
        {
            "customers": [10, 10, 10],
            "share": [1 / 3] * 3,
            # means of r + 0.1 i and m + i over i = 0..9: +0.45 and +4.5
            "recency_days": [2.45, 60.45, 400.45],
            "frequency": [20.0, 4.0, 1.0],
            "monetary": [5004.5, 404.5, 24.5],
        },
        index=pd.Index([0, 1, 2], name="cluster"),
    )
    assert_frame_equal(clusters.profile, expected)


def test_two_customers_cannot_be_clustered_and_the_reader_is_told_in_their_language():
    rfm = pd.DataFrame([(2.0, 3, 90.0), (40.0, 1, 20.0)], columns=["recency_days", "frequency", "monetary"])
    with pytest.raises(TooLittleData) as refused:
        rfm_clusters(rfm)
    assert i18n.say(refused.value.args[0], i18n.CHINESE) == "聚类至少需要 3 位客户，且簇数在 2 到客户数减 1 之间；目前有 2 位客户。"
