"""My day's figures on SQLite and PostgreSQL, by hand around 14 March 2026: deals closing this month and overdue,
detractors of the last 14 days, customers at churn risk from the last fit, and the month to date against target.
A sales rep gets their own book; an executive the company's. Each count equals the filtered list it links to."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from crm_app.analytics import cockpit as evaluation
from crm_app.data.insights_refresh import insight_model_name, latest_churn_risk
from crm_app.data.models import Customer, Deal, Feedback, KpiTarget, ModelRun, Order
from crm_app.data.repositories import customers, deals
from crm_app.data.repositories.feedback import FeedbackFilters, answers_preview, inbox_page
from crm_app.data.repositories.targets import targets_between
from crm_app.data.repositories.users import actor_of
from crm_app.data.snapshot import cockpit_facts
from crm_app.domain import DealStage, OrderStatus, SalesChannel, deal_is_overdue
from tests.conftest import add_staff

TODAY = date(2026, 3, 14)
MARCH = date(2026, 3, 1)


def at(month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def book(engine):
    """Two reps with a customer each (the rep also a second one), their deals, answers, orders and targets."""
    with Session(engine) as session:
        people = add_staff(session)
        rep, other = people["rep"].id, people["other"].id
        mine = Customer(name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event", owner_id=rep)
        also_mine = Customer(name="Alan Turing", region="EMEA", segment="SMB", acquisition_channel="web",
                             owner_id=rep)
        theirs = Customer(name="Grace Hopper", region="Americas", segment="SMB", acquisition_channel="web",
                          owner_id=other)
        session.add_all([mine, also_mine, theirs])
        session.flush()

        def deal(title, owner, customer, stage, amount, close):
            return Deal(title=title, owner_id=owner, customer_id=customer.id, stage=stage, amount=amount,
                        expected_close_date=close, closed_at=at(3, 5) if stage == DealStage.won else None)

        session.add_all([
            deal("A", rep, mine, DealStage.proposal, 1000, date(2026, 3, 10)),   # overdue, closes in March
            deal("B", rep, mine, DealStage.lead, 500, date(2026, 3, 20)),        # closes in March
            deal("C", rep, mine, DealStage.won, 9000, date(2026, 3, 5)),         # won: neither
            deal("D", rep, mine, DealStage.negotiation, 300, date(2026, 2, 20)),  # overdue since February
            deal("E", rep, mine, DealStage.qualified, 200, TODAY),               # closes today: not overdue yet
            deal("F", rep, mine, DealStage.lead, 50, None),                      # no date: neither
            deal("G", other, theirs, DealStage.proposal, 4000, date(2026, 3, 1)),  # the other rep's, overdue
        ])

        def answer(nps, when, customer=None, assignee=None):
            return Feedback(nps=nps, submitted_at=when, customer_id=customer.id if customer else None,
                            assignee_id=assignee, comment=f"NPS {nps}")

        session.add_all([
            answer(3, at(3, 12), mine),
            answer(6, at(3, 1, 0, 30), also_mine),   # first minute of the 14 days (1 March, UTC)
            answer(2, at(2, 28, 23), mine),         # the day before: outside
            answer(7, at(3, 10), mine),             # a passive
            answer(0, at(3, 13), theirs, assignee=rep),  # assigned to the rep, but not their customer
            answer(1, at(3, 13)),                   # anonymous
        ])

        def order(customer, when, status, total):
            return Order(customer_id=customer.id, channel=SalesChannel.online, ordered_at=when, status=status,
                         total_amount=total)

        session.add_all([
            order(mine, at(3, 2), OrderStatus.paid, 100.00),
            order(also_mine, at(3, 14, 9), OrderStatus.shipped, 250.50),
            order(mine, at(3, 10), OrderStatus.pending, 999),      # not revenue
            order(mine, at(2, 27), OrderStatus.paid, 70),          # February
            order(theirs, at(3, 5), OrderStatus.paid, 400),
        ])
        for owner, value in ((rep, 3100), (other, 6200)):
            session.add(KpiTarget(kpi="revenue", scope="rep", scope_value=str(owner), period_start=MARCH,
                                  period_end=date(2026, 3, 31), target_value=value))
        summary = {"report": "churn", "as_of": "2026-03-13",
                   "at_risk": [{"customer_id": customer.id, "probability": p}
                               for customer, p in ((theirs, 0.91), (also_mine, 0.8), (mine, 0.65))]}
        session.add(ModelRun(model=insight_model_name("churn"), fitted_at=at(3, 13, 6), rows=5, seconds=1,
                             summary=summary))
        session.add(ModelRun(model=insight_model_name("churn"), fitted_at=at(3, 1, 6), rows=5, seconds=1,
                             summary={**summary, "at_risk": [{"customer_id": mine.id, "probability": 0.5}]}))
        session.commit()
        return {"rep": actor_of(people["rep"]), "exec": actor_of(people["exec"]), "ids": {
            "mine": mine.id, "also_mine": also_mine.id, "theirs": theirs.id}, "reps": (rep, other)}


def _due(engine, actor, board):
    with Session(engine) as session:
        found = deals.deals_due(session=session, actor=actor, board=board, limit=5)
    return found.count, found.amount, [card.title for card in found.first]


def test_deals_closing_this_month_and_overdue_are_the_reps_own_or_the_companys(engine, book):
    closing, overdue = deals.BoardFilter(close_month=MARCH), deals.BoardFilter(overdue_on=TODAY)
    assert _due(engine, book["rep"], closing) == (3, 1700.0, ["A", "E", "B"])
    assert _due(engine, book["rep"], overdue) == (2, 1300.0, ["D", "A"])
    assert _due(engine, book["exec"], closing) == (4, 5700.0, ["G", "A", "E", "B"])
    assert _due(engine, book["exec"], overdue) == (3, 5300.0, ["D", "G", "A"])
    # The overdue filter is domain.deal_is_overdue, and the board (/pipeline?overdue=yes) shows the same deals.
    with Session(engine) as session:
        every = session.exec(select(Deal)).all()
        board = [card.title for stage in DealStage for card in deals.column_cards(
            session=session, actor=book["exec"], board=overdue, stage=stage).cards]
    assert sorted(d.title for d in every if deal_is_overdue(d.stage, d.expected_close_date, TODAY)) == ["A", "D", "G"]
    assert sorted(board) == ["A", "D", "G"]


def test_detractors_of_the_last_14_days_come_from_the_reps_customers_or_the_whole_company(engine, book):
    since = date(2026, 3, 1)
    rep_filters = FeedbackFilters(nps_band="detractor", submitted_from=since, owner_id=book["rep"].id)
    company_filters = FeedbackFilters(nps_band="detractor", submitted_from=since)
    with Session(engine) as session:
        mine = answers_preview(session=session, actor=book["rep"], filters=rep_filters, limit=5)
        company = answers_preview(session=session, actor=book["exec"], filters=company_filters, limit=3)
        # The inbox these figures link to counts the same answers.
        inbox_totals = (inbox_page(session=session, actor=book["rep"], filters=rep_filters).total,
                        inbox_page(session=session, actor=book["exec"], filters=company_filters).total)
    assert (mine.total, [(row.nps, row.customer_name) for row in mine.newest]) == (
        2, [(3, "Ada Lovelace"), (6, "Alan Turing")])
    assert (company.total, [row.nps for row in company.newest]) == (4, [1, 0, 3])
    assert inbox_totals == (2, 4)


def test_customers_at_churn_risk_are_the_last_fits_list_within_what_the_user_sees(engine, book):
    ids = book["ids"]
    with Session(engine) as session:
        risk = latest_churn_risk(session=session)
        assert (risk.fitted_at, risk.customer_ids) == (at(3, 13, 6), (ids["theirs"], ids["also_mine"], ids["mine"]))
        mine = customers.visible_among(session=session, actor=book["rep"], ids=risk.customer_ids)
        company = customers.visible_among(session=session, actor=book["exec"], ids=risk.customer_ids)
        listed = [customers.search_customers(session=session, actor=actor,
                                             query=customers.CustomerQuery(among=risk.customer_ids)).total
                  for actor in (book["rep"], book["exec"])]
    assert mine == [(ids["also_mine"], "Alan Turing"), (ids["mine"], "Ada Lovelace")]
    assert [name for _, name in company] == ["Grace Hopper", "Alan Turing", "Ada Lovelace"]
    assert risk.probabilities[ids["theirs"]] == 0.91
    assert listed == [2, 3]  # /customers?risk=churn shows the same customers


def test_a_churn_fit_with_too_little_data_leaves_no_list(engine, book):
    with Session(engine) as session:
        session.add(ModelRun(model=insight_model_name("churn"), fitted_at=at(3, 14, 6), rows=0, seconds=0,
                             summary={"report": "churn", "error": "Too few customers."}))
        session.commit()
        assert latest_churn_risk(session=session) is None


def test_the_month_to_date_against_target_is_the_cockpits_this_month_revenue_card(engine, book):
    filters = evaluation.CockpitFilters(start=MARCH, end=date(2026, 3, 15))
    with Session(engine) as session:
        goals = targets_between(session=session, actor=book["exec"], start=filters.start, end=filters.end)
        rep_facts = cockpit_facts(session=session, actor=book["rep"])
        company_facts = cockpit_facts(session=session, actor=book["exec"])
    rep = evaluation.kpi_card(rep_facts, filters, goals, "revenue", own_rep=book["rep"].id)
    company = evaluation.kpi_card(company_facts, filters, goals, "revenue", reps=book["reps"])
    # 100.00 + 250.50 paid or shipped in 1-14 March; the March target 3,100 for 14 of 31 days is 1,400.
    assert (rep.actual.value, rep.target, rep.status) == (350.5, 1400.0, "bad")
    # The company has no target of its own: both reps' together, 1,400 + 6,200 × 14 / 31 = 4,200.
    assert (company.actual.value, company.target, company.target_source) == (750.5, 4200.0,
                                                                            "sum of the rep targets")
    card = next(c for c in evaluation.evaluate(company_facts, filters, goals, reps=book["reps"]).cards
                if c.definition.key == "revenue")
    assert (card.actual.value, card.target, card.target_source) == (750.5, 4200.0, "sum of the rep targets")
