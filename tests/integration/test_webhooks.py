"""Webhooks end to end against a real local HTTP receiver, on SQLite and PostgreSQL: every committed change is
delivered once with a valid Standard Webhooks signature, failures are retried on the shared back-off until the
receiver recovers, a rolled-back change sends nothing, and a sender killed holding a claim loses no event."""

from __future__ import annotations

import json
import random
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from crm_app.data.db import write_session
from crm_app.data.erasing import erase_customer
from crm_app.data.mentions import REDACTED
from crm_app.data.models import (
    Customer, CustomerCreate, CustomerUpdate, Deal, FeedbackChannel, FeedbackSubmission, Order, Product,
    WebhookDelivery, utcnow,
)
from crm_app.data.permissions import PermissionDenied
from crm_app.data.repositories import campaigns, customers, deals, feedback, imports, orders, webhooks
from crm_app.data.repositories.orders import OrderLineDraft
from crm_app.data.repositories.users import actor_of
from crm_app.domain import CampaignChannel, DealStage, OrderStatus, SalesChannel
from crm_app.settings import PROJECT_ROOT, get_settings
from crm_app.webhook_sender import KEEP_FINISHED, LEASE, claim, new_client, prune, send_due
from tests.conftest import add_staff, run_async
from tests.webhook_receiver import Receiver, verify

ALL_EVENTS = ["customer.created", "customer.updated", "deal.stage_changed", "deal.won", "order.created",
              "feedback.received", "campaign.response"]
CAMPAIGN_START = datetime(2026, 10, 1, 9, tzinfo=UTC)


@pytest.fixture
def company(engine, monkeypatch):
    """The app pointed at the test database; staff, a product, a customer of the rep's with an open deal."""
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    with Session(engine) as session:
        people = add_staff(session)
        customer = Customer(external_ref="C-REP", name="Rep's customer", region="EMEA", segment="SMB",
                            acquisition_channel="event", owner_id=people["rep"].id)
        product = Product(sku="MOUSE", name="Mouse", category="Accessories", list_price=20)
        session.add_all([customer, product])
        session.flush()
        deal = Deal(title="Mice", customer_id=customer.id, owner_id=people["rep"].id, stage=DealStage.lead,
                    amount=600, probability=0.1)
        session.add(deal)
        session.commit()
        return {name: actor_of(user) for name, user in people.items()} | {
            "customer": customer.id, "product": product.id, "deal": deal.id}


def _endpoint(company, url: str, events=None) -> str:
    with write_session() as session:
        return webhooks.create_endpoint(session=session, actor=company["admin"], url=url,
                                        events=events or ALL_EVENTS).secret


def _round(now: datetime, seed: int = 7) -> int:
    async def once() -> int:
        async with new_client() as client:
            return await send_due(client, now=now, jitter=random.Random(seed))
    return run_async(once())


def _send_everything(now: datetime) -> int:
    attempted = 0
    while sent := _round(now):
        attempted += sent
    return attempted


def _deliveries(engine) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return list(session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)))


def _verified(secret: str, receiver: Receiver, now: datetime) -> list[dict]:
    return [verify(secret, got.headers, got.body, now=int(now.timestamp())) for got in receiver.received]


def _answer(submission_id: str, nps: int, comment: str) -> FeedbackSubmission:
    return FeedbackSubmission(csat=3, nps=nps, comment=comment, submission_id=submission_id)


