"""A NUL (or a lone surrogate) in what users send, on SQLite and PostgreSQL: the API answers 422, the forms and the
import name the field, sign-in and search neither crash nor match everything, and honest rows are stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlmodel import Session, func, select

from crm_app.api import FeedbackBatcher
from crm_app.data.db import engine_for
from crm_app.data.models import Customer, Deal, Feedback, FeedbackSubmission, Order
from crm_app.data.repositories import customers, deals, imports, orders
from crm_app.data.repositories.users import actor_of, authenticate
from crm_app.data.validation import UNSTORABLE_TEXT
from crm_app.domain import SalesChannel
from crm_app.settings import get_settings
from tests.conftest import add_staff, migrate, run_async

ANSWER = {"csat": 4, "nps": 9, "comment": "Quick delivery", "submission_id": "nul-test-0001"}


@pytest.fixture
def client(api_client):
    return api_client


@pytest.fixture
def book(engine):
    """Three customers of the rep and one open deal, Ada's."""
    with Session(engine) as session:
        people = add_staff(session)
        rep = people["rep"].id
        found = [Customer(name=name, company=company, region="EMEA", segment="SMB", acquisition_channel="event",
                          owner_id=rep)
                 for name, company in [("Ada Lovelace", "Analytical Engines"), ("Grace Hopper", "Navy"),
                                       ("Alan Turing", None)]]
        session.add_all(found)
        session.flush()
        session.add(Deal(title="Engine", customer_id=found[0].id, owner_id=rep, amount=10, probability=0.1))
        session.add(Order(customer_id=found[0].id, channel=SalesChannel.online, total_amount=5,
                          ordered_at=datetime(2026, 3, 1, tzinfo=UTC)))
        session.commit()
        return {name: actor_of(user) for name, user in people.items()}


def _feedback_rows(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Feedback)).one()


@pytest.mark.parametrize("field", ["comment", "name"])
def test_the_api_answers_422_for_a_nul_and_stores_nothing(client, engine, field):
    response = client.post("/api/feedback", json={**ANSWER, field: "Bad\u0000value", "consent": True})
    assert response.status_code == 422
    assert response.json() == {"reason": "invalid", "errors": {field: UNSTORABLE_TEXT}}
    assert _feedback_rows(engine) == 0
    assert client.post("/api/feedback", json=ANSWER).status_code == 201


def test_a_lost_reason_with_a_nul_is_refused_and_the_deal_stays_open(engine, book):
    with Session(engine) as session:
        deal_id = session.exec(select(Deal.id)).one()
        with pytest.raises(deals.InvalidDealChange) as refused:
            deals.move_deal(session=session, actor=book["rep"], deal_id=deal_id, stage="Lost",
                            lost_reason="Budget\x00cut")
        session.rollback()
        assert (refused.value.field, str(refused.value)) == ("lost_reason", UNSTORABLE_TEXT)
        assert session.get(Deal, deal_id).stage == "Lead"


def test_signing_in_with_a_nul_in_the_email_is_a_wrong_password(engine, book):
    with Session(engine) as session:
        assert authenticate(session=session, email="rep@example.com\x00", password="whatever") is None


def test_the_import_names_the_row_and_column_and_imports_the_rest(engine, book):
    text = ("external_ref,name,email,phone,company,region,segment,channel,owner_email\n"
            "N1,Ada\x00Byron,,,,EMEA,SMB,event,\n"
            "N2,Grace Hopper,,,Navy\x00,EMEA,SMB,event,\n"
            "N3,Alan Turing,,,,EMEA,SMB,event,\n")
    with Session(engine) as session:
        report = imports.import_file(session=session, actor=book["admin"], kind="customers", text=text)
        session.commit()
        assert [str(problem) for problem in report.problems] == [
            "row 1, column name: contains control characters", "row 2, column company: contains control characters"]
        assert session.exec(select(Customer.name).where(Customer.external_ref.is_not(None))).all() == ["Alan Turing"]


@pytest.mark.parametrize(
    "typed, names",
    [
        ("\x00", []),  # only an invisible character: nothing holds it (SQLite matched every row)
        ("a\x00b", []),  # "ab" (SQLite's FTS raised "database unreachable")
        ("lov\x00elace", ["Ada Lovelace"]),
        ("Hopper\x00", ["Grace Hopper"]),
        ("\x00an", ["Ada Lovelace", "Alan Turing"]),  # short: the LIKE scan, on the cleaned "an"
        ("\ud800engines", ["Ada Lovelace"]),
    ],
)
def test_search_cleans_the_term_on_every_search_path(engine, book, typed, names):
    with Session(engine) as session:
        page = customers.search_customers(session=session, actor=book["rep"],
                                          query=customers.CustomerQuery(search=typed))
        assert sorted(row.name for row in page.rows) == names and page.total == len(names)
        to_sell = deals.customers_to_sell_to(session=session, actor=book["rep"], search=typed)
        assert sorted(label.split(" (")[0] for _, label in to_sell) == names
        order_page = orders.search_orders(session=session, actor=book["rep"],
                                          query=orders.OrderQuery(customer_search=typed))
        assert [row.customer_name for row in order_page.rows] == [name for name in names if name == "Ada Lovelace"]


def test_a_blank_search_still_lists_everyone(engine, book):
    with Session(engine) as session:
        page = customers.search_customers(session=session, actor=book["rep"], query=customers.CustomerQuery(search=""))
        assert page.total == 3
        assert len(deals.customers_to_sell_to(session=session, actor=book["rep"], search="  ")) == 3


@pytest.mark.postgres
def test_a_group_commit_with_one_unstorable_row_stores_every_honest_one(postgres_databases, monkeypatch):
    """40 honest answers and one holding a NUL (as a client bypassing the API's checks would write it) arrive
    together: one batch, which PostgreSQL refuses; each row is then written on its own."""
    url = postgres_databases.create()
    migrate(url)
    monkeypatch.setattr(get_settings(), "database_url", url)
    honest = [FeedbackSubmission(csat=4, nps=9, comment=f"Honest answer {n}", submission_id=f"honest-{n:04d}")
              for n in range(40)]
    poisoned = FeedbackSubmission.model_construct(csat=1, nps=0, comment="Bad\x00row", name=None, email=None,
                                                  consent=False, submission_id="poisoned-0001", invite=None)
    batcher = FeedbackBatcher()

    async def submit_together() -> list:
        answers = [*honest[:20], poisoned, *honest[20:]]
        return await asyncio.gather(*(batcher.submit(answer) for answer in answers), return_exceptions=True)

    outcomes = run_async(submit_together())
    failed = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    assert len(failed) == 1 and outcomes[20] is failed[0]
    assert all(outcome.created for outcome in outcomes if not isinstance(outcome, BaseException))
    with Session(engine_for(url)) as session:
        stored = session.exec(select(Feedback.client_submission_id).order_by(Feedback.client_submission_id)).all()
    assert stored == sorted(answer.submission_id for answer in honest)
    engine_for(url).dispose()
