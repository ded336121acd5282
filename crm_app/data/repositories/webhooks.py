"""Webhooks: the endpoints admins register, the outbox of events, and the sender's claims on it.

An event is written here by the repository that makes the change, in the caller's session, so it is committed
with the change or rolled back with it (a transactional outbox): one `webhook_delivery` row per active endpoint
subscribed to the event, all sharing the event's id. crm_app/webhooks.py sends them afterwards.

Several senders (one per worker) share the outbox by claiming rows: one UPDATE sets a lease (`claimed_until`) and
a claim token on due rows no live lease holds. PostgreSQL picks the rows with FOR UPDATE SKIP LOCKED, so two
senders never wait on or take the same rows; SQLite runs the UPDATE inside BEGIN IMMEDIATE (db.write_session), which
lets one writer at a time in. A sender that dies keeps its rows only until the lease runs out; an outcome is
recorded only under the claim token it was sent with.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.data.models import (
    CampaignTarget, Order, OrderLine, Role, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint, utcnow,
)
from crm_app.data.permissions import Actor, NotFound, require_role
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.data.validation import unstorable
from crm_app.domain import DealStage, WebhookEvent
from crm_app.retry_schedule import next_attempt_at
from crm_app.webhook_signing import new_secret
from crm_app.i18n import gettext

# What each event's "data" holds: the record's fields after the change.
CUSTOMER_FIELDS = ("id", "external_ref", "name", "company", "email", "phone", "region", "segment",
                   "acquisition_channel", "owner_id", "consent_email", "consent_phone")
DEAL_FIELDS = ("id", "title", "customer_id", "owner_id", "stage", "amount", "probability", "expected_close_date",
               "closed_at", "lost_reason")
ORDER_FIELDS = ("id", "external_ref", "customer_id", "status", "channel", "ordered_at", "total_amount")
ORDER_LINE_FIELDS = ("product_id", "quantity", "unit_price", "discount")
FEEDBACK_FIELDS = ("id", "customer_id", "csat", "nps", "comment", "channel", "submitted_at", "sentiment")
CAMPAIGN_RESPONSE_FIELDS = ("id", "campaign_id", "customer_id", "target_group", "contacted_at", "responded_at",
                            "attributed_revenue")

# Hosts a plain-http endpoint may have: a receiver on the same machine (tests, a local bridge).
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
_INSERT_CHUNK = 500


class InvalidEndpoint(ValueError):
    """An endpoint the form must refuse; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# --- writing events ---------------------------------------------------------------------------------------------


def new_event_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def event_body(event: WebhookEvent, data: dict[str, Any], at: datetime) -> str:
    """The JSON sent for one event (the Standard Webhooks payload shape: type, timestamp, data)."""
    return json.dumps({"type": event.value, "timestamp": at.isoformat(), "data": data},
                      ensure_ascii=False, separators=(",", ":"), default=str)


# Built once: every group commit of survey answers asks it, and building the statement cost more than running it.
_ACTIVE_ENDPOINTS = sa.select(WebhookEndpoint.id, WebhookEndpoint.events).where(WebhookEndpoint.is_active.is_(True))


def _subscribers(session: Session, event: WebhookEvent) -> list[int]:
    rows = session.execute(_ACTIVE_ENDPOINTS).all()
    return [endpoint_id for endpoint_id, events in rows if event.value in (events or [])]


def record_events(*, session: Session, event: WebhookEvent, payloads: Iterable[dict[str, Any]]) -> int:
    """Put one event per payload in the outbox, once for each active endpoint subscribed to it, in the caller's
    transaction. Returns the rows written (none when nobody subscribes)."""
    endpoints = _subscribers(session, event)
    if not endpoints:
        return 0
    now = utcnow()
    rows = [{"endpoint_id": endpoint_id, "event_id": event_id, "event_type": event.value, "body": body,
             "status": WebhookDeliveryStatus.pending.value, "attempts": 0, "created_at": now, "next_attempt_at": now}
            for data in payloads
            for event_id, body in [(new_event_id(), event_body(event, data, now))]
            for endpoint_id in endpoints]
    for start in range(0, len(rows), _INSERT_CHUNK):
        session.execute(sa.insert(WebhookDelivery.__table__), rows[start:start + _INSERT_CHUNK])
    return len(rows)


