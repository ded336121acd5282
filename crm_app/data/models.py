"""SQLModel tables of the CRM and the Create/Update schemas that validate what users send.

All timestamps are timezone-aware UTC (timestamptz on PostgreSQL). Money is NUMERIC(14, 2) in the database and float in Python.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from pydantic import EmailStr, StringConstraints, ValidationInfo, field_validator, model_validator
from typing import Annotated
from sqlmodel import JSON, Column, Field, SQLModel

from crm_app.data.passwords import check_new_password
from crm_app.data.validation import UserInput, storable, valid_email, whole_number
from crm_app.i18n import gettext, say
from crm_app.domain import (ACQUISITION_CHANNELS, DEFAULT_ATTRIBUTION_DAYS, DEFAULT_HOLDOUT_SHARE, MAX_DURATION_MINUTES,
                             REGIONS, SEGMENTS, TARGET_SCOPES, CampaignChannel, CampaignStatus, DealStage, LoggedKind,
                             OrderStatus, SalesChannel, TargetGroup, unhappy)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _money(**kwargs: Any) -> Any:
    return Field(sa_type=sa.Numeric(14, 2, asdecimal=False), **kwargs)


def _one_of(column: str, values: type[StrEnum]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{v.value}'" for v in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


class Role(StrEnum):
    admin = "admin"
    executive = "executive"
    sales_rep = "sales_rep"
    # Creates and runs campaigns over every customer and reads the cockpit; edits no customer, deal or order.
    marketer = "marketer"


ROLE_LABELS: dict[str, str] = {Role.admin: "Admin", Role.executive: "Executive", Role.sales_rep: "Sales rep",
                               Role.marketer: "Marketer"}


class ActivityKind(StrEnum):
    call = "call"
    email = "email"
    meeting = "meeting"
    task = "task"


ACTIVITY_KIND_LABELS: dict[str, str] = {ActivityKind.call: "Call", ActivityKind.email: "Email",
                                        ActivityKind.meeting: "Meeting", ActivityKind.task: "Task"}


class FeedbackStatus(StrEnum):
    new = "new"
    in_progress = "in_progress"
    resolved = "resolved"


FEEDBACK_STATUS_LABELS: dict[str, str] = {FeedbackStatus.new: "New", FeedbackStatus.in_progress: "In progress",
                                          FeedbackStatus.resolved: "Resolved"}


class FeedbackChannel(StrEnum):
    web = "web"
    email = "email"
    api = "api"
    phone = "phone"


class Timestamped(SQLModel):
    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_at: datetime = Field(
        default_factory=utcnow, nullable=False, sa_column_kwargs={"onupdate": utcnow}
    )


# --- people -----------------------------------------------------------------------------


class User(Timestamped, table=True):
    __tablename__ = "app_user"
    __table_args__ = (_one_of("role", Role),)

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    full_name: str = Field(max_length=120)
    role: Role = Field(sa_type=sa.String(20), index=True)
    is_active: bool = Field(default=True)
    password_hash: str = Field(max_length=255, repr=False)
    # Set by an admin's reset: the user may only change their password until they have.
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    # The IANA zone due times are entered and shown in; None until the browser's zone is taken at first load.
    time_zone: str | None = Field(default=None, max_length=64)
    # The language the user reads the app in (crm_app/i18n.py LANGUAGES); None: their browser's.
    language: str | None = Field(default=None, max_length=10)


class AuthSession(SQLModel, table=True):
    """A signed-in browser. The browser holds a random token; only its SHA-256 is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    # Last request seen on it, written at most once a minute; a session idle longer than the idle limit ends.
    last_seen_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class PasswordReset(SQLModel, table=True):
    """A "forgot password" link: the emailed token is random, only its SHA-256 is stored; it works once, until
    expires_at."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    used_at: datetime | None = None


class TwoFactor(SQLModel, table=True):
    """A user's TOTP authenticator. The server must read the secret to check codes, so it is stored as is."""

    __tablename__ = "two_factor"

    user_id: int = Field(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    secret: str = Field(max_length=64, repr=False)
    # None while enrolment waits for the first code from the user's authenticator app.
    confirmed_at: datetime | None = None
    # The last 30-second time step whose code was accepted: a code is never accepted twice.
    last_used_step: int = Field(default=0, sa_type=sa.BigInteger)


class RecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for the authenticator. Only its SHA-256 is stored."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    code_hash: str = Field(max_length=64, unique=True)
    used_at: datetime | None = None


class RolePolicy(SQLModel, table=True):
    """What an admin requires of every user with a role."""

    __tablename__ = "role_policy"
    __table_args__ = (_one_of("role", Role),)

    role: Role = Field(sa_type=sa.String(20), primary_key=True)
    requires_two_factor: bool = Field(default=False)


class TokenAccess(StrEnum):
    """What a personal access token may do: `read` only GETs; `read_write` whatever its user may."""

    read = "read"
    read_write = "read_write"


TOKEN_ACCESS_LABELS: dict[str, str] = {TokenAccess.read: "Read only", TokenAccess.read_write: "Read and write"}


class TokenStatus(StrEnum):
    """Whether a token still works: derived from revoked_at and expires_at, never stored."""

    active = "active"
    expired = "expired"
    revoked = "revoked"


TOKEN_STATUS_LABELS: dict[str, str] = {TokenStatus.active: "Active", TokenStatus.expired: "Expired",
                                       TokenStatus.revoked: "Revoked"}


class ApiToken(SQLModel, table=True):
    """A personal access token for the REST API (/api/v1). The client holds a random token; only its SHA-256 is
    stored (a keyed-enough hash for 256 random bits, checked in microseconds, unlike a password's Argon2)."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    token_hash: str = Field(max_length=64, unique=True)
    # A read-only token may only GET; a read-write one may do whatever its user may.
    can_write: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    # Last request made with it, written at most once a minute.
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class IdempotentRequest(SQLModel, table=True):
    """The first answer to an API POST sent with an Idempotency-Key, written in the same transaction as what the
    POST created, so a resend of the same request gets the same answer and creates nothing more."""

    __tablename__ = "idempotent_request"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_idempotent_request_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    key: str = Field(max_length=255)
    # SHA-256 of the method, path and validated body: the same key with another request is refused.
    fingerprint: str = Field(max_length=64)
    status_code: int
    body: str = Field(sa_type=sa.Text)
    location: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow, index=True)


class SignInOutcome(StrEnum):
    signed_in = "signed_in"
    refused = "refused"  # wrong email or password, or a deactivated account: the visitor is told the same
    throttled = "throttled"  # turned away by the throttle before any password was checked
    password_ok = "password_ok"  # the right password of a two-factor account: the code is asked next
    wrong_code = "wrong_code"  # the second step's code was not right (or not the user's any more)


class SignInAttempt(SQLModel, table=True):
    """The audit of sign-ins: who was tried from where and what happened; never the password.

    Throttled attempts are counted, not listed: one row per email, client and flush carries `attempts`, so a
    flood of guesses costs one insert a second instead of one per guess.
    """

    __tablename__ = "sign_in_attempt"
    __table_args__ = (_one_of("outcome", SignInOutcome), sa.Index("ix_sign_in_attempt_email_at", "email", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    email: str = Field(max_length=254)
    client: str = Field(max_length=64)
    outcome: SignInOutcome = Field(sa_type=sa.String(12))
    attempts: int = Field(default=1)


class Customer(Timestamped, table=True):
    # The list pages a book, a region or a segment by name, and fills its filter menus, from these; the text
    # search has its own trigram index (crm_app/data/search.py, created by migration 0005 outside these models).
    __table_args__ = (
        sa.Index("ix_customer_region_name", "region", "name"),
        sa.Index("ix_customer_segment_name", "segment", "name"),
        sa.Index("ix_customer_owner_name", "owner_id", "name"),
        sa.Index("ix_customer_owner_region", "owner_id", "region", "name"),
        sa.Index("ix_customer_owner_segment", "owner_id", "segment", "name"),
        # The REST API's "changed lately first" (sort=-updated_at) pages from this index, for a rep from the second.
        sa.Index("ix_customer_updated_at", "updated_at", "id"),
        sa.Index("ix_customer_owner_updated_at", "owner_id", "updated_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_ref: str | None = Field(default=None, max_length=64, unique=True)
    name: str = Field(max_length=200, index=True)
    email: str | None = Field(default=None, max_length=254, index=True)
    phone: str | None = Field(default=None, max_length=32, index=True)
    company: str | None = Field(default=None, max_length=200, index=True)
    region: str = Field(max_length=40)
    segment: str = Field(max_length=40)
    acquisition_channel: str = Field(max_length=40)
    owner_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    consent_email: bool = Field(default=False)
    consent_phone: bool = Field(default=False)


# --- catalogue and orders ---------------------------------------------------------------


class Product(Timestamped, table=True):
    __table_args__ = (
        sa.CheckConstraint("list_price >= 0", name="list_price_not_negative"),
        sa.CheckConstraint("unit_cost >= 0", name="unit_cost_not_negative"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    category: str = Field(max_length=60, index=True)
    list_price: float = _money()
    unit_cost: float = _money(default=0)


class Order(Timestamped, table=True):
    __tablename__ = "sales_order"
    __table_args__ = (
        _one_of("status", OrderStatus),
        _one_of("channel", SalesChannel),
        sa.CheckConstraint("total_amount >= 0", name="total_amount_not_negative"),
        sa.Index("ix_sales_order_ordered_at_status", "ordered_at", "status"),
        sa.Index("ix_sales_order_customer_timeline", "customer_id", "ordered_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_ref: str | None = Field(default=None, max_length=64, unique=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    status: OrderStatus = Field(default=OrderStatus.paid, sa_type=sa.String(20), index=True)
    channel: SalesChannel = Field(sa_type=sa.String(20), index=True)
    ordered_at: datetime = Field(index=True)
    # Sum of the lines' net amounts, kept with the order so revenue needs no join.
    total_amount: float = _money(default=0)
    # The won deal this order fulfils, when it was created from one (the pipeline's "Create the order").
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True, ondelete="SET NULL")


class OrderLine(SQLModel, table=True):
    __tablename__ = "order_line"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        sa.CheckConstraint("discount >= 0 AND discount <= 1", name="discount_fraction"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sales_order.id", index=True, ondelete="CASCADE")
    product_id: int = Field(foreign_key="product.id", index=True)
    quantity: int
    unit_price: float = _money()
    # Fraction of the line price taken off: 0.1 is 10 %.
    discount: float = Field(default=0, sa_type=sa.Numeric(5, 4, asdecimal=False))


# --- pipeline and work ------------------------------------------------------------------


class Deal(Timestamped, table=True):
    __table_args__ = (
        _one_of("stage", DealStage),
        sa.CheckConstraint("amount >= 0", name="amount_not_negative"),
        sa.CheckConstraint("probability >= 0 AND probability <= 1", name="probability_fraction"),
        sa.CheckConstraint(
            "stage <> 'Lost' OR lost_reason IS NOT NULL", name="lost_deal_has_reason"
        ),
        # The board's column figures come from these indexes alone; its columns page by the dates they sort on.
        sa.Index("ix_deal_stage_owner_amounts", "stage", "owner_id", "amount", "probability"),
        sa.Index("ix_deal_stage_closed", "stage", "closed_at"),
        sa.Index("ix_deal_stage_close_date", "stage", "expected_close_date"),
        sa.Index("ix_deal_owner_stage_closed", "owner_id", "stage", "closed_at", "amount", "probability"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    stage: DealStage = Field(default=DealStage.lead, sa_type=sa.String(20), index=True)
    amount: float = _money()
    probability: float = Field(default=0.1, sa_type=sa.Numeric(5, 4, asdecimal=False))
    expected_close_date: date | None = Field(default=None, index=True)
    closed_at: datetime | None = Field(default=None, index=True)
    lost_reason: str | None = Field(default=None, max_length=200)


class Activity(Timestamped, table=True):
    __table_args__ = (
        _one_of("kind", ActivityKind),
        sa.CheckConstraint(
            "customer_id IS NOT NULL OR deal_id IS NOT NULL", name="linked_to_customer_or_deal"
        ),
        # A customer's timeline pages its tasks by when they were created and when they were done.
        sa.Index("ix_activity_customer_created", "customer_id", "created_at", "id"),
        sa.Index("ix_activity_customer_done", "customer_id", "done_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: ActivityKind = Field(sa_type=sa.String(20))
    subject: str = Field(max_length=200)
    notes: str | None = Field(default=None, max_length=4000)
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    deal_id: int | None = Field(default=None, foreign_key="deal.id", index=True)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    due_at: datetime | None = Field(default=None, index=True)
    done: bool = Field(default=False, index=True)
    done_at: datetime | None = None


class LoggedActivity(Timestamped, table=True):
    """A note, call, email or meeting a rep wrote down on a customer (and maybe one of its deals). The `activity`
    table holds tasks, things still to do; these happened. Deleting one deletes the row; the audit keeps it."""

    __tablename__ = "logged_activity"
    __table_args__ = (
        _one_of("kind", LoggedKind),
        sa.CheckConstraint(f"duration_minutes IS NULL OR (duration_minutes > 0 AND duration_minutes <= "
                           f"{MAX_DURATION_MINUTES})", name="duration_within_a_day"),
        # The timeline pages newest first by (time, id) per customer and per deal.
        sa.Index("ix_logged_activity_customer_timeline", "customer_id", "occurred_at", "id"),
        sa.Index("ix_logged_activity_deal_timeline", "deal_id", "occurred_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: LoggedKind = Field(sa_type=sa.String(20))
    body: str = Field(sa_type=sa.Text)
    outcome: str | None = Field(default=None, max_length=40)
    duration_minutes: int | None = None
    customer_id: int = Field(foreign_key="customer.id")
    deal_id: int | None = Field(default=None, foreign_key="deal.id")
    author_id: int = Field(foreign_key="app_user.id", index=True)
    occurred_at: datetime
    edited_at: datetime | None = None


# --- voice of the customer and marketing ------------------------------------------------


class Feedback(SQLModel, table=True):
    __table_args__ = (
        sa.CheckConstraint("csat IS NULL OR (csat >= 1 AND csat <= 5)", name="csat_range"),
        sa.CheckConstraint("nps IS NULL OR (nps >= 0 AND nps <= 10)", name="nps_range"),
        sa.CheckConstraint("csat IS NOT NULL OR nps IS NOT NULL", name="has_a_score"),
        sa.CheckConstraint(
            "sentiment IS NULL OR (sentiment >= -1 AND sentiment <= 1)", name="sentiment_range"
        ),
        _one_of("status", FeedbackStatus),
        _one_of("channel", FeedbackChannel),
        sa.Index("ix_feedback_customer_timeline", "customer_id", "submitted_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    csat: int | None = None
    nps: int | None = None
    comment: str | None = Field(default=None, max_length=2000)
    channel: FeedbackChannel = Field(default=FeedbackChannel.web, sa_type=sa.String(20))
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True)
    status: FeedbackStatus = Field(default=FeedbackStatus.new, sa_type=sa.String(20), index=True)
    submitted_at: datetime = Field(default_factory=utcnow, index=True)
    # A double click or a resend carries the same id and stores one row.
    client_submission_id: str | None = Field(default=None, max_length=64, unique=True)
    respondent_name: str | None = Field(default=None, max_length=120)
    respondent_email: str | None = Field(default=None, max_length=254)
    consent_contact: bool = Field(default=False)
    sentiment: float | None = None
    topic: str | None = Field(default=None, max_length=120, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"onupdate": utcnow})


class FeedbackInvite(SQLModel, table=True):
    """A personal survey link sent to a customer; the signed token names this row and works once."""

    __tablename__ = "feedback_invite"

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    campaign_id: int | None = Field(default=None, foreign_key="campaign.id", index=True)
    nonce: str = Field(max_length=32, unique=True)
    issued_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    issued_at: datetime = Field(default_factory=utcnow)
    used_at: datetime | None = None


class FeedbackNote(SQLModel, table=True):
    """An internal note on a feedback answer; never shown to the customer."""

    __tablename__ = "feedback_note"

    id: int | None = Field(default=None, primary_key=True)
    feedback_id: int = Field(foreign_key="feedback.id", index=True, ondelete="CASCADE")
    author_id: int = Field(foreign_key="app_user.id")
    body: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class ModelRun(SQLModel, table=True):
    """When an analytics model (topics, churn, forecast, ...) was last fitted, on how many rows, and its summary."""

    __tablename__ = "model_run"

    id: int | None = Field(default=None, primary_key=True)
    model: str = Field(max_length=40, index=True)
    fitted_at: datetime = Field(default_factory=utcnow, index=True)
    rows: int
    seconds: float
    summary: dict | None = Field(default=None, sa_column=Column(JSON))


class Campaign(Timestamped, table=True):
    __table_args__ = (
        sa.CheckConstraint("cost >= 0", name="cost_not_negative"),
        sa.CheckConstraint("end_date >= start_date", name="ends_after_start"),
        _one_of("channel", CampaignChannel),
        _one_of("status", CampaignStatus),
        sa.CheckConstraint("attribution_days BETWEEN 1 AND 365", name="attribution_days_range"),
        sa.CheckConstraint("holdout_share >= 0 AND holdout_share <= 0.5", name="holdout_share_range"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    channel: CampaignChannel = Field(sa_type=sa.String(40))
    start_date: date = Field(index=True)
    end_date: date
    cost: float = _money()
    offer: str = Field(default="", max_length=2000, sa_column_kwargs={"server_default": ""})
    # An order within this many days after contact is a response to the campaign.
    attribution_days: int = Field(default=DEFAULT_ATTRIBUTION_DAYS,
                                  sa_column_kwargs={"server_default": str(DEFAULT_ATTRIBUTION_DAYS)})
    status: CampaignStatus = Field(default=CampaignStatus.draft, sa_type=sa.String(20),
                                   sa_column_kwargs={"server_default": CampaignStatus.draft.value})
    owner_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    # Share of the audience held out at random (never contacted), drawn with `seed` so the draw can be repeated.
    holdout_share: float = Field(default=DEFAULT_HOLDOUT_SHARE, sa_column_kwargs={"server_default": "0.1"})
    seed: int = Field(default=0, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"})
    # The email template: {name} and {survey_link} are filled in per target.
    email_subject: str = Field(default="", max_length=200, sa_column_kwargs={"server_default": ""})
    email_body: str = Field(default="", max_length=10_000, sa_column_kwargs={"server_default": ""})
    # When contacting began: the holdout's responses are counted from this moment.
    started_at: datetime | None = None


class CampaignTarget(SQLModel, table=True):
    __tablename__ = "campaign_target"
    __table_args__ = (
        sa.UniqueConstraint("campaign_id", "customer_id", name="uq_campaign_target"),
        sa.CheckConstraint("attributed_revenue >= 0", name="attributed_revenue_not_negative"),
        sa.CheckConstraint("target_group IN ('contacted', 'holdout')", name="target_group_allowed"),
        sa.CheckConstraint("target_group = 'contacted' OR contacted_at IS NULL", name="holdout_never_contacted"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True, ondelete="CASCADE")
    customer_id: int = Field(foreign_key="customer.id", index=True)
    target_group: TargetGroup = Field(default=TargetGroup.contacted, sa_type=sa.String(20),
                                      sa_column_kwargs={"server_default": TargetGroup.contacted.value})
    # Set in the transaction that wrote the target's email to the outbox or its call task: never contacted twice.
    contacted_at: datetime | None = None
    responded: bool = Field(default=False)
    responded_at: datetime | None = None
    attributed_revenue: float = _money(default=0)


class KpiTarget(Timestamped, table=True):
    """The target of one KPI for one period and one scope: the company (scope_value ""), or one region, segment
    or sales rep (scope_value: the region or segment, or the rep's user id as text)."""

    __tablename__ = "kpi_target"
    __table_args__ = (
        sa.UniqueConstraint("kpi", "scope", "scope_value", "period_start", "period_end",
                            name="uq_kpi_target_scope_period"),
        sa.CheckConstraint("period_end >= period_start", name="period_ordered"),
        sa.CheckConstraint("scope IN (" + ", ".join(f"'{scope}'" for scope in TARGET_SCOPES) + ")",
                           name="scope_allowed"),
        sa.CheckConstraint("(scope = 'company') = (scope_value = '')", name="scope_value_named"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kpi: str = Field(max_length=60, index=True)
    scope: str = Field(default="company", max_length=20)
    scope_value: str = Field(default="", max_length=60)
    period_start: date
    period_end: date
    target_value: float


class AuditLog(SQLModel, table=True):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_entity", "entity", "entity_id"),
                      # A record's timeline pages its changes newest first.
                      sa.Index("ix_audit_log_entity_timeline", "entity", "entity_id", "at", "id"))

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    entity: str = Field(max_length=40)
    entity_id: int
    action: str = Field(max_length=40)
    old_values: dict | None = Field(default=None, sa_column=Column(JSON))
    new_values: dict | None = Field(default=None, sa_column=Column(JSON))
    at: datetime = Field(default_factory=utcnow, index=True)
    # The rows one bulk action wrote share this id (see repositories.audit.audit_batch); None for single changes.
    batch_id: str | None = Field(default=None, max_length=32, index=True)


# --- saved views -------------------------------------------------------------------------


class SavedView(Timestamped, table=True):
    """A user's named filters of a list page (its route and the URL filters, validated): theirs alone, or shared
    with everybody when an admin says so. See repositories/saved_views.py."""

    __tablename__ = "saved_view"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "page", "name", name="uq_saved_view_owner_page_name"),
        # A page's view menu: the user's own views (the unique index) and the shared ones (this one).
        sa.Index("ix_saved_view_page_shared", "page", "shared"),
    )

    id: int | None = Field(default=None, primary_key=True)
    owner_id: int = Field(foreign_key="app_user.id")
    page: str = Field(max_length=40)
    name: str = Field(max_length=60)
    # {URL key: value}, e.g. {"region": "EMEA", "sort": "created"}: only values that filter something.
    filters: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    shared: bool = False


# --- change tracking ---------------------------------------------------------------------


class DataVersion(SQLModel, table=True):
    """One row whose counter database triggers bump on every write to a fact table, so each worker's
    in-memory snapshot of the facts knows when to reload (see data/snapshot.py)."""

    __tablename__ = "data_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0, sa_type=sa.BigInteger)
    # Writes to sales_order/order_line, and the updates and deletes among them (migration 0004).
    order_writes: int = Field(default=0, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"})
    order_rewrites: int = Field(default=0, sa_type=sa.BigInteger, sa_column_kwargs={"server_default": "0"})


class MetricSample(SQLModel, table=True):
    """One minute of one event handler or API route in one process: count, errors and a latency histogram
    (b0..b11 count the calls per crm_app/metrics.py bucket), written by the metrics recorder's flush."""

    __tablename__ = "metric_sample"

    id: int | None = Field(default=None, primary_key=True)
    minute: datetime = Field(index=True)
    kind: str = Field(max_length=10)  # "event" or "api"
    name: str = Field(max_length=120)
    module: str = Field(max_length=30)
    role: str = Field(max_length=20)
    count: int
    errors: int
    total_ms: float
    b0: int = 0
    b1: int = 0
    b2: int = 0
    b3: int = 0
    b4: int = 0
    b5: int = 0
    b6: int = 0
    b7: int = 0
    b8: int = 0
    b9: int = 0
    b10: int = 0
    b11: int = 0


# --- webhooks ------------------------------------------------------------------------------


class WebhookDeliveryStatus(StrEnum):
    pending = "pending"  # waiting for its next attempt (or being sent)
    delivered = "delivered"  # the endpoint answered 2xx
    failed = "failed"  # no 2xx within crm_app/retry_schedule.py's 24 hours


class WebhookEndpoint(SQLModel, table=True):
    """A URL an admin registered to receive events, signed with its secret (Standard Webhooks)."""

    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    # "whsec_" + base64 of 32 random bytes; kept as is because every delivery is signed with it.
    secret: str = Field(max_length=100, repr=False)
    events: list[str] = Field(sa_column=Column(JSON, nullable=False))
    is_active: bool = Field(default=True)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """The outbox: one event for one endpoint, written in the transaction of the change it reports and sent
    afterwards by crm_app/webhooks.py. `event_id` is the Standard Webhooks message id, the same on every attempt
    (and for every endpoint of the event), so a receiver can drop repeats."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (_one_of("status", WebhookDeliveryStatus),
                      sa.UniqueConstraint("event_id", "endpoint_id", name="uq_webhook_delivery_event_endpoint"),
                      # The sender's claim: the due pending rows, oldest first.
                      sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
                      sa.Index("ix_webhook_delivery_log", "endpoint_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", ondelete="CASCADE")
    event_id: str = Field(max_length=40)
    event_type: str = Field(max_length=40)
    body: str = Field(sa_type=sa.Text)  # the JSON sent, byte for byte on every attempt
    status: WebhookDeliveryStatus = Field(default=WebhookDeliveryStatus.pending, sa_type=sa.String(12))
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime | None = Field(default_factory=utcnow)
    first_attempt_at: datetime | None = None
    # A sender holds the row until then; a sender that died lets it go when the lease runs out.
    claimed_until: datetime | None = None
    claim: str | None = Field(default=None, max_length=32)
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=300)
    delivered_at: datetime | None = None


# --- outgoing mail ----------------------------------------------------------------------


class MailStatus(StrEnum):
    queued = "queued"  # waiting for the sender (or for CRM_SMTP_URL to be set)
    sent = "sent"  # the SMTP server accepted it
    failed = "failed"  # refused for good (5xx) or still failing 24 hours after the first attempt
    withdrawn = "withdrawn"  # marketing mail whose customer unsubscribed before it went out


class MailMessage(SQLModel, table=True):
    """One email in the outbox (crm_app/data/repositories/mail_outbox.py), written in the same transaction as
    the action that causes it and sent by the background sender (crm_app/mail_sender.py).

    (to_address, purpose_key) is unique: one message per recipient and purpose, however often the action runs."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        _one_of("status", MailStatus),
        sa.UniqueConstraint("to_address", "purpose_key", name="uq_mail_outbox_recipient_purpose"),
        # The sender's claim: queued rows whose next attempt is due, oldest first.
        sa.Index("ix_mail_outbox_due", "status", "next_attempt_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    to_address: str = Field(max_length=254)
    purpose_key: str = Field(max_length=200)
    subject: str = Field(max_length=300)
    body_text: str = Field(sa_type=sa.Text)
    body_html: str | None = Field(default=None, sa_type=sa.Text)
    headers: dict | None = Field(default=None, sa_column=Column(JSON))
    # Marketing mail: the customer whose email consent it needs (and whom its unsubscribe link names); it goes
    # with the customer.
    unsubscribe_customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True,
                                                ondelete="CASCADE")
    status: MailStatus = Field(default=MailStatus.queued, sa_type=sa.String(12))
    created_at: datetime = Field(default_factory=utcnow)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    attempts: int = Field(default=0)
    first_attempt_at: datetime | None = None
    # A sender holds the row until claimed_until; a sender that dies leaves it to the next after that.
    claimed_until: datetime | None = None
    claim_token: str | None = Field(default=None, max_length=32)
    last_error: str | None = Field(default=None, max_length=300)
    sent_at: datetime | None = None


# --- schemas for what users send --------------------------------------------------------


class UserCreate(UserInput, SQLModel):
    email: EmailStr = Field(max_length=254)
    full_name: str = Field(min_length=1, max_length=120)
    role: Role
    password: str = Field(min_length=10, max_length=128)

    @field_validator("email", mode="before")
    @classmethod
    def _valid_email(cls, value: Any) -> str:
        return valid_email(value)

    @field_validator("full_name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError(gettext("Enter a name"))
        return value

    @field_validator("password")
    @classmethod
    def _hard_to_guess(cls, value: str, info: ValidationInfo) -> str:
        about_user = [str(info.data[name]) for name in ("email", "full_name") if name in info.data]
        return check_new_password(value, user_inputs=about_user)


class UserUpdate(UserInput, SQLModel):
    full_name: str | None = Field(default=None, min_length=1, max_length=120)
    role: Role | None = None
    is_active: bool | None = None


SUBMISSION_ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
_SubmissionId = Annotated[str, StringConstraints(pattern=SUBMISSION_ID_PATTERN)]


class FeedbackSubmission(UserInput, SQLModel):
    """One answer to the public survey, from the form or the JSON API. Everything in it is hostile until checked."""

    csat: int = Field(ge=1, le=5, description="Satisfaction, 1 (very unsatisfied) to 5 (very satisfied).")
    nps: int = Field(ge=0, le=10, description="Likelihood to recommend, 0 (not at all) to 10 (extremely likely).")
    comment: str | None = Field(default=None, max_length=2000)
    name: str | None = Field(default=None, max_length=120)
    email: EmailStr | None = Field(default=None, max_length=254)
    consent: bool = Field(default=False, description="May we contact you about this answer?")
    submission_id: _SubmissionId = Field(description="Chosen by the client; a resend with the same id stores nothing new.")
    invite: str | None = Field(default=None, max_length=512, description="The token of a personal survey link.")

    @field_validator("email", mode="before")
    @classmethod
    def _valid_email(cls, value: Any) -> Any:
        if value is not None:
            valid_email(value)  # refused with the reason in the reader's language; kept as typed otherwise
        return value

    @field_validator("csat", "nps", mode="before")
    @classmethod
    def _score_on_its_scale(cls, value: Any, info) -> Any:
        low, high = (1, 5) if info.field_name == "csat" else (0, 10)
        if isinstance(value, str):
            value = whole_number(value.strip())
        # JSON Schema's integers include 3.0 (the published schema says "integer"): an integral float is its number.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(gettext("Choose how satisfied you are, from 1 to 5.") if info.field_name == "csat"
                             else gettext("Choose how likely you are to recommend us, from 0 to 10."))
        return value

    @field_validator("submission_id", mode="before")
    @classmethod
    def _submission_id_shape(cls, value: Any) -> Any:
        if not isinstance(value, str) or re.fullmatch(SUBMISSION_ID_PATTERN, storable(value)) is None:
            raise ValueError(gettext("Send a submission_id of 8 to 64 letters, digits, '-' or '_', the same on every "
                                     "resend."))
        return value

    @field_validator("comment", mode="before")
    @classmethod
    def _comment_fits(cls, value: Any) -> Any:
        if isinstance(value, str) and len(value) > 2000:
            raise ValueError(gettext("Keep your comment to 2,000 characters or fewer (it has {count}).",
                                     count=f"{len(value):,}"))
        return value

    @field_validator("comment", "name", "email", "invite", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @model_validator(mode="after")
    def _contact_needs_consent(self) -> "FeedbackSubmission":
        if (self.name or self.email) and not self.consent:
            raise ValueError(gettext("Tick the consent box to leave your name or email, or leave them empty."))
        return self

    @property
    def is_unhappy(self) -> bool:
        """NPS 0-6 or CSAT 1-2: an unhappy customer someone should call back."""
        return bool(unhappy(self.nps, self.csat))


def _checked(value: Any) -> bool:
    """A form checkbox: browsers send "on" when it is ticked and nothing when it is not."""
    return value is True or (isinstance(value, str) and value.strip().lower() in ("on", "true", "1", "yes"))


# Longest text accepted per field (the phone as typed, with spaces; it is stored shorter, in E.164).
_CUSTOMER_TEXT_LIMITS = {"name": 200, "company": 200, "email": 254, "phone": 40, "region": 40, "segment": 40,
                         "acquisition_channel": 40}


class CustomerCreate(UserInput, SQLModel):
    """A customer as the create form sends it. Email is stored lower-case, phone in E.164 (+14155550123)."""

    name: str
    company: str | None = None
    email: str | None = None
    phone: str | None = None
    region: str
    segment: str
    acquisition_channel: str
    consent_email: bool = False
    consent_phone: bool = False
    # Only admins may name an owner; for a sales rep it is always themselves.
    owner_id: int | None = None

    @field_validator(*_CUSTOMER_TEXT_LIMITS, mode="before")
    @classmethod
    def _trimmed_text(cls, value: Any, info) -> Any:
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise ValueError(gettext("Enter text here."))
        limit = _CUSTOMER_TEXT_LIMITS[info.field_name]
        value = " ".join(value.split())
        if len(value) > limit:
            raise ValueError(gettext("Keep this to {limit} characters or fewer.", limit=limit))
        # Optional fields left blank are stored as NULL; required ones stay "" for their own check.
        return value or (None if info.field_name in ("company", "email", "phone") else "")

    @field_validator("name")
    @classmethod
    def _has_name(cls, value: str | None) -> str:
        if not value:
            raise ValueError(gettext("Enter the customer's name."))
        return value

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str | None) -> str | None:
        return None if value is None else valid_email(value)

    @field_validator("phone")
    @classmethod
    def _e164_phone(cls, value: str | None) -> str | None:
        if value is None:
            return None
        import phonenumbers

        hint = gettext("Enter the number with its country code, like +44 20 7946 0958.")
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            raise ValueError(hint) from None
        if not phonenumbers.is_valid_number(number):
            raise ValueError(gettext("This is not a valid phone number. {hint}", hint=hint))
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    @field_validator("region", "segment", "acquisition_channel")
    @classmethod
    def _chosen(cls, value: str | None, info) -> str:
        choices = {"region": REGIONS, "segment": SEGMENTS,
                   "acquisition_channel": ACQUISITION_CHANNELS}[info.field_name]
        if value not in choices:
            raise ValueError(gettext("Choose one of: {choices}.", choices=gettext(", ").join(map(say, choices))))
        return value

    @field_validator("consent_email", "consent_phone", mode="before")
    @classmethod
    def _ticked(cls, value: Any) -> bool:
        return _checked(value)

    @field_validator("owner_id", mode="before")
    @classmethod
    def _owner_id(cls, value: Any) -> int | None:
        if value in (None, "", "none"):
            return None
        if isinstance(value, str):
            value = whole_number(value)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise ValueError(gettext("Choose an owner from the list."))
        return value


class CustomerUpdate(CustomerCreate):
    """The edit form sends every field again: an update replaces them all (the owner only when an admin edits)."""
