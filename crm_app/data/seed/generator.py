"""The demo company's generator: three years of a fictional IT-supplies business as DataFrames, from the market
parameters (crm_app/data/seed/market.py).

`generate_demo_company` (or `demo_company_parts`, one table at a time) is pure (seed and as_of in, DataFrames out), so its determinism and invariants are tested
without a database. Every random draw comes from one `np.random.default_rng(seed)`, in a fixed order: the same
seed, sizes and as_of give the same company, row for row. Order totals follow the rounding rule: each line's net
amount rounded half up to cents, then added.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from crm_app.analytics import measures
from crm_app.analytics.sentiment import sentiment_score
from crm_app.data.models import (
    Activity, AuditLog, Campaign, CampaignTarget, Customer, Deal, Feedback, FeedbackChannel, FeedbackStatus,
    KpiTarget, Order, OrderLine, Product, User,
)
from crm_app.data.seed.company import DemoCompany, python_values
from crm_app.data.seed.market import (
    ACCOUNT_SUBJECTS, ACTIVITY_KINDS, ANNUAL_GROWTH, ANNUAL_PRICE_RISE, ATTRIBUTION_DAYS, CAMPAIGNS, HOLDOUT_SHARE,
    COMPANY_STEMS, COMPLAINTS, DATA_QUALITY_DEFECT_RATE, DEAL_KINDS, DEAL_SUBJECTS, DEFAULT_AS_OF, DEMO_LOGINS,
    DISAPPOINTMENT, DISCOUNT_STEPS, FEEDBACK_STATUSES, FEEDBACK_STATUS_BY_AGE, HISTORY_YEARS, HOUR_WEIGHTS,
    INDUSTRIES, LOST_REASONS, MARKET_PRODUCTS, MARKET_REGIONS, MARKET_SEGMENTS, MIXED, MONTH_DEMAND, PRAISE,
    PRAISE_DETAILS, SECONDS_PER_DAY, TERRITORIES, WEEKDAY_DEMAND, CampaignPlan,
)
from crm_app.domain import (
    ACQUISITION_CHANNELS, OPEN_STAGES, PRODUCT_CATEGORIES, REVENUE_STATUSES, SALES_CHANNELS, STAGE_PROBABILITY,
    CampaignStatus, DealStage, OrderStatus, TargetGroup, is_detractor, is_promoter, net_line_amount,
)


# --- time --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Timeline:
    """The history: whole days from `start` (midnight UTC) to as_of. Times are int64 seconds since `start`."""

    start: pd.Timestamp
    days: int

    @classmethod
    def ending(cls, as_of: date) -> _Timeline:
        end = pd.Timestamp(as_of, tz="UTC")
        start = end - pd.DateOffset(years=HISTORY_YEARS)
        return cls(start=start, days=(end - start).days)

    @property
    def end(self) -> int:
        return self.days * SECONDS_PER_DAY

    def stamps(self, seconds: np.ndarray) -> pd.DatetimeIndex:
        """Aware UTC timestamps to the whole second; NaN seconds become NaT."""
        return self.start + pd.to_timedelta(np.floor(seconds), unit="s")

    def dates(self, seconds: np.ndarray) -> np.ndarray:
        return np.asarray(self.stamps(seconds).date, dtype=object)

    def cumulative_demand(self) -> np.ndarray:
        """Running total of daily order demand (growth x month x weekday); index d is the demand before day d."""
        days = self.start + pd.to_timedelta(np.arange(self.days), unit="D")
        growth = (1 + ANNUAL_GROWTH) ** (np.arange(self.days) / 365.25)
        demand = growth * MONTH_DEMAND[days.month - 1] * WEEKDAY_DEMAND[days.day_of_week]
        return np.concatenate([[0.0], np.cumsum(demand)])


def _days_by_demand(
    rng: np.random.Generator, cumulative: np.ndarray, first: np.ndarray, stop: np.ndarray
) -> np.ndarray:
    """A day in [first, stop) for each row, drawn in proportion to that day's demand (inverse CDF)."""
    draws = rng.uniform(cumulative[first], cumulative[stop])
    return np.clip(np.searchsorted(cumulative, draws, side="right") - 1, first, stop - 1)


def _time_of_day(rng: np.random.Generator, n: int) -> np.ndarray:
    hours = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    return hours * 3600 + rng.integers(0, 3600, size=n)


def _draw_by_group(rng: np.random.Generator, group: np.ndarray, probabilities) -> np.ndarray:
    """One category index per row, drawn from the probability row of the row's group (e.g. its segment)."""
    drawn = np.zeros(len(group), dtype=np.int64)
    for code, weights in enumerate(probabilities):
        rows = np.flatnonzero(group == code)
        weights = np.asarray(weights, dtype=float)
        drawn[rows] = rng.choice(len(weights), size=len(rows), p=weights / weights.sum())
    return drawn


def _pick(rng: np.random.Generator, options: tuple, n: int) -> np.ndarray:
    """n uniform draws with replacement, as an object array so that strings concatenate with +."""
    return np.array(options, dtype=object)[rng.integers(0, len(options), size=n)]


def _segment_values(attribute: str) -> np.ndarray:
    return np.array([getattr(segment, attribute) for segment in MARKET_SEGMENTS])


# --- the generator -----------------------------------------------------------------------


def generate_demo_company(
    *, seed: int = 7, customers: int = 2_000, orders: int = 20_000, as_of: date = DEFAULT_AS_OF
) -> DemoCompany:
    """The demo company as plain frames: `customers` customers and `orders` orders over the three years to as_of.

    Nothing depends on the clock: every date lies before midnight UTC of as_of, except upcoming activities and a
    campaign still running.
    """
    tables = dict(demo_company_parts(seed=seed, customers=customers, orders=orders, as_of=as_of))
    return DemoCompany(tables=tables, defects=tables.pop(DEFECTS))


# The name under which demo_company_parts gives the planted defects (DemoCompany.defects), after the customers.
DEFECTS = "defects"