def customer_changed(*, session: Session, customers: Iterable[Any], created: bool) -> int:
    """customer.created or customer.updated for each customer (a model or a row with CUSTOMER_FIELDS)."""
    event = WebhookEvent.customer_created if created else WebhookEvent.customer_updated
    return record_events(session=session, event=event, payloads=(snapshot(c, CUSTOMER_FIELDS) for c in customers))


def deal_moved(*, session: Session, deal: Any, from_stage: DealStage) -> int:
    """deal.stage_changed, and deal.won when it moved to Won."""
    data = snapshot(deal, DEAL_FIELDS) | {"previous_stage": from_stage.value}
    written = record_events(session=session, event=WebhookEvent.deal_stage_changed, payloads=[data])
    if deal.stage == DealStage.won:
        written += record_events(session=session, event=WebhookEvent.deal_won, payloads=[data])
    return written


def orders_created(*, session: Session, order_ids: list[int]) -> int:
    """order.created for each order, with its lines, read back from the session (flushed orders)."""
    if not order_ids or not _subscribers(session, WebhookEvent.order_created):
        return 0
    payloads = []
    for start in range(0, len(order_ids), _INSERT_CHUNK):
        chunk = order_ids[start:start + _INSERT_CHUNK]
        lines: dict[int, list[dict]] = {}
        for line in session.exec(select(OrderLine).where(OrderLine.order_id.in_(chunk)).order_by(OrderLine.id)):
            lines.setdefault(line.order_id, []).append(snapshot(line, ORDER_LINE_FIELDS))
        payloads.extend(snapshot(order, ORDER_FIELDS) | {"lines": lines.get(order.id, [])}
                        for order in session.exec(select(Order).where(Order.id.in_(chunk)).order_by(Order.id)))
    return record_events(session=session, event=WebhookEvent.order_created, payloads=payloads)


def feedback_received(*, session: Session, answers: Iterable[Any]) -> int:
    """feedback.received for each stored answer (a model or an object with FEEDBACK_FIELDS)."""
    return record_events(session=session, event=WebhookEvent.feedback_received,
                         payloads=(snapshot(answer, FEEDBACK_FIELDS) for answer in answers))


def campaign_responses(*, session: Session, target_ids: list[int]) -> int:
    """campaign.response for each campaign target (id) that has just been attributed a response."""
    if not target_ids or not _subscribers(session, WebhookEvent.campaign_response):
        return 0
    columns = [getattr(CampaignTarget, name) for name in CAMPAIGN_RESPONSE_FIELDS]
    payloads = [snapshot(row, CAMPAIGN_RESPONSE_FIELDS)
                for start in range(0, len(target_ids), _INSERT_CHUNK)
                for row in session.exec(select(*columns).where(
                    CampaignTarget.id.in_(target_ids[start:start + _INSERT_CHUNK])).order_by(CampaignTarget.id))]
    return record_events(session=session, event=WebhookEvent.campaign_response, payloads=payloads)


def subscribed(*, session: Session, event: WebhookEvent) -> bool:
    """Whether any active endpoint wants `event` (bulk writers skip building payloads nobody receives)."""
    return bool(_subscribers(session, event))


# --- the sender's side ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A delivery a sender holds: what to send, where, and the token its outcome is recorded under."""

    id: int
    claim: str
    event_id: str
    body: str
    url: str
    secret: str


