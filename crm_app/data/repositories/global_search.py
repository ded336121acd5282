"""Search everything (the header's box): customers, deals, orders and people the actor may see, a few of each.

Visibility is the lists' own: a sales rep finds the customers they own, the deals they own and the orders of
their customers; executives and admins find every one. People are the staff directory (active users), which
every staff member may read. Customers and deals are found through their search indexes (crm_app/data/search.py),
newest first, read in that order so a search stops at the few it shows however many match; orders by their number
(the id, "#" optional) or their external reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.data.models import Customer, Deal, Order, User
from crm_app.data.permissions import Actor
from crm_app.data.search import CUSTOMERS, DEALS, contains_pattern, newest_matches
from crm_app.data.validation import search_term

MATCHES_PER_KIND = 5
# Terms are cut to this many characters (a name, an email, an order reference all fit).
LONGEST_TERM = 100
_ORDER_NUMBER = re.compile(r"#?\s*(\d{1,18})")


@dataclass(frozen=True)
class Found:
    """One result: the record's id, what it is called and one line telling it apart."""

    id: int
    label: str
    detail: str
    # A person's address: people have no page, so their result writes to them.
    email: str = ""


@dataclass(frozen=True)
class SearchResults:
    customers: list[Found]
    deals: list[Found]
    orders: list[Found]
    people: list[Found]

    @property
    def empty(self) -> bool:
        return not (self.customers or self.deals or self.orders or self.people)


NOTHING = SearchResults(customers=[], deals=[], orders=[], people=[])


def order_number(term: str) -> int | None:
    """The order id a term names ("1234" or "#1234"), or None."""
    matched = _ORDER_NUMBER.fullmatch(term)
    number = int(matched.group(1)) if matched else 0
    return number if 0 < number < 2**63 else None


def _customers(session: Session, actor: Actor, term: str, limit: int) -> list[Found]:
    statement = select(Customer.id, Customer.name, Customer.company, Customer.email)
    if not actor.reads_everything:
        statement = statement.where(Customer.owner_id == actor.id)
    rows = session.exec(newest_matches(session, statement, CUSTOMERS, term).limit(limit)).all()
    return [Found(id=cid, label=name, detail=" · ".join(part for part in (company, email) if part))
            for cid, name, company, email in rows]


def _deals(session: Session, actor: Actor, term: str, limit: int) -> list[Found]:
    statement = select(Deal.id, Deal.title, Deal.stage, Customer.name).join(Customer, Customer.id == Deal.customer_id)
    if not actor.reads_everything:
        statement = statement.where(Deal.owner_id == actor.id)
    rows = session.exec(newest_matches(session, statement, DEALS, term).limit(limit)).all()
    return [Found(id=did, label=title, detail=f"{stage} · {customer}") for did, title, stage, customer in rows]


def _orders(session: Session, actor: Actor, term: str, limit: int) -> list[Found]:
    number = order_number(term)
    named = Order.external_ref == term
    statement = (select(Order.id, Order.status, Order.ordered_at, Customer.name)
                 .join(Customer, Customer.id == Order.customer_id)
                 .where(sa.or_(Order.id == number, named) if number is not None else named))
    if not actor.reads_everything:
        statement = statement.where(Customer.owner_id == actor.id)
    rows = session.exec(statement.order_by(Order.id).limit(limit)).all()
    return [Found(id=oid, label=f"Order #{oid}", detail=f"{status} · {at:%Y-%m-%d} · {customer}")
            for oid, status, at, customer in rows]


def _people(session: Session, term: str, limit: int) -> list[Found]:
    pattern = contains_pattern(term)
    rows = session.exec(
        select(User.id, User.full_name, User.email, User.role)
        .where(User.is_active.is_(True),
               sa.or_(sa.func.lower(User.full_name).like(pattern, escape="\\"),
                      sa.func.lower(User.email).like(pattern, escape="\\")))
        .order_by(User.full_name, User.id).limit(limit)
    ).all()
    return [Found(id=uid, label=name, detail=f"{email} · {str(role).replace('_', ' ')}", email=email)
            for uid, name, email, role in rows]


def search_everything(*, session: Session, actor: Actor, text: object, limit: int = MATCHES_PER_KIND) -> SearchResults:
    """Up to `limit` customers and deals (newest first), orders and people (by name) matching `text`, of those
    the actor may see. `text` is anything a client sent: it is cleaned (validation.search_term); nothing usable,
    or a single character other than an order number, finds nothing."""
    term = search_term(text, limit=LONGEST_TERM)
    if len(term) < 2:
        # One character would scan every customer for little use; an order number may be one digit.
        return SearchResults(customers=[], deals=[], orders=_orders(session, actor, term, limit), people=[]) \
            if order_number(term) is not None else NOTHING
    return SearchResults(
        customers=_customers(session, actor, term, limit),
        deals=_deals(session, actor, term, limit),
        orders=_orders(session, actor, term, limit),
        people=_people(session, term, limit),
    )