def demo_company_parts(
    *, seed: int = 7, customers: int = 2_000, orders: int = 20_000, as_of: date = DEFAULT_AS_OF
) -> Iterator[tuple[str, pd.DataFrame]]:
    """generate_demo_company's frames one at a time, (table, frame), each as soon as it is drawn, in foreign-key
    order: the loader stores one while the next is drawn. The draws are the same, in the same order."""
    if customers < 1 or orders < 0:
        raise ValueError("A demo company needs at least one customer and a non-negative number of orders.")
    rng = np.random.default_rng(seed)
    timeline = _Timeline.ending(as_of)
    users = _users(timeline)
    yield User.__tablename__, users
    products = _products(timeline)
    yield Product.__tablename__, products
    accounts, defects = _accounts(rng, customers, timeline, users)
    yield Customer.__tablename__, _customer_rows(accounts, timeline)
    yield DEFECTS, defects
    order_frame = _orders(rng, accounts, timeline, orders)
    lines = _order_lines(rng, order_frame, products, timeline)
    order_frame["total_amount"] = _order_totals(lines, len(order_frame))
    yield Order.__tablename__, _order_rows(order_frame, timeline)
    yield OrderLine.__tablename__, lines
    deals = _deals(rng, accounts, timeline)
    yield Deal.__tablename__, _deal_rows(deals, timeline)
    activities = _activities(rng, accounts, deals, timeline)
    yield Activity.__tablename__, activities
    feedback = _feedback(rng, order_frame, accounts, timeline)
    yield Feedback.__tablename__, _feedback_rows(rng, feedback, timeline)
    campaigns, targets = _campaigns(rng, accounts, order_frame, timeline)
    yield Campaign.__tablename__, campaigns
    yield CampaignTarget.__tablename__, targets
    yield KpiTarget.__tablename__, _kpi_targets(order_frame, feedback, timeline)
    yield AuditLog.__tablename__, _stage_moves(rng, deals, timeline)  # drawn last, so the other tables stay as they were


def _users(timeline: _Timeline) -> pd.DataFrame:
    joined = timeline.stamps(np.full(len(DEMO_LOGINS), -90 * SECONDS_PER_DAY))
    return pd.DataFrame({
        "id": np.arange(1, len(DEMO_LOGINS) + 1),
        "email": [login.email for login in DEMO_LOGINS],
        "full_name": [login.full_name for login in DEMO_LOGINS],
        "role": [login.role.value for login in DEMO_LOGINS],
        "is_active": True,
        "created_at": joined,
        "updated_at": joined,
    })


def _products(timeline: _Timeline) -> pd.DataFrame:
    names, categories, prices, cost_shares = zip(*MARKET_PRODUCTS)
    listed = timeline.stamps(np.full(len(MARKET_PRODUCTS), -60 * SECONDS_PER_DAY))
    prices = np.array(prices)
    sku_numbers = pd.Series(categories).groupby(pd.Series(categories)).cumcount() + 1
    return pd.DataFrame({
        "id": np.arange(1, len(MARKET_PRODUCTS) + 1),
        "sku": [f"{category[:3].upper()}-{number:03d}" for category, number in zip(categories, sku_numbers)],
        "name": names,
        "category": categories,
        "list_price": prices,
        "unit_cost": np.round(prices * np.array(cost_shares), 2),
        "created_at": listed,
        "updated_at": listed,
    })


# --- customers ---------------------------------------------------------------------------


