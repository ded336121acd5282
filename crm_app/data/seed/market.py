"""The demo company's market: who can sign in, the regions, segments, products, seasons, prices, deals, feedback
wording and campaigns the generator draws from. Parameters only; change them here to change the demo business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from crm_app.data.models import ActivityKind, FeedbackStatus, Role
from crm_app.domain import CampaignChannel

DEFAULT_AS_OF = date(2026, 11, 1)
HISTORY_YEARS = 3
DATA_QUALITY_DEFECT_RATE = 0.03

SECONDS_PER_DAY = 86_400


# --- who can sign in ---------------------------------------------------------------------


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: Role
    full_name: str


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin@example.com", "demo-admin-2026", Role.admin, "Ada Admin"),
    DemoLogin("exec@example.com", "demo-exec-2026", Role.executive, "Evan Executive"),
    DemoLogin("rep1@example.com", "demo-rep1-2026", Role.sales_rep, "Riley Rep"),
    DemoLogin("rep2@example.com", "demo-rep2-2026", Role.sales_rep, "Sam Seller"),
    DemoLogin("rep3@example.com", "demo-rep3-2026", Role.sales_rep, "Carla Closer"),
    DemoLogin("rep4@example.com", "demo-rep4-2026", Role.sales_rep, "Dev Dealmaker"),
    DemoLogin("rep5@example.com", "demo-rep5-2026", Role.sales_rep, "Quinn Quota"),
    DemoLogin("rep6@example.com", "demo-rep6-2026", Role.sales_rep, "Pat Pipeline"),
    # Last, so the reps keep their ids: the marketer creates, targets and starts campaigns (issue 19).
    DemoLogin("marketer@example.com", "demo-marketer-2026", Role.marketer, "Mia Marketer"),
)


def demo_logins_text() -> str:
    """The demo sign-ins as `crm-app setup` and the starting server print them: a heading, one line per login."""
    lines = [f"  {login.email:<28} {login.password:<22} {login.role}" for login in DEMO_LOGINS]
    return "\n".join(["Demo logins (email / password / role):", *lines])

# Each sales rep covers one region; the two largest regions have two reps each.
TERRITORIES = {
    "North America": ("rep1@example.com", "rep5@example.com"),
    "EMEA": ("rep2@example.com", "rep6@example.com"),
    "LATAM": ("rep3@example.com", "rep3@example.com"),
    "APAC": ("rep4@example.com", "rep4@example.com"),
}


# --- the market --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Region:
    name: str
    share: float
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    company_suffixes: tuple[str, ...]
    # (E.164 prefix, lowest and highest remaining digits): mobile ranges that phonenumbers accepts as valid.
    phone_ranges: tuple[tuple[str, int, int], ...]


MARKET_REGIONS = (
    _Region(
        "EMEA", 0.35,
        ("Oliver", "Emma", "Lukas", "Sophie", "Hugo", "Chloé", "Matteo", "Giulia", "Lars", "Ingrid", "Tomasz",
         "Aisha", "Jan", "Sofia", "Pierre", "Hannah"),
        ("Smith", "Müller", "Dubois", "Rossi", "Jansen", "Nowak", "García", "Andersson", "Schmidt", "Martin",
         "Bianchi", "de Vries", "Kowalski", "Fernández", "Larsen", "O'Brien"),
        ("Ltd", "GmbH", "S.A.", "B.V."),
        (("+4477", 10_000_000, 99_999_999), ("+49151", 10_000_000, 99_999_999), ("+3361", 1_000_000, 9_999_999),
         ("+3460", 1_000_000, 9_999_999), ("+3934", 10_000_000, 99_999_999)),
    ),
    _Region(
        "North America", 0.35,
        ("James", "Olivia", "Michael", "Ava", "Daniel", "Mia", "Ethan", "Emily", "Noah", "Grace", "Liam",
         "Chloe", "Mason", "Abigail", "Logan", "Harper"),
        ("Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas",
         "Moore", "Jackson", "White", "Harris", "Clark", "Lewis"),
        ("Inc.", "LLC", "Corp."),
        (("+1212", 2_000_000, 9_999_999), ("+1415", 2_000_000, 9_999_999), ("+1312", 2_000_000, 9_999_999),
         ("+1617", 2_000_000, 9_999_999), ("+1416", 2_000_000, 9_999_999), ("+1512", 2_000_000, 9_999_999)),
    ),
    _Region(
        "LATAM", 0.12,
        ("José", "María", "Juan", "Camila", "Carlos", "Valentina", "Luis", "Isabela", "Diego", "Lucía", "Mateus",
         "Gabriela", "Andrés", "Fernanda", "Rafael", "Paula"),
        ("Silva", "Santos", "Oliveira", "González", "Rodríguez", "Pérez", "Souza", "Gómez", "López", "Costa",
         "Ramírez", "Torres", "Almeida", "Vargas", "Herrera", "Castro"),
        ("S.A. de C.V.", "Ltda.", "S.A.S."),
        (("+55119", 10_000_000, 99_999_999), ("+5255", 10_000_000, 99_999_999), ("+57310", 1_000_000, 9_999_999)),
    ),
    _Region(
        "APAC", 0.18,
        ("Wei", "Mei", "Hiroshi", "Yuki", "Arjun", "Priya", "Min-jun", "Ji-woo", "Jack", "Charlotte", "Ravi",
         "Ananya", "Kenta", "Sakura", "Lachlan", "Isla"),
        ("Wang", "Li", "Chen", "Tanaka", "Suzuki", "Sato", "Sharma", "Patel", "Kim", "Park", "Nguyen", "Tan",
         "Lim", "Singh", "Wilson", "Kelly"),
        ("Pty Ltd", "Pte. Ltd.", "K.K.", "Pvt. Ltd."),
        (("+6141", 1_000_000, 9_999_999), ("+658", 1_000_000, 9_999_999), ("+8190", 10_000_000, 99_999_999),
         ("+9198", 10_000_000, 99_999_999)),
    ),
)

COMPANY_STEMS = (
    "Northwind", "Bluebird", "Ironwood", "Silverline", "Brightpath", "Crescent", "Summit", "Harbor", "Pinecrest",
    "Redstone", "Evergreen", "Quantum", "Falcon", "Atlas", "Meridian", "Horizon", "Cobalt", "Juniper", "Keystone",
    "Lighthouse", "Maple", "Nimbus", "Orion", "Pioneer", "Riverbend", "Sterling", "Trident", "Vertex", "Willow",
    "Zenith", "Granite", "Aurora", "Beacon", "Cedar", "Emerald", "Fjord", "Copperleaf", "Sunridge", "Tidewater",
    "Oakmont",
)
INDUSTRIES = (
    "Logistics", "Foods", "Health", "Systems", "Consulting", "Manufacturing", "Retail", "Energy", "Labs", "Media",
    "Engineering", "Capital", "Architects", "Dental", "Hotels",
)


@dataclass(frozen=True)
class _Segment:
    """How one customer segment buys. Rates are relative: the order count is fixed by the caller."""

    name: str
    share: float
    order_rate: float  # orders per active year, relative to the other segments
    churn_share: float  # customers who stop ordering partway through the history
    lines: tuple[float, ...]  # P(an order has 1, 2, 3, 4 lines)
    units: float  # mean extra units per line of a 100-currency product
    discounts: tuple[float, ...]  # P(0, 5, 10, 15, 20 % off)
    price_sensitivity: float  # exponent on list price in product choice: cheaper items win when negative
    channels: tuple[float, ...]  # P(online, store, phone, partner)
    acquisition: tuple[float, ...]  # P(organic, paid_search, referral, partner, event)
    category_affinity: tuple[float, ...]  # relative appetite for each of PRODUCT_CATEGORIES
    owned: float  # share with an account owner
    deals_per_year: float
    deal_median: float
    sales_cycle_days: float
    win_rate: float


MARKET_SEGMENTS = (
    _Segment("Enterprise", 0.08, 10.0, 0.10, (0.15, 0.30, 0.30, 0.25), 20.0, (0.15, 0.20, 0.30, 0.20, 0.15), 0.0,
             (0.20, 0.00, 0.30, 0.50), (0.10, 0.05, 0.25, 0.35, 0.25), (1.0, 0.8, 1.2, 1.8, 0.6, 1.4), 1.0,
             1.2, 60_000, 90, 0.22),
    _Segment("Mid-Market", 0.20, 6.0, 0.20, (0.20, 0.35, 0.28, 0.17), 6.0, (0.35, 0.25, 0.25, 0.10, 0.05), -0.1,
             (0.30, 0.05, 0.35, 0.30), (0.20, 0.15, 0.25, 0.25, 0.15), (1.0, 1.0, 1.0, 1.5, 0.8, 1.0), 1.0,
             0.6, 15_000, 45, 0.27),
    _Segment("SMB", 0.37, 4.0, 0.30, (0.35, 0.35, 0.20, 0.10), 2.0, (0.60, 0.20, 0.15, 0.05, 0.00), -0.3,
             (0.50, 0.10, 0.25, 0.15), (0.35, 0.30, 0.20, 0.10, 0.05), (1.0, 1.5, 0.8, 1.2, 0.8, 0.7), 0.9,
             0.25, 3_000, 21, 0.30),
    _Segment("Consumer", 0.35, 2.0, 0.45, (0.55, 0.28, 0.12, 0.05), 0.3, (0.85, 0.10, 0.05, 0.00, 0.00), -0.6,
             (0.65, 0.30, 0.05, 0.00), (0.45, 0.40, 0.10, 0.00, 0.05), (1.0, 2.0, 0.6, 0.8, 0.8, 0.3), 0.3,
             0.0, 0.0, 1, 0.0),
)

# (name, category, list price, unit cost as a share of list price)
MARKET_PRODUCTS = (
    ("Aero 13 Laptop", "Computers", 1199.00, 0.78), ("Aero 15 Pro Laptop", "Computers", 1799.00, 0.76),
    ("Forge Workstation", "Computers", 2499.00, 0.74), ("Nano Desktop", "Computers", 749.00, 0.80),
    ("Chromebook Edu", "Computers", 399.00, 0.82), ("Tablet 11", "Computers", 549.00, 0.75),
    ("Rugged Field Laptop", "Computers", 1999.00, 0.72),
    ("27-inch 4K Monitor", "Accessories", 429.00, 0.62), ("24-inch Monitor", "Accessories", 199.00, 0.65),
    ("Wireless Keyboard", "Accessories", 59.00, 0.45), ("Ergonomic Mouse", "Accessories", 39.00, 0.42),
    ("USB-C Dock", "Accessories", 219.00, 0.55), ("Noise-Cancelling Headset", "Accessories", 179.00, 0.52),
    ("HD Webcam", "Accessories", 89.00, 0.50), ("Laptop Backpack", "Accessories", 69.00, 0.40),
    ("USB-C Charger 100W", "Accessories", 59.00, 0.44),
    ("Wi-Fi 7 Access Point", "Networking", 349.00, 0.63), ("24-Port Switch", "Networking", 599.00, 0.66),
    ("Firewall Appliance", "Networking", 1499.00, 0.60), ("Mesh Router Kit", "Networking", 299.00, 0.64),
    ("Cat6 Cable Pack", "Networking", 29.00, 0.35),
    ("Office Suite (annual seat)", "Software", 129.00, 0.30),
    ("Endpoint Security (annual seat)", "Software", 49.00, 0.22),
    ("Cloud Backup 1 TB (annual)", "Software", 99.00, 0.28), ("Design Studio (annual seat)", "Software", 599.00, 0.25),
    ("Project Planner (annual seat)", "Software", 96.00, 0.20),
    ("Password Manager (annual seat)", "Software", 36.00, 0.18),
    ("Video Meetings Pro (annual seat)", "Software", 180.00, 0.24),
    ("Standing Desk", "Furniture", 649.00, 0.58), ("Ergonomic Chair", "Furniture", 499.00, 0.55),
    ("Monitor Arm", "Furniture", 119.00, 0.50), ("Meeting Table", "Furniture", 1299.00, 0.62),
    ("Acoustic Phone Booth", "Furniture", 8999.00, 0.66), ("LED Desk Lamp", "Furniture", 59.00, 0.45),
    ("Onsite Setup (per device)", "Services", 79.00, 0.50), ("Premium Support (annual)", "Services", 399.00, 0.35),
    ("Extended Warranty 3 years", "Services", 199.00, 0.30), ("Data Migration", "Services", 1500.00, 0.55),
    ("IT Health Check", "Services", 950.00, 0.48), ("Training Day", "Services", 1200.00, 0.52),
)

# Demand by calendar month (Q4 peak, summer dip) and weekday (Monday first), and its yearly growth.
MONTH_DEMAND = np.array([0.85, 0.85, 0.95, 1.0, 1.0, 0.9, 0.8, 0.75, 1.0, 1.1, 1.3, 1.45])
WEEKDAY_DEMAND = np.array([1.1, 1.1, 1.1, 1.05, 1.0, 0.6, 0.5])
ANNUAL_GROWTH = 0.04
ANNUAL_PRICE_RISE = 0.03
# Share of orders placed in each hour of the day.
HOUR_WEIGHTS = np.array([1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 10, 9, 9, 10, 10, 9, 8, 7, 7, 6, 5, 3, 2], dtype=float)
DISCOUNT_STEPS = np.array([0.0, 0.05, 0.10, 0.15, 0.20])

DEAL_KINDS = (
    "Laptop refresh", "Software renewal", "Network upgrade", "Office fit-out", "Managed services",
    "Expansion seats", "Security bundle", "Support contract",
)
LOST_REASONS = (
    "Price too high", "Chose a competitor", "No budget this year", "No decision: went quiet",
    "Timing: revisit next year", "Missing feature",
)
ACTIVITY_KINDS = (ActivityKind.call, ActivityKind.email, ActivityKind.meeting, ActivityKind.task)
DEAL_SUBJECTS = (
    ("Discovery call", "Follow-up call on the proposal", "Pricing call with procurement"),
    ("Sent the proposal", "Sent case studies", "Answered the security questionnaire"),
    ("Product demo", "On-site workshop", "Negotiation meeting"),
    ("Prepare the proposal", "Send the contract", "Update the forecast"),
)
ACCOUNT_SUBJECTS = (
    ("Quarterly check-in call", "Renewal reminder call", "Support escalation call"),
    ("Shared the new catalogue", "Sent the renewal quote", "Followed up on the last order"),
    ("Quarterly business review", "Account planning meeting", "Lunch with the IT manager"),
    ("Review open invoices", "Plan next quarter's order", "Check warranty expiries"),
)

# Comment templates: promoters praise, passives are mixed, detractors complain about one topic.
PRAISE = (
    "Great service!", "Excellent experience.", "Really happy with this order.", "Fantastic, thank you!",
    "Love it.",
)
PRAISE_DETAILS = (
    "Delivery was fast and everything arrived in perfect condition.",
    "The support team was friendly and helpful.",
    "Good prices and great quality.",
    "Ordering was easy and the laptop works perfectly.",
    "I will gladly recommend you to colleagues.",
)
MIXED = (
    "Good products, but delivery took longer than promised.",
    "Okay overall. The website could be easier to use.",
    "Fine, nothing special.",
    "Decent prices, average support.",
    "The order was complete, but the invoice was confusing.",
)
COMPLAINTS = (
    "The delivery was late and nobody told us why. Poor communication.",
    "The parcel arrived damaged.",
    "Still waiting for a missing item, very frustrating.",
    "Far too expensive compared to other suppliers, a bad deal.",
    "Prices went up again without any warning, that is unfair.",
    "Nobody answered my support ticket, awful service.",
    "Useless support: I waited forty minutes on the phone.",
    "The support agent was rude and unhelpful.",
    "The laptop broke after two weeks.",
    "Poor build quality, the chair is already wobbly.",
    "I was charged twice and the refund is taking forever.",
    "Wrong invoice again, billing is a mess.",
)
DISAPPOINTMENT = ("Very disappointed.", "Not happy at all.", "Terrible experience.", "Really annoying.")
FEEDBACK_STATUSES = (FeedbackStatus.new, FeedbackStatus.in_progress, FeedbackStatus.resolved)
# P(new, in progress, resolved) for answers from this week, this month and before.
FEEDBACK_STATUS_BY_AGE = ((1.0, 0.0, 0.0), (0.2, 0.5, 0.3), (0.05, 0.05, 0.9))

@dataclass(frozen=True)
class CampaignPlan:
    name: str  # "{year}" becomes the year it started
    channel: CampaignChannel
    days_before_as_of: int
    days_run: int
    segments: tuple[str, ...] | None  # who it is meant for; None is everyone
    regions: tuple[str, ...] | None
    share_targeted: float  # of the customers it is meant for
    response_rate: float  # of the contacted targets
    fixed_cost: float
    cost_per_target: float
    # The known true effect: the holdout (HOLDOUT_SHARE of the targets, never contacted) responds at
    # response_rate − true_uplift, so the campaign page's uplift interval should cover it.
    true_uplift: float = 0.0


CAMPAIGNS = (
    CampaignPlan("Spring SMB webinar series {year}", CampaignChannel.event, 560, 45, ("SMB", "Mid-Market"), None,
                  0.4, 0.09, 6_000, 1.0, 0.04),
    CampaignPlan("Black Friday {year}", CampaignChannel.email, 346, 11, ("Consumer", "SMB"), None, 0.7, 0.12, 2_500, 0.05, 0.05),
    CampaignPlan("EMEA Enterprise roadshow {year}", CampaignChannel.event, 300, 14, ("Enterprise", "Mid-Market"), ("EMEA",),
                  0.5, 0.15, 60_000, 25.0, 0.10),
    CampaignPlan("Laptop search ads {year}", CampaignChannel.ads, 240, 60, ("Consumer", "SMB"), ("North America", "EMEA"),
                  0.3, 0.05, 30_000, 2.0, 0.0),
    CampaignPlan("LATAM partner co-marketing {year}", CampaignChannel.ads, 200, 45, ("SMB", "Mid-Market", "Enterprise"),
                  ("LATAM",), 0.6, 0.08, 12_000, 3.0, 0.03),
    CampaignPlan("APAC direct mail {year}", CampaignChannel.ads, 150, 30, ("Mid-Market", "Enterprise"), ("APAC",),
                  0.5, 0.06, 9_000, 6.0, 0.02),
    CampaignPlan("Summer software bundle {year}", CampaignChannel.email, 100, 30, None, None, 0.5, 0.07, 1_500, 0.05, 0.03),
    CampaignPlan("Q4 upgrade offer {year}", CampaignChannel.email, 20, 40, ("SMB", "Mid-Market", "Enterprise"), None,
                  0.5, 0.10, 3_000, 0.05, 0.05),
)
ATTRIBUTION_DAYS = 30
HOLDOUT_SHARE = 0.1
