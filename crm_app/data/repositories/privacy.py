"""Privacy requests (GDPR articles 15 and 17): export everything held about a customer, or erase the person.

Erasing anonymises rather than deletes: the customer row, its orders, deals, scores and campaign results stay, so
revenue, NPS and every other aggregate keep their values, while every place that holds the person's name, email,
phone, company or own words is blanked. Admins only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, or_, select

from crm_app.data.models import (
    Activity, AuditLog, CampaignTarget, Customer, Deal, Feedback, FeedbackInvite, FeedbackNote, Order, OrderLine,
    Role, utcnow,
)
from crm_app.data.permissions import Actor, NotFound, require_role
from crm_app.data.repositories.audit import record_change, snapshot

ERASED = "[erased]"
EXPORT_FORMAT = "crm_app.privacy_export/1"
# Customer fields that identify the person; region, segment, channel, owner and consents stay for the figures.
_PERSONAL_FIELDS = ("name", "email", "phone", "company", "external_ref")
# Identifiers shorter than this are too common to blank wherever they appear (a two-letter "company").
_MIN_NEEDLE = 3


@dataclass(frozen=True)
class Erasure:
    """How many records of each kind the erase changed (counts only: nothing personal)."""

    counts: dict[str, int]

    def describe(self) -> str:
        return ", ".join(f"{count:,} {kind.replace('_', ' ')}" for kind, count in self.counts.items())


def _record(row: SQLModel) -> dict[str, Any]:
    """Every column of a row as JSON-ready values."""
    return snapshot(row, tuple(column.name for column in row.__table__.columns))


def _customer(session: Session, actor: Actor, customer_id: int) -> Customer:
    require_role(actor, Role.admin)
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("No such customer.")
    return customer


def _their_feedback(session: Session, customer: Customer) -> list[Feedback]:
    """Answers linked to the customer, and anonymous ones left under the customer's email."""
    mine = Feedback.customer_id == customer.id
    if customer.email:
        mine = or_(mine, sa.func.lower(Feedback.respondent_email) == customer.email.lower())
    return list(session.exec(select(Feedback).where(mine).order_by(Feedback.id)))


def _related(session: Session, customer: Customer) -> dict[str, list]:
    orders = list(session.exec(select(Order).where(Order.customer_id == customer.id).order_by(Order.id)))
    deals = list(session.exec(select(Deal).where(Deal.customer_id == customer.id).order_by(Deal.id)))
    deal_ids = [deal.id for deal in deals]
    tasks = list(session.exec(select(Activity).where(
        or_(Activity.customer_id == customer.id, Activity.deal_id.in_(deal_ids))).order_by(Activity.id)))
    feedback = _their_feedback(session, customer)
    return {"orders": orders, "deals": deals, "tasks": tasks, "feedback": feedback}


# Audit entities whose rows belong to the customer, and the related records they name.
_AUDITED_RECORDS = {"order": "orders", "deal": "deals", "task": "tasks", "feedback": "feedback"}


def _about_them(customer: Customer, related: dict[str, list]):
    """Audit rows whose subject is the customer or one of its records."""
    subjects = [(AuditLog.entity == "customer") & (AuditLog.entity_id == customer.id)]
    for entity, kind in _AUDITED_RECORDS.items():
        if related[kind]:
            subjects.append((AuditLog.entity == entity) & AuditLog.entity_id.in_([row.id for row in related[kind]]))
    return or_(*subjects)


def export_customer_data(*, session: Session, actor: Actor, customer_id: int) -> dict[str, Any]:
    """Everything held about a customer, as JSON-ready data: the customer, orders with their lines, deals, tasks,
    feedback with its internal notes, survey links, campaign memberships and the audit entries about them.
    The export itself is audited (who and when, no contents)."""
    customer = _customer(session, actor, customer_id)
    related = _related(session, customer)
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
        "feedback": [_record(answer) | {"notes": notes_by_answer.get(answer.id, [])}
                     for answer in related["feedback"]],
        "survey_links": [_record(invite) | {"nonce": None} for invite in session.exec(
            select(FeedbackInvite).where(FeedbackInvite.customer_id == customer.id).order_by(FeedbackInvite.id))],
        "campaigns": [_record(target) for target in session.exec(
            select(CampaignTarget).where(CampaignTarget.customer_id == customer.id).order_by(CampaignTarget.id))],
        "audit_entries": [_record(entry) for entry in session.exec(
            select(AuditLog).where(_about_them(customer, related)).order_by(AuditLog.id))],
    }
    record_change(session=session, actor_id=actor.id, entity="customer", entity_id=customer.id,
                  action="privacy_export")
    return export


def export_as_json(export: dict[str, Any]) -> str:
    """The export as an indented UTF-8 JSON document."""
    return json.dumps(export, indent=2, ensure_ascii=False, default=str)


# --- erasure -----------------------------------------------------------------------------------


