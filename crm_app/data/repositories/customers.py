"""Customers as a sales rep sees them: only their own book; executives and admins see every customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, func, select

from crm_app.analytics.kpis import REVENUE_STATUSES
from crm_app.data.models import (
    OPEN_STAGES, Activity, AuditLog, Customer, Deal, Feedback, Order, Role, User,
)
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.repositories.feedback import issue_invite


@dataclass(frozen=True)
class LifetimeFigures:
    """Orders that count as revenue (paid or shipped) over the customer's whole history."""

    orders: int
    revenue: float
    first_order: datetime | None
    last_order: datetime | None

    @property
    def average_order_value(self) -> float | None:
        return round(self.revenue / self.orders, 2) if self.orders else None


@dataclass(frozen=True)
class CustomerFile:
    customer: Customer
    owner_name: str | None
    lifetime: LifetimeFigures
    orders: list[Order]
    deals: list[Deal]
    open_tasks: list[Activity]
    feedback: list[Feedback]
    timeline: list[tuple[AuditLog, str | None]]


def customer_for(*, session: Session, actor: Actor, customer_id: int) -> Customer:
    """The customer, when the actor may see it: its owner, an executive or an admin."""
    customer = session.get(Customer, customer_id)
    if customer is None or not (actor.reads_everything or customer.owner_id == actor.id):
        raise NotFound("No such customer.")
    return customer


def customer_file(*, session: Session, actor: Actor, customer_id: int, recent: int = 20) -> CustomerFile:
    """Everything the customer page shows, newest first, `recent` rows per list."""
    customer = customer_for(session=session, actor=actor, customer_id=customer_id)
    count, revenue, first, last = session.exec(
        select(func.count(), func.coalesce(func.sum(Order.total_amount), 0), func.min(Order.ordered_at),
               func.max(Order.ordered_at))
        .where(Order.customer_id == customer.id, Order.status.in_(REVENUE_STATUSES))
    ).one()
    owner_name = session.exec(select(User.full_name).where(User.id == customer.owner_id)).first()
    return CustomerFile(
        customer=customer,
        owner_name=owner_name,
        lifetime=LifetimeFigures(orders=count, revenue=round(float(revenue), 2), first_order=first, last_order=last),
        orders=list(session.exec(select(Order).where(Order.customer_id == customer.id)
                                 .order_by(Order.ordered_at.desc()).limit(recent))),
        deals=list(session.exec(select(Deal).where(Deal.customer_id == customer.id)
                                .order_by(Deal.stage.in_(OPEN_STAGES).desc(), Deal.updated_at.desc()).limit(recent))),
        open_tasks=list(session.exec(select(Activity).where(Activity.customer_id == customer.id, Activity.done.is_(False))
                                     .order_by(Activity.due_at).limit(recent))),
        feedback=list(session.exec(select(Feedback).where(Feedback.customer_id == customer.id)
                                   .order_by(Feedback.submitted_at.desc()).limit(recent))),
        timeline=list(session.exec(
            select(AuditLog, User.full_name).outerjoin(User, User.id == AuditLog.actor_id)
            .where(AuditLog.entity == "customer", AuditLog.entity_id == customer.id)
            .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(recent)
        ).all()),
    )


def issue_survey_link(*, session: Session, actor: Actor, customer_id: int) -> str:
    """A one-time survey token for a customer, issued by its owner or an admin."""
    if actor.role == Role.executive:
        raise PermissionDenied("Executives read customers; their owners and admins send survey links.")
    customer = customer_for(session=session, actor=actor, customer_id=customer_id)
    return issue_invite(session=session, customer_id=customer.id, issued_by_id=actor.id)


# --- the customer list ------------------------------------------------------------------------

PAGE_SIZE = 50
SORTABLE = {
    "name": Customer.name, "company": Customer.company, "region": Customer.region,
    "segment": Customer.segment, "created": Customer.created_at,
}