def _accounts(
    rng: np.random.Generator, n: int, timeline: _Timeline, users: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Customers with the hidden traits that drive their behaviour (order window, appetite, satisfaction).

    Ids follow sign-up order. `first_day`/`stop_day` bound the days a customer may order: a churned customer
    stops before as_of. Satisfaction is a latent z-score, lower for churners, that later drives CSAT and NPS.
    """
    segment = rng.choice(len(MARKET_SEGMENTS), size=n, p=_segment_values("share"))
    region = rng.choice(len(MARKET_REGIONS), size=n, p=[r.share for r in MARKET_REGIONS])
    # 70 % were customers before the history began; the rest sign up along the demand curve. With churn this
    # gives a mild growth of about 10-15 % a year.
    existing = rng.random(n) < 0.7
    new_day = _days_by_demand(rng, timeline.cumulative_demand(), np.zeros(n, int), np.full(n, timeline.days - 1))
    signup_day = np.where(existing, -rng.integers(1, 730, size=n), new_day)
    signed_up = signup_day * SECONDS_PER_DAY + _time_of_day(rng, n)
    order = np.argsort(signed_up, kind="stable")
    segment, region, signup_day, signed_up = segment[order], region[order], signup_day[order], signed_up[order]

    first_day = np.maximum(signup_day + 1, 0)
    churn_day = first_day + 30 + rng.exponential(365, size=n).astype(int)
    churned = (rng.random(n) < _segment_values("churn_share")[segment]) & (churn_day < timeline.days)
    appetite = rng.gamma(2.0, 0.5, size=n) * (rng.random(n) >= 0.05)  # 5 % never order: prospects
    accounts = pd.DataFrame({
        "id": np.arange(1, n + 1),
        "segment": segment,
        "region": region,
        "signed_up": signed_up,
        "first_day": first_day,
        "stop_day": np.where(churned, churn_day, timeline.days),
        "churned": churned,
        "appetite": appetite,
        "satisfaction": rng.normal(0.0, 1.0, size=n) - 0.8 * churned,
    })
    accounts = _identities(rng, accounts, users)
    return _plant_defects(rng, accounts)


def _identities(rng: np.random.Generator, accounts: pd.DataFrame, users: pd.DataFrame) -> pd.DataFrame:
    """Names, companies, emails, phones, owners and consents, realistic for each customer's region and segment."""
    n = len(accounts)
    region, segment = accounts["region"].to_numpy(), accounts["segment"].to_numpy()
    consumer = _segment_values("name")[segment] == "Consumer"
    first, last, brand, company = _people_and_companies(rng, region, consumer)
    email_local = _ascii(pd.Series(first) + "." + pd.Series(last)).str.lower().str.replace(r"[^a-z.]", "", regex=True)
    # Demo addresses live under example.com/.org (RFC 2606) so no real mailbox can ever be written to.
    email = np.where(
        consumer,
        email_local + accounts["id"].astype(str) + "@mail.example.org",
        email_local + "@" + pd.Series(brand).str.lower().str.replace(" ", "-") + ".example.com",
    )
    mobile = pd.Series(_phones(rng, region))
    has_phone = rng.random(n) < 0.8
    territory = _territory_reps(users)
    rep = territory[region, rng.integers(0, territory.shape[1], size=n)]
    owned = rng.random(n) < _segment_values("owned")[segment]
    return accounts.assign(
        name=pd.Series(first) + " " + pd.Series(last),
        company=pd.Series(company).where(~consumer, None),
        email=email,
        mobile=mobile,  # the customer's real number, which a defect may mangle even if it was never recorded
        phone=mobile.where(has_phone, None),
        acquisition_channel=np.array(ACQUISITION_CHANNELS)[
            _draw_by_group(rng, segment, _segment_values("acquisition"))],
        territory_rep=rep,
        owner_id=pd.Series(rep, dtype="Int64").where(owned),
        consent_email=rng.random(n) < 0.7,
        consent_phone=has_phone & (rng.random(n) < 0.45),
    )


def _people_and_companies(
    rng: np.random.Generator, region: np.ndarray, consumer: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """First name, last name, brand ("Northwind Logistics") and company (brand + legal form) per customer.

    Only planted near-duplicates should look alike, so accidental exact collisions are redrawn.
    """
    n = len(region)
    first, last, brand, company = (np.empty(n, dtype=object) for _ in range(4))
    redraw = np.ones(n, dtype=bool)
    while redraw.any():
        rows = np.flatnonzero(redraw)
        for code, spec in enumerate(MARKET_REGIONS):
            here = rows[region[rows] == code]
            first[here] = _pick(rng, spec.first_names, len(here))
            last[here] = _pick(rng, spec.last_names, len(here))
            brand[here] = _pick(rng, COMPANY_STEMS, len(here)) + " " + _pick(rng, INDUSTRIES, len(here))
            company[here] = brand[here] + " " + _pick(rng, spec.company_suffixes, len(here))
        person = pd.Series(first + " " + last + "|" + np.where(consumer, "", company))
        # Consumers with a common name are different people (their emails differ), so only B2B repeats count.
        redraw = person.duplicated().to_numpy() & ~consumer
    return first, last, brand, company


def _ascii(text: pd.Series) -> pd.Series:
    return text.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii")


def _phones(rng: np.random.Generator, region: np.ndarray) -> list[str]:
    """Valid E.164 mobile numbers from the customer's region."""
    n = len(region)
    phones = np.empty(n, dtype=object)
    for code, spec in enumerate(MARKET_REGIONS):
        rows = np.flatnonzero(region == code)
        pick = rng.integers(0, len(spec.phone_ranges), size=len(rows))
        for k, (prefix, low, high) in enumerate(spec.phone_ranges):
            chosen = rows[pick == k]
            phones[chosen] = [f"{prefix}{number}" for number in rng.integers(low, high, size=len(chosen))]
    return phones.tolist()


def _territory_reps(users: pd.DataFrame) -> np.ndarray:
    """User ids of the reps covering each region: row = region code, columns = the region's reps."""
    user_id = dict(zip(users["email"], users["id"]))
    return np.array([[user_id[email] for email in TERRITORIES[spec.name]] for spec in MARKET_REGIONS])


# --- data-quality defects ----------------------------------------------------------------

_BROKEN_EMAILS: tuple[Callable[[str], str], ...] = (
    lambda email: email.replace("@", "@@", 1),
    lambda email: email.replace("@", "", 1),
    lambda email: email.split(".example.")[0],  # no top-level domain left
    lambda email: email.replace(".", " ", 1),
    lambda email: email.replace(".", "..", 1),
)
_BROKEN_PHONES: tuple[Callable[[str], str], ...] = (
    lambda phone: phone[:5],  # cut short
    lambda phone: phone + "99999",  # too long
    lambda phone: phone.lstrip("+")[2:],  # country code dropped
    lambda phone: "n/a",
    lambda phone: "ask reception",
)
_DEFECTS = ("invalid_email", "invalid_phone", "near_duplicate")
_CLEAN, _INVALID_EMAIL, _INVALID_PHONE, _NEAR_DUPLICATE = -1, 0, 1, 2


def _plant_defects(rng: np.random.Generator, accounts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Break about DATA_QUALITY_DEFECT_RATE of the customers, one defect each, split evenly between the kinds.

    A near-duplicate copies an earlier, clean customer (same person, company, email, phone, region and segment)
    with a slightly different spelling: the same person signed up twice.
    """
    n = len(accounts)
    share = DATA_QUALITY_DEFECT_RATE / len(_DEFECTS)
    kind = rng.choice(len(_DEFECTS) + 1, size=n, p=[1 - DATA_QUALITY_DEFECT_RATE] + [share] * len(_DEFECTS)) - 1
    variant = rng.integers(0, 1_000_000, size=n)
    original = _earlier_clean_row(rng, kind)
    kind[(kind == _NEAR_DUPLICATE) & (original < 0)] = _CLEAN  # nobody earlier to duplicate
    email, phone, name, company = (
        np.array(python_values(accounts[column]), dtype=object) for column in ("email", "phone", "name", "company")
    )
    for row in np.flatnonzero(kind == _INVALID_EMAIL):
        email[row] = _BROKEN_EMAILS[variant[row] % len(_BROKEN_EMAILS)](email[row])
    for row in np.flatnonzero(kind == _INVALID_PHONE):
        phone[row] = _BROKEN_PHONES[variant[row] % len(_BROKEN_PHONES)](accounts.at[row, "mobile"])
    duplicates = np.flatnonzero(kind == _NEAR_DUPLICATE)
    source = original[duplicates]
    name[duplicates] = [_misspell(name[src], variant[row]) for row, src in zip(duplicates, source)]
    company[duplicates] = [_restyle_company(company[src], variant[row]) for row, src in zip(duplicates, source)]
    email[duplicates], phone[duplicates] = email[source], phone[source]

    accounts = accounts.assign(email=email, phone=phone, name=name, company=company)
    for column in ("segment", "region", "satisfaction", "territory_rep", "owner_id"):
        accounts.loc[duplicates, column] = accounts[column].to_numpy()[source]
    planted = np.flatnonzero(kind != _CLEAN)
    defects = pd.DataFrame({
        "customer_id": accounts["id"].to_numpy()[planted],
        "defect": np.array(_DEFECTS)[kind[planted]],
        "duplicate_of": pd.Series(original[planted] + 1, dtype="Int64").where(kind[planted] == _NEAR_DUPLICATE),
    })
    return accounts, defects


def _earlier_clean_row(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """For each row, a random earlier row without a defect, or -1 when there is none."""
    clean = np.flatnonzero(kind == _CLEAN)
    if len(clean) == 0:
        return np.full(len(kind), -1)
    earlier = np.searchsorted(clean, np.arange(len(kind)))
    pick = np.minimum((rng.random(len(kind)) * earlier).astype(int), len(clean) - 1)
    return np.where(earlier > 0, clean[pick], -1)


def _misspell(name: str, variant: int) -> str:
    """The name with one typo inside the last name: two letters swapped, one dropped or one doubled."""
    first, _, last = name.rpartition(" ")
    at = 1 + variant // 3 % max(len(last) - 2, 1)
    swapped = last[:at] + last[at + 1:at + 2] + last[at] + last[at + 2:]
    dropped = last[:at] + last[at + 1:]
    doubled = last[:at] + last[at] + last[at:]
    typo = (swapped, dropped, doubled)[variant % 3]
    return f"{first} {typo if typo != last else doubled}"  # swapping "rr" changes nothing


def _restyle_company(company: str | None, variant: int) -> str | None:
    """The same company written another way: upper case, without the legal-form dot, or unchanged."""
    if company is None:
        return None
    return (company.upper(), company.replace(".", ""), company)[variant // 7 % 3]


def _customer_rows(accounts: pd.DataFrame, timeline: _Timeline) -> pd.DataFrame:
    signed_up = timeline.stamps(accounts["signed_up"].to_numpy())
    return pd.DataFrame({
        "id": accounts["id"],
        "external_ref": "C" + accounts["id"].astype(str).str.zfill(6),
        "name": accounts["name"],
        "email": accounts["email"],
        "phone": accounts["phone"],
        "company": accounts["company"],
        "region": np.array([r.name for r in MARKET_REGIONS])[accounts["region"]],
        "segment": _segment_values("name")[accounts["segment"]],
        "acquisition_channel": accounts["acquisition_channel"],
        "owner_id": accounts["owner_id"],
        "consent_email": accounts["consent_email"],
        "consent_phone": accounts["consent_phone"],
        "created_at": signed_up,
        "updated_at": signed_up,
    })


# --- orders ------------------------------------------------------------------------------


def _orders(rng: np.random.Generator, accounts: pd.DataFrame, timeline: _Timeline, n: int) -> pd.DataFrame:
    """Who ordered when: customers in proportion to segment rate x appetite x demand over their active days.

    Ids follow order time. Recent orders are still pending or paid; a few old ones were cancelled or refunded.
    """
    cumulative = timeline.cumulative_demand()
    first, stop = accounts["first_day"].to_numpy(), accounts["stop_day"].to_numpy()
    exposure = cumulative[stop] - cumulative[first]
    weight = _segment_values("order_rate")[accounts["segment"]] * accounts["appetite"].to_numpy() * exposure
    if weight.sum() == 0:
        weight = exposure
    buyer = rng.choice(len(accounts), size=n, p=weight / weight.sum())
    ordered = _days_by_demand(rng, cumulative, first[buyer], stop[buyer]) * SECONDS_PER_DAY + _time_of_day(rng, n)
    chronological = np.argsort(ordered, kind="stable")
    buyer, ordered = buyer[chronological], ordered[chronological]
    segment = accounts["segment"].to_numpy()[buyer]

    status = np.array([OrderStatus.paid, OrderStatus.shipped, OrderStatus.cancelled, OrderStatus.refunded])[
        rng.choice(4, size=n, p=[0.40, 0.54, 0.035, 0.025])]
    age_days = (timeline.end - ordered) / SECONDS_PER_DAY
    fresh = (age_days < 2) & (status != OrderStatus.cancelled)
    status = np.where(fresh, np.where(rng.random(n) < 0.5, OrderStatus.pending, OrderStatus.paid), status)
    handling_days = np.select(
        [status == OrderStatus.shipped, status == OrderStatus.refunded], [rng.uniform(1, 3, n), rng.uniform(10, 30, n)],
        rng.uniform(0, 1, n),
    )
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "customer_index": buyer,
        "segment": segment,
        "status": status,
        "channel": np.array(SALES_CHANNELS)[_draw_by_group(rng, segment, _segment_values("channels"))],
        "ordered": ordered,
        "updated": np.minimum(ordered + (handling_days * SECONDS_PER_DAY).astype(np.int64), timeline.end - 1),
    })


def _order_lines(
    rng: np.random.Generator, orders: pd.DataFrame, products: pd.DataFrame, timeline: _Timeline
) -> pd.DataFrame:
    """1-4 distinct products per order, with basket size, discount and product mix by segment.

    Unit prices sit within 5 % of list price, which was ANNUAL_PRICE_RISE lower for each year before as_of.
    """
    segment = orders["segment"].to_numpy()
    count = 1 + _draw_by_group(rng, segment, _segment_values("lines"))
    order_index = np.repeat(np.arange(len(orders)), count)
    line_segment = segment[order_index]
    mix = _product_mix(products)
    product = _distinct_products(rng, order_index, line_segment, mix)
    keep = product >= 0
    order_index, line_segment, product = order_index[keep], line_segment[keep], product[keep]

    n = len(order_index)
    list_price = products["list_price"].to_numpy()[product]
    mean_extra_units = _segment_values("units")[line_segment] * np.clip((100 / list_price) ** 0.4, 0.25, 3)
    years_ago = (timeline.end - orders["ordered"].to_numpy()[order_index]) / (365.25 * SECONDS_PER_DAY)
    haggle = np.clip(rng.normal(1, 0.02, n), 0.95, 1.05)
    unit_price = np.round(list_price * (1 - ANNUAL_PRICE_RISE * years_ago) * haggle, 2)
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "order_id": orders["id"].to_numpy()[order_index],
        "product_id": products["id"].to_numpy()[product],
        "quantity": 1 + rng.poisson(mean_extra_units),
        "unit_price": unit_price,
        "discount": DISCOUNT_STEPS[_draw_by_group(rng, line_segment, _segment_values("discounts"))],
    })


def _product_mix(products: pd.DataFrame) -> np.ndarray:
    """P(product | segment): category appetite x best-seller rank within category x price sensitivity."""
    category = products["category"].map({name: k for k, name in enumerate(PRODUCT_CATEGORIES)}).to_numpy()
    rank = products.groupby("category").cumcount().to_numpy()
    price = products["list_price"].to_numpy()
    affinity = np.array([s.category_affinity for s in MARKET_SEGMENTS])[:, category]
    sensitivity = _segment_values("price_sensitivity")[:, None]
    mix = affinity / (rank + 1) ** 0.8 * (price / 100) ** sensitivity
    return mix / mix.sum(axis=1, keepdims=True)


def _distinct_products(
    rng: np.random.Generator, order_index: np.ndarray, segment: np.ndarray, mix: np.ndarray
) -> np.ndarray:
    """A product per line, redrawing repeats within an order; the rare repeat left after 8 rounds is -1 (dropped)."""
    product = _draw_by_group(rng, segment, mix)
    starts = np.searchsorted(order_index, order_index)
    position = np.arange(len(order_index)) - starts
    for _ in range(8):
        repeated = _repeats_in_order(product, position)
        if not repeated.any():
            return product
        rows = np.flatnonzero(repeated)
        product[rows] = _draw_by_group(rng, segment[rows], mix)
    return np.where(_repeats_in_order(product, position), -1, product)


def _repeats_in_order(product: np.ndarray, position: np.ndarray) -> np.ndarray:
    """Lines whose product already appears on one of the (up to 3) earlier lines of the same order."""
    repeated = np.zeros(len(product), dtype=bool)
    for lag in (1, 2, 3):
        repeated[lag:] |= (position[lag:] >= lag) & (product[lag:] == product[:-lag])
    return repeated


def _order_totals(lines: pd.DataFrame, n_orders: int) -> np.ndarray:
    """total_amount = Σ net_line_amount over each order's lines: each line rounded half up to cents, then added
    (the README's rounding rule), so the stored total equals its printed lines."""
    net = net_line_amount(lines["quantity"], lines["unit_price"], lines["discount"])
    # Whole cents added as integers: the float sum of cent amounts would carry binary noise.
    cents = np.rint(net.to_numpy(float) * 100).astype(np.int64)
    return np.bincount(lines["order_id"] - 1, weights=cents, minlength=n_orders).round() / 100


def _order_rows(orders: pd.DataFrame, timeline: _Timeline) -> pd.DataFrame:
    ordered = timeline.stamps(orders["ordered"].to_numpy())
    return pd.DataFrame({
        "id": orders["id"],
        "external_ref": "O" + orders["id"].astype(str).str.zfill(7),
        "customer_id": orders["customer_index"] + 1,
        "status": orders["status"],
        "channel": orders["channel"],
        "ordered_at": ordered,
        "total_amount": orders["total_amount"],
        "created_at": ordered,
        "updated_at": timeline.stamps(orders["updated"].to_numpy()),
    })


# --- pipeline and work -------------------------------------------------------------------


def _deals(rng: np.random.Generator, accounts: pd.DataFrame, timeline: _Timeline) -> pd.DataFrame:
    """Business customers' deals: a planned sales cycle that slips, then Won or Lost once closed before as_of.

    Open deals sit in the stage matching how far through their (slipped) cycle they are.
    """
    segment = accounts["segment"].to_numpy()
    first, stop = accounts["first_day"].to_numpy(), accounts["stop_day"].to_numpy()
    count = rng.poisson(_segment_values("deals_per_year")[segment] * (stop - first) / 365.25)
    account = np.repeat(np.arange(len(accounts)), count)
    seg = segment[account]
    n = len(account)
    created = rng.integers(first[account], stop[account]) * SECONDS_PER_DAY + _time_of_day(rng, n)
    planned_days = _segment_values("sales_cycle_days")[seg] * rng.lognormal(0, 0.4, n)
    closing = created + (planned_days * rng.lognormal(0.1, 0.3, n) * SECONDS_PER_DAY).astype(np.int64)
    closed = closing < timeline.end
    won = closed & (rng.random(n) < _segment_values("win_rate")[seg])
    progress = np.clip((timeline.end - created) / np.maximum(closing - created, 1), 0, 0.999)
    stage = np.where(closed, np.where(won, DealStage.won, DealStage.lost),
                     np.array(OPEN_STAGES)[(progress * len(OPEN_STAGES)).astype(int)])
    touched = created + rng.random(n) * (timeline.end - created)
    deals = pd.DataFrame({
        "customer_id": account + 1,
        "owner_id": accounts["territory_rep"].to_numpy()[account],
        "title": _deal_titles(rng, accounts, account),
        "stage": stage,
        "amount": np.maximum(np.round(_segment_values("deal_median")[seg] * rng.lognormal(0, 0.7, n), -2), 100.0),
        "expected_close": created + planned_days * SECONDS_PER_DAY,
        "created": created,
        "closed": np.where(closed, closing, np.nan),
        "updated": np.where(closed, closing, touched).astype(np.int64),
        "lost_reason": np.where(stage == DealStage.lost, _pick(rng, LOST_REASONS, n), None),
    })
    deals = deals.sort_values("created", kind="stable", ignore_index=True)
    deals.insert(0, "id", np.arange(1, n + 1))
    return deals


def _deal_titles(rng: np.random.Generator, accounts: pd.DataFrame, account: np.ndarray) -> np.ndarray:
    buyer = accounts["company"].fillna(accounts["name"]).to_numpy(dtype=object)[account]
    return buyer + ": " + _pick(rng, DEAL_KINDS, len(account))


def _deal_rows(deals: pd.DataFrame, timeline: _Timeline) -> pd.DataFrame:
    return pd.DataFrame({
        "id": deals["id"],
        "title": deals["title"],
        "customer_id": deals["customer_id"],
        "owner_id": deals["owner_id"],
        "stage": deals["stage"],
        "amount": deals["amount"],
        "probability": deals["stage"].map(lambda stage: STAGE_PROBABILITY[DealStage(stage)]),
        "expected_close_date": timeline.dates(deals["expected_close"].to_numpy()),
        "closed_at": timeline.stamps(deals["closed"].to_numpy()),
        "lost_reason": deals["lost_reason"],
        "created_at": timeline.stamps(deals["created"].to_numpy()),
        "updated_at": timeline.stamps(deals["updated"].to_numpy()),
    })


# P(the last open stage a deal left was Lead, Qualified, Proposal, Negotiation | it was won, lost): won deals mostly
# went the whole way, lost ones dropped out all along the pipeline.
_LAST_OPEN_STAGE = {True: (0.05, 0.10, 0.25, 0.60), False: (0.35, 0.30, 0.20, 0.15)}


def _stage_moves(rng: np.random.Generator, deals: pd.DataFrame, timeline: _Timeline) -> pd.DataFrame:
    """The audit trail of each closed deal's stage moves, as `deals.move_deal` writes it: Lead, Qualified, ...
    up to the last open stage it reached, at times spread over its life, then Won or Lost at its close.

    Open deals get none (they were seeded where they are). Rows are numbered in time order.
    """
    closed = deals[deals["closed"].notna()]
    won = (closed["stage"] == DealStage.won).to_numpy()
    last_open = np.where(won, rng.choice(4, len(closed), p=_LAST_OPEN_STAGE[True]),
                         rng.choice(4, len(closed), p=_LAST_OPEN_STAGE[False]))
    moves = last_open + 1  # one move out of each stage from Lead to the last open one
    deal = np.repeat(np.arange(len(closed)), moves)
    step = np.arange(len(deal)) - np.repeat(np.cumsum(moves) - moves, moves)
    created, closing = closed["created"].to_numpy()[deal], closed["closed"].to_numpy()[deal]
    # The moves between open stages happen in order inside the deal's life; the last one closes it.
    fractions = rng.random(len(deal))
    fractions = fractions[np.lexsort((fractions, deal))]  # ascending within each deal (rows are grouped by deal)
    final = step == moves[deal] - 1
    at = np.where(final, closing, created + fractions * (closing - created))
    stages = np.array([stage.value for stage in OPEN_STAGES] + [DealStage.won.value, DealStage.lost.value], object)
    old_stage = stages[step]
    new_stage = np.where(final, closed["stage"].to_numpy()[deal], stages[np.minimum(step + 1, 3)])
    closed_at = timeline.stamps(closing)
    reasons = closed["lost_reason"].to_numpy()[deal]
    old_values, new_values = [], []
    for before, after, is_final, when, reason in zip(old_stage, new_stage, final, closed_at, reasons):
        old = {"stage": before, "probability": STAGE_PROBABILITY[DealStage(before)]}
        new = {"stage": after, "probability": STAGE_PROBABILITY[DealStage(after)]}
        if is_final:
            old["closed_at"], new["closed_at"] = None, when.isoformat()
            if isinstance(reason, str):  # Lost; a won deal's reason is missing
                old["lost_reason"], new["lost_reason"] = None, reason
        old_values.append(old)
        new_values.append(new)
    rows = pd.DataFrame({
        "actor_id": closed["owner_id"].to_numpy()[deal],
        "entity": "deal",
        "entity_id": closed["id"].to_numpy()[deal],
        "action": "stage_move",
        "old_values": old_values,
        "new_values": new_values,
        "at": timeline.stamps(at),
    }).sort_values("at", kind="stable", ignore_index=True)
    rows.insert(0, "id", np.arange(1, len(rows) + 1))
    return rows


def _activities(
    rng: np.random.Generator, accounts: pd.DataFrame, deals: pd.DataFrame, timeline: _Timeline
) -> pd.DataFrame:
    """Calls, emails, meetings and tasks on deals and on owned accounts.

    Past work is mostly done; some of the last month's is overdue; open deals and some accounts have
    something upcoming in the next weeks.
    """
    deal_work = _deal_activities(rng, deals, timeline)
    account_work = _account_activities(rng, accounts, timeline)
    work = pd.concat([deal_work, account_work], ignore_index=True)
    n = len(work)
    due = work["due"].to_numpy()
    recent = timeline.end - due < 30 * SECONDS_PER_DAY
    past = due < timeline.end
    done = past & (rng.random(n) >= np.where(recent, 0.3, 0.03))
    done_at = np.where(done, np.minimum(due + rng.uniform(0, SECONDS_PER_DAY, n), timeline.end - 1), np.nan)
    created = np.maximum(np.minimum(due, timeline.end) - rng.uniform(0, 7 * SECONDS_PER_DAY, n), work["opened"].to_numpy())
    kind = rng.choice(len(ACTIVITY_KINDS), size=n, p=[0.35, 0.35, 0.15, 0.15])
    subjects = np.where(work["deal_id"].notna().to_numpy()[:, None], np.array(DEAL_SUBJECTS, dtype=object)[kind],
                        np.array(ACCOUNT_SUBJECTS, dtype=object)[kind])
    rows = pd.DataFrame({
        "kind": np.array(ACTIVITY_KINDS)[kind],
        "subject": subjects[np.arange(n), rng.integers(0, 3, n)],
        "customer_id": work["customer_id"],
        "deal_id": work["deal_id"],
        "owner_id": work["owner_id"],
        "due_at": timeline.stamps(due),
        "done": done,
        "done_at": timeline.stamps(done_at),
        "created": created,
        "updated_at": timeline.stamps(np.where(done, done_at, created)),
    })
    rows = rows.sort_values("created", kind="stable", ignore_index=True)
    rows.insert(0, "id", np.arange(1, n + 1))
    rows["created_at"] = timeline.stamps(rows.pop("created").to_numpy())
    return rows


def _deal_activities(rng: np.random.Generator, deals: pd.DataFrame, timeline: _Timeline) -> pd.DataFrame:
    """1 + Poisson(2) touches spread over each deal's life, plus a next step for every open deal."""
    count = 1 + rng.poisson(2.0, len(deals))
    deal = np.repeat(np.arange(len(deals)), count)
    opened = deals["created"].to_numpy()
    last = np.fmin(deals["closed"].to_numpy(), timeline.end - 1)
    due = opened[deal] + rng.random(len(deal)) * (last[deal] - opened[deal])
    open_deals = np.flatnonzero(deals["closed"].isna().to_numpy())
    next_step = timeline.end + rng.uniform(3600, 21 * SECONDS_PER_DAY, len(open_deals))
    deal = np.concatenate([deal, open_deals])
    return pd.DataFrame({
        "customer_id": deals["customer_id"].to_numpy()[deal],
        "deal_id": pd.array(deals["id"].to_numpy()[deal], dtype="Int64"),
        "owner_id": deals["owner_id"].to_numpy()[deal],
        "due": np.concatenate([due, next_step]),
        "opened": opened[deal],
    })


def _account_activities(rng: np.random.Generator, accounts: pd.DataFrame, timeline: _Timeline) -> pd.DataFrame:
    """Owned accounts' check-ins (Poisson, 0.5 a year) over their active days; 8 % of active ones have one coming."""
    owned = accounts["owner_id"].notna().to_numpy()
    first, stop = accounts["first_day"].to_numpy(), accounts["stop_day"].to_numpy()
    count = np.where(owned, rng.poisson(0.5 * (stop - first) / 365.25), 0)
    account = np.repeat(np.arange(len(accounts)), count)
    due = (first[account] + rng.random(len(account)) * (stop[account] - first[account])) * SECONDS_PER_DAY
    upcoming = np.flatnonzero(owned & ~accounts["churned"].to_numpy() & (rng.random(len(accounts)) < 0.08))
    account = np.concatenate([account, upcoming])
    return pd.DataFrame({
        "customer_id": account + 1,
        "deal_id": pd.array([pd.NA] * len(account), dtype="Int64"),
        "owner_id": accounts["territory_rep"].to_numpy()[account],
        "due": np.concatenate([due, timeline.end + rng.uniform(3600, 30 * SECONDS_PER_DAY, len(upcoming))]),
        "opened": first[account] * SECONDS_PER_DAY,
    })


# --- voice of the customer ---------------------------------------------------------------


def _feedback(
    rng: np.random.Generator, orders: pd.DataFrame, accounts: pd.DataFrame, timeline: _Timeline
) -> pd.DataFrame:
    """Post-purchase survey answers from about 6 % of orders, 1-14 days after ordering.

    One latent score s = customer satisfaction + noise - 1.5 if the order went wrong drives both answers:
    NPS = clip(round(8.6 + 2 s), 0, 10), CSAT = clip(round(4.1 + 0.8 s + noise), 1, 5). Some answer one only.
    """
    surveyed = np.flatnonzero((rng.random(len(orders)) < 0.06) & (orders["status"] != OrderStatus.pending).to_numpy())
    submitted = orders["ordered"].to_numpy()[surveyed] + rng.uniform(1, 14, len(surveyed)) * SECONDS_PER_DAY
    surveyed, submitted = surveyed[submitted < timeline.end], submitted[submitted < timeline.end]
    n = len(surveyed)
    account = orders["customer_index"].to_numpy()[surveyed]
    went_wrong = np.isin(orders["status"].to_numpy()[surveyed], [OrderStatus.cancelled, OrderStatus.refunded])
    score = accounts["satisfaction"].to_numpy()[account] + rng.normal(0, 0.7, n) - 1.5 * went_wrong
    nps = np.clip(np.round(8.6 + 2 * score), 0, 10)
    csat = np.clip(np.round(4.1 + 0.8 * score + rng.normal(0, 0.3, n)), 1, 5)
    answered = rng.random(n)
    feedback = pd.DataFrame({
        "account": account,
        "submitted": submitted,
        "nps": pd.Series(nps, dtype="Int64").where(answered >= 0.12),
        "csat": pd.Series(csat, dtype="Int64").where((answered < 0.12) | (answered >= 0.24)),
    })
    feedback["comment"] = _comments(rng, feedback)
    return feedback.sort_values("submitted", kind="stable", ignore_index=True).assign(
        customer_id=lambda f: f["account"] + 1,
        name=lambda f: accounts["name"].to_numpy()[f["account"]],
        email=lambda f: accounts["email"].to_numpy()[f["account"]],
        assignee=lambda f: accounts["territory_rep"].to_numpy()[f["account"]],
    )


def _comments(rng: np.random.Generator, feedback: pd.DataFrame) -> np.ndarray:
    """Comment text whose sentiment agrees with the scores; detractors comment more often than others."""
    n = len(feedback)
    nps, csat = feedback["nps"], feedback["csat"]
    promoter = (is_promoter(nps) | (nps.isna() & (csat == 5))).to_numpy(dtype=bool, na_value=False)
    detractor = (is_detractor(nps) | (nps.isna() & (csat <= 3))).to_numpy(dtype=bool, na_value=False)
    opening, closing = rng.integers(0, 1_000_000, size=(2, n))

    def phrases(templates: tuple[str, ...], pick: np.ndarray) -> np.ndarray:
        return np.array(templates, dtype=object)[pick % len(templates)]

    praise = phrases(PRAISE, opening) + " " + phrases(PRAISE_DETAILS, closing)
    complaint = phrases(COMPLAINTS, opening) + " " + phrases(DISAPPOINTMENT, closing)
    text = np.where(promoter, praise, np.where(detractor, complaint, phrases(MIXED, opening)))
    commented = rng.random(n) < np.where(detractor, 0.85, 0.55)
    return np.where(commented, text, None)


def _feedback_rows(rng: np.random.Generator, feedback: pd.DataFrame, timeline: _Timeline) -> pd.DataFrame:
    """Rows for the feedback table: last week's answers are new, older ones mostly resolved.

    Sentiment is scored as the app scores a new answer; topics are left for the topic model's fit.
    """
    n = len(feedback)
    submitted = feedback["submitted"].to_numpy()
    age = np.digitize(timeline.end - submitted, [7 * SECONDS_PER_DAY, 30 * SECONDS_PER_DAY])  # 0: this week, 1: this month, 2: older
    status = np.array(FEEDBACK_STATUSES)[_draw_by_group(rng, age, FEEDBACK_STATUS_BY_AGE)]
    # Some answers come through the public web form without a name.
    anonymous = rng.random(n) < 0.04
    channel = np.where(anonymous, FeedbackChannel.web,
                       np.array([c.value for c in FeedbackChannel])[rng.choice(4, n, p=[0.55, 0.30, 0.05, 0.10])])
    worked = status != FeedbackStatus.new
    return pd.DataFrame({
        "id": np.arange(1, n + 1),
        "csat": feedback["csat"],
        "nps": feedback["nps"],
        "comment": feedback["comment"],
        "sentiment": feedback["comment"].map(sentiment_score),
        "channel": channel,
        "customer_id": feedback["customer_id"].astype("Int64").where(~anonymous),
        "status": status,
        "submitted_at": timeline.stamps(submitted),
        "respondent_name": feedback["name"].where(~anonymous, None),
        "respondent_email": feedback["email"].where(~anonymous, None),
        "consent_contact": rng.random(n) < 0.6,
        "assignee_id": feedback["assignee"].astype("Int64").where(worked),
        "updated_at": timeline.stamps(np.where(
            worked, np.minimum(submitted + rng.uniform(0, 10, n) * SECONDS_PER_DAY, timeline.end - 1), submitted)),
    })


# --- marketing and targets ---------------------------------------------------------------


def _campaigns(
    rng: np.random.Generator, accounts: pd.DataFrame, orders: pd.DataFrame, timeline: _Timeline
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The campaigns of CAMPAIGNS and their targets; cost = fixed cost + cost per target x targets.

    A responder's attributed revenue is what they spent on paid or shipped orders in the ATTRIBUTION_DAYS after
    responding.
    """
    campaigns, target_frames = [], []
    for number, plan in enumerate(CAMPAIGNS, start=1):
        start = timeline.end - plan.days_before_as_of * SECONDS_PER_DAY
        targets = _campaign_targets(rng, plan, accounts, start, timeline).assign(campaign_id=number)
        launched = timeline.stamps(np.array([start - 14 * SECONDS_PER_DAY]))[0]
        first_day, last_day = timeline.dates(np.array([start, start + (plan.days_run - 1) * SECONDS_PER_DAY]))
        contacted = int((targets["target_group"] == TargetGroup.contacted).sum())
        campaigns.append({
            "id": number, "name": plan.name.format(year=first_day.year), "channel": plan.channel.value,
            "start_date": first_day, "end_date": last_day,
            "cost": round(plan.fixed_cost + plan.cost_per_target * contacted, 2),
            "created_at": launched, "updated_at": launched,
            "offer": "", "attribution_days": ATTRIBUTION_DAYS,
            # Done, even the one still in its window: its responses are generated with a known true effect, and
            # re-attributing a running campaign from the (independent) demo orders would replace them.
            "status": CampaignStatus.done.value, "owner_id": None,
            "holdout_share": HOLDOUT_SHARE, "seed": number, "email_subject": "", "email_body": "",
            "started_at": timeline.stamps(np.array([start]))[0],
        })
        target_frames.append(targets)
    targets = pd.concat(target_frames, ignore_index=True)
    return pd.DataFrame(campaigns), pd.DataFrame({
        "id": np.arange(1, len(targets) + 1),
        "campaign_id": targets["campaign_id"],
        "customer_id": targets["customer_index"] + 1,
        "target_group": targets["target_group"],
        "contacted_at": timeline.stamps(targets["contacted_at"].to_numpy()),
        "responded": targets["responded"],
        "responded_at": timeline.stamps(targets["responded_at"].to_numpy()),
        "attributed_revenue": _attributed_revenue(targets, orders),
    })


def _campaign_targets(
    rng: np.random.Generator, plan: CampaignPlan, accounts: pd.DataFrame, start: int, timeline: _Timeline
) -> pd.DataFrame:
    """A share of the customers the campaign is meant for who had signed up by its start, HOLDOUT_SHARE of them held
    out; contacted targets respond at the plan's rate while it runs, the holdout at that rate less its true uplift."""
    meant_for = accounts["signed_up"].to_numpy() < start
    if plan.segments is not None:
        meant_for &= np.isin(_segment_values("name")[accounts["segment"]], plan.segments)
    if plan.regions is not None:
        meant_for &= np.isin(np.array([r.name for r in MARKET_REGIONS])[accounts["region"]], plan.regions)
    candidates = np.flatnonzero(meant_for)
    chosen = candidates[rng.random(len(candidates)) < plan.share_targeted]
    held_out = rng.random(len(chosen)) < HOLDOUT_SHARE
    responded = rng.random(len(chosen)) < np.where(held_out, plan.response_rate - plan.true_uplift,
                                                   plan.response_rate)
    running = min(plan.days_run * SECONDS_PER_DAY, timeline.end - start)
    return pd.DataFrame({
        "customer_index": chosen,
        "target_group": np.where(held_out, TargetGroup.holdout.value, TargetGroup.contacted.value),
        "contacted_at": np.where(held_out, np.nan, float(start)),
        "responded": responded,
        "responded_at": np.where(responded, start + rng.uniform(0, running, len(chosen)), np.nan),
    })


def _attributed_revenue(targets: pd.DataFrame, orders: pd.DataFrame) -> np.ndarray:
    responders = targets.loc[targets["responded"], ["customer_index", "responded_at"]].reset_index()
    revenue = orders.loc[orders["status"].isin(REVENUE_STATUSES), ["customer_index", "ordered", "total_amount"]]
    spent = responders.merge(revenue, on="customer_index")
    in_window = (spent["ordered"] >= spent["responded_at"]) & (
        spent["ordered"] < spent["responded_at"] + ATTRIBUTION_DAYS * SECONDS_PER_DAY)
    by_target = spent[in_window].groupby("index")["total_amount"].sum()
    return np.round(by_target.reindex(targets.index, fill_value=0.0).to_numpy(), 2)


def _kpi_targets(orders: pd.DataFrame, feedback: pd.DataFrame, timeline: _Timeline) -> pd.DataFrame:
    """Monthly targets for the twelve months before as_of, set from the same month a year earlier.

    revenue: +12 % rounded to 100; orders: +10 %; nps: +5 points; csat (the share of 4-5 answers): +2 points.
    Without a year-earlier figure, NPS 30 and CSAT 82 % stand in.
    """
    last_month = (timeline.start + pd.to_timedelta(timeline.days - 1, unit="D")).tz_localize(None).to_period("M")
    months = pd.period_range(end=last_month, periods=12, freq="M")
    paid = orders[orders["status"].isin(REVENUE_STATUSES)]
    paid_month = _months(timeline, paid["ordered"])
    revenue = paid.groupby(paid_month)["total_amount"].sum()
    order_count = paid.groupby(paid_month).size()
    answer_month = _months(timeline, feedback["submitted"])
    nps = feedback.groupby(answer_month)["nps"].agg(lambda answers: _figure(measures.nps, answers)).astype(float)
    csat = feedback.groupby(answer_month)["csat"].agg(lambda answers: _figure(measures.csat, answers)).astype(float)
    year_before = months - 12
    targets = {
        "revenue": np.round(revenue.reindex(year_before, fill_value=0).to_numpy() * 1.12, -2),
        "orders": np.round(order_count.reindex(year_before, fill_value=0).to_numpy() * 1.10),
        "nps": np.round(nps.reindex(year_before).fillna(25).to_numpy(dtype=float) + 5),
        "csat": np.round(csat.reindex(year_before).fillna(0.80).to_numpy(dtype=float) + 0.02, 3),
    }
    set_on = timeline.stamps(np.array([(timeline.days - 380) * SECONDS_PER_DAY]))[0]
    rows = pd.DataFrame([
        {"kpi": kpi, "period_start": month.start_time.date(), "period_end": month.end_time.date(),
         "target_value": float(value), "created_at": set_on, "updated_at": set_on}
        for kpi, values in targets.items() for month, value in zip(months, values)
    ])
    rows.insert(0, "id", np.arange(1, len(rows) + 1))
    return rows


def _months(timeline: _Timeline, seconds: pd.Series) -> pd.PeriodIndex:
    return timeline.stamps(seconds.to_numpy()).tz_localize(None).to_period("M")


def _figure(kernel, answers: pd.Series) -> float:
    """A satisfaction kernel of analytics.measures over one month's answers; NaN without answers."""
    value = kernel(answers.to_numpy(dtype=float, na_value=np.nan))
    return np.nan if value is None else value
