"""A deal's page: its stage history and time in each stage by hand, edits under the board's rules, the order it
became, and who may open it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from crm_app.data.models import Activity, ActivityKind, AuditLog, Customer, Deal, Product
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import deals, orders
from crm_app.data.repositories.users import actor_of
from crm_app.domain import DealStage, OrderStatus, SalesChannel
from tests.conftest import add_staff


@pytest.fixture
def deal_book(engine):
    """The rep's won deal with three audited stage changes, the rep's untouched open deal, the other rep's deal."""
    with Session(engine) as session:
        people = add_staff(session)
        ada = Customer(name="Ada", region="EMEA", segment="SMB", acquisition_channel="event", owner_id=people["rep"].id)
        edsger = Customer(name="Edsger", region="EMEA", segment="SMB", acquisition_channel="event",
                          owner_id=people["other"].id)
        session.add_all([ada, edsger])
        session.flush()
        won = Deal(title="Pilot", customer_id=ada.id, owner_id=people["rep"].id, stage=DealStage.won, amount=1000,
                   probability=1.0, expected_close_date=date(2026, 11, 20), closed_at=datetime(2026, 11, 10, 12, 30, tzinfo=UTC))
        fresh = Deal(title="Renewal", customer_id=ada.id, owner_id=people["rep"].id, stage=DealStage.qualified,
                     amount=500, probability=0.25, expected_close_date=date(2026, 12, 1),
                     created_at=datetime(2026, 11, 2, 8, 0, tzinfo=UTC))
        theirs = Deal(title="Rollout", customer_id=edsger.id, owner_id=people["other"].id, stage=DealStage.lead,
                      amount=4000, probability=0.1, expected_close_date=date(2026, 11, 15))
        session.add_all([won, fresh, theirs])
        session.flush()

        def audit(action: str, at: datetime, old: str | None, new: str) -> AuditLog:
            return AuditLog(entity="deal", entity_id=won.id, action=action, at=at,
                            old_values={"stage": old} if old else None, new_values={"stage": new})

        session.add_all([
            audit("create", datetime(2026, 11, 1, 9, 0, tzinfo=UTC), None, "Lead"),
            audit("stage_move", datetime(2026, 11, 3, 12, 30, tzinfo=UTC), "Lead", "Qualified"),
            audit("stage_move", datetime(2026, 11, 10, 12, 30, tzinfo=UTC), "Qualified", "Won"),
            Activity(kind=ActivityKind.call, subject="Call back about the pilot", deal_id=won.id,
                     owner_id=people["rep"].id, due_at=datetime(2026, 11, 12, 9, 0, tzinfo=UTC)),
            Product(sku="SRV-001", name="Training Day", category="Services", list_price=250),
        ])
        session.commit()
        return ({name: actor_of(user) for name, user in people.items()}
                | {"won": won.id, "fresh": fresh.id, "theirs": theirs.id, "ada": ada.id})


def test_the_stage_history_gives_the_time_spent_in_each_stage(engine, deal_book):
    with Session(engine) as session:
        spells = deals.stage_history(session=session, actor=deal_book["rep"], deal_id=deal_book["won"])
    now = datetime(2026, 12, 1, tzinfo=UTC)
    assert [(s.stage, s.entered_at, s.time_spent(now)) for s in spells] == [
        # Nov 1 09:00 -> Nov 3 12:30 is 2 days 3.5 hours; Nov 3 12:30 -> Nov 10 12:30 is 7 days.
        (DealStage.lead, datetime(2026, 11, 1, 9, 0, tzinfo=UTC), timedelta(days=2, hours=3, minutes=30)),
        (DealStage.qualified, datetime(2026, 11, 3, 12, 30, tzinfo=UTC), timedelta(days=7)),
        # A won deal rests in Won: no time is counted there.
        (DealStage.won, datetime(2026, 11, 10, 12, 30, tzinfo=UTC), None),
    ]


def test_a_deal_without_audited_moves_has_been_in_its_stage_since_it_was_created(engine, deal_book):
    with Session(engine) as session:
        spells = deals.stage_history(session=session, actor=deal_book["rep"], deal_id=deal_book["fresh"])
    assert [(s.stage, s.left_at, s.time_spent(datetime(2026, 11, 4, 20, 15, tzinfo=UTC))) for s in spells] == [
        (DealStage.qualified, None, timedelta(days=2, hours=12, minutes=15))]


def test_a_moved_deal_has_a_new_spell_from_the_move(engine, deal_book):
    with Session(engine) as session:
        deals.move_deal(session=session, actor=deal_book["rep"], deal_id=deal_book["fresh"], stage="Proposal")
        session.commit()
        spells = deals.stage_history(session=session, actor=deal_book["rep"], deal_id=deal_book["fresh"])
        moved_at = session.exec(select(AuditLog.at).where(AuditLog.entity_id == deal_book["fresh"])).one()
    assert [s.stage for s in spells] == [DealStage.qualified, DealStage.proposal]
    assert spells[0].left_at == spells[1].entered_at == deals._utc(moved_at)