def _needles(customer: Customer, *, with_company: bool) -> list[str]:
    """The strings that identify the person, longest first so a name inside an email goes with the email.

    The company is left out of searches across other customers' records: colleagues at the same company keep it.
    """
    values = [customer.email, customer.phone, customer.name, customer.external_ref]
    if with_company:
        values.append(customer.company)
    return sorted({value.strip() for value in values if value and len(value.strip()) >= _MIN_NEEDLE},
                  key=len, reverse=True)


def _blank(text: str | None, needles: list[str]) -> str | None:
    """`text` with every occurrence of the person's identifiers replaced, case-insensitively."""
    if not text:
        return text
    for needle in needles:
        lowered, target = text.lower(), needle.lower()
        start = lowered.find(target)
        while start >= 0:
            text = text[:start] + ERASED + text[start + len(needle):]
            lowered = text.lower()
            start = lowered.find(target, start + len(ERASED))
    return text


def _blank_json(value: Any, needles: list[str]) -> Any:
    if isinstance(value, dict):
        return {key: _blank_json(item, needles) for key, item in value.items()}
    if isinstance(value, list):
        return [_blank_json(item, needles) for item in value]
    if isinstance(value, str):
        return _blank(value, needles)
    return value


def _mentioning(needles: list[str]):
    """Audit rows whose stored JSON contains one of the needles (as typed, or as JSON escapes non-ASCII text)."""
    texts = [sa.func.lower(sa.cast(column, sa.Text)) for column in (AuditLog.old_values, AuditLog.new_values)]
    forms = {form.lower() for needle in needles for form in (needle, json.dumps(needle)[1:-1])}
    return or_(*(text.contains(form, autoescape=True) for text in texts for form in forms))


def _erase_audit_entries(session: Session, customer: Customer, related: dict[str, list]) -> int:
    theirs, anywhere = _needles(customer, with_company=True), _needles(customer, with_company=False)
    their_records = {("customer", customer.id)} | {
        (entity, row.id) for entity, kind in _AUDITED_RECORDS.items() for row in related[kind]}
    about_them = _about_them(customer, related)
    found = or_(about_them, _mentioning(anywhere)) if anywhere else about_them
    changed = 0
    for entry in session.exec(select(AuditLog).where(found)).all():
        needles = theirs if (entry.entity, entry.entity_id) in their_records else anywhere
        old, new = _blank_json(entry.old_values, needles), _blank_json(entry.new_values, needles)
        if (entry.entity, entry.entity_id) == ("customer", customer.id):
            old, new = _without_personal_fields(old), _without_personal_fields(new)
        if (old, new) != (entry.old_values, entry.new_values):
            entry.old_values, entry.new_values = old, new
            session.add(entry)
            changed += 1
    return changed


def _without_personal_fields(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {key: (ERASED if key in _PERSONAL_FIELDS and value is not None else value) for key, value in values.items()}


def _erase_feedback(session: Session, answers: list[Feedback]) -> int:
    for answer in answers:
        # The scores, sentiment and topic stay for the figures; the person's own words and contact go.
        answer.comment = None
        answer.respondent_name = None
        answer.respondent_email = None
        answer.consent_contact = False
        session.add(answer)
    notes = session.exec(select(FeedbackNote).where(
        FeedbackNote.feedback_id.in_([answer.id for answer in answers]))).all()
    for note in notes:
        note.body = ERASED
        session.add(note)
    return len(notes)


def _erase_free_text(session: Session, related: dict[str, list], needles: list[str]) -> int:
    """Deal titles and task subjects/notes keep their words except the person's identifiers."""
    changed = 0
    for deal in related["deals"]:
        title = _blank(deal.title, needles)
        if title != deal.title:
            deal.title = title
            session.add(deal)
            changed += 1
    for task in related["tasks"]:
        subject, notes = _blank(task.subject, needles), _blank(task.notes, needles)
        if (subject, notes) != (task.subject, task.notes):
            task.subject, task.notes = subject, notes
            session.add(task)
            changed += 1
    return changed


def erase_customer(*, session: Session, actor: Actor, customer_id: int) -> Erasure:
    """Anonymise a customer everywhere their personal data is held, keeping every figure (orders, amounts, scores).

    The customer keeps its id, region, segment and owner under the name "Erased customer <id>"; their feedback
    loses its comment and contact details, internal notes about it are blanked, and their name, email, phone,
    company and external reference are replaced by "[erased]" in deal titles, tasks and the audit trail. The erase
    is audited with counts only.
    """
    customer = _customer(session, actor, customer_id)
    related = _related(session, customer)
    counts = {
        "feedback_answers": len(related["feedback"]),
        "feedback_notes": _erase_feedback(session, related["feedback"]),
        "deals_and_tasks": _erase_free_text(session, related, _needles(customer, with_company=True)),
        "audit_entries": _erase_audit_entries(session, customer, related),
    }
    customer.name = f"Erased customer {customer.id}"
    customer.email = customer.phone = customer.company = customer.external_ref = None
    customer.consent_email = customer.consent_phone = False
    session.add(customer)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="customer", entity_id=customer.id, action="erase",
                  new=dict(counts))
    return Erasure(counts=counts)