def test_every_committed_change_is_delivered_once_with_a_valid_signature(engine, company):
    with Receiver() as receiver, Receiver() as won_only:
        secret = _endpoint(company, receiver.url)
        won_secret = _endpoint(company, won_only.url, ["deal.won"])
        rep = company["rep"]
        with write_session() as session:
            ada = customers.create_customer(session=session, actor=rep, customer_create=CustomerCreate(
                name="Ada Lovelace", email="ada@example.org", region="EMEA", segment="SMB", acquisition_channel="event"))
        with write_session() as session:
            customers.update_customer(session=session, actor=rep, customer_id=ada.id, customer_update=CustomerUpdate(
                name="Ada Lovelace", company="Analytical Engines", email="ada@example.org", region="EMEA",
                segment="SMB", acquisition_channel="event"))
        with write_session() as session:  # saved unchanged: no audit row, no event
            customers.update_customer(session=session, actor=rep, customer_id=ada.id, customer_update=CustomerUpdate(
                name="Ada Lovelace", company="Analytical Engines", email="ada@example.org", region="EMEA",
                segment="SMB", acquisition_channel="event"))
        for stage in (DealStage.qualified, DealStage.won, DealStage.won):  # the second Won moves nothing
            with write_session() as session:
                deals.move_deal(session=session, actor=rep, deal_id=company["deal"], stage=stage)
        with write_session() as session:
            order = orders.create_order(
                session=session, actor=rep, customer_id=company["customer"], channel=SalesChannel.phone,
                ordered_at=datetime(2026, 3, 14, 10, 30, tzinfo=UTC),
                lines=[OrderLineDraft(product_id=company["product"], quantity="3", unit_price="19.99",
                                      discount_percent="10")])
        with write_session() as session:
            feedback.submit_feedback(session=session, submission=_answer("single-answer-1", 9, "Great"),
                                     channel=FeedbackChannel.web)
        with write_session() as session:  # the API's group commit; the repeated id is stored once
            feedback.submit_anonymous_batch(session=session, channel=FeedbackChannel.api, submissions=[
                _answer("batch-answer-1", 2, "Slow"), _answer("batch-answer-2", 10, None),
                _answer("batch-answer-1", 2, "Slow")])
        with write_session() as session:
            imports.import_file(session=session, actor=company["admin"], kind=imports.ImportKind.customers, text=(
                "external_ref,name,email,phone,company,region,segment,channel,owner_email\n"
                "N1,Grace Hopper,,,,North America,Enterprise,event,\n"
                "C-REP,Rep's customer renamed,,,,EMEA,SMB,event,rep@example.com\n"))
        with write_session() as session:
            imports.import_file(session=session, actor=company["admin"], kind=imports.ImportKind.orders, text=(
                "external_ref,customer_external_ref,ordered_at,sku,quantity,unit_price,discount,status,channel\n"
                "O1,N1,2026-03-31,MOUSE,2,20,,paid,online\n"))

        now = utcnow()
        assert _send_everything(now) == 12 + 1
        assert _round(now + timedelta(days=1)) == 0  # nothing left, nothing sent twice
        events = _verified(secret, receiver, now)
        assert [event["data"]["id"] for event in _verified(won_secret, won_only, now)] == [company["deal"]]

    by_type = Counter(event["type"] for event in events)
    assert by_type == {"customer.created": 2, "customer.updated": 2, "deal.stage_changed": 2, "deal.won": 1,
                       "order.created": 2, "feedback.received": 3, }
    data = {(e["type"], e["data"].get("name") or e["data"].get("comment") or e["data"].get("stage")
             or e["data"].get("total_amount")): e["data"] for e in events}
    assert data[("customer.created", "Ada Lovelace")]["email"] == "ada@example.org"
    assert data[("customer.updated", "Ada Lovelace")]["company"] == "Analytical Engines"
    assert data[("customer.created", "Grace Hopper")]["external_ref"] == "N1"
    assert data[("customer.updated", "Rep's customer renamed")]["id"] == company["customer"]
    assert data[("deal.stage_changed", "Qualified")]["previous_stage"] == "Lead"
    assert data[("deal.stage_changed", "Won")]["previous_stage"] == "Qualified"
    assert data[("deal.won", "Won")]["amount"] == 600
    # 3 x 19.99 x 0.9 = 53.97; the imported order: 2 x 20 = 40.
    assert data[("order.created", 53.97)]["id"] == order.id
    assert data[("order.created", 53.97)]["lines"] == [
        {"product_id": company["product"], "quantity": 3, "unit_price": 19.99, "discount": 0.1}]
    assert data[("order.created", 40.0)]["external_ref"] == "O1"
    assert {data[("feedback.received", c)]["nps"] for c in ("Great", "Slow")} == {9, 2}
    assert [e["data"]["nps"] for e in events if e["type"] == "feedback.received" and not e["data"]["comment"]] == [10]
    ids = [got.headers["webhook-id"] for got in receiver.received]
    assert len(set(ids)) == len(ids) == 12
    assert [d.status for d in _deliveries(engine)] == ["delivered"] * 13