@dataclass(frozen=True)
class CustomerQuery:
    """A filtered, sorted view of the customer list. Values are already validated."""

    search: str = ""
    region: str | None = None
    segment: str | None = None
    owner_id: int | None = None
    has_open_deals: bool | None = None
    sort: str = "name"
    descending: bool = False
    page: int = 1


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    region: str
    segment: str
    owner_name: str | None
    open_deals: int


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    total: int
    page: int
    pages: int


def _like(term: str) -> str:
    escaped = term.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _ordering(column, descending: bool):
    """Empty values last in either direction, the same on SQLite and PostgreSQL."""
    return (column.desc() if descending else column.asc()).nulls_last()


def _open_deals():
    return (select(func.count()).select_from(Deal)
            .where(Deal.customer_id == Customer.id, Deal.stage.in_(OPEN_STAGES)).scalar_subquery())


def _matching(statement, actor: Actor, query: CustomerQuery):
    if not actor.reads_everything:
        statement = statement.where(Customer.owner_id == actor.id)
    if query.search:
        pattern = _like(query.search)
        statement = statement.where(
            func.lower(Customer.name).like(pattern, escape="\\")
            | func.lower(Customer.email).like(pattern, escape="\\")
            | func.lower(Customer.company).like(pattern, escape="\\")
            | func.lower(Customer.phone).like(pattern, escape="\\")
        )
    if query.region:
        statement = statement.where(Customer.region == query.region)
    if query.segment:
        statement = statement.where(Customer.segment == query.segment)
    if query.owner_id is not None:
        statement = statement.where(Customer.owner_id == query.owner_id)
    if query.has_open_deals is not None:
        statement = statement.where((_open_deals() > 0) if query.has_open_deals else (_open_deals() == 0))
    return statement


def search_customers(*, session: Session, actor: Actor, query: CustomerQuery) -> CustomerPage:
    """One page of the customers the actor may see, matching `query`; the search looks in name, email,
    company and phone, case-insensitively."""
    total = session.exec(_matching(select(func.count()).select_from(Customer), actor, query)).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    column = SORTABLE.get(query.sort, Customer.name)
    rows = session.exec(
        _matching(select(Customer, User.full_name, _open_deals()), actor, query)
        .outerjoin(User, User.id == Customer.owner_id)
        .order_by(_ordering(column, query.descending), Customer.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return CustomerPage(
        rows=[CustomerRow(id=c.id, name=c.name, company=c.company, email=c.email, phone=c.phone, region=c.region,
                          segment=c.segment, owner_name=owner, open_deals=deals) for c, owner, deals in rows],
        total=total, page=page, pages=pages,
    )


EXPORT_COLUMNS = ("external_ref", "name", "email", "phone", "company", "region", "segment", "channel", "owner_email")


def export_customers(*, session: Session, actor: Actor, query: CustomerQuery) -> list[tuple]:
    """Every customer the actor may see that matches `query` (all pages), in the import file's columns."""
    column = SORTABLE.get(query.sort, Customer.name)
    return [tuple(row) for row in session.exec(
        _matching(select(Customer.external_ref, Customer.name, Customer.email, Customer.phone, Customer.company,
                         Customer.region, Customer.segment, Customer.acquisition_channel, User.email),
                  actor, query)
        .outerjoin(User, User.id == Customer.owner_id)
        .order_by(_ordering(column, query.descending), Customer.id)
    ).all()]


def filter_choices(*, session: Session, actor: Actor) -> dict[str, list[str]]:
    """The regions and segments present in the actor's book, for the filter menus."""
    def distinct(column) -> list[str]:
        statement = select(column).distinct().order_by(column)
        if not actor.reads_everything:
            statement = statement.where(Customer.owner_id == actor.id)
        return [value for value in session.exec(statement).all() if value]

    return {"region": distinct(Customer.region), "segment": distinct(Customer.segment)}
