"""The CRM's vocabulary: NPS/CSAT bands at their edges and the net line amount's rounding, by hand."""

from datetime import date

import numpy as np
import pandas as pd

from crm_app.domain import (
    NPS_BANDS, OPEN_STAGES, STAGE_PROBABILITY, DealStage, deal_is_overdue, is_detractor, is_passive, is_promoter, is_satisfied,
    net_line_amount, unhappy,
)


def test_nps_bands_split_zero_to_ten_into_detractors_passives_and_promoters():
    scores = np.arange(11)
    assert scores[is_detractor(scores)].tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert scores[is_passive(scores)].tolist() == [7, 8]
    assert scores[is_promoter(scores)].tolist() == [9, 10]
    assert NPS_BANDS == {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}


def test_a_missing_answer_is_in_no_band():
    answers = pd.Series([np.nan, 4.0])
    assert is_detractor(answers).tolist() == [False, True]
    assert is_promoter(answers).tolist() == [False, False]
    assert is_satisfied(answers).tolist() == [False, True]


def test_csat_satisfied_is_four_or_five_and_unhappy_is_a_detractor_or_csat_one_or_two():
    assert [is_satisfied(c) for c in range(1, 6)] == [False, False, False, True, True]
    assert unhappy(6, 5) and unhappy(10, 2) and not unhappy(7, 3)
    assert unhappy(pd.Series([9.0, 7.0, np.nan]), pd.Series([1.0, 3.0, np.nan])).tolist() == [True, False, False]


def test_open_stages_are_the_funnel_and_their_default_probabilities_rise():
    assert OPEN_STAGES == ("Lead", "Qualified", "Proposal", "Negotiation")
    assert [STAGE_PROBABILITY[stage] for stage in OPEN_STAGES] == [0.10, 0.25, 0.50, 0.75]
    assert STAGE_PROBABILITY["Won"] == 1.0 and STAGE_PROBABILITY[DealStage.lost] == 0.0


def test_net_line_amount_rounds_half_up_to_cents():
    assert net_line_amount(3, 19.99, 0.10) == 53.97  # 53.973
    assert net_line_amount(1, 1.005) == 1.01  # 100.4999… cents as a float, 100.5 on paper
    assert net_line_amount(1, 0.05, 0.10) == 0.05  # 0.045 goes up
    assert net_line_amount(1, 0.25, 0.5) == 0.13  # 0.125 goes up, not to the even 0.12
    assert net_line_amount(2, 0.07, 0.25) == 0.11  # 0.105
    assert net_line_amount(5, 99.99, 1.0) == 0.0


def test_net_line_amount_takes_whole_columns():
    amounts = net_line_amount(pd.Series([3, 1, 2]), pd.Series([19.99, 1.005, 0.07]), pd.Series([0.10, 0.0, 0.25]))
    assert amounts.tolist() == [53.97, 1.01, 0.11]
    assert net_line_amount(np.array([1, 1]), np.array([0.05, 0.25]), np.array([0.1, 0.5])).tolist() == [0.05, 0.13]


def test_an_open_deal_is_overdue_only_after_its_expected_close_day():
    today = date(2026, 12, 5)
    assert deal_is_overdue(DealStage.proposal, date(2026, 12, 4), today)
    assert not deal_is_overdue(DealStage.proposal, date(2026, 12, 5), today)
    assert not deal_is_overdue(DealStage.proposal, None, today)
    assert not deal_is_overdue(DealStage.won, date(2026, 12, 1), today)
    assert not deal_is_overdue(DealStage.lost, date(2026, 12, 1), today)
