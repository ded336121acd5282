"""Customers as a sales rep sees them: only their own book; executives and admins see every customer."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from rapidfuzz import fuzz, process
from rapidfuzz.utils import default_process
from sqlalchemy import delete, or_, text, update
from sqlmodel import Session, func, select

from crm_app.data.models import (
    Activity, CampaignTarget, Customer, CustomerCreate, CustomerUpdate, Deal, Feedback, FeedbackInvite,
    LoggedActivity, MailMessage, Order, User, utcnow,
)
from crm_app.data.permissions import RECORD_WRITERS, Actor, NotFound, PermissionDenied
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app import routes
from crm_app.i18n import N_, gettext
from crm_app.data.repositories import mail_outbox, webhooks
from crm_app.data.repositories.feedback import issue_invite
from crm_app.data.search import customer_matches, escaped
from crm_app.domain import OPEN_STAGES, REVENUE_STATUSES
from crm_app.settings import get_settings


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


def customer_for(*, session: Session, actor: Actor, customer_id: int) -> Customer:
    """The customer, when the actor may see it: its owner, an executive or an admin."""
    customer = session.get(Customer, customer_id)
    if customer is None or not (actor.reads_everything or customer.owner_id == actor.id):
        raise NotFound(gettext("No such customer."))
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
    )


def issue_survey_link(*, session: Session, actor: Actor, customer_id: int) -> str:
    """A one-time survey token for a customer, issued by its owner or an admin."""
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read customers; their owners and admins "
                                       "send survey links."))
    customer = customer_for(session=session, actor=actor, customer_id=customer_id)
    return issue_invite(session=session, customer_id=customer.id, issued_by_id=actor.id)


@dataclass(frozen=True)
class SurveyInvitation:
    to: str
    already_queued: bool  # today's invitation to this customer was queued before: nothing more is sent


def email_survey_invitation(*, session: Session, actor: Actor, customer_id: int,
                            today: date | None = None) -> SurveyInvitation:
    """Email the customer a personal one-time survey link through the mail outbox (their owner or an admin, to a
    customer who consents to email). One invitation per customer a day: a second click sends nothing more."""
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read customers; their owners and admins "
                                       "send surveys."))
    customer = customer_for(session=session, actor=actor, customer_id=customer_id)
    if not customer.email:
        raise ValueError(gettext("This customer has no email address."))
    if not customer.consent_email:
        raise ValueError(gettext("This customer has not agreed to receive email."))
    purpose_key = f"survey-invite:{customer.id}:{(today or utcnow().date()).isoformat()}"
    queued = session.exec(select(MailMessage.id).where(MailMessage.purpose_key == purpose_key)).first()
    if queued is not None:
        return SurveyInvitation(to=customer.email, already_queued=True)
    token = issue_invite(session=session, customer_id=customer.id, issued_by_id=actor.id)
    settings = get_settings()
    mail_outbox.enqueue(
        session=session, to=customer.email, purpose_key=purpose_key,
        # In the sender's language: the customer's own is not known.
        subject=gettext("How did we do, {name}?", name=customer.name),
        body_text=gettext("Hello {name},\n\nhow satisfied are you with {company}? Two questions and a comment, if "
                          "you like (the link is yours alone and works once, for 30 days):\n\n{link}\n\nThank "
                          "you,\n{sender}\n", name=customer.name, company=settings.company_name,
                          link=f"{settings.link_base}{routes.FEEDBACK}?t={token}", sender=actor.full_name),
        unsubscribe_customer_id=customer.id)
    return SurveyInvitation(to=customer.email, already_queued=False)


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
    among: tuple[int, ...] | None = None  # only these customers (e.g. the last churn fit's at-risk list)
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


def _ordering(column, descending: bool):
    """Empty values last in either direction, the same on SQLite and PostgreSQL."""
    return (column.desc() if descending else column.asc()).nulls_last()


def _open_deals():
    return (select(func.count()).select_from(Deal)
            .where(Deal.customer_id == Customer.id, Deal.stage.in_(OPEN_STAGES)).scalar_subquery())


def matching_customers(session: Session, statement, actor: Actor, query: CustomerQuery, matches: int = 0):
    """`statement` over Customer narrowed to the actor's book and `query`'s filters (the list, the export and the
    REST API share it)."""
    if not actor.reads_everything:
        statement = statement.where(Customer.owner_id == actor.id)
    if query.search:
        statement = statement.where(customer_matches(session, query.search, matches=matches))
    if query.region:
        statement = statement.where(Customer.region == query.region)
    if query.segment:
        statement = statement.where(Customer.segment == query.segment)
    if query.owner_id is not None:
        statement = statement.where(Customer.owner_id == query.owner_id)
    if query.has_open_deals is not None:
        statement = statement.where((_open_deals() > 0) if query.has_open_deals else (_open_deals() == 0))
    if query.among is not None:
        statement = statement.where(Customer.id.in_(query.among))
    return statement


def matching_customer_ids(*, session: Session, actor: Actor, query: CustomerQuery) -> list[int]:
    """Every customer the actor may see that the list's filters match (all pages): a campaign audience."""
    return list(session.exec(matching_customers(session, select(Customer.id), actor, query).order_by(Customer.id)).all())


