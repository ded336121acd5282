"""Erasing a person (GDPR article 17): every place the database holds them, in one transaction.

Erasing anonymises rather than deletes: the customer row, its orders, deals, scores and campaign results stay, so
revenue, NPS and every other aggregate keep their values. What goes:
- the customer's name, email, phone, company and external reference, and their consents;
- their feedback's comment, name and email, and the internal notes on it;
- every mention of them (crm_app/data/mentions.py: any name, email or phone they have had, the phone in any format)
  in the free text and stored JSON of every record, theirs or anyone else's: tasks, deals, feedback, notes, the
  audit trail, the stored model results (the CLV and churn top lists, the data-quality queue) and the webhook
  events, sent or queued;
- the trigrams of their old values in SQLite's search index.
Run it in `write_session(overwrite_freed=True)`, so no old copy is left in the database files either.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, or_, select

from crm_app.counts import count_of
from crm_app.i18n import listed
from crm_app.data.mentions import PHONE_SEPARATORS, REDACTED, Person, redact, redact_json
from crm_app.data.models import (
    Activity, AuditLog, Customer, Deal, Feedback, FeedbackNote, IdempotentRequest, LoggedActivity, MailMessage,
    ModelRun, SavedView, WebhookDelivery,
)
from crm_app.data.permissions import Actor
from crm_app.data.repositories.audit import record_change
from crm_app.data.repositories.privacy import audit_rows_about, requested_customer, their_records
from crm_app.data.search import drop_deleted_terms

# Customer fields that identify the person; region, segment, channel, owner and consents stay for the figures.
PERSONAL_FIELDS = ("name", "email", "phone", "company", "external_ref")
# Where people write free text and where JSON is stored, by the kind of record the erase counts. Every other text
# column holds a code, a label of the app's own, or another person's identity (a colleague's customer record, a
# user): tests/integration/test_privacy.py fails when a new text column is in neither list.
FREE_TEXT: dict[type[SQLModel], tuple[str, tuple[str, ...]]] = {
    Feedback: ("feedback_answers", ("comment", "respondent_name", "topic")),
    FeedbackNote: ("feedback_notes", ("body",)),
    Deal: ("deals", ("title", "lost_reason")),
    Activity: ("tasks", ("subject", "notes")),
    LoggedActivity: ("logged_activities", ("body",)),
    AuditLog: ("audit_entries", ("old_values", "new_values")),
    ModelRun: ("model_results", ("summary",)),
    # The JSON of webhook events, sent or still queued (a queued one then goes out redacted).
    WebhookDelivery: ("webhook_events", ("body",)),
    # Emails, sent or still queued: a queued one to the person is then never sent (crm_app/mail_sender.py).
    MailMessage: ("emails", ("to_address", "subject", "body_text", "body_html")),
    # A view's name or search filter may name the person ("Calls with Ada", q=Ada Lovelace).
    SavedView: ("saved_views", ("name", "filters")),
    # The API's first answer to a POST sent with an Idempotency-Key: the JSON of the record it created.
    IdempotentRequest: ("api_replies", ("body",)),
}
_JSON_COLUMNS = {"old_values", "new_values", "summary", "filters"}
# Each kind of record the erase counts, as people read it: (one, many).
ERASED_KINDS: dict[str, tuple[str, str]] = {
    "feedback_answers": ("feedback answer", "feedback answers"), "feedback_notes": ("feedback note", "feedback notes"),
    "deals": ("deal", "deals"), "tasks": ("task", "tasks"),
    "logged_activities": ("logged activity", "logged activities"), "audit_entries": ("audit entry", "audit entries"),
    "model_results": ("model result", "model results"), "webhook_events": ("webhook event", "webhook events"),
    "emails": ("email", "emails"), "saved_views": ("saved view", "saved views"), "api_replies": ("API reply", "API replies"),
}


@dataclass(frozen=True)
class Erasure:
    """How many records of each kind the erase changed (counts only: nothing personal)."""

    counts: dict[str, int]

    def describe(self) -> str:
        """"3 feedback answers, 1 deal, ..." in the acting user's language."""
        return listed(count_of(count, *ERASED_KINDS[kind]) for kind, count in self.counts.items())


def person_of(session: Session, customer: Customer, feedback: list[Feedback]) -> Person:
    """The customer as they appear in text: their current details, every earlier one the audit trail recorded, and
    the name and email they gave on their feedback."""
    values: dict[str, list[str | None]] = {field: [getattr(customer, field)] for field in PERSONAL_FIELDS}
    history = session.exec(select(AuditLog.old_values, AuditLog.new_values).where(
        AuditLog.entity == "customer", AuditLog.entity_id == customer.id)).all()
    for recorded in (values for row in history for values in row if isinstance(values, dict)):
        for field in PERSONAL_FIELDS:
            if isinstance(recorded.get(field), str):
                values[field].append(recorded[field])
    values["name"] += [answer.respondent_name for answer in feedback]
    values["email"] += [answer.respondent_email for answer in feedback]
    return Person.of(names=values["name"], companies=values["company"], emails=values["email"],
                     phones=values["phone"], references=values["external_ref"])


def _without_separators(text: sa.ColumnElement) -> sa.ColumnElement:
    """`text` without the separators a phone may be written with."""
    for separator in PHONE_SEPARATORS:
        text = sa.func.replace(text, separator, "")
    return text


