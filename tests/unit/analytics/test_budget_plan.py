"""The budget planner on instances solved by hand: the measured uplift per segment and channel, the plan the
mixed-integer programme chooses, a zero budget, a segment whose uplift is negative, consent caps that bind, and
which customers a plan contacts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crm_app.analytics.budget_plan import ANY_CONSENT, assign_customers, plan_budget, segment_channel_uplift
from crm_app.analytics.uplift import newcombe_difference

CONSENT = {"email": "consent_email", "ads": "consent_email", "event": "consent_phone", "phone": "consent_phone"}


def _options(*rows: tuple[str, str, float, float, float, float]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["segment", "channel", "uplift", "uplift_low", "uplift_high",
                                       "revenue_per_response"])


def _capacity(**segments: tuple[int, int, int]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(segments, orient="index", columns=["consent_email", "consent_phone", ANY_CONSENT])


# Segment A: email brings 0.05 × 200 = 10 per contact at 1 (10 per unit of cost), an event 0.2 × 200 = 40 at 10
# (4 per unit); B: email 0.02 × 100 = 2 at 1; B's events lose customers (uplift −0.01).
OPTIONS = _options(("A", "email", 0.05, 0.03, 0.07, 200.0), ("A", "event", 0.20, 0.10, 0.30, 200.0),
                   ("B", "email", 0.02, -0.01, 0.05, 100.0), ("B", "event", -0.01, -0.05, 0.03, 100.0))
COSTS = {"email": 1.0, "event": 10.0}


def test_the_plan_solved_by_hand():
    # A has 6 email and 5 phone consents but only 8 customers with either. Swapping one A email for one A event
    # gains 40 − 10 = 30 for 9 more spent, which B's email would turn into only 18: so all 5 events, 3 emails
    # (8 in A), and the 100 − 3 − 50 = 47 left on B's email: 30 + 200 + 94 = 324.
    plan = plan_budget(OPTIONS, _capacity(A=(6, 5, 8), B=(50, 50, 50)), budget=100, cost_per_contact=COSTS,
                       consent_of_channel=CONSENT)
    assert [(line.segment, line.channel, line.contacts) for line in plan.lines] == [
        ("A", "email", 3), ("A", "event", 5), ("B", "email", 47)]
    assert [line.cost for line in plan.lines] == [3.0, 50.0, 47.0]
    assert plan.spent == 100.0 and plan.options == 3
    assert plan.expected_revenue == pytest.approx(324.0)
    # Low: 3 × 0.03 × 200 + 5 × 0.1 × 200 − 47 × 0.01 × 100 = 18 + 100 − 47; high: 42 + 300 + 235.
    assert plan.expected_low == pytest.approx(71.0)
    assert plan.expected_high == pytest.approx(577.0)
    assert [line.expected_revenue for line in plan.lines] == pytest.approx([30.0, 200.0, 94.0])


def test_a_zero_budget_contacts_nobody():
    plan = plan_budget(OPTIONS, _capacity(A=(6, 5, 8), B=(50, 50, 50)), budget=0, cost_per_contact=COSTS,
                       consent_of_channel=CONSENT)
    assert plan.lines == ()
    assert (plan.spent, plan.expected_revenue, plan.expected_low, plan.expected_high) == (0, 0, 0, 0)


def test_a_segment_with_negative_uplift_is_never_chosen_however_large_the_budget():
    plan = plan_budget(OPTIONS, _capacity(A=(6, 5, 8), B=(50, 50, 50)), budget=1_000_000,
                       cost_per_contact={"email": 1.0, "event": 0.0}, consent_of_channel=CONSENT)
    assert ("B", "event") not in {(line.segment, line.channel) for line in plan.lines}
    assert plan.options == 3


def test_consent_caps_bind_and_leave_budget_unspent():
    # Money for everyone: A's 8 reachable customers (5 by phone at most) and B's 50 emails cap the plan.
    plan = plan_budget(OPTIONS, _capacity(A=(6, 5, 8), B=(50, 50, 50)), budget=10_000, cost_per_contact=COSTS,
                       consent_of_channel=CONSENT)
    assert [(line.segment, line.channel, line.contacts) for line in plan.lines] == [
        ("A", "email", 3), ("A", "event", 5), ("B", "email", 50)]
    assert plan.spent == 103.0
    assert plan.expected_revenue == pytest.approx(30 + 200 + 100)


def test_channels_without_a_cost_and_segments_without_consent_are_left_out():
    plan = plan_budget(OPTIONS, _capacity(B=(50, 50, 50)), budget=100, cost_per_contact={"email": 1.0},
                       consent_of_channel=CONSENT)
    assert [(line.segment, line.channel, line.contacts) for line in plan.lines] == [("B", "email", 50)]


def test_bad_budgets_and_costs_are_refused():
    with pytest.raises(ValueError, match="budget"):
        plan_budget(OPTIONS, _capacity(A=(6, 5, 8)), budget=-1, cost_per_contact=COSTS, consent_of_channel=CONSENT)
    with pytest.raises(ValueError, match="email"):
        plan_budget(OPTIONS, _capacity(A=(6, 5, 8)), budget=1, cost_per_contact={"email": float("nan")},
                    consent_of_channel=CONSENT)


def test_uplift_by_segment_and_channel_counts_contacted_against_holdout():
    targets = pd.DataFrame({
        "segment": ["Loyal"] * 6 + ["Lost"] * 3,
        "channel": ["email"] * 5 + ["event"] + ["email"] * 3,
        "target_group": ["contacted", "contacted", "contacted", "contacted", "holdout", "contacted",
                         "contacted", "contacted", "contacted"],
        "responded": [True, True, False, False, False, True, True, False, False],
        "attributed_revenue": [300.0, 100.0, 0.0, 0.0, 0.0, 80.0, 50.0, 0.0, 0.0],
    })
    result = segment_channel_uplift(targets)
    assert list(zip(result["segment"], result["channel"])) == [("Lost", "email"), ("Loyal", "email"),
                                                              ("Loyal", "event")]
    assert result["targets"].tolist() == [3, 4, 1]
    assert result["responders"].tolist() == [1, 2, 1]
    assert result["holdout_targets"].tolist() == [0, 1, 0]
    loyal = newcombe_difference(2, 4, 0, 1)
    assert result.loc[1, ["uplift", "uplift_low", "uplift_high"]].tolist() == [loyal.value, loyal.lower, loyal.upper]
    assert result.loc[1, "uplift"] == 0.5
    assert np.isnan(result.loc[0, "uplift"]) and np.isnan(result.loc[2, "uplift"])  # no holdout
    assert result["revenue_per_response"].tolist() == [50.0, 200.0, 80.0]


def test_each_customer_is_contacted_once_and_dual_consents_are_kept_for_the_channel_that_needs_them():
    customers = pd.DataFrame({
        "segment": ["A"] * 5 + ["B"],
        "consent_email": [True, True, True, False, False, True],
        "consent_phone": [False, True, True, True, False, True],
    }, index=[11, 12, 13, 14, 15, 16])
    chosen = assign_customers(customers, [("A", "email", 2), ("A", "event", 2), ("B", "email", 5)],
                              consent_of_channel=CONSENT, seed=3)
    # Email takes 11 (email only) then one of 12, 13; the event takes 14 (phone only) and the other of 12, 13.
    assert 11 in chosen["email"] and 14 in chosen["event"]
    assert sorted(chosen["email"] + chosen["event"]) == [11, 12, 13, 14, 16]
    assert len(chosen["email"]) == 3 and len(chosen["event"]) == 2
    assert chosen == assign_customers(customers, [("A", "email", 2), ("A", "event", 2), ("B", "email", 5)],
                                      consent_of_channel=CONSENT, seed=3)
