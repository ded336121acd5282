"""A customer's file: visible to its owner, executives and admins only; lifetime figures count revenue orders."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session, select

from crm_app.data.models import AuditLog, Customer, Order, Role, User
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import customers
from crm_app.data.repositories.feedback import open_invite
from crm_app.data.repositories.users import actor_of
from crm_app.domain import DealStage, OrderStatus, SalesChannel
from tests.conftest import add_staff


@pytest.fixture
def book(engine):
    with Session(engine) as session:
        people = add_staff(session)
        customer = Customer(name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event",
                            owner_id=people["rep"].id)
        session.add(customer)
        session.flush()
        at = lambda day: datetime(2026, 10, day, 12, tzinfo=UTC)  # noqa: E731
        session.add_all([
            Order(customer_id=customer.id, channel=SalesChannel.online, ordered_at=at(1), status=OrderStatus.paid,
                  total_amount=100),
            Order(customer_id=customer.id, channel=SalesChannel.store, ordered_at=at(9), status=OrderStatus.shipped,
                  total_amount=250.5),
            Order(customer_id=customer.id, channel=SalesChannel.store, ordered_at=at(20),
                  status=OrderStatus.cancelled, total_amount=999),
            AuditLog(actor_id=people["admin"].id, entity="customer", entity_id=customer.id, action="update",
                     old_values={"segment": "Consumer"}, new_values={"segment": "SMB"}),
        ])
        session.commit()
        return {name: actor_of(user) for name, user in people.items()} | {"customer_id": customer.id}


def test_lifetime_figures_count_paid_and_shipped_orders(engine, book):
    with Session(engine) as session:
        file = customers.customer_file(session=session, actor=book["rep"], customer_id=book["customer_id"])
    # 100 + 250.50 over 2 orders; the cancelled order is listed but not counted.
    assert (file.lifetime.orders, file.lifetime.revenue, file.lifetime.average_order_value) == (2, 350.5, 175.25)
    assert (file.lifetime.first_order.day, file.lifetime.last_order.day) == (1, 9)
    assert [o.total_amount for o in file.orders] == [999, 250.5, 100]
    assert file.owner_name == "Rep"


def test_only_the_owner_executives_and_admins_see_the_customer(engine, book):
    with Session(engine) as session:
        for reader in ("rep", "exec", "admin"):
            assert customers.customer_for(session=session, actor=book[reader], customer_id=book["customer_id"])
        with pytest.raises(NotFound):
            customers.customer_for(session=session, actor=book["other"], customer_id=book["customer_id"])
        with pytest.raises(NotFound):
            customers.customer_for(session=session, actor=book["admin"], customer_id=999_999)


def test_survey_links_come_from_the_owner_or_an_admin(engine, book):
    with Session(engine) as session:
        token = customers.issue_survey_link(session=session, actor=book["rep"], customer_id=book["customer_id"])
        assert open_invite(session=session, token=token).customer_name == "Ada Lovelace"
        with pytest.raises(PermissionDenied):
            customers.issue_survey_link(session=session, actor=book["exec"], customer_id=book["customer_id"])
        with pytest.raises(NotFound):
            customers.issue_survey_link(session=session, actor=book["other"], customer_id=book["customer_id"])


@pytest.fixture
def many(engine, book):
    """Five more customers: three of the rep's, two of the other rep's; one of the rep's has an open deal."""
    from crm_app.data.models import Deal

    with Session(engine) as session:
        rows = [
            Customer(name="Grace Hopper", company="Navy Labs", email="grace@navy.example.com", phone="+12025550101",
                     region="North America", segment="Enterprise", acquisition_channel="event", owner_id=book["rep"].id),
            Customer(name="Alan Turing", company="Bletchley 50% Ltd", email="alan@bletchley.example.com",
                     region="EMEA", segment="Mid-Market", acquisition_channel="referral", owner_id=book["rep"].id),
            Customer(name="Katherine Johnson", company="Langley", region="North America", segment="SMB",
                     acquisition_channel="organic", owner_id=book["rep"].id),
            Customer(name="Edsger Dijkstra", company="Mathematisch Centrum", region="EMEA", segment="SMB",
                     acquisition_channel="organic", owner_id=book["other"].id),
            Customer(name="Barbara Liskov", company="MIT", region="North America", segment="Enterprise",
                     acquisition_channel="event", owner_id=book["other"].id),
        ]
        session.add_all(rows)
        session.flush()
        session.add(Deal(title="Upgrade", customer_id=rows[0].id, owner_id=book["rep"].id, stage=DealStage.proposal,
                         amount=1000, probability=0.5))
        session.commit()
    return book


