"""The CRM's vocabulary, defined once: deal stages and their default win probabilities, the order statuses that
count as revenue, regions, segments, channels, product categories, the NPS and CSAT bands, and the net amount
of an order line. Imports nothing from the app, so models, analytics, seed, import and pages can all use it.

The band functions and `net_line_amount` use only comparisons and arithmetic, so they take a number, a numpy
array or a pandas Series alike.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class DealStage(StrEnum):
    lead = "Lead"
    qualified = "Qualified"
    proposal = "Proposal"
    negotiation = "Negotiation"
    won = "Won"
    lost = "Lost"


# The funnel's order; a deal in one of these is still being worked on.
OPEN_STAGES: tuple[DealStage, ...] = (DealStage.lead, DealStage.qualified, DealStage.proposal, DealStage.negotiation)
CLOSED_STAGES: tuple[DealStage, ...] = (DealStage.won, DealStage.lost)
# Default win probability of each stage, used until a deal has its own.
STAGE_PROBABILITY: dict[DealStage, float] = {
    DealStage.lead: 0.10,
    DealStage.qualified: 0.25,
    DealStage.proposal: 0.50,
    DealStage.negotiation: 0.75,
    DealStage.won: 1.0,
    DealStage.lost: 0.0,
}


def deal_is_overdue(stage: str, expected_close: Any, today: Any) -> bool:
    """An open deal whose expected close date has passed (the day itself is not overdue yet)."""
    return stage in OPEN_STAGES and expected_close is not None and expected_close < today


class OrderStatus(StrEnum):
    pending = "pending"
    paid = "paid"
    shipped = "shipped"
    cancelled = "cancelled"
    refunded = "refunded"


ORDER_STATUS_LABELS: dict[str, str] = {OrderStatus.pending: "Pending", OrderStatus.paid: "Paid",
                                       OrderStatus.shipped: "Shipped", OrderStatus.cancelled: "Cancelled",
                                       OrderStatus.refunded: "Refunded"}

# An order counts as revenue once paid or shipped, on the day it was ordered, for its total; pending, cancelled
# and refunded orders never do.
REVENUE_STATUSES: tuple[OrderStatus, ...] = (OrderStatus.paid, OrderStatus.shipped)


class SalesChannel(StrEnum):
    online = "online"
    store = "store"
    phone = "phone"
    partner = "partner"


SALES_CHANNELS: tuple[SalesChannel, ...] = tuple(SalesChannel)
SALES_CHANNEL_LABELS: dict[str, str] = {SalesChannel.online: "Online", SalesChannel.store: "Store",
                                        SalesChannel.phone: "Phone", SalesChannel.partner: "Partner"}
# Where a customer came from (the customer form's and the import's choices).
ACQUISITION_CHANNELS: tuple[str, ...] = ("organic", "paid_search", "referral", "partner", "event")
ACQUISITION_CHANNEL_LABELS: dict[str, str] = {"organic": "Organic", "paid_search": "Paid search", "referral": "Referral",
                                              "partner": "Partner", "event": "Event"}
REGIONS: tuple[str, ...] = ("EMEA", "North America", "LATAM", "APAC")
SEGMENTS: tuple[str, ...] = ("Enterprise", "Mid-Market", "SMB", "Consumer")
# The demo catalogue's categories; an imported product may bring its own.
PRODUCT_CATEGORIES: tuple[str, ...] = ("Computers", "Accessories", "Networking", "Software", "Furniture", "Services")

# What a KPI target is set for: the whole company, or one region, segment or sales rep.
TARGET_SCOPES: tuple[str, ...] = ("company", "region", "segment", "rep")

# --- marketing campaigns ----------------------------------------------------------------------------------


class CampaignChannel(StrEnum):
    """How a campaign reaches its targets: email goes through the mail outbox, phone and event become a call task
    for each target's owner, ads reach people outside the CRM (nobody is contacted from here)."""

    email = "email"
    phone = "phone"
    event = "event"
    ads = "ads"


class CampaignStatus(StrEnum):
    draft = "draft"          # settings and audience still change
    scheduled = "scheduled"  # audience frozen, waiting for its start
    running = "running"      # contacting (resumable) or contacted; responses counted in the attribution window
    done = "done"


