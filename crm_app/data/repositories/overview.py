"""The figures on the home page: the acting user's book of business, or the company's for readers of everything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import case
from sqlmodel import Session, func, select

from crm_app.data.models import Activity, Customer, Deal, Order, utcnow
from crm_app.data.permissions import Actor
from crm_app.domain import OPEN_STAGES, REVENUE_STATUSES


@dataclass(frozen=True)
class BookOverview:
    customers: int
    open_deals: int
    open_pipeline: float
    weighted_pipeline: float
    open_tasks: int
    overdue_tasks: int
    revenue_last_30_days: float
    orders_last_30_days: int


def book_overview(*, session: Session, actor: Actor) -> BookOverview:
    """Counts and sums over the records the actor may read; a sales rep's figures cover their own book."""
    mine = not actor.reads_everything
    now = utcnow()

    customers = select(func.count()).select_from(Customer)
    deals = select(
        func.count(),
        func.coalesce(func.sum(Deal.amount), 0),
        func.coalesce(func.sum(Deal.amount * Deal.probability), 0),
    ).where(Deal.stage.in_(OPEN_STAGES))
    tasks = select(
        func.count(), func.coalesce(func.sum(case((Activity.due_at < now, 1), else_=0)), 0)
    ).where(Activity.done.is_(False))
    orders = (
        select(func.count(), func.coalesce(func.sum(Order.total_amount), 0))
        .where(Order.ordered_at >= now - timedelta(days=30), Order.status.in_(REVENUE_STATUSES))
    )
    if mine:
        customers = customers.where(Customer.owner_id == actor.id)
        deals = deals.where(Deal.owner_id == actor.id)
        tasks = tasks.where(Activity.owner_id == actor.id)
        orders = orders.join(Customer, Customer.id == Order.customer_id).where(Customer.owner_id == actor.id)
    deal_count, pipeline, weighted = session.exec(deals).one()
    task_count, overdue = session.exec(tasks).one()
    order_count, revenue = session.exec(orders).one()
    return BookOverview(
        customers=session.exec(customers).one(),
        open_deals=deal_count,
        open_pipeline=round(float(pipeline), 2),
        weighted_pipeline=round(float(weighted), 2),
        open_tasks=task_count,
        overdue_tasks=int(overdue),
        revenue_last_30_days=round(float(revenue), 2),
        orders_last_30_days=order_count,
    )
