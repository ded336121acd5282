"""Search everything: what a sales rep and an executive find of each kind, and odd input finding nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from crm_app.data.models import Customer, Deal, Order, User
from crm_app.data.repositories.global_search import search_everything
from crm_app.data.repositories.users import actor_of
from crm_app.data.search import CUSTOMERS, DEALS, newest_matches
from crm_app.domain import DealStage, OrderStatus, SalesChannel
from tests.conftest import add_staff


def _customer(name: str, owner: User, **fields) -> Customer:
    return Customer(name=name, region="EMEA", segment="SMB", acquisition_channel="event", owner_id=owner.id, **fields)


@pytest.fixture
def book(engine):
    """Customers, deals and orders of the rep and of the other rep, all with "vega" somewhere."""
    with Session(engine) as session:
        people = add_staff(session)
        rep, other = people["rep"], people["other"]
        vega = _customer("Vega Tools", rep, company="Vega Holdings", email="buy@vega.example")
        lyra = _customer("Lyra", rep, company="Altair & Vega", email="lyra@example.com")
        mira = _customer("Mira", rep, email="mira@vega.example")
        plain = _customer("Deneb", rep, company="Deneb Ltd")
        theirs = _customer("Vega Rivals", other)
        session.add_all([vega, lyra, mira, plain, theirs])
        session.flush()
        deal = Deal(title="Vega renewal", customer_id=plain.id, owner_id=rep.id, stage=DealStage.qualified, amount=100,
                    updated_at=datetime(2026, 11, 4, tzinfo=UTC))
        their_deal = Deal(title="Vega expansion", customer_id=theirs.id, owner_id=other.id, stage=DealStage.lead,
                          amount=200, updated_at=datetime(2026, 11, 3, tzinfo=UTC))
        session.add_all([deal, their_deal])
        mine = Order(customer_id=plain.id, status=OrderStatus.paid, channel=SalesChannel.online,
                     ordered_at=datetime(2026, 10, 5, tzinfo=UTC), external_ref="PO-77")
        not_mine = Order(customer_id=theirs.id, status=OrderStatus.pending, channel=SalesChannel.online,
                         ordered_at=datetime(2026, 10, 6, tzinfo=UTC))
        session.add_all([mine, not_mine])
        session.commit()
        yield {"session": session, "people": people, "ids": {
            "vega": vega.id, "lyra": lyra.id, "mira": mira.id, "theirs": theirs.id, "deal": deal.id,
            "their_deal": their_deal.id, "mine": mine.id, "not_mine": not_mine.id}}


def _find(book, who: str, text: object, **options):
    return search_everything(session=book["session"], actor=actor_of(book["people"][who]), text=text, **options)


def _labels(found) -> list[str]:
    return [item.label for item in found]


def test_a_rep_finds_only_their_own_customers_and_deals(book):
    found = _find(book, "rep", "VEGA")
    # By name, company or email, newest first; the other rep's "Vega Rivals" is not theirs.
    assert _labels(found.customers) == ["Mira", "Lyra", "Vega Tools"]
    assert [item.detail for item in found.customers] == [
        "mira@vega.example", "Altair & Vega · lyra@example.com", "Vega Holdings · buy@vega.example"]
    assert [(item.id, item.label, item.detail) for item in found.deals] == [
        (book["ids"]["deal"], "Vega renewal", "Qualified · Deneb")]
    assert found.orders == [] and found.people == []


def test_an_executive_finds_every_customer_and_deal(book):
    found = _find(book, "exec", "vega")
    assert _labels(found.customers) == ["Vega Rivals", "Mira", "Lyra", "Vega Tools"]
    # Newest first (by when added, not when last changed).
    assert _labels(found.deals) == ["Vega expansion", "Vega renewal"]


def test_orders_are_found_by_number_or_reference_within_the_book(book):
    mine, not_mine = book["ids"]["mine"], book["ids"]["not_mine"]
    for text in (str(mine), f"#{mine}", "PO-77"):
        assert [(o.id, o.label, o.detail) for o in _find(book, "rep", text).orders] == [
            (mine, f"Order #{mine}", "paid · 2026-10-05 · Deneb")]
    assert _find(book, "rep", f"#{not_mine}").orders == []
    assert [o.id for o in _find(book, "exec", f"#{not_mine}").orders] == [not_mine]


def test_people_are_active_staff_by_name_or_email(book):
    found = _find(book, "rep", "other")
    assert [(p.label, p.detail, p.email) for p in found.people] == [
        ("Other", "other@example.com · sales rep", "other@example.com")]
    book["people"]["other"].is_active = False
    book["session"].commit()
    assert _find(book, "exec", "other").people == []


def test_each_kind_is_limited(book):
    assert _labels(_find(book, "exec", "vega", limit=2).customers) == ["Vega Rivals", "Mira"]


def test_odd_input_finds_nothing(book):
    for text in ["", "v", "  v  ", "\x00", "\x00\x00\x00", "\ud800\ud800", None, 42, ["vega"], {"q": "vega"}, "%", "__",
                 "\\", '"', "x" * 100_000, "#0", "#" + "9" * 30]:
        assert _find(book, "exec", text).empty, repr(text)[:40]


def test_control_characters_are_dropped_before_searching(book):
    assert _labels(_find(book, "rep", "ve\x00ga").customers) == ["Mira", "Lyra", "Vega Tools"]
    assert _labels(_find(book, "rep", "ve\x00ga").deals) == ["Vega renewal"]
    assert _labels(_find(book, "rep", "\ud800veg\x1fa").deals) == ["Vega renewal"]


def test_a_renamed_or_deleted_deal_is_found_as_it_is_now(book):
    session, ids = book["session"], book["ids"]
    session.get(Deal, ids["deal"]).title = "Orion upgrade"
    session.delete(session.get(Deal, ids["their_deal"]))
    session.commit()

    assert _labels(_find(book, "exec", "orion").deals) == ["Orion upgrade"]
    assert _find(book, "exec", "vega").deals == []


@pytest.mark.parametrize("empty_database", ["sqlite"], indirect=True)  # PostgreSQL's planner picks its indexes itself
def test_on_sqlite_customers_and_deals_are_read_from_their_search_index_newest_first(book):
    session = book["session"]
    for index, model in ((CUSTOMERS, Customer), (DEALS, Deal)):
        statement = newest_matches(session, select(model.id), index, "vega").limit(5)
        compiled = statement.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " ".join(row[-1] for row in session.exec(sa.text(f"EXPLAIN QUERY PLAN {compiled}")).all())
        assert f"SCAN {index.sqlite_index} VIRTUAL TABLE" in plan and "B-TREE" not in plan, plan  # no sort
