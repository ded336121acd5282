"""Follow-up tasks for customers the churn model flags: one open call task for the customer's owner.

Only admins create them from /insights (executives read everything and write nothing; sales reps do not see
the churn list). Pressing twice creates nothing new: a customer who already has an open churn follow-up is skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlmodel import Session, select

from crm_app.data.models import Activity, ActivityKind, Customer, Role
from crm_app.data.permissions import Actor, require_role
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.data.repositories.feedback import next_working_day

CHURN_SUBJECT_PREFIX = "Churn risk: call "
MAX_CUSTOMERS_AT_ONCE = 100
_AUDITED = ("kind", "subject", "notes", "customer_id", "owner_id", "due_at")


@dataclass(frozen=True)
class FollowUps:
    """What one press did: tasks created, customers skipped because a follow-up is open or nobody owns them."""

    created: int
    already_open: int
    without_owner: int


def create_churn_follow_ups(*, session: Session, actor: Actor, customer_ids: list[int], today: date) -> FollowUps:
    """A task "Churn risk: call NAME" for the owner of each customer, due 09:00 UTC on the next working day
    after `today`, each audited. Unknown ids are ignored; customers with an open churn follow-up are skipped."""
    require_role(actor, Role.admin)
    wanted = sorted(set(customer_ids))[:MAX_CUSTOMERS_AT_ONCE]
    customers = session.exec(select(Customer).where(Customer.id.in_(wanted)).order_by(Customer.id)).all()
    already = set(session.exec(
        select(Activity.customer_id).where(
            Activity.customer_id.in_(wanted), Activity.kind == ActivityKind.task, Activity.done.is_(False),
            Activity.subject.startswith(CHURN_SUBJECT_PREFIX),
        )
    ).all())
    due_at = datetime.combine(next_working_day(today), time(9, 0), tzinfo=UTC)
    created = without_owner = 0
    for customer in customers:
        if customer.id in already:
            continue
        if customer.owner_id is None:
            without_owner += 1
            continue
        task = Activity(
            kind=ActivityKind.task, subject=(CHURN_SUBJECT_PREFIX + customer.name)[:200],
            notes="The churn model ranks this customer among the likeliest to stop ordering (see /insights).",
            customer_id=customer.id, owner_id=customer.owner_id, due_at=due_at,
        )
        session.add(task)
        session.flush()
        record_change(session=session, actor_id=actor.id, entity="task", entity_id=task.id, action="create",
                      new=snapshot(task, _AUDITED))
        created += 1
    return FollowUps(created=created, already_open=len(already), without_owner=without_owner)
