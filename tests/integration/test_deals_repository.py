"""The deal pipeline: column figures by hand, ownership rules on every change, and the audit row of each change."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError
from sqlmodel import Session, select

from crm_app.data.models import AuditLog, Customer, Deal, Role, User
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import deals
from crm_app.data.repositories.users import actor_of
from crm_app.domain import DealStage
from tests.conftest import add_staff


@pytest.fixture
def book(engine):
    """Two reps' deals; the rep owns d1-d4 (customers in EMEA and North America), the other rep d5-d6 (EMEA)."""
    with Session(engine) as session:
        people = add_staff(session)

        def customer(name: str, region: str, owner: str) -> Customer:
            return Customer(name=name, region=region, segment="SMB", acquisition_channel="event",
                            owner_id=people[owner].id)

        ada, grace, edsger = customer("Ada", "EMEA", "rep"), customer("Grace", "North America", "rep"), \
            customer("Edsger", "EMEA", "other")
        session.add_all([ada, grace, edsger])
        session.flush()

        def deal(title, who, stage, amount, probability, close, **extra) -> Deal:
            return Deal(title=title, customer_id=who.id, owner_id=who.owner_id, stage=stage, amount=amount,
                        probability=probability, expected_close_date=close, **extra)

        rows = {
            "d1": deal("Pilot", ada, DealStage.lead, 1000, 0.10, date(2026, 11, 5)),
            "d2": deal("Renewal", ada, DealStage.lead, 500.50, 0.10, date(2026, 12, 1)),
            "d3": deal("Upgrade", grace, DealStage.proposal, 2000, 0.50, date(2026, 11, 30)),
            "d4": deal("Licences", grace, DealStage.won, 3000, 1.0, date(2026, 10, 10),
                       closed_at=datetime(2026, 10, 9, tzinfo=UTC)),
            "d5": deal("Rollout", edsger, DealStage.negotiation, 4000, 0.75, date(2026, 11, 15)),
            "d6": deal("Training", edsger, DealStage.lost, 800, 0.0, date(2026, 9, 1), lost_reason="Price",
                       closed_at=datetime(2026, 9, 2, tzinfo=UTC)),
        }
        session.add_all(rows.values())
        session.commit()
        return ({name: actor_of(user) for name, user in people.items()}
                | {name: row.id for name, row in rows.items()}
                | {"ada": ada.id, "edsger": edsger.id})


def _figures(engine, actor, **board) -> dict[str, tuple[int, float, float]]:
    with Session(engine) as session:
        columns = deals.column_summaries(session=session, actor=actor, board=deals.BoardFilter(**board))
    return {column.stage.value: (column.count, column.total, column.weighted) for column in columns}


EMPTY = (0, 0.0, 0.0)


def test_a_rep_sees_the_figures_of_their_own_deals_only(engine, book):
    # Lead: 1000 + 500.50 = 1500.50, weighted 100 + 50.05 = 150.05; Proposal 2000 x 0.5; Won 3000 x 1.
    expected = {"Lead": (2, 1500.5, 150.05), "Qualified": EMPTY, "Proposal": (1, 2000.0, 1000.0),
                "Negotiation": EMPTY, "Won": (1, 3000.0, 3000.0), "Lost": EMPTY}
    assert _figures(engine, book["rep"]) == expected
    # Asking for another owner's deals does not widen a rep's view.
    assert _figures(engine, book["rep"], owner_id=book["other"].id) == expected


def test_executives_see_every_deal_and_filter_by_owner_region_and_close_month(engine, book):
    assert _figures(engine, book["exec"]) == {
        "Lead": (2, 1500.5, 150.05), "Qualified": EMPTY, "Proposal": (1, 2000.0, 1000.0),
        "Negotiation": (1, 4000.0, 3000.0), "Won": (1, 3000.0, 3000.0), "Lost": (1, 800.0, 0.0)}
    assert _figures(engine, book["exec"], owner_id=book["other"].id) == {
        "Lead": EMPTY, "Qualified": EMPTY, "Proposal": EMPTY, "Negotiation": (1, 4000.0, 3000.0), "Won": EMPTY,
        "Lost": (1, 800.0, 0.0)}
    assert _figures(engine, book["exec"], region="EMEA") == {
        "Lead": (2, 1500.5, 150.05), "Qualified": EMPTY, "Proposal": EMPTY, "Negotiation": (1, 4000.0, 3000.0),
        "Won": EMPTY, "Lost": (1, 800.0, 0.0)}
    # November 2026: d1 (5th), d5 (15th) and d3 (30th); d2 closes on 1 December.
    assert _figures(engine, book["exec"], close_month=date(2026, 11, 1)) == {
        "Lead": (1, 1000.0, 100.0), "Qualified": EMPTY, "Proposal": (1, 2000.0, 1000.0),
        "Negotiation": (1, 4000.0, 3000.0), "Won": EMPTY, "Lost": EMPTY}
    assert _figures(engine, book["exec"], close_month=date(2026, 12, 1))["Lead"] == (1, 500.5, 50.05)


