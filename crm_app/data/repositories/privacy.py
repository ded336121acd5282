"""Privacy requests (GDPR article 15): export everything held about a customer, and the lookups the export and
the erase (crm_app/data/erasing.py) share: the customer, their records and the audit rows about them. Admins only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, or_, select

from crm_app.data.models import (
    Activity, AuditLog, CampaignTarget, Customer, Deal, Feedback, FeedbackInvite, FeedbackNote, LoggedActivity, Order,
    OrderLine, Role, utcnow,
)
from crm_app.data.permissions import Actor, NotFound, require_role
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.i18n import gettext

EXPORT_FORMAT = "crm_app.privacy_export/1"


def _record(row: SQLModel) -> dict[str, Any]:
    """Every column of a row as JSON-ready values."""
    return snapshot(row, tuple(column.name for column in row.__table__.columns))


def requested_customer(*, session: Session, actor: Actor, customer_id: int) -> Customer:
    """The customer a privacy request is about, for an admin; NotFound or PermissionDenied otherwise."""
    require_role(actor, Role.admin)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(gettext("No such customer."))
    return customer


def _their_feedback(session: Session, customer: Customer) -> list[Feedback]:
    """Answers linked to the customer, and anonymous ones left under the customer's email."""
    mine = Feedback.customer_id == customer.id
    if customer.email:
        mine = or_(mine, sa.func.lower(Feedback.respondent_email) == customer.email.lower())
    return list(session.exec(select(Feedback).where(mine).order_by(Feedback.id)))


def their_records(*, session: Session, customer: Customer) -> dict[str, list]:
    """The customer's orders, deals, tasks (theirs or on their deals) and feedback, by kind."""
    orders = list(session.exec(select(Order).where(Order.customer_id == customer.id).order_by(Order.id)))
    deals = list(session.exec(select(Deal).where(Deal.customer_id == customer.id).order_by(Deal.id)))
    deal_ids = [deal.id for deal in deals]
    tasks = list(session.exec(select(Activity).where(
        or_(Activity.customer_id == customer.id, Activity.deal_id.in_(deal_ids))).order_by(Activity.id)))
    feedback = _their_feedback(session, customer)
    logged = list(session.exec(select(LoggedActivity).where(LoggedActivity.customer_id == customer.id)
                               .order_by(LoggedActivity.id)))
    return {"orders": orders, "deals": deals, "tasks": tasks, "feedback": feedback, "logged_activities": logged}


# Audit entities whose rows belong to the customer, and the kind of their records they name.
AUDITED_RECORDS = {"order": "orders", "deal": "deals", "task": "tasks", "feedback": "feedback",
                   "logged_activity": "logged_activities"}


def audit_rows_about(customer: Customer, related: dict[str, list]):
    """A condition on AuditLog: rows whose subject is the customer or one of its records."""
    subjects = [(AuditLog.entity == "customer") & (AuditLog.entity_id == customer.id)]
    for entity, kind in AUDITED_RECORDS.items():
        if related[kind]:
            subjects.append((AuditLog.entity == entity) & AuditLog.entity_id.in_([row.id for row in related[kind]]))
    return or_(*subjects)


def export_customer_data(*, session: Session, actor: Actor, customer_id: int) -> dict[str, Any]:
    """Everything held about a customer, as JSON-ready data: the customer, orders with their lines, deals, tasks,
    feedback with its internal notes, survey links, campaign memberships and the audit entries about them.
    The export itself is audited (who and when, no contents)."""
    customer = requested_customer(session=session, actor=actor, customer_id=customer_id)
    related = their_records(session=session, customer=customer)
    order_ids = [order.id for order in related["orders"]]
    lines = session.exec(select(OrderLine).where(OrderLine.order_id.in_(order_ids)).order_by(OrderLine.id)).all()
    lines_by_order: dict[int, list[dict]] = {}
    for line in lines:
        lines_by_order.setdefault(line.order_id, []).append(_record(line))
    notes = session.exec(select(FeedbackNote).where(
        FeedbackNote.feedback_id.in_([answer.id for answer in related["feedback"]])).order_by(FeedbackNote.id)).all()
    notes_by_answer: dict[int, list[dict]] = {}
    for note in notes:
        notes_by_answer.setdefault(note.feedback_id, []).append(_record(note))
    export = {
        "format": EXPORT_FORMAT,
        "exported_at": utcnow().isoformat(),
        "customer": _record(customer),
        "orders": [_record(order) | {"lines": lines_by_order.get(order.id, [])} for order in related["orders"]],
        "deals": [_record(deal) for deal in related["deals"]],
        "tasks": [_record(task) for task in related["tasks"]],
        "logged_activities": [_record(entry) for entry in related["logged_activities"]],
        "feedback": [_record(answer) | {"notes": notes_by_answer.get(answer.id, [])}
                     for answer in related["feedback"]],
        "survey_links": [_record(invite) | {"nonce": None} for invite in session.exec(
            select(FeedbackInvite).where(FeedbackInvite.customer_id == customer.id).order_by(FeedbackInvite.id))],
        "campaigns": [_record(target) for target in session.exec(
            select(CampaignTarget).where(CampaignTarget.customer_id == customer.id).order_by(CampaignTarget.id))],
        "audit_entries": [_record(entry) for entry in session.exec(
            select(AuditLog).where(audit_rows_about(customer, related)).order_by(AuditLog.id))],
    }
    record_change(session=session, actor_id=actor.id, entity="customer", entity_id=customer.id,
                  action="privacy_export")
    return export


def export_as_json(export: dict[str, Any]) -> str:
    """The export as an indented UTF-8 JSON document."""
    return json.dumps(export, indent=2, ensure_ascii=False, default=str)
