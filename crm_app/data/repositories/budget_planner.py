"""What the budget planner on /campaigns plans with, and the draft campaigns a plan becomes (issue 19).

Segments are the **RFM segments** as of the last /insights fit: every customer with a paid order has one, and it
is recomputed exactly from the orders (the KMeans clusters are fitted on a sample of at most 20,000 customers,
so customers outside it have none, and finding them again means refitting). A customer's segment at the time of
an old campaign is not stored: past targets are counted in the segment they are in now.

Marketers and admins plan; the measured uplift per segment and channel comes from the targets of every campaign
that has started (running or done), its holdout included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
from pydantic import field_validator
from sqlmodel import Session, select

from crm_app.analytics.budget_plan import ANY_CONSENT, assign_customers, segment_channel_uplift
from crm_app.analytics.rfm import SEGMENTS, rfm_scores, rfm_table
from crm_app.data.facts import read_frame
from crm_app.data.models import Campaign, CampaignTarget, Customer
from crm_app.data.permissions import Actor, PermissionDenied
from crm_app.data.repositories import campaigns
from crm_app.data.validation import UserInput
from crm_app.domain import CampaignChannel, CampaignStatus
from crm_app.i18n import gettext

# Which consent each channel needs, by the channel's code (the campaigns' rule).
CONSENT_OF_CHANNEL: dict[str, str] = {str(channel): consent for channel, consent in campaigns.CONSENT_OF_CHANNEL.items()}
CONSENTS: tuple[str, ...] = ("consent_email", "consent_phone")
_PAID_ORDERS_SQL = "SELECT customer_id, ordered_at, status, total_amount FROM sales_order"


class PlannerBudget(UserInput):
    """The planner's inputs as typed: a budget and, per channel, what one contact costs (blank: not used)."""

    budget: float
    cost_email: float | None = None
    cost_phone: float | None = None
    cost_event: float | None = None
    cost_ads: float | None = None

    @field_validator("cost_email", "cost_phone", "cost_event", "cost_ads", mode="before")
    @classmethod
    def _blank_is_unused(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("budget")
    @classmethod
    def _budget(cls, value: float) -> float:
        if not 0 <= value < 1e12:
            raise ValueError(gettext("Enter a budget of 0 or more."))
        return round(value, 2)

    @field_validator("cost_email", "cost_phone", "cost_event", "cost_ads")
    @classmethod
    def _cost(cls, value: float | None) -> float | None:
        if value is not None and not 0 <= value < 1e9:
            raise ValueError(gettext("Enter a cost per contact of 0 or more, or leave it blank."))
        return None if value is None else round(value, 4)

    @property
    def costs(self) -> dict[str, float]:
        """Cost per contact of each channel given, by channel code."""
        return {channel: cost for channel in CONSENT_OF_CHANNEL
                if (cost := getattr(self, f"cost_{channel}")) is not None}


def _require_planner(actor: Actor) -> None:
    if not actor.runs_campaigns:
        raise PermissionDenied(gettext("Marketers and admins plan campaigns."))


def customer_segments(*, session: Session, as_of: date) -> pd.Series:
    """Each customer's RFM segment as of `as_of` (customers with a paid order before it), indexed by customer id."""
    orders = read_frame(session.connection(), _PAID_ORDERS_SQL)
    return rfm_scores(rfm_table(orders, as_of))["segment"]


def _reachable_customers(session: Session) -> pd.DataFrame:
    """Per customer id, whether each consent can be used: given, and with the address it needs (campaigns' rule)."""
    rows = session.exec(select(Customer.id, Customer.consent_email, Customer.email, Customer.consent_phone,
                               Customer.phone)).all()
    frame = pd.DataFrame(rows, columns=["id", "consent_email", "email", "consent_phone", "phone"]).set_index("id")
    return pd.DataFrame({
        "consent_email": frame["consent_email"].fillna(False).astype(bool) & frame["email"].fillna("").ne(""),
        "consent_phone": frame["consent_phone"].fillna(False).astype(bool) & frame["phone"].fillna("").ne(""),
    }, index=frame.index)


@dataclass(frozen=True)
class PlannerInputs:
    """What the planner optimises over: `options` (analytics.budget_plan.segment_channel_uplift of past targets),
    `capacity` (per segment, customers reachable with each consent and with either) and the customers' segments
    as of `as_of`, the date of the /insights fit."""

    as_of: date
    options: pd.DataFrame
    capacity: pd.DataFrame
    customers: pd.DataFrame  # indexed by customer id: segment and one boolean column per consent


def planner_inputs(*, session: Session, actor: Actor) -> PlannerInputs:
    """The measured uplift and revenue per response of each segment on each channel, and who can be contacted."""
    _require_planner(actor)
    as_of = campaigns.segments_fit_date(session=session)
    segments = customer_segments(session=session, as_of=as_of)
    customers = _reachable_customers(session).join(segments.rename("segment"), how="inner")
    rows = session.exec(
        select(CampaignTarget.customer_id, Campaign.channel, CampaignTarget.target_group, CampaignTarget.responded,
               CampaignTarget.attributed_revenue)
        .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
        .where(Campaign.status.in_([CampaignStatus.running.value, CampaignStatus.done.value]))).all()
    targets = pd.DataFrame(rows, columns=["customer_id", "channel", "target_group", "responded",
                                          "attributed_revenue"])
    targets["channel"] = targets["channel"].astype(str)
    targets["responded"] = targets["responded"].fillna(False).astype(bool)
    targets["attributed_revenue"] = targets["attributed_revenue"].astype(float)
    targets = targets.join(segments.rename("segment"), on="customer_id", how="inner")
    options = segment_channel_uplift(targets)
    order = {name: position for position, name in enumerate(SEGMENTS)}
    options = options.sort_values(["segment", "channel"], key=lambda column: column.map(order).fillna(len(order))
                                  if column.name == "segment" else column, kind="stable").reset_index(drop=True)
    grouped = customers.groupby("segment")
    capacity = pd.DataFrame({consent: grouped[consent].sum() for consent in CONSENTS})
    capacity[ANY_CONSENT] = customers[list(CONSENTS)].any(axis=1).groupby(customers["segment"]).sum()
    capacity = capacity.astype("int64").reindex([s for s in SEGMENTS if s in capacity.index])
    return PlannerInputs(as_of=as_of, options=options, capacity=capacity, customers=customers)


@dataclass(frozen=True)
class PlannedCampaign:
    campaign_id: int
    name: str
    channel: str
    audience: campaigns.Audience


def create_planned_campaigns(*, session: Session, actor: Actor, lines: Sequence[tuple[str, str, int]],
                             costs: dict[str, float], draft: campaigns.CampaignDraft) -> list[PlannedCampaign]:
    """One draft campaign per channel of the plan's (segment, channel, contacts) lines, each with `draft`'s settings
    (named "<name> · <channel>" when there are several), its planned cost (contacts × `costs[channel]`) and as
    audience the planned number of consenting customers of each segment (analytics.budget_plan.assign_customers,
    seeded with the first campaign's seed); each audience's holdout is drawn as for any campaign."""
    _require_planner(actor)
    channels = list(dict.fromkeys(channel for _, channel, contacts in lines if contacts > 0))
    if not channels:
        raise ValueError(gettext("The plan contacts nobody: there is no audience to create."))
    inputs = planner_inputs(session=session, actor=actor)
    created: list[PlannedCampaign] = []
    chosen: dict[str, list[int]] = {}
    for channel in channels:
        cost = sum(contacts * costs[channel] for _, c, contacts in lines if c == channel)
        name = f"{draft.name} · {channel}"[:200] if len(channels) > 1 else draft.name
        campaign = campaigns.create_campaign(session=session, actor=actor, draft=draft.model_copy(
            update={"channel": CampaignChannel(channel), "name": name, "cost": round(cost, 2)}))
        if not chosen:
            chosen = assign_customers(inputs.customers, [line for line in lines if line[2] > 0],
                                      consent_of_channel=CONSENT_OF_CHANNEL, seed=campaign.seed)
        audience = campaigns.set_audience(session=session, actor=actor, campaign_id=campaign.id,
                                          customer_ids=chosen.get(channel, []))
        created.append(PlannedCampaign(campaign_id=campaign.id, name=campaign.name, channel=channel, audience=audience))
    return created