def claim_due(*, session: Session, now: datetime, lease: timedelta, limit: int) -> list[Claimed]:
    """Take up to `limit` pending deliveries due by `now` that no live lease holds, oldest first, for `lease`."""
    table = WebhookDelivery.__table__
    free = sa.or_(table.c.claimed_until.is_(None), table.c.claimed_until < now)
    due = (sa.select(table.c.id)
           .where(table.c.status == WebhookDeliveryStatus.pending.value, table.c.next_attempt_at <= now, free)
           .order_by(table.c.next_attempt_at, table.c.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    token = secrets.token_hex(16)
    ids = session.execute(sa.update(table).where(table.c.id.in_(due.scalar_subquery()), free)
                          .values(claimed_until=now + lease, claim=token).returning(table.c.id)).scalars().all()
    if not ids:
        return []
    endpoints = WebhookEndpoint.__table__
    rows = session.execute(
        sa.select(table.c.id, table.c.event_id, table.c.body, endpoints.c.url, endpoints.c.secret)
        .join(endpoints, endpoints.c.id == table.c.endpoint_id).where(table.c.id.in_(ids)).order_by(table.c.id)
    ).all()
    return [Claimed(id=row.id, claim=token, event_id=row.event_id, body=row.body, url=row.url, secret=row.secret)
            for row in rows]


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: the HTTP status, or the error when no answer came."""

    delivery_id: int
    claim: str
    status_code: int | None = None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def record_outcomes(*, session: Session, outcomes: list[Outcome], now: datetime, jitter=None) -> int:
    """Write each attempt's result under its claim (a claim that lapsed and was taken by another sender is left to
    that sender). A failure is tried again on retry_schedule's back-off until 24 hours after the first attempt,
    then marked failed. Returns the rows updated."""
    table = WebhookDelivery.__table__
    updated = 0
    for outcome in outcomes:
        row = session.execute(sa.select(table.c.attempts, table.c.first_attempt_at)
                              .where(table.c.id == outcome.delivery_id, table.c.claim == outcome.claim)).first()
        if row is None:
            continue
        attempts, first = row.attempts + 1, row.first_attempt_at or now
        values: dict[str, Any] = {"attempts": attempts, "first_attempt_at": first, "claim": None,
                                  "claimed_until": None, "last_status_code": outcome.status_code,
                                  "last_error": (outcome.error or None) and outcome.error[:300]}
        if outcome.delivered:
            values |= {"status": WebhookDeliveryStatus.delivered.value, "delivered_at": now, "next_attempt_at": None}
        else:
            retry_at = next_attempt_at(attempts, first, now, jitter)
            values |= {"status": (WebhookDeliveryStatus.pending if retry_at else WebhookDeliveryStatus.failed).value,
                       "next_attempt_at": retry_at}
        updated += session.execute(sa.update(table).where(table.c.id == outcome.delivery_id,
                                                          table.c.claim == outcome.claim).values(**values)).rowcount
    return updated


def prune_finished(*, session: Session, before: datetime) -> int:
    """Delete the delivered and failed deliveries created before `before`; pending ones stay whatever their age.
    Returns the rows deleted."""
    table = WebhookDelivery.__table__
    return session.execute(sa.delete(table).where(
        table.c.status.in_((WebhookDeliveryStatus.delivered.value, WebhookDeliveryStatus.failed.value)),
        table.c.created_at < before)).rowcount


# --- the admin page ---------------------------------------------------------------------------------------------


def _admin(actor: Actor | None) -> Actor:
    return require_role(actor, Role.admin)


def checked_url(value: Any) -> str:
    """An endpoint URL: https, or plain http to this machine only (a local receiver)."""
    url = value.strip() if isinstance(value, str) else ""
    if not url:
        raise InvalidEndpoint("url", gettext("Enter the endpoint's URL, like https://example.com/hooks/crm."))
    if len(url) > 2000 or unstorable(url) or any(c.isspace() or ord(c) < 32 for c in url):
        raise InvalidEndpoint("url", gettext("Enter a URL of at most 2,000 characters, without spaces."))
    try:
        parts = urlsplit(url)
        host, _port = parts.hostname, parts.port
    except ValueError:
        raise InvalidEndpoint("url", gettext("This is not a valid URL.")) from None
    if parts.scheme not in ("https", "http") or not host:
        raise InvalidEndpoint("url", gettext("Enter a URL starting with https://."))
    if parts.username or parts.password:
        raise InvalidEndpoint("url", gettext("Leave the user name and password out of the URL."))
    if parts.scheme == "http" and not _loopback(host):
        raise InvalidEndpoint("url", gettext("Use https://: plain http is only allowed to localhost."))
    return url


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_events(value: Any) -> list[str]:
    """The chosen events, in the vocabulary's order; at least one."""
    chosen = set(value) if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value) else set()
    events = [event.value for event in WebhookEvent if event.value in chosen]
    if not events or len(events) != len(chosen):
        raise InvalidEndpoint("events", gettext("Choose at least one event from the list."))
    return events


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once, on the page that created it


def create_endpoint(*, session: Session, actor: Actor, url: Any, events: Any) -> NewEndpoint:
    """Register an endpoint with a new secret; admins only, audited (without the secret)."""
    _admin(actor)
    endpoint = WebhookEndpoint(url=checked_url(url), events=checked_events(events), secret=new_secret(),
                               created_by_id=actor.id)
    session.add(endpoint)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="webhook_endpoint", entity_id=endpoint.id,
                  action="create", new={"url": endpoint.url, "events": endpoint.events})
    return NewEndpoint(endpoint=endpoint, secret=endpoint.secret)