class TargetGroup(StrEnum):
    """A target is contacted, or held out at random and never contacted: the holdout measures what would have
    happened anyway, so uplift = response rate(contacted) − response rate(holdout)."""

    contacted = "contacted"
    holdout = "holdout"


# Defaults of a new campaign: responses count for 30 days after contact, 10 % of the audience is held out.
DEFAULT_ATTRIBUTION_DAYS = 30
DEFAULT_HOLDOUT_SHARE = 0.10

# --- the timeline: what a rep writes down about a customer ------------------------------------------------


class LoggedKind(StrEnum):
    """What a rep logs on a customer's timeline (a task to do later is a task, not one of these)."""

    note = "note"
    call = "call"
    email = "email"
    meeting = "meeting"


LOGGED_KIND_LABELS: dict[str, str] = {LoggedKind.note: "Note", LoggedKind.call: "Call", LoggedKind.email: "Email",
                                      LoggedKind.meeting: "Meeting"}

# How a call or a meeting went; notes and emails have no outcome and no duration.
OUTCOMES: dict[LoggedKind, tuple[str, ...]] = {
    LoggedKind.call: ("Connected", "Left voicemail", "No answer", "Wrong number"),
    LoggedKind.meeting: ("Held", "No show", "Rescheduled"),
}
MAX_DURATION_MINUTES = 24 * 60  # one day: longer is a typo
MAX_BODY_CHARACTERS = 10_000

# --- satisfaction: NPS answers 0-10, CSAT answers 1-5 ------------------------------------------------------

PROMOTER_MIN, DETRACTOR_MAX = 9, 6  # NPS: promoters 9-10, passives 7-8, detractors 0-6
CSAT_SATISFIED_MIN, CSAT_UNHAPPY_MAX = 4, 2  # CSAT: satisfied 4-5, unhappy 1-2
NPS_BANDS: dict[str, tuple[int, int]] = {"promoter": (PROMOTER_MIN, 10), "passive": (DETRACTOR_MAX + 1, PROMOTER_MIN - 1),
                                         "detractor": (0, DETRACTOR_MAX)}


def is_promoter(nps: Any) -> Any:
    """NPS 9-10 (False for a missing answer, NaN)."""
    return nps >= PROMOTER_MIN


def is_detractor(nps: Any) -> Any:
    """NPS 0-6 (False for a missing answer, NaN)."""
    return nps <= DETRACTOR_MAX


def is_passive(nps: Any) -> Any:
    """NPS 7-8 (False for a missing answer, NaN)."""
    return (nps > DETRACTOR_MAX) & (nps < PROMOTER_MIN)


def is_satisfied(csat: Any) -> Any:
    """CSAT 4-5, the answers CSAT counts (False for a missing answer, NaN)."""
    return csat >= CSAT_SATISFIED_MIN


def unhappy(nps: Any, csat: Any) -> Any:
    """A detractor (NPS 0-6) or a CSAT of 1-2: an unhappy customer someone should call back."""
    return is_detractor(nps) | (csat <= CSAT_UNHAPPY_MAX)


# --- money ----------------------------------------------------------------------------------------------


def net_line_amount(quantity: Any, unit_price: Any, discount: Any = 0.0) -> Any:
    """quantity × unit_price × (1 − discount), rounded half up to cents. An order's total is the sum of its
    lines' net amounts (each line rounded first, then added), so printed lines add up to the printed total.

    Prices have cents and discounts four decimals (the columns' precision), so the exact amount is a whole
    number of 1/10,000 cents: taking the float to the nearest of those first removes its binary error before
    the half-up step (1 × 1.005 is 100.49999… cents as a float, and 1.01 here as on paper).
    """
    ten_thousandths_of_cents = (quantity * unit_price * (1 - discount) * 1_000_000 + 0.5) // 1
    return (ten_thousandths_of_cents + 5_000) // 10_000 / 100


# --- webhooks: the events an endpoint may subscribe to -------------------------------------------------------


class WebhookEvent(StrEnum):
    customer_created = "customer.created"
    customer_updated = "customer.updated"
    deal_stage_changed = "deal.stage_changed"
    deal_won = "deal.won"
    order_created = "order.created"
    feedback_received = "feedback.received"
    campaign_response = "campaign.response"