def _names(engine, actor, **query):
    with Session(engine) as session:
        page = customers.search_customers(session=session, actor=actor, query=customers.CustomerQuery(**query))
    return [row.name for row in page.rows], page.total


def test_a_rep_lists_only_their_own_customers(engine, many):
    assert _names(engine, many["rep"]) == (
        ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson"], 4)
    assert _names(engine, many["exec"])[1] == 6


def test_search_looks_in_name_email_company_and_phone_case_insensitively(engine, many):
    rep = many["rep"]
    assert _names(engine, rep, search="GRACE") == (["Grace Hopper"], 1)
    assert _names(engine, rep, search="bletchley.example") == (["Alan Turing"], 1)
    assert _names(engine, rep, search="langley") == (["Katherine Johnson"], 1)
    assert _names(engine, rep, search="2025550101") == (["Grace Hopper"], 1)
    assert _names(engine, rep, search="50%") == (["Alan Turing"], 1)  # % is a literal, not a wildcard
    assert _names(engine, rep, search="dijkstra") == ([], 0)  # another rep's customer


def test_search_index_follows_every_change_and_short_terms_still_match(engine, many):
    """The trigram index (SQLite FTS5, PostgreSQL pg_trgm) is kept in step with inserts, updates and deletes."""
    rep = many["rep"]
    with Session(engine) as session:
        grace = session.exec(select(Customer).where(Customer.name == "Grace Hopper")).one()
        grace.email, grace.company = "amazing.grace@cobol.example.org", None
        session.add(Customer(name="Ada Byron", company='The "Analytical" Engine', region="EMEA", segment="SMB",
                             acquisition_channel="event", owner_id=rep.id))
        session.delete(session.exec(select(Customer).where(Customer.name == "Katherine Johnson")).one())
        session.commit()
    assert _names(engine, rep, search="COBOL.EX") == (["Grace Hopper"], 1)  # the new email
    assert _names(engine, rep, search="navy") == ([], 0)  # the old email and company are gone from the index
    assert _names(engine, rep, search='"analytical"') == (["Ada Byron"], 1)  # quotes are literal too
    assert _names(engine, rep, search="langley") == ([], 0)  # deleted
    assert _names(engine, rep, search="by") == (["Ada Byron"], 1)  # two letters: no trigram, a plain scan
    assert _names(engine, rep, search="ada") == (["Ada Byron", "Ada Lovelace"], 2)


def test_filters_and_sorting(engine, many):
    rep = many["rep"]
    assert _names(engine, rep, region="North America")[0] == ["Grace Hopper", "Katherine Johnson"]
    assert _names(engine, rep, segment="SMB")[0] == ["Ada Lovelace", "Katherine Johnson"]
    assert _names(engine, rep, has_open_deals=True)[0] == ["Grace Hopper"]
    assert _names(engine, rep, has_open_deals=False)[1] == 3
    assert _names(engine, many["exec"], owner_id=many["other"].id)[0] == ["Barbara Liskov", "Edsger Dijkstra"]
    assert _names(engine, rep, sort="company", descending=True)[0] == [
        "Grace Hopper", "Katherine Johnson", "Alan Turing", "Ada Lovelace"]  # Navy Labs, Langley, Bletchley, (none)


def test_export_has_every_matching_row_the_actor_may_see(engine, many):
    with Session(engine) as session:
        rows = customers.export_customers(session=session, actor=many["rep"],
                                          query=customers.CustomerQuery(region="North America"))
    assert [row[1] for row in rows] == ["Grace Hopper", "Katherine Johnson"]
    assert rows[0][2:4] == ("grace@navy.example.com", "+12025550101") and rows[0][-1] == "rep@example.com"