def _endpoint(session: Session, endpoint_id: Any) -> WebhookEndpoint:
    endpoint = None
    if isinstance(endpoint_id, int) and not isinstance(endpoint_id, bool) and 0 < endpoint_id < 2**63:
        endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(gettext("No such webhook endpoint."))
    return endpoint


def set_endpoint_active(*, session: Session, actor: Actor, endpoint_id: Any, active: bool) -> WebhookEndpoint:
    """Pause or resume an endpoint: a paused one gets no new events (those already queued are still sent)."""
    _admin(actor)
    endpoint = _endpoint(session, endpoint_id)
    if endpoint.is_active != active:
        record_change(session=session, actor_id=actor.id, entity="webhook_endpoint", entity_id=endpoint.id,
                      action="update", old={"is_active": endpoint.is_active}, new={"is_active": active})
        endpoint.is_active = active
        session.add(endpoint)
        session.flush()
    return endpoint


def delete_endpoint(*, session: Session, actor: Actor, endpoint_id: Any) -> None:
    """Remove an endpoint and its delivery log."""
    _admin(actor)
    endpoint = _endpoint(session, endpoint_id)
    record_change(session=session, actor_id=actor.id, entity="webhook_endpoint", entity_id=endpoint.id,
                  action="delete", old={"url": endpoint.url, "events": endpoint.events})
    session.execute(sa.delete(WebhookDelivery.__table__).where(WebhookDelivery.endpoint_id == endpoint.id))
    session.delete(endpoint)
    session.flush()


def resend(*, session: Session, actor: Actor, delivery_id: Any, now: datetime | None = None) -> WebhookDelivery:
    """Queue a delivery again now, with the same event id and body, and a fresh 24 hours of retries."""
    _admin(actor)
    delivery = None
    if isinstance(delivery_id, int) and not isinstance(delivery_id, bool) and 0 < delivery_id < 2**63:
        delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(gettext("No such delivery."))
    record_change(session=session, actor_id=actor.id, entity="webhook_delivery", entity_id=delivery.id,
                  action="resend", old={"status": delivery.status, "attempts": delivery.attempts})
    delivery.status = WebhookDeliveryStatus.pending
    delivery.next_attempt_at = now or utcnow()
    delivery.first_attempt_at = None
    delivery.claim = None
    delivery.claimed_until = None
    session.add(delivery)
    session.flush()
    return delivery


@dataclass(frozen=True)
class EndpointRow:
    id: int
    url: str
    events: list[str]
    is_active: bool
    pending: int
    failed: int


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    endpoint_url: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None


def endpoints(*, session: Session, actor: Actor) -> list[EndpointRow]:
    """Every endpoint with its pending and failed deliveries counted."""
    _admin(actor)
    table = WebhookDelivery.__table__
    counts = {(endpoint_id, status): count for endpoint_id, status, count in session.execute(
        sa.select(table.c.endpoint_id, table.c.status, sa.func.count())
        .where(table.c.status != WebhookDeliveryStatus.delivered.value)
        .group_by(table.c.endpoint_id, table.c.status)).all()}
    return [EndpointRow(id=e.id, url=e.url, events=list(e.events), is_active=e.is_active,
                        pending=counts.get((e.id, "pending"), 0), failed=counts.get((e.id, "failed"), 0))
            for e in session.exec(select(WebhookEndpoint).order_by(WebhookEndpoint.id))]


def delivery_log(*, session: Session, actor: Actor, endpoint_id: int | None = None, status: str | None = None,
                 limit: int = 50) -> list[DeliveryRow]:
    """The newest deliveries first, of one endpoint or all, of one status or all."""
    _admin(actor)
    statement = (select(WebhookDelivery, WebhookEndpoint.url)
                 .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id))
    if endpoint_id is not None:
        statement = statement.where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status)
    return [DeliveryRow(id=d.id, endpoint_url=url, event_id=d.event_id, event_type=d.event_type, status=d.status,
                        attempts=d.attempts, last_status_code=d.last_status_code, last_error=d.last_error,
                        created_at=d.created_at, next_attempt_at=d.next_attempt_at, delivered_at=d.delivered_at)
            for d, url in session.exec(statement.order_by(WebhookDelivery.id.desc()).limit(limit))]