def test_cards_show_customer_amount_close_and_owner_nearest_close_first(engine, book):
    with Session(engine) as session:
        lead = deals.column_cards(session=session, actor=book["rep"], board=deals.BoardFilter(), stage=DealStage.lead)
    assert [(c.title, c.customer_name, c.amount, c.expected_close, c.owner_name) for c in lead.cards] == [
        ("Pilot", "Ada", 1000.0, date(2026, 11, 5), "Rep"), ("Renewal", "Ada", 500.5, date(2026, 12, 1), "Rep")]
    assert (lead.total, lead.page, lead.pages) == (2, 1, 1)


def test_a_long_column_comes_in_pages_of_twenty(engine, book):
    with Session(engine) as session:
        session.add_all([Deal(title=f"Extra {n:02d}", customer_id=book["ada"], owner_id=book["rep"].id,
                              stage=DealStage.qualified, amount=100, probability=0.25,
                              expected_close_date=date(2027, 1, n + 1)) for n in range(23)])
        session.commit()
        board = deals.BoardFilter()
        first = deals.column_cards(session=session, actor=book["rep"], board=board, stage=DealStage.qualified)
        last = deals.column_cards(session=session, actor=book["rep"], board=board, stage=DealStage.qualified, page=99)
    assert (len(first.cards), first.pages, first.cards[0].title) == (20, 2, "Extra 00")
    assert (last.page, [c.title for c in last.cards]) == (2, ["Extra 20", "Extra 21", "Extra 22"])


def _audit(session: Session, deal_id: int) -> list[AuditLog]:
    return list(session.exec(select(AuditLog).where(AuditLog.entity == "deal", AuditLog.entity_id == deal_id)
                             .order_by(AuditLog.id)))


def test_a_stage_move_sets_the_stage_probability_and_writes_the_stage_history(engine, book):
    with Session(engine) as session:
        deals.move_deal(session=session, actor=book["rep"], deal_id=book["d1"], stage="Qualified")
        deals.move_deal(session=session, actor=book["rep"], deal_id=book["d1"], stage="Won")
        session.commit()
        deal = session.get(Deal, book["d1"])
        assert (deal.stage, deal.probability, deal.closed_at is not None) == (DealStage.won, 1.0, True)
        moves = _audit(session, book["d1"])
    assert [(m.action, m.actor_id) for m in moves] == [("stage_move", book["rep"].id)] * 2
    assert (moves[0].old_values, moves[0].new_values) == (
        {"stage": "Lead", "probability": 0.1}, {"stage": "Qualified", "probability": 0.25})
    assert (moves[1].old_values["stage"], moves[1].new_values["stage"]) == ("Qualified", "Won")
    assert moves[1].old_values["closed_at"] is None and moves[1].new_values["closed_at"].startswith("20")
    assert _figures(engine, book["rep"])["Won"] == (2, 4000.0, 4000.0)


def test_moving_to_lost_needs_a_reason_and_reopening_clears_the_close(engine, book):
    with Session(engine) as session:
        for reason in (None, "", "   ", 42):
            with pytest.raises(deals.InvalidDealChange) as refused:
                deals.move_deal(session=session, actor=book["rep"], deal_id=book["d3"], stage="Lost",
                                lost_reason=reason)
            assert refused.value.field == "lost_reason"
        with pytest.raises(deals.InvalidDealChange):
            deals.move_deal(session=session, actor=book["rep"], deal_id=book["d3"], stage="Lost", lost_reason="x" * 201)
        session.commit()
        assert session.get(Deal, book["d3"]).stage == DealStage.proposal
        assert _audit(session, book["d3"]) == []

        deals.move_deal(session=session, actor=book["rep"], deal_id=book["d3"], stage="Lost",
                        lost_reason="  Went with a competitor ")
        session.commit()
        deal = session.get(Deal, book["d3"])
        assert (deal.stage, deal.lost_reason, deal.probability) == (DealStage.lost, "Went with a competitor", 0.0)

        deals.move_deal(session=session, actor=book["rep"], deal_id=book["d3"], stage="Negotiation")
        session.commit()
        deal = session.get(Deal, book["d3"])
        assert (deal.stage, deal.lost_reason, deal.closed_at, deal.probability) == (
            DealStage.negotiation, None, None, 0.75)


def test_a_rep_cannot_move_another_reps_deal_and_an_executive_cannot_move_any(engine, book):
    with Session(engine) as session:
        with pytest.raises(NotFound):
            deals.move_deal(session=session, actor=book["rep"], deal_id=book["d5"], stage="Won")
        with pytest.raises(PermissionDenied):
            deals.move_deal(session=session, actor=book["exec"], deal_id=book["d1"], stage="Qualified")
        for hostile_id in ("1", -1, True, None, 2**70, 999_999):
            with pytest.raises(NotFound):
                deals.move_deal(session=session, actor=book["admin"], deal_id=hostile_id, stage="Won")
        session.commit()
        assert session.get(Deal, book["d5"]).stage == DealStage.negotiation
        assert session.get(Deal, book["d1"]).stage == DealStage.lead
        assert session.exec(select(AuditLog)).all() == []
        # An admin may move anyone's deal.
        deals.move_deal(session=session, actor=book["admin"], deal_id=book["d5"], stage="Won")
        session.commit()
        assert [m.actor_id for m in _audit(session, book["d5"])] == [book["admin"].id]


