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