def test_the_deal_file_has_its_customer_owner_tasks_and_the_order_it_became(engine, deal_book):
    rep = deal_book["rep"]
    with Session(engine) as session:
        product = session.exec(select(Product.id)).one()
        line = orders.OrderLineDraft(product_id=product, quantity=3, unit_price="19.99", discount_percent="10")
        order = orders.create_order(session=session, actor=rep, customer_id=deal_book["ada"], lines=[line],
                                    channel=SalesChannel.online, ordered_at=datetime(2026, 11, 11, tzinfo=UTC),
                                    deal_id=deal_book["won"])
        session.commit()
        order_id = order.id
        file = deals.deal_file(session=session, actor=rep, deal_id=deal_book["won"])
        none = deals.deal_file(session=session, actor=rep, deal_id=deal_book["fresh"])
    assert (file.deal.title, file.customer_name, file.owner_name) == ("Pilot", "Ada", "Rep")
    assert [t.subject for t in file.tasks] == ["Call back about the pilot"]
    # 3 x 19.99 x 0.9 = 53.973 -> 53.97
    assert file.order == deals.OrderMade(id=order_id, status=OrderStatus.pending, total_amount=53.97)
    assert none.order is None and none.tasks == []



def test_the_order_names_the_deal_it_came_from_to_those_who_may_read_the_deal(engine, deal_book):
    with Session(engine) as session:
        product = session.exec(select(Product.id)).one()
        line = orders.OrderLineDraft(product_id=product, quantity=1, unit_price="10", discount_percent="")
        order = orders.create_order(session=session, actor=deal_book["rep"], customer_id=deal_book["ada"],
                                    lines=[line], channel=SalesChannel.online,
                                    ordered_at=datetime(2026, 11, 11, tzinfo=UTC), deal_id=deal_book["won"])
        plain = orders.create_order(session=session, actor=deal_book["rep"], customer_id=deal_book["ada"],
                                    lines=[line], channel=SalesChannel.online,
                                    ordered_at=datetime(2026, 11, 12, tzinfo=UTC))
        session.commit()
        assert (order.deal_id, plain.deal_id) == (deal_book["won"], None)
        titles = [orders.order_file(session=session, actor=deal_book[who], order_id=order.id).deal_title
                  for who in ("rep", "exec", "admin")]
        assert titles == ["Pilot", "Pilot", "Pilot"]
        assert orders.order_file(session=session, actor=deal_book["rep"], order_id=plain.id).deal_title is None
        # The deal handed to another rep: the customer's owner still opens the order, no longer the deal.
        session.get(Deal, deal_book["won"]).owner_id = deal_book["other"].id
        session.commit()
        assert orders.order_file(session=session, actor=deal_book["rep"], order_id=order.id).deal_title is None
        assert orders.order_file(session=session, actor=deal_book["exec"], order_id=order.id).deal_title == "Pilot"
        assert deals.deal_file(session=session, actor=deal_book["exec"], deal_id=deal_book["won"]).order.id == order.id


def test_reps_open_only_their_own_deals_executives_and_admins_every_one(engine, deal_book):
    with Session(engine) as session:
        for bad in (deal_book["theirs"], 0, -1, "1", True, 2**70, None):
            with pytest.raises(NotFound):
                deals.deal_file(session=session, actor=deal_book["rep"], deal_id=bad)
        for reader in ("exec", "admin", "other"):
            assert deals.deal_file(session=session, actor=deal_book[reader], deal_id=deal_book["theirs"]).deal.title \
                == "Rollout"


def _details(**values) -> deals.DealDetails:
    return deals.DealDetails.model_validate(
        {"title": "Pilot", "amount": "1000", "expected_close_date": "2026-11-20"} | values)


def test_an_edit_saves_and_audits_only_what_changed(engine, deal_book):
    with Session(engine) as session:
        deals.update_deal(session=session, actor=deal_book["rep"], deal_id=deal_book["won"],
                          details=_details(title="  Pilot, phase 2 ", amount="1,250.50"))
        deals.update_deal(session=session, actor=deal_book["rep"], deal_id=deal_book["won"],
                          details=_details(title="Pilot, phase 2", amount="1250.5"))
        session.commit()
        deal = session.get(Deal, deal_book["won"])
        rows = session.exec(select(AuditLog).where(AuditLog.entity_id == deal_book["won"],
                                                   AuditLog.action == "update")).all()
    assert (deal.title, deal.amount, deal.expected_close_date) == ("Pilot, phase 2", 1250.5, date(2026, 11, 20))
    assert [(r.old_values, r.new_values, r.actor_id) for r in rows] == [
        ({"title": "Pilot", "amount": 1000.0}, {"title": "Pilot, phase 2", "amount": 1250.5}, deal_book["rep"].id)]


def test_edits_follow_the_boards_rules(engine, deal_book):
    with Session(engine) as session:
        with pytest.raises(NotFound):
            deals.update_deal(session=session, actor=deal_book["rep"], deal_id=deal_book["theirs"], details=_details())
        with pytest.raises(PermissionDenied):
            deals.update_deal(session=session, actor=deal_book["exec"], deal_id=deal_book["won"], details=_details())
        deals.update_deal(session=session, actor=deal_book["admin"], deal_id=deal_book["theirs"],
                          details=_details(title="Rollout EMEA"))
        session.commit()
        assert session.get(Deal, deal_book["theirs"]).title == "Rollout EMEA"
    for bad in ({"title": " "}, {"amount": "-1"}, {"amount": "lots"}, {"expected_close_date": ""}):
        with pytest.raises(ValueError):
            _details(**bad)
