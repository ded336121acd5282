"""A marketer reads every customer (to target any of them) but changes no customer, deal, order, task, feedback or
timeline: every writing repository function refuses one before touching anything."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, func, select

from crm_app.data.models import Customer, Deal, Feedback, KpiTarget, Role, User
from crm_app.data.permissions import PermissionDenied
from crm_app.data.repositories import customers, deals, feedback, orders, tasks, timeline
from crm_app.data.repositories.metrics import latency_between, usage_between
from crm_app.data.repositories.targets import targets_between
from crm_app.data.repositories.users import actor_of, staff_directory
from crm_app.domain import DealStage, OrderStatus, SalesChannel
from tests.conftest import add_staff

NOW = datetime(2026, 11, 2, 10, tzinfo=UTC)


@pytest.fixture
def marketer_and_book(engine):
    with Session(engine) as session:
        people = add_staff(session)
        marketer = User(email="marketer@example.com", full_name="Mia Marketer", role=Role.marketer, password_hash="x")
        session.add(marketer)
        customer = Customer(name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event",
                            owner_id=people["rep"].id)
        session.add(customer)
        session.flush()
        deal = Deal(title="Laptops", customer_id=customer.id, owner_id=people["rep"].id, stage=DealStage.lead,
                    amount=1000, probability=0.1)
        answer = Feedback(customer_id=customer.id, channel="web", submitted_at=NOW, nps=3, comment="Slow")
        session.add_all([deal, answer])
        session.commit()
        return {"actor": actor_of(marketer), "customer": customer.id, "deal": deal.id, "feedback": answer.id}


WRITES = {
    "create customer": lambda s, a, ids: customers.create_customer(session=s, actor=a, customer_create=None),
    "update customer": lambda s, a, ids: customers.update_customer(session=s, actor=a, customer_id=ids["customer"],
                                                                   customer_update=None),
    "delete customer": lambda s, a, ids: customers.delete_customer(session=s, actor=a, customer_id=ids["customer"]),
    "survey link": lambda s, a, ids: customers.issue_survey_link(session=s, actor=a, customer_id=ids["customer"]),
    "create deal": lambda s, a, ids: deals.create_deal(session=s, actor=a, deal_create=deals.DealCreate(
        title="More laptops", customer_id=ids["customer"], amount=10, expected_close_date=date(2026, 12, 1))),
    "move deal": lambda s, a, ids: deals.move_deal(session=s, actor=a, deal_id=ids["deal"], stage="Qualified"),
    "create order": lambda s, a, ids: orders.create_order(session=s, actor=a, customer_id=ids["customer"], lines=[],
                                                          channel=SalesChannel.online, status=OrderStatus.paid,
                                                          ordered_at=NOW),
    "create task": lambda s, a, ids: tasks.create_task(session=s, actor=a, draft=None,
                                                          customer_id=ids["customer"]),
    "handle feedback": lambda s, a, ids: feedback.update_feedback(session=s, actor=a, feedback_id=ids["feedback"],
                                                                 status="resolved"),
    "log activity": lambda s, a, ids: timeline.log_activity(session=s, actor=a, draft=None, now=NOW,
                                                            customer_id=ids["customer"]),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_a_marketer_changes_no_record(engine, marketer_and_book, write):
    with Session(engine) as session:
        with pytest.raises(PermissionDenied):
            WRITES[write](session, marketer_and_book["actor"], marketer_and_book)
        session.rollback()
        assert session.exec(select(func.count()).select_from(Customer)).one() == 1
        assert session.exec(select(func.count()).select_from(Deal)).one() == 1


def test_a_marketer_reads_every_customer(engine, marketer_and_book):
    with Session(engine) as session:
        customer = customers.customer_for(session=session, actor=marketer_and_book["actor"],
                                          customer_id=marketer_and_book["customer"])
    assert customer.name == "Ada Lovelace"


def test_a_marketer_reads_the_staff_directory_the_customer_list_and_cockpit_show(engine, marketer_and_book):
    """/customers and the cockpit name each customer's owner from it: refused, both pages showed nothing."""
    with Session(engine) as session:
        directory = staff_directory(session=session, actor=marketer_and_book["actor"])
    assert ("Mia Marketer", "marketer") in [(name, role) for _, name, role in directory]


def test_a_marketer_reads_the_targets_and_system_figures_my_day_and_the_cockpit_show(engine, marketer_and_book):
    """My day's month to date and the cockpit's cards compare with the targets, and the cockpit's system panels read
    the measured latency and usage: refused, both pages told a marketer "You do not have access to this."."""
    with Session(engine) as session:
        session.add(KpiTarget(kpi="revenue", period_start=date(2026, 11, 1), period_end=date(2026, 11, 30),
                              target_value=50_000.0))
        session.commit()
        actor = marketer_and_book["actor"]
        goals = targets_between(session=session, actor=actor, start=date(2026, 11, 1), end=date(2026, 12, 1))
        assert goals[["kpi", "target_value"]].values.tolist() == [["revenue", 50_000.0]]
        assert latency_between(session=session, actor=actor, start=date(2026, 11, 1), end=date(2026, 12, 1)) == []
        assert usage_between(session=session, actor=actor, start=date(2026, 11, 1), end=date(2026, 12, 1)) == {}
