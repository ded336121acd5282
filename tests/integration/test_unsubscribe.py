"""/unsubscribe?t=...: the link every marketing email carries clears the customer's email consent in one click,
without signing in, audited; GET only asks; a forged link changes nothing."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from crm_app.api import api
from crm_app.data.models import AuditLog, Customer
from crm_app.data.repositories import consent
from crm_app.settings import get_settings


@pytest.fixture
def client(engine, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(settings, "company_name", "Acme & Co")
    return TestClient(api, base_url="http://localhost:3000")


@pytest.fixture
def customer_id(engine) -> int:
    with Session(engine) as session:
        customer = Customer(name="Bo Buyer", email="bo@example.com", region="North", segment="Retail",
                            acquisition_channel="Web", consent_email=True, consent_phone=True)
        session.add(customer)
        session.commit()
        return customer.id


def state(engine, customer_id: int) -> tuple[bool, bool, list[tuple]]:
    with Session(engine) as session:
        customer = session.get(Customer, customer_id)
        audit = session.exec(select(AuditLog.actor_id, AuditLog.entity, AuditLog.entity_id, AuditLog.action,
                                    AuditLog.old_values, AuditLog.new_values)).all()
        return customer.consent_email, customer.consent_phone, [tuple(row) for row in audit]


def test_get_asks_and_changes_nothing(client, engine, customer_id):
    token = consent.unsubscribe_token(customer_id)
    page = client.get(f"/unsubscribe?t={token}")
    assert page.status_code == 200
    assert "Stop marketing emails from Acme &amp; Co?" in page.text
    assert f'<form method="post" action="/unsubscribe?t={token}"><button type="submit">Unsubscribe</button>' \
        in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert state(engine, customer_id) == (True, True, [])


def test_the_button_clears_email_consent_audited_and_a_second_click_changes_nothing(client, engine, customer_id):
    url = f"/unsubscribe?t={consent.unsubscribe_token(customer_id)}"
    done = client.post(url)
    assert done.status_code == 200
    assert "You will receive no more marketing emails from Acme &amp; Co." in done.text
    audited = [(None, "customer", customer_id, "unsubscribe", {"consent_email": True}, {"consent_email": False})]
    assert state(engine, customer_id) == (False, True, audited)
    assert client.post(url).status_code == 200
    assert state(engine, customer_id) == (False, True, audited)


def test_a_mail_clients_one_click_post_unsubscribes(client, engine, customer_id):
    """RFC 8058: the client POSTs `List-Unsubscribe=One-Click` to the List-Unsubscribe URL, with no Origin."""
    done = client.post(f"/unsubscribe?t={consent.unsubscribe_token(customer_id)}",
                       content=b"List-Unsubscribe=One-Click",
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert done.status_code == 200
    assert state(engine, customer_id)[:2] == (False, True)


@pytest.mark.parametrize("token", ["", "nonsense", "x" * 300])
def test_a_forged_or_altered_link_is_refused_and_changes_nothing(client, engine, customer_id, token):
    real = consent.unsubscribe_token(customer_id)
    for bad in (token, real[:-2] + ("AA" if not real.endswith("AA") else "BB")):
        for answer in (client.get(f"/unsubscribe?t={bad}"), client.post(f"/unsubscribe?t={bad}")):
            assert answer.status_code == 400
            assert "This unsubscribe link is not valid." in answer.text
    assert state(engine, customer_id) == (True, True, [])


def test_the_page_is_in_the_browsers_language(client, engine, customer_id):
    url, chinese = f"/unsubscribe?t={consent.unsubscribe_token(customer_id)}", {"Accept-Language": "zh-CN,zh;q=0.9"}
    asked = client.get(url, headers=chinese)
    assert '<html lang="zh-CN">' in asked.text
    assert "<p>不再接收 Acme &amp; Co 的营销邮件？</p>" in asked.text
    assert '<button type="submit">退订</button>' in asked.text
    done = client.post(url, headers=chinese)
    assert "<h1>您已退订</h1><p>您将不再收到 Acme &amp; Co 的营销邮件。</p>" in done.text
    forged = client.get(url + "x", headers=chinese)
    assert (forged.status_code, "<p>此退订链接无效。请原样使用邮件中的链接，或直接回复该邮件。</p>" in forged.text) == (400, True)
    assert '<html lang="en">' in client.get(url, headers={"Accept-Language": "de-DE"}).text