@pytest.mark.parametrize("stage", ["Closed", "won", "", None, 3, ["Won"]])
def test_an_unknown_stage_is_refused(engine, book, stage):
    with Session(engine) as session:
        with pytest.raises(deals.InvalidDealChange) as refused:
            deals.move_deal(session=session, actor=book["rep"], deal_id=book["d1"], stage=stage)
        assert refused.value.field == "stage"
        session.commit()
        assert session.get(Deal, book["d1"]).stage == DealStage.lead


def test_moving_a_deal_to_its_own_stage_changes_nothing(engine, book):
    with Session(engine) as session:
        deals.move_deal(session=session, actor=book["rep"], deal_id=book["d1"], stage="Lead")
        session.commit()
        assert _audit(session, book["d1"]) == []


def _new(**values) -> deals.DealCreate:
    return deals.DealCreate.model_validate(
        {"title": " Expansion ", "customer_id": "1", "amount": "12,500.50", "expected_close_date": "2027-02-28"}
        | values)


def test_a_rep_creates_a_lead_for_their_own_customer_and_it_is_audited(engine, book):
    with Session(engine) as session:
        deal = deals.create_deal(session=session, actor=book["rep"],
                                 deal_create=_new(customer_id=book["ada"], owner_id=book["other"].id))
        session.commit()
        assert (deal.title, deal.owner_id, deal.stage, deal.amount, deal.probability, deal.expected_close_date) == (
            "Expansion", book["rep"].id, DealStage.lead, 12500.5, 0.1, date(2027, 2, 28))
        [created] = _audit(session, deal.id)
    assert (created.action, created.actor_id, created.old_values) == ("create", book["rep"].id, None)
    assert created.new_values["stage"] == "Lead" and created.new_values["amount"] == 12500.5


def test_deal_creation_refuses_other_books_executives_and_bad_amounts(engine, book):
    with Session(engine) as session:
        with pytest.raises(deals.InvalidDealChange) as refused:
            deals.create_deal(session=session, actor=book["rep"], deal_create=_new(customer_id=book["edsger"]))
        assert refused.value.field == "customer_id"
        with pytest.raises(PermissionDenied):
            deals.create_deal(session=session, actor=book["exec"], deal_create=_new(customer_id=book["ada"]))
        session.commit()
        assert session.exec(select(Deal).where(Deal.title == "Expansion")).all() == []
    for bad in ({"amount": "-5"}, {"amount": "lots"}, {"amount": "1e13"}, {"title": "   "}, {"customer_id": ""},
                {"expected_close_date": ""}, {"title": "x" * 201}):
        with pytest.raises(ValidationError):
            _new(**bad)


def test_admins_create_for_any_owner_and_reassign_deals(engine, book):
    with Session(engine) as session:
        deal = deals.create_deal(session=session, actor=book["admin"],
                                 deal_create=_new(customer_id=book["edsger"], owner_id=book["other"].id))
        assert deal.owner_id == book["other"].id
        with pytest.raises(deals.InvalidDealChange):
            deals.create_deal(session=session, actor=book["admin"],
                              deal_create=_new(customer_id=book["edsger"], owner_id=book["exec"].id))
        with pytest.raises(PermissionDenied):
            deals.reassign_deal(session=session, actor=book["rep"], deal_id=book["d1"], owner_id=book["other"].id)
        with pytest.raises(deals.InvalidDealChange):
            deals.reassign_deal(session=session, actor=book["admin"], deal_id=book["d1"], owner_id=book["exec"].id)
        deals.reassign_deal(session=session, actor=book["admin"], deal_id=book["d1"], owner_id=book["other"].id)
        session.commit()
        assert session.get(Deal, book["d1"]).owner_id == book["other"].id
        [moved] = _audit(session, book["d1"])
    assert (moved.action, moved.old_values, moved.new_values) == (
        "update", {"owner_id": book["rep"].id}, {"owner_id": book["other"].id})


def test_a_rep_picks_deal_customers_from_their_own_book(engine, book):
    with Session(engine) as session:
        assert deals.customers_to_sell_to(session=session, actor=book["rep"], search="") == [
            (book["ada"], "Ada"), (book["ada"] + 1, "Grace")]
        assert deals.customers_to_sell_to(session=session, actor=book["rep"], search="EDS") == []
        assert deals.customers_to_sell_to(session=session, actor=book["admin"], search="EDS") == [
            (book["edsger"], "Edsger")]