def test_a_receiver_failing_three_times_then_recovering_gets_the_event_once(engine, company):
    with Receiver(statuses=[500, 503, 500]) as receiver:
        secret = _endpoint(company, receiver.url, ["customer.created"])
        with write_session() as session:
            customers.create_customer(session=session, actor=company["rep"], customer_create=CustomerCreate(
                name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event"))
        now = utcnow()
        waits = []
        for _failure in range(3):
            assert _round(now) == 1
            retry_at = _deliveries(engine)[0].next_attempt_at
            waits.append(retry_at - now)
            assert _round(retry_at - timedelta(seconds=1)) == 0  # not due yet
            now = retry_at
        assert _round(now) == 1
        assert _round(now + timedelta(days=2)) == 0
        assert [got.answered for got in receiver.received] == [500, 503, 500, 200]
        assert len({got.headers["webhook-id"] for got in receiver.received}) == 1
        for got in receiver.received:
            verify(secret, got.headers, got.body, now=int(got.headers["webhook-timestamp"]))
    # retry_schedule: 30 s, 60 s, 120 s, each plus up to a fifth of jitter.
    for wait, base in zip(waits, (30, 60, 120), strict=True):
        assert timedelta(seconds=base) <= wait <= timedelta(seconds=base * 1.2)
    [delivery] = _deliveries(engine)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 4, 200)
    assert delivery.claim is None and delivery.next_attempt_at is None


def test_a_receiver_that_never_recovers_is_given_up_after_24_hours(engine, company):
    with Receiver(statuses=[500] * 100) as receiver:
        _endpoint(company, receiver.url, ["customer.created"])
        with write_session() as session:
            customers.create_customer(session=session, actor=company["rep"], customer_create=CustomerCreate(
                name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event"))
        first = now = utcnow()
        while (delivery := _deliveries(engine)[0]).status == "pending":
            assert _round(now) == 1
            now = _deliveries(engine)[0].next_attempt_at or now
        assert _round(now + timedelta(days=3)) == 0
    assert delivery.status == "failed"
    assert delivery.attempts == len(receiver.received)
    # Random(7) draws a jitter share of 0.0648: waits of 30 s doubling to 1,920 s (4,078 s in all with the
    # jitter) reach the 8th attempt, then 3,833 s each: 21 more fit before 86,400 s, so 29 attempts.
    assert delivery.attempts == 29
    assert now - first <= timedelta(hours=24) and delivery.next_attempt_at is None


def test_a_rolled_back_change_sends_nothing(engine, company):
    with Receiver() as receiver:
        _endpoint(company, receiver.url)
        with pytest.raises(RuntimeError), write_session() as session:
            customers.create_customer(session=session, actor=company["rep"], customer_create=CustomerCreate(
                name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event"))
            deals.move_deal(session=session, actor=company["rep"], deal_id=company["deal"], stage=DealStage.won)
            raise RuntimeError("the request failed after the writes")
        with pytest.raises(deals.InvalidDealChange), write_session() as session:
            deals.move_deal(session=session, actor=company["rep"], deal_id=company["deal"], stage=DealStage.lost)
        assert _deliveries(engine) == []
        assert _round(utcnow()) == 0
        assert receiver.received == []


def test_a_sender_killed_while_holding_a_claim_loses_no_event(engine, company):
    with Receiver() as receiver:
        secret = _endpoint(company, receiver.url, ["customer.created"])
        with write_session() as session:
            customers.create_customer(session=session, actor=company["rep"], customer_create=CustomerCreate(
                name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event"))
        now = utcnow()
        # Another process claims the delivery, then dies before sending it.
        sender = subprocess.Popen(
            [sys.executable, "-c", "import sys, time; from datetime import datetime; "
             "from crm_app.webhook_sender import claim; "
             "print(len(claim(datetime.fromisoformat(sys.argv[1]))), flush=True); time.sleep(600)", now.isoformat()],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(PROJECT_ROOT),
                 "CRM_DATABASE_URL": get_settings().database_url, "CRM_SECRET_KEY": get_settings().secret_key})
        try:
            assert sender.stdout.readline().strip() == "1"
        finally:
            sender.kill()
            sender.wait()
        [held] = _deliveries(engine)
        assert held.claim is not None and held.attempts == 0
        assert _round(now + LEASE - timedelta(seconds=1)) == 0  # its lease still holds the row
        assert _round(now + LEASE + timedelta(seconds=1)) == 1
        assert len(receiver.received) == 1
        verify(secret, receiver.received[0].headers, receiver.received[0].body,
               now=int((now + LEASE).timestamp()) + 1)
    [delivery] = _deliveries(engine)
    assert (delivery.status, delivery.attempts) == ("delivered", 1)


def test_two_senders_never_claim_the_same_delivery(engine, company):
    _endpoint(company, "https://hooks.example.com/crm", ["customer.created"])
    with write_session() as session:
        for number in range(30):
            customers.create_customer(session=session, actor=company["rep"], customer_create=CustomerCreate(
                name=f"Customer {number}", region="EMEA", segment="SMB", acquisition_channel="event"))
    now, claimed, start = utcnow(), [], threading.Barrier(2)

    def take() -> None:
        start.wait()
        claimed.append([delivery.id for delivery in claim(now, limit=20)])

    threads = [threading.Thread(target=take) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    first, second = claimed
    assert sorted(len(ids) for ids in claimed) == [10, 20]
    assert set(first).isdisjoint(second)
    assert sorted(first + second) == [d.id for d in _deliveries(engine)]


def test_resend_queues_the_same_event_again_and_only_admins_may(engine, company):
    with Receiver() as receiver:
        _endpoint(company, receiver.url, ["customer.created"])
        with write_session() as session:
            customers.create_customer(session=session, actor=company["rep"], customer_create=CustomerCreate(
                name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event"))
        now = utcnow()
        assert _round(now) == 1
        [delivery] = _deliveries(engine)
        with pytest.raises(PermissionDenied), write_session() as session:
            webhooks.resend(session=session, actor=company["rep"], delivery_id=delivery.id)
        with write_session() as session:
            webhooks.resend(session=session, actor=company["admin"], delivery_id=delivery.id, now=now)
        assert _round(now) == 1
        first, again = receiver.received
    assert first.headers["webhook-id"] == again.headers["webhook-id"] and first.body == again.body
    [delivery] = _deliveries(engine)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_a_paused_endpoint_gets_no_new_events(engine, company):
    _endpoint(company, "https://hooks.example.com/crm", ["customer.created"])
    with write_session() as session:
        [endpoint] = webhooks.endpoints(session=session, actor=company["admin"])
        webhooks.set_endpoint_active(session=session, actor=company["admin"], endpoint_id=endpoint.id, active=False)
        customers.create_customer(session=session, actor=company["rep"], customer_create=CustomerCreate(
            name="Ada Lovelace", region="EMEA", segment="SMB", acquisition_channel="event"))
    assert _deliveries(engine) == []


def test_erasing_a_customer_redacts_them_in_the_events_sent_and_queued(engine, company):
    _endpoint(company, "https://hooks.example.com/crm", ["customer.created", "customer.updated"])
    with write_session() as session:
        ada = customers.create_customer(session=session, actor=company["rep"], customer_create=CustomerCreate(
            name="Ada Lovelace", email="ada@example.org", phone="+44 20 7946 0958", region="EMEA", segment="SMB",
            acquisition_channel="event"))
    with write_session(overwrite_freed=True) as session:
        erasure = erase_customer(session=session, actor=company["admin"], customer_id=ada.id)
    assert erasure.counts["webhook_events"] == 1
    [event] = [json.loads(delivery.body) for delivery in _deliveries(engine)]
    assert (event["data"]["name"], event["data"]["email"], event["data"]["phone"]) == (REDACTED,) * 3
    assert event["data"]["region"] == "EMEA"


def test_the_log_keeps_finished_deliveries_30_days_and_pending_ones_until_sent(engine, company):
    _endpoint(company, "https://hooks.example.com/crm", ["customer.created"])
    with write_session() as session:
        for name in ("Delivered", "Failed", "Pending"):
            customers.create_customer(session=session, actor=company["rep"], customer_create=CustomerCreate(
                name=name, region="EMEA", segment="SMB", acquisition_channel="event"))
    delivered, failed, pending = (d.id for d in _deliveries(engine))
    with Session(engine) as session:
        for delivery_id, status in ((delivered, "delivered"), (failed, "failed")):
            session.get(WebhookDelivery, delivery_id).status = status
        session.commit()
    created = _deliveries(engine)[0].created_at
    assert prune(created + KEEP_FINISHED) == 0  # exactly 30 days old: kept
    assert prune(created + KEEP_FINISHED + timedelta(seconds=1)) == 2
    assert [d.id for d in _deliveries(engine)] == [pending]


def test_a_campaign_response_is_sent_once_when_it_is_first_attributed(engine, company, monkeypatch):
    monkeypatch.setattr(get_settings(), "public_url", "https://crm.acme.example")
    with Receiver() as receiver:
        secret = _endpoint(company, receiver.url, ["campaign.response"])
        admin = company["admin"]
        with write_session() as session:
            reachable = session.get(Customer, company["customer"])
            reachable.email, reachable.consent_email = "buyer@example.com", True
            session.add(reachable)
            session.flush()
            campaign = campaigns.create_campaign(session=session, actor=admin, draft=campaigns.CampaignDraft(
                name="Autumn", channel=CampaignChannel.email, cost=100, start_date=date(2026, 10, 1),
                end_date=date(2026, 10, 14), attribution_days=30, holdout_share=0, email_subject="Hi {name}",
                email_body="Hello {name}: {survey_link}"))
            campaigns.set_audience(session=session, actor=admin, campaign_id=campaign.id,
                                   customer_ids=[company["customer"]])
            campaigns.start_campaign(session=session, actor=admin, campaign_id=campaign.id, now=CAMPAIGN_START)
            campaign_id = campaign.id
        with write_session() as session:
            session.add(Order(customer_id=company["customer"], channel=SalesChannel.online, status=OrderStatus.paid,
                              ordered_at=CAMPAIGN_START + timedelta(days=2), total_amount=250))
        for _refresh in range(2):  # the second refresh finds the same response: no second event
            with write_session() as session:
                campaigns.refresh_responses(session=session, now=CAMPAIGN_START + timedelta(days=5))
        now = utcnow()
        assert _send_everything(now) == 1
        [event] = _verified(secret, receiver, now)
    assert event["type"] == "campaign.response"
    assert {key: event["data"][key] for key in ("campaign_id", "customer_id", "target_group", "attributed_revenue")} \
        == {"campaign_id": campaign_id, "customer_id": company["customer"], "target_group": "contacted",
            "attributed_revenue": 250.0}
    assert event["data"]["responded_at"].startswith("2026-10-03")