def search_customers(*, session: Session, actor: Actor, query: CustomerQuery) -> CustomerPage:
    """One page of the customers the actor may see, matching `query`; the search looks in name, email,
    company and phone, case-insensitively."""
    total = count_matching(session=session, actor=actor, query=query)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, query.page), pages)
    column = SORTABLE.get(query.sort, Customer.name)
    rows = session.exec(
        matching_customers(session, select(Customer, User.full_name, _open_deals()), actor, query, matches=total)
        .outerjoin(User, User.id == Customer.owner_id)
        .order_by(_ordering(column, query.descending), Customer.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return CustomerPage(
        rows=[CustomerRow(id=c.id, name=c.name, company=c.company, email=c.email, phone=c.phone, region=c.region,
                          segment=c.segment, owner_name=owner, open_deals=deals) for c, owner, deals in rows],
        total=total, page=page, pages=pages,
    )


def visible_among(*, session: Session, actor: Actor, ids: Sequence[int]) -> list[tuple[int, str]]:
    """(id, name) of the customers of `ids` the actor may see (a rep: their own), in the order of `ids`; the
    same customers as the list filtered with CustomerQuery(among=ids)."""
    names = dict(session.exec(matching_customers(session, select(Customer.id, Customer.name), actor,
                                        CustomerQuery(among=tuple(ids))).order_by(Customer.id)).all())
    return [(customer_id, names[customer_id]) for customer_id in ids if customer_id in names]


EXPORT_COLUMNS = ("external_ref", "name", "email", "phone", "company", "region", "segment", "channel", "owner_email")


def export_customers(*, session: Session, actor: Actor, query: CustomerQuery,
                     ids: list[int] | None = None) -> list[tuple]:
    """Every customer the actor may see that matches `query` (all pages), in the import file's columns; with
    `ids`, only those of them (ids the actor may not see are left out)."""
    column = SORTABLE.get(query.sort, Customer.name)
    statement = matching_customers(session, select(Customer.external_ref, Customer.name, Customer.email, Customer.phone,
                                          Customer.company, Customer.region, Customer.segment,
                                          Customer.acquisition_channel, User.email), actor, query)
    if ids is not None:
        statement = statement.where(Customer.id.in_(ids))
    return [tuple(row) for row in session.exec(
        statement.outerjoin(User, User.id == Customer.owner_id)
        .order_by(_ordering(column, query.descending), Customer.id)
    ).all()]


def count_matching(*, session: Session, actor: Actor, query: CustomerQuery) -> int:
    """How many customers the actor may see match `query` (the list's total)."""
    return session.exec(matching_customers(session, select(func.count()).select_from(Customer), actor, query)).one()


def matching_ids(*, session: Session, actor: Actor, query: CustomerQuery, limit: int) -> list[int]:
    """The ids of the first `limit` customers the actor may see that match `query`, by id."""
    return list(session.exec(matching_customers(session, select(Customer.id), actor, query).order_by(Customer.id)
                             .limit(limit)))


def distinct_values(*, session: Session, actor: Actor, column) -> list[str]:
    """The distinct non-empty values of an indexed Customer column in the actor's book, in order. One statement
    skips through the index (each step seeks the least value above the last one) instead of reading every row."""
    name = column.key  # a model attribute, never user input
    owner = "" if actor.reads_everything else " AND owner_id = :owner"
    values = session.execute(text(
        f"WITH RECURSIVE seen(value) AS (SELECT min({name}) FROM customer WHERE 1 = 1{owner} "
        f"UNION ALL SELECT (SELECT min({name}) FROM customer WHERE {name} > seen.value{owner}) "
        f"FROM seen WHERE seen.value IS NOT NULL) SELECT value FROM seen WHERE value IS NOT NULL"
    ), {} if actor.reads_everything else {"owner": actor.id}).scalars().all()
    return [value for value in values if value]


def filter_choices(*, session: Session, actor: Actor) -> dict[str, list[str]]:
    """The regions and segments present in the actor's book, for the filter menus."""
    return {"region": distinct_values(session=session, actor=actor, column=Customer.region),
            "segment": distinct_values(session=session, actor=actor, column=Customer.segment)}


# --- adding, editing, merging and deleting -----------------------------------------------------

AUDITED = ("name", "company", "email", "phone", "region", "segment", "acquisition_channel", "owner_id",
           "consent_email", "consent_phone", "external_ref")
# A name and company pair at least this similar (RapidFuzz token_sort_ratio, 0-100) is a likely duplicate.
FUZZY_THRESHOLD = 90.0
# Most rows sharing a first word that the fuzzy comparison looks at; a common first name stays cheap.
_FUZZY_BLOCK = 2000


class OwnerRejected(ValueError):
    """The chosen owner cannot own customers (unknown, deactivated or an executive). The message is for the form."""


class CustomerHasHistory(PermissionDenied):
    """A customer with orders, deals, tasks, feedback or campaigns is merged, never deleted. Shown as a toast."""


def _writable(session: Session, actor: Actor, customer_id: int) -> Customer:
    """The customer, when the actor may change it: its owner or an admin; executives change nothing."""
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read customers; their owners and admins change them."))
    return customer_for(session=session, actor=actor, customer_id=customer_id)


def owner_for(*, session: Session, actor: Actor, requested: int | None) -> int | None:
    """Who owns the customer after a save: a sales rep's own customers stay theirs; only admins hand them over."""
    if not actor.is_admin:
        if requested is not None and requested != actor.id:
            raise PermissionDenied(gettext("Only admins can give a customer to another owner."))
        return actor.id
    if requested is None:
        return None
    owner = session.get(User, requested)
    if owner is None or not owner.is_active or owner.role not in RECORD_WRITERS:
        raise OwnerRejected(gettext("Choose an active sales rep or admin as the owner."))
    return owner.id


def create_customer(*, session: Session, actor: Actor, customer_create: CustomerCreate) -> Customer:
    """Add a customer. A sales rep owns what they add; an admin names any active rep or admin, or nobody."""
    if not actor.writes_records:
        raise PermissionDenied(gettext("Executives and marketers read customers; sales reps and admins add them."))
    owner_id = owner_for(session=session, actor=actor, requested=customer_create.owner_id)
    customer = Customer(**customer_create.model_dump(exclude={"owner_id"}), owner_id=owner_id)
    session.add(customer)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="customer", entity_id=customer.id, action="create",
                  new=snapshot(customer, AUDITED))
    webhooks.customer_changed(session=session, customers=[customer], created=True)
    return customer


def update_customer(*, session: Session, actor: Actor, customer_id: int, customer_update: CustomerUpdate) -> Customer:
    """Replace the customer's details; audited with the fields that changed (no row when nothing did)."""
    customer = _writable(session, actor, customer_id)
    owner_id = owner_for(session=session, actor=actor, requested=customer_update.owner_id)
    old = snapshot(customer, AUDITED)
    for name, value in customer_update.model_dump(exclude={"owner_id"}).items():
        setattr(customer, name, value)
    customer.owner_id = owner_id
    new = snapshot(customer, AUDITED)
    if new != old:
        session.add(customer)
        session.flush()
        record_change(session=session, actor_id=actor.id, entity="customer", entity_id=customer.id,
                      action="update", old=old, new=new)
        webhooks.customer_changed(session=session, customers=[customer], created=False)
    return customer


@dataclass(frozen=True)
class DuplicateCandidate:
    """An existing customer that looks like the one being saved, and why."""

    id: int
    name: str
    company: str | None
    email: str | None
    phone: str | None
    owner_name: str | None
    reasons: tuple[str, ...]


def _first_words(text: str | None, count: int) -> list[str]:
    return re.findall(r"\w+", text or "")[:count]


def _others_visible(statement, actor: Actor, exclude_id: int | None):
    """Keep the customers the actor may see, other than `exclude_id`."""
    if exclude_id is not None:
        statement = statement.where(Customer.id != exclude_id)
    if not actor.reads_everything:
        # "+ 0" keeps SQLite on the email, phone or name index: a rep's whole book via owner_id is far larger.
        statement = statement.where(Customer.owner_id + 0 == actor.id)
    return statement


def _name_starts_with(words: list[str]):
    """Names starting with one of `words` in its usual capitalisations, as ranges the plain name index answers
    (LIKE on lower(name) would read every row). U+FFFF sorts after the other characters of a name."""
    variants = {variant for word in words for variant in (word, word.lower(), word.capitalize(), word.upper())}
    return or_(*[Customer.name.between(variant, variant + "\uffff") for variant in sorted(variants)])


def _company_starts_with(words: list[str]):
    return or_(*[func.lower(Customer.company).like(f"{escaped(word)}%", escape="\\") for word in words])


def _similar_by_name(session: Session, actor: Actor, details, exclude_id: int | None) -> dict[int, float]:
    """{id: score} of visible customers whose name and company score >= FUZZY_THRESHOLD against `details`.

    Only rows whose name starts with one of the first two words of the name (and whose company starts with one
    of the company's first two words, when one is given) are compared, so the cost stays one narrow SQL query.
    """
    name_words, company_words = _first_words(details.name, 2), _first_words(details.company, 2)
    if not name_words:
        return {}
    statement = select(Customer.id, Customer.name, Customer.company).where(_name_starts_with(name_words))
    if company_words:
        statement = statement.where(_company_starts_with(company_words))
    block = {row_id: f"{name} {company or ''}"
             # No ORDER BY: sorting by id makes SQLite walk the whole table instead of the name index.
             for row_id, name, company in session.exec(
                 _others_visible(statement, actor, exclude_id).limit(_FUZZY_BLOCK))}
    matches = process.extract(f"{details.name} {details.company or ''}", block, scorer=fuzz.token_sort_ratio,
                              processor=default_process, score_cutoff=FUZZY_THRESHOLD, limit=None)
    return {row_id: score for _, score, row_id in matches}


def duplicate_candidates(
    *, session: Session, actor: Actor, details: CustomerCreate | Customer, exclude_id: int | None = None,
    limit: int = 5,
) -> list[DuplicateCandidate]:
    """Customers the actor may see that share the email or phone of `details` (looked up by index), or whose
    name and company closely match it; exact matches first, then by similarity."""
    reasons: dict[int, list[str]] = {}
    rank: dict[int, float] = {}
    for label, column, value in ((gettext("same email"), Customer.email, details.email),
                                 (gettext("same phone"), Customer.phone, details.phone)):
        if not value:
            continue
        statement = _others_visible(select(Customer.id).where(column == value), actor, exclude_id)
        for row_id in session.exec(statement.limit(limit)):
            reasons.setdefault(row_id, []).append(label)
            rank[row_id] = 1000.0
    for row_id, score in _similar_by_name(session, actor, details, exclude_id).items():
        reasons.setdefault(row_id, []).append(gettext("similar name and company ({score}% alike)", score=f"{score:.0f}"))
        rank[row_id] = rank.get(row_id, 0.0) + score
    chosen = sorted(rank, key=lambda row_id: (-rank[row_id], row_id))[:limit]
    if not chosen:
        return []
    found = {c.id: (c, owner) for c, owner in session.exec(
        select(Customer, User.full_name).outerjoin(User, User.id == Customer.owner_id).where(Customer.id.in_(chosen))
    ).all()}
    return [DuplicateCandidate(id=c.id, name=c.name, company=c.company, email=c.email, phone=c.phone,
                               owner_name=owner, reasons=tuple(reasons[c.id]))
            for c, owner in (found[row_id] for row_id in chosen)]


# Every column that points at a customer, and what the merge calls its rows.
MERGED_RELATIONS = (("orders", Order.customer_id), ("deals", Deal.customer_id), ("tasks", Activity.customer_id),
                    ("feedback", Feedback.customer_id), ("survey_links", FeedbackInvite.customer_id),
                    ("campaigns", CampaignTarget.customer_id), ("logged_activities", LoggedActivity.customer_id),
                    ("mail", MailMessage.unsubscribe_customer_id))
# Rows that go with a customer deleted by mistake rather than keeping it: unused survey links and their mail.
DELETED_WITH_CUSTOMER = ("survey_links", "mail")
# Why a customer with the other rows is not deleted, one whole sentence per kind of row.
_HAS_HISTORY = {
    "orders": N_("This customer has orders: merge it into another customer instead of deleting it."),
    "deals": N_("This customer has deals: merge it into another customer instead of deleting it."),
    "tasks": N_("This customer has tasks: merge it into another customer instead of deleting it."),
    "feedback": N_("This customer has feedback: merge it into another customer instead of deleting it."),
    "campaigns": N_("This customer has campaigns: merge it into another customer instead of deleting it."),
    "logged_activities": N_("This customer has logged activities: merge it into another customer instead of "
                            "deleting it."),
}


def _fold_shared_campaigns(session: Session, survivor_id: int, duplicate_id: int) -> None:
    """Both customers targeted by one campaign: keep the survivor's row with the two responses combined."""
    ours = {target.campaign_id: target
            for target in session.exec(select(CampaignTarget).where(CampaignTarget.customer_id == survivor_id))}
    for theirs in session.exec(select(CampaignTarget).where(CampaignTarget.customer_id == duplicate_id,
                                                            CampaignTarget.campaign_id.in_(list(ours)))).all():
        target = ours[theirs.campaign_id]
        moments = [m for m in (target.responded_at, theirs.responded_at) if m is not None]
        target.responded = target.responded or theirs.responded
        target.responded_at = min(moments) if moments else None
        target.attributed_revenue = round(float(target.attributed_revenue) + float(theirs.attributed_revenue), 2)
        session.add(target)
        session.delete(theirs)
    session.flush()


def _fill_blanks(survivor: Customer, duplicate: dict) -> None:
    """The survivor keeps its own values; empty ones are taken from the duplicate (a contact with its consent)."""
    for contact, consent in (("email", "consent_email"), ("phone", "consent_phone")):
        if not getattr(survivor, contact) and duplicate[contact]:
            setattr(survivor, contact, duplicate[contact])
            setattr(survivor, consent, duplicate[consent])
    for name in ("company", "owner_id", "external_ref"):
        if getattr(survivor, name) is None:
            setattr(survivor, name, duplicate[name])


def merge_customers(*, session: Session, actor: Actor, survivor_id: int, duplicate_id: int) -> dict[str, int]:
    """Fold the duplicate into the survivor and delete it: its orders, deals, tasks, feedback, survey links and
    campaign memberships move over, the survivor's empty fields are filled from it, and both records get an audit
    row (the duplicate's keeps all its values). Returns how many rows of each kind moved."""
    if survivor_id == duplicate_id:
        raise ValueError("a customer cannot be merged into itself")
    survivor = _writable(session, actor, survivor_id)
    duplicate = _writable(session, actor, duplicate_id)
    before, gone = snapshot(survivor, AUDITED), snapshot(duplicate, AUDITED)
    _fold_shared_campaigns(session, survivor.id, duplicate.id)
    moved = {
        label: session.execute(
            update(column.class_).where(column == duplicate.id).values({column.key: survivor.id})
        ).rowcount
        for label, column in MERGED_RELATIONS
    }
    duplicate.external_ref = None
    session.add(duplicate)
    session.flush()  # the external ref is unique: free it before the survivor takes it
    _fill_blanks(survivor, gone)
    session.add(survivor)
    record_change(session=session, actor_id=actor.id, entity="customer", entity_id=survivor.id, action="merge",
                  old=before, new=snapshot(survivor, AUDITED) | {"merged_customer_id": duplicate.id}
                  | {f"{label}_moved": count for label, count in moved.items()})
    record_change(session=session, actor_id=actor.id, entity="customer", entity_id=duplicate.id,
                  action="merged_into", old=gone, new=dict.fromkeys(gone) | {"merged_into": survivor.id})
    session.delete(duplicate)
    session.flush()
    webhooks.customer_changed(session=session, customers=[survivor], created=False)
    return moved


def delete_customer(*, session: Session, actor: Actor, customer_id: int) -> None:
    """Delete a customer added by mistake. One with orders, deals, tasks, feedback or campaigns is refused:
    merging keeps that history. Unused survey links and the mail sent to it go with it; the audit row keeps its values."""
    customer = _writable(session, actor, customer_id)
    for label, column in MERGED_RELATIONS:
        if label not in DELETED_WITH_CUSTOMER and session.exec(
            select(func.count()).select_from(column.class_).where(column == customer.id)
        ).one():
            raise CustomerHasHistory(gettext(_HAS_HISTORY[label]))
    for label, column in MERGED_RELATIONS:
        if label in DELETED_WITH_CUSTOMER:
            session.execute(delete(column.class_).where(column == customer.id))
    record_change(session=session, actor_id=actor.id, entity="customer", entity_id=customer.id, action="delete",
                  old=snapshot(customer, AUDITED))
    session.delete(customer)
    session.flush()
