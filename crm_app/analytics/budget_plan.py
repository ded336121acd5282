"""The budget planner (issue 19; the source articles' linear programming): how many customers of each segment to
contact on each channel so that a budget buys the most expected incremental revenue, measured against the holdouts
of past campaigns.

Each segment's uplift on a channel is measured exactly as the campaign figures measure it (analytics.campaigns'
campaign_performance, which calls analytics.uplift's Newcombe interval), with the segment × channel pair in the
place of the campaign. Pure functions: DataFrames and mappings in, dataclasses out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crm_app.analytics.campaigns import campaign_performance

ANY_CONSENT = "any"  # the capacity column: customers reachable on at least one channel
# HiGHS stops within this relative gap of the optimum; the plans are small (segments × channels variables).
_MIP_GAP = 1e-9
_TIME_LIMIT_S = 20.0


def segment_channel_uplift(targets: pd.DataFrame, *, segment_col: str = "segment", channel_col: str = "channel",
                           group_col: str = "target_group", responded_col: str = "responded",
                           revenue_col: str = "attributed_revenue", confidence: float = 0.95) -> pd.DataFrame:
    """Per (segment, channel) of past campaigns' targets (one row per target: its segment, the campaign's channel,
    contacted or holdout, whether it responded, the revenue attributed to it), sorted by segment then channel:

    - targets, responders, holdout_targets, holdout_responders: counts
    - uplift = responders / targets − holdout_responders / holdout_targets with its Newcombe interval
      (uplift_low, uplift_high), fractions; NaN without a holdout
    - revenue_per_response = attributed revenue of the contacted ÷ their responders (currency units; NaN
      without a responder)
    """
    columns = ["segment", "channel", "targets", "responders", "holdout_targets", "holdout_responders", "uplift",
               "uplift_low", "uplift_high", "revenue_per_response"]
    if targets.empty:
        return pd.DataFrame(columns=columns)
    keys = targets[[segment_col, channel_col]].astype(str)
    pairs = keys.drop_duplicates().sort_values([segment_col, channel_col]).reset_index(drop=True)
    pairs["pair"] = np.arange(len(pairs))
    pair_of = keys.merge(pairs, on=[segment_col, channel_col], how="left")["pair"].to_numpy()
    performance = campaign_performance(
        pairs.assign(cost=0.0), targets.assign(pair=pair_of), confidence=confidence, campaign_id_col="pair",
        target_campaign_col="pair", responded_col=responded_col, revenue_col=revenue_col, group_col=group_col)
    out = pd.DataFrame({
        "segment": pairs[segment_col].to_numpy(), "channel": pairs[channel_col].to_numpy(),
        "targets": performance["targets"].to_numpy(), "responders": performance["responders"].to_numpy(),
        "holdout_targets": performance["holdout_targets"].to_numpy(),
        "holdout_responders": performance["holdout_responders"].to_numpy(),
        "uplift": performance["uplift"].to_numpy(), "uplift_low": performance["uplift_low"].to_numpy(),
        "uplift_high": performance["uplift_high"].to_numpy(),
        "revenue_per_response": (performance["attributed_revenue"]
                                 / performance["responders"].replace(0, np.nan)).to_numpy(),
    })
    return out[columns]


@dataclass(frozen=True)
class PlannedContacts:
    """One line of a plan: contact `contacts` customers of `segment` on `channel` at `cost` (contacts × cost per
    contact). expected_revenue = contacts × uplift × revenue_per_response; expected_low/high use the uplift
    interval's ends instead of the uplift."""

    segment: str
    channel: str
    contacts: int
    cost: float
    uplift: float
    uplift_low: float
    uplift_high: float
    revenue_per_response: float
    expected_revenue: float
    expected_low: float
    expected_high: float


@dataclass(frozen=True)
class BudgetPlan:
    """The chosen contacts (lines with at least one contact, in the order of the options), what they cost and the
    expected incremental revenue with its range; `options` counts the segment × channel pairs that could be
    chosen (a measured positive value, a cost given for the channel, consenting customers)."""

    lines: tuple[PlannedContacts, ...]
    budget: float
    spent: float
    expected_revenue: float
    expected_low: float
    expected_high: float
    options: int


