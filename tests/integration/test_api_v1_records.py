"""/api/v1 orders, deals, tasks, activities, feedback and products on SQLite and PostgreSQL: what a token's user
creates and changes goes through the repositories (totals from lines, stage rules, audit as the user), and a rep's
token never reads or writes another rep's records on any route."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session, select

from crm_app.data.models import (Activity, AuditLog, Customer, Deal, Feedback, LoggedActivity, Order, OrderLine,
                                 Product)
from tests.integration.test_api_v1_customers import bearer, client, staff, token_for  # noqa: F401  (fixtures)

TABLES = (Customer, Deal, Order, OrderLine, Activity, LoggedActivity, Feedback)


def _book(engine, owner) -> dict[str, int]:
    """A customer of `owner` with a deal, a paid order of one line, a task, a logged call and a survey answer."""
    with Session(engine) as session:
        product = session.exec(select(Product)).first() or Product(sku="W-1", name="Widget", category="Tools",
                                                                    list_price=20)
        session.add(product)
        customer = Customer(name=f"{owner.full_name} Co", region="EMEA", segment="SMB", acquisition_channel="event",
                            owner_id=owner.id)
        session.add(customer)
        session.flush()
        deal = Deal(title="Big one", customer_id=customer.id, owner_id=owner.id, amount=1000,
                    expected_close_date=date(2027, 1, 31))
        order = Order(customer_id=customer.id, status="paid", channel="online", total_amount=40,
                      ordered_at=datetime(2026, 11, 1, tzinfo=UTC))
        session.add_all([deal, order])
        session.flush()
        session.add(OrderLine(order_id=order.id, product_id=product.id, quantity=2, unit_price=20))
        task = Activity(kind="call", subject="Call back", customer_id=customer.id, owner_id=owner.id,
                        due_at=datetime(2026, 12, 10, 9, tzinfo=UTC))
        entry = LoggedActivity(kind="note", body="Met them", customer_id=customer.id, author_id=owner.id,
                               occurred_at=datetime(2026, 11, 2, tzinfo=UTC))
        answer = Feedback(csat=2, nps=3, customer_id=customer.id)
        session.add_all([task, entry, answer])
        session.commit()
        return {"customers": customer.id, "deals": deal.id, "orders": order.id, "tasks": task.id,
                "activities": entry.id, "feedback": answer.id, "products": product.id}


def _checksum(engine, owner_customer: int) -> str:
    with Session(engine) as session:
        rows = []
        for model in TABLES:
            rows += [row.model_dump(warnings=False) for row in session.exec(select(model).order_by(model.id))]
        return hashlib.sha256(repr(rows).encode()).hexdigest()


WRITES = {
    "customers": {"name": "Taken"}, "deals": {"stage": "Won"}, "orders": {"status": "shipped"},
    "tasks": {"done": True}, "activities": {"body": "Rewritten"}, "feedback": {"status": "resolved"},
}


def test_a_reps_token_never_reads_or_writes_another_reps_records_on_any_route(client, engine, staff):
    theirs = _book(engine, staff["other"])
    mine = _book(engine, staff["rep"])
    headers = bearer(token_for(engine, staff["rep"]))
    before = _checksum(engine, theirs["customers"])
    for resource, record_id in theirs.items():
        if resource == "products":
            continue
        assert client.get(f"/api/v1/{resource}/{record_id}", headers=headers).status_code == 404, resource
        assert client.patch(f"/api/v1/{resource}/{record_id}", json=WRITES[resource],
                            headers=headers).status_code == 404, resource
        assert client.delete(f"/api/v1/{resource}/{record_id}", headers=headers).status_code in (404, 405), resource
        listed = client.get(f"/api/v1/{resource}", params={"limit": 100}, headers=headers).json()["data"]
        assert [row["id"] for row in listed] == [mine[resource]], resource
    # Creating on another rep's customer or deal is refused too.
    refused = [client.post("/api/v1/deals", json={"title": "Steal", "amount": 5, "expected_close_date": "2027-01-01",
                                                  "customer_id": theirs["customers"]}, headers=headers),
               client.post("/api/v1/tasks", json={"subject": "X", "due_on": "2027-01-01",
                                                  "customer_id": theirs["customers"]}, headers=headers),
               client.post("/api/v1/activities", json={"kind": "note", "body": "X", "deal_id": theirs["deals"]},
                           headers=headers),
               client.post("/api/v1/orders", json={"customer_id": theirs["customers"], "channel": "online",
                                                   "lines": [{"product_id": theirs["products"], "quantity": 1,
                                                              "unit_price": 1}]}, headers=headers)]
    assert [answer.status_code for answer in refused] == [422, 404, 404, 404]
    assert _checksum(engine, theirs["customers"]) == before
    admin = bearer(token_for(engine, staff["admin"]))
    assert client.get(f"/api/v1/deals/{theirs['deals']}", headers=admin).status_code == 200


def test_an_order_is_created_with_its_lines_and_a_total_computed_from_them(client, engine, staff):
    mine = _book(engine, staff["rep"])
    headers = bearer(token_for(engine, staff["rep"]))
    created = client.post("/api/v1/orders", headers=headers, json={
        "customer_id": mine["customers"], "channel": "phone", "ordered_at": "2026-12-01T10:00:00Z",
        "lines": [{"product_id": mine["products"], "quantity": 3, "unit_price": "19.99", "discount_percent": 10},
                  {"product_id": mine["products"], "quantity": 1, "unit_price": 5}]})
    assert created.status_code == 201
    order = created.json()
    # 3 x 19.99 less 10 % = 53.97 (rounded per line), plus 5.00
    assert (order["total_amount"], order["status"], len(order["lines"])) == (58.97, "pending", 2)
    assert [line["net_amount"] for line in order["lines"]] == [53.97, 5.0]
    bad = client.post("/api/v1/orders", headers=headers, json={
        "customer_id": mine["customers"], "channel": "phone",
        "lines": [{"product_id": mine["products"], "quantity": 0, "unit_price": 1.234}]})
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"lines.0.quantity", "lines.0.unit_price"}
    refund = client.patch(f"/api/v1/orders/{order['id']}", json={"status": "cancelled"}, headers=headers)
    assert refund.status_code == 422 and refund.json()["detail"] == "Say why the order is cancelled."
    cancelled = client.patch(f"/api/v1/orders/{order['id']}", json={"status": "cancelled", "reason": "Duplicate"},
                             headers=headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


def test_deal_task_activity_and_feedback_changes_follow_the_pages_rules(client, engine, staff):
    mine = _book(engine, staff["rep"])
    headers = bearer(token_for(engine, staff["rep"]))
    lost = client.patch(f"/api/v1/deals/{mine['deals']}", json={"stage": "Lost"}, headers=headers)
    assert lost.status_code == 422 and lost.json()["errors"] == {"lost_reason": "Say why the deal was lost."}
    won = client.patch(f"/api/v1/deals/{mine['deals']}", json={"stage": "Won", "amount": 1200}, headers=headers)
    assert won.status_code == 200, won.text
    assert (won.json()["stage"], won.json()["probability"], won.json()["amount"]) == ("Won", 1.0, 1200.0)
    assert won.json()["closed_at"] is not None
    assert client.patch(f"/api/v1/deals/{mine['deals']}", json={"owner_id": staff["other"].id},
                        headers=headers).status_code == 403
    created = client.post("/api/v1/tasks", headers=headers, json={"subject": "Send quote", "kind": "email",
                                                                   "due_on": "2026-12-20", "due_time": "14:30",
                                                                   "deal_id": mine["deals"]})
    assert created.status_code == 201, created.text
    task = created.json()
    assert (task["due_at"], task["customer_id"]) == ("2026-12-20T14:30:00Z", mine["customers"])
    done = client.patch(f"/api/v1/tasks/{task['id']}", json={"done": True, "subject": "Sent quote"}, headers=headers)
    assert (done.json()["done"], done.json()["subject"], done.json()["due_at"]) == (True, "Sent quote",
                                                                                   "2026-12-20T14:30:00Z")
    assert client.delete(f"/api/v1/tasks/{task['id']}", headers=headers).status_code == 204
    call = client.post("/api/v1/activities", headers=headers, json={"kind": "call", "body": "Agreed terms",
                                                                    "outcome": "Connected", "duration_minutes": 15,
                                                                    "customer_id": mine["customers"]})
    assert call.status_code == 201 and call.json()["duration_minutes"] == 15
    answer = client.patch(f"/api/v1/feedback/{mine['feedback']}", json={"status": "in_progress"}, headers=headers)
    assert answer.json()["status"] == "in_progress"
    products = client.get("/api/v1/products", headers=headers).json()["data"]
    assert [(p["sku"], p["list_price"]) for p in products] == [("W-1", 20.0)]
    with Session(engine) as session:
        audited = session.exec(select(AuditLog.entity, AuditLog.action).where(AuditLog.actor_id == staff["rep"].id,
                                                                           AuditLog.entity != "api_token")
                               .order_by(AuditLog.id)).all()
    assert [tuple(row) for row in audited] == [
        ("deal", "update"), ("deal", "stage_move"), ("task", "create"), ("task", "update"), ("task", "update"),
        ("task", "delete"), ("logged_activity", "create"), ("feedback", "update")]


CAMPAIGN = {"name": "Spring call-round", "channel": "phone", "start_date": "2027-03-01", "end_date": "2027-03-31",
            "cost": 500}


def test_campaigns_are_run_by_admins_and_read_by_reps_only_through_their_customers(client, engine, staff):
    from crm_app.data.models import CampaignTarget

    theirs = _book(engine, staff["other"])
    admin, rep = bearer(token_for(engine, staff["admin"])), bearer(token_for(engine, staff["rep"]))
    created = client.post("/api/v1/campaigns", json=CAMPAIGN, headers=admin)
    assert created.status_code == 201 and created.json()["status"] == "draft"
    campaign = created.json()["id"]
    with Session(engine) as session:
        session.add(CampaignTarget(campaign_id=campaign, customer_id=theirs["customers"]))
        session.commit()
    assert client.get(f"/api/v1/campaigns/{campaign}", headers=rep).status_code == 404
    assert client.get("/api/v1/campaigns", headers=rep).json()["data"] == []
    assert client.post("/api/v1/campaigns", json=CAMPAIGN, headers=rep).status_code == 403
    backwards = client.patch(f"/api/v1/campaigns/{campaign}", json={"end_date": "2027-02-01"}, headers=admin)
    assert backwards.status_code == 422 and backwards.json()["errors"] == {
        "form": "The campaign must end on or after its start."}
    cheaper = client.patch(f"/api/v1/campaigns/{campaign}", json={"cost": 250}, headers=admin)
    assert cheaper.status_code == 200 and cheaper.json()["cost"] == 250.0