def _longest_plain_run(identifier: str) -> str:
    """The longest run of `identifier`, lower-cased, holding no separator and no letter outside ASCII: SQLite
    lower-cases ASCII only and JSON escapes other letters, so only such a run is found as typed everywhere."""
    plain = "".join(char if char.isascii() and char not in PHONE_SEPARATORS else " " for char in identifier.lower())
    return max(plain.split(), key=len, default="")


def _candidates(model: type[SQLModel], columns: tuple[str, ...], person: Person) -> list[sa.ColumnElement[bool]]:
    """Conditions that every row of `model` mentioning the person meets, for the database to narrow the rows the
    finder reads: a word of each identifier, and the last seven digits of each phone once separators are gone."""
    words = set()
    for identifier in person.words():
        run = _longest_plain_run(identifier)
        # Too short a run (a name in another script): the identifier as typed, and as JSON escapes it.
        words |= {run} if len(run) >= 3 else {identifier.lower(), json.dumps(identifier.lower())[1:-1]}
    digits = {number[-7:] for number in person.national_numbers()}
    conditions = []
    for column in columns:
        text = sa.cast(getattr(model, column), sa.Text)
        conditions += [sa.func.lower(text).contains(word, autoescape=True) for word in words]
        conditions += [_without_separators(text).contains(run, autoescape=True) for run in digits]
    return conditions


def _redact_mentions(session: Session, model: type[SQLModel], columns: tuple[str, ...], *, person: Person,
                     theirs: set[int]) -> set[int]:
    """Redact the person in `columns` of every row of `model`; rows in `theirs` lose the company's name too.
    Returns the ids of the rows changed."""
    candidates = _candidates(model, columns, person)
    if theirs:
        candidates.append(model.id.in_(theirs))
    if not candidates:
        return set()
    anyone = person.without_companies()
    changed = set()
    for row in session.exec(select(model).where(or_(*candidates)).order_by(model.id)):
        subject = person if row.id in theirs else anyone
        for column in columns:
            value = getattr(row, column)
            cleaned = redact_json(value, subject) if column in _JSON_COLUMNS else redact(value, subject)
            if cleaned != value:
                setattr(row, column, cleaned)
                changed.add(row.id)
    return changed


def _anonymise_feedback(session: Session, answers: list[Feedback]) -> set[int]:
    """Their answers keep the scores, sentiment and topic for the figures; their own words and contact go, and the
    internal notes on them are blanked. Returns the ids of the notes."""
    for answer in answers:
        answer.comment = answer.respondent_name = answer.respondent_email = None
        answer.consent_contact = False
        session.add(answer)
    notes = session.exec(select(FeedbackNote).where(
        FeedbackNote.feedback_id.in_([answer.id for answer in answers]))).all()
    for note in notes:
        note.body = REDACTED
        session.add(note)
    return {note.id for note in notes}


def _without_personal_fields(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {key: (REDACTED if key in PERSONAL_FIELDS and value is not None else value) for key, value in values.items()}


def _anonymise_customer_history(session: Session, customer: Customer) -> set[int]:
    """The customer's own audit rows lose every personal field, whatever value it held."""
    changed = set()
    for entry in session.exec(select(AuditLog).where(AuditLog.entity == "customer",
                                                     AuditLog.entity_id == customer.id)):
        old, new = _without_personal_fields(entry.old_values), _without_personal_fields(entry.new_values)
        if (old, new) != (entry.old_values, entry.new_values):
            entry.old_values, entry.new_values = old, new
            session.add(entry)
            changed.add(entry.id)
    return changed


def erase_customer(*, session: Session, actor: Actor, customer_id: int) -> Erasure:
    """Anonymise a customer everywhere their personal data is held, keeping every figure (orders, amounts, scores).

    The customer keeps its id, region, segment and owner under the name "Erased customer <id>"; the rest is in the
    module's docstring. The erase is audited with counts only: how many records of each kind changed.
    """
    customer = requested_customer(session=session, actor=actor, customer_id=customer_id)
    related = their_records(session=session, customer=customer)
    person = person_of(session, customer, related["feedback"])
    their_audit_rows = set(session.exec(select(AuditLog.id).where(audit_rows_about(customer, related))).all())
    theirs = {Activity: related["tasks"], Deal: related["deals"], Feedback: related["feedback"],
              LoggedActivity: related["logged_activities"]}
    changed: dict[str, set[int]] = {kind: set() for kind, _ in FREE_TEXT.values()}
    changed["feedback_answers"] |= {answer.id for answer in related["feedback"]}
    changed["feedback_notes"] |= _anonymise_feedback(session, related["feedback"])
    changed["audit_entries"] |= _anonymise_customer_history(session, customer)
    for model, (kind, columns) in FREE_TEXT.items():
        own = their_audit_rows if model is AuditLog else {row.id for row in theirs.get(model, [])}
        changed[kind] |= _redact_mentions(session, model, columns, person=person, theirs=own)
    customer.name = f"Erased customer {customer.id}"
    customer.email = customer.phone = customer.company = customer.external_ref = None
    customer.consent_email = customer.consent_phone = False
    session.add(customer)
    session.flush()
    drop_deleted_terms(session)
    counts = {kind: len(ids) for kind, ids in changed.items()}
    record_change(session=session, actor_id=actor.id, entity="customer", entity_id=customer.id, action="erase",
                  new=dict(counts))
    return Erasure(counts=counts)