def plan_budget(options: pd.DataFrame, capacity: pd.DataFrame, *, budget: float,
                cost_per_contact: Mapping[str, float], consent_of_channel: Mapping[str, str]) -> BudgetPlan:
    """Maximise the expected incremental revenue Σ x_sc · u_sc · r_sc over whole numbers of contacts x_sc ≥ 0
    (segment s, channel c; u: measured uplift, a fraction; r: revenue per response, currency units) subject to

        Σ_sc k_c · x_sc ≤ budget                                   (k_c: cost per contact of channel c)
        Σ_{c needing consent j} x_sc ≤ n_sj   for each consent j    (n_sj: customers of s reachable with j)
        Σ_c x_sc ≤ n_s,any                                          (each customer contacted once)

    solved as a mixed-integer programme (scipy.optimize.milp, HiGHS). With two kinds of consent these caps are
    exactly what lets every planned contact be a different consenting customer (Hall's condition). Only pairs with
    u_sc · r_sc > 0 are offered, so a segment whose measured uplift is negative is never contacted; channels
    absent from `cost_per_contact` are not used. The range puts the uplift interval's ends in place of u_sc.

    `options`: segment_channel_uplift's rows; `capacity`: indexed by segment, a column per consent named in
    `consent_of_channel` plus ANY_CONSENT.
    """
    # Imported on first use: SciPy adds about half a second to a worker's start (benchmarks/worker_start.py).
    from scipy.optimize import Bounds, LinearConstraint, milp

    if not budget >= 0:
        raise ValueError("The budget is an amount of 0 or more.")
    for channel, cost in cost_per_contact.items():
        if not cost >= 0:
            raise ValueError(f"The cost per contact of {channel} is an amount of 0 or more.")
    value = options["uplift"] * options["revenue_per_response"]
    usable = (options["channel"].isin(list(cost_per_contact)) & options["segment"].isin(capacity.index)
              & (value > 0)).to_numpy()
    chosen = options[usable].reset_index(drop=True)
    count = len(chosen)
    if count:
        values = (chosen["uplift"] * chosen["revenue_per_response"]).to_numpy(float)
        costs = chosen["channel"].map(cost_per_contact).to_numpy(float)
        consents = chosen["channel"].map(consent_of_channel).to_numpy()
        upper = np.array([capacity.at[s, j] for s, j in zip(chosen["segment"], consents)], dtype=float)
        rows, limits = [costs], [float(budget)]
        for segment in pd.unique(chosen["segment"]):
            mine = (chosen["segment"] == segment).to_numpy()
            for consent in pd.unique(consents[mine]):
                rows.append((mine & (consents == consent)).astype(float))
                limits.append(float(capacity.at[segment, consent]))
            rows.append(mine.astype(float))
            limits.append(float(capacity.at[segment, ANY_CONSENT]))
        result = milp(-values, integrality=np.ones(count), bounds=Bounds(0, upper),
                      constraints=LinearConstraint(np.vstack(rows), -np.inf, np.array(limits)),
                      options={"mip_rel_gap": _MIP_GAP, "time_limit": _TIME_LIMIT_S})
        if result.x is None:
            raise RuntimeError(f"The budget plan could not be solved: {result.message}")
        contacts = np.round(result.x).astype(int)
    else:
        contacts = np.zeros(0, dtype=int)
    lines = []
    for row, planned in zip(chosen.itertuples(index=False), contacts):
        if planned <= 0:
            continue
        cost = float(planned * cost_per_contact[row.channel])
        lines.append(PlannedContacts(
            segment=row.segment, channel=row.channel, contacts=int(planned), cost=cost, uplift=float(row.uplift),
            uplift_low=float(row.uplift_low), uplift_high=float(row.uplift_high),
            revenue_per_response=float(row.revenue_per_response),
            expected_revenue=float(planned * row.uplift * row.revenue_per_response),
            expected_low=float(planned * row.uplift_low * row.revenue_per_response),
            expected_high=float(planned * row.uplift_high * row.revenue_per_response)))
    return BudgetPlan(lines=tuple(lines), budget=float(budget), spent=sum(line.cost for line in lines),
                      expected_revenue=sum(line.expected_revenue for line in lines),
                      expected_low=sum(line.expected_low for line in lines),
                      expected_high=sum(line.expected_high for line in lines), options=count)


def assign_customers(customers: pd.DataFrame, lines: Sequence[tuple[str, str, int]], *,
                     consent_of_channel: Mapping[str, str], seed: int) -> dict[str, list[int]]:
    """Which customers a plan contacts: per channel, the ids for its (segment, channel, contacts) lines, each
    customer once. `customers`: indexed by customer id, a `segment` column and a boolean column per consent.

    Within a segment the channels are served in the order of `lines`; each takes, of the customers still free with
    its consent, first those with the fewest consents (keeping the others for channels that need them), in a
    random order drawn by numpy's PCG64 seeded with `seed` (the same customers, lines and seed give the same
    audience). Takes fewer when fewer are free.
    """
    consents = sorted(set(consent_of_channel.values()))
    rng = np.random.default_rng(seed)
    ordered = customers.sort_index()
    order = pd.Series(rng.permutation(len(ordered)), index=ordered.index)
    spread = ordered[consents].astype(bool).sum(axis=1)
    taken: set[int] = set()
    chosen: dict[str, list[int]] = {}
    for segment, channel, contacts in lines:
        consent = consent_of_channel[channel]
        free = ordered.index[(ordered["segment"] == segment).to_numpy() & ordered[consent].astype(bool).to_numpy()
                             & ~ordered.index.isin(list(taken))]
        ranking = pd.DataFrame({"spread": spread[free], "order": order[free]}).sort_values(["spread", "order"])
        picked = [int(i) for i in ranking.index[:max(int(contacts), 0)]]
        taken.update(picked)
        chosen.setdefault(channel, []).extend(picked)
    return {channel: sorted(ids) for channel, ids in chosen.items()}
