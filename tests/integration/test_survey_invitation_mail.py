"""Emailing a customer their personal survey link from the customer page: through the outbox to a real SMTP server,
once a day, only to customers who consent to email, only by their owner or an admin."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import Session

from crm_app import i18n, mail_sender, rate_limit
from crm_app.data.db import write_session
from crm_app.data.models import Customer
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.repositories import customers, feedback
from crm_app.data.repositories.users import actor_of
from crm_app.settings import get_settings
from tests.conftest import add_staff, run_async
from tests.smtp_server import SmtpServer

TODAY = date(2026, 12, 5)


@pytest.fixture
def company(engine, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(settings, "redis_url", None)
    monkeypatch.setattr(settings, "public_url", "https://crm.acme.example")
    monkeypatch.setattr(settings, "company_name", "Acme")
    monkeypatch.setattr(settings, "mail_rate_limit", "1000/minute")
    rate_limit._limiter.cache_clear()
    with Session(engine) as session:
        staff = add_staff(session)
        people = {name: Customer(name=name.title(), email=f"{name}@example.com", region="North", segment="Retail",
                                 acquisition_channel="Web", owner_id=staff["rep"].id, consent_email=consenting)
                  for name, consenting in (("bo", True), ("cy", False))}
        session.add_all(people.values())
        session.commit()
        ids = {name: c.id for name, c in people.items()}
        actors = {name: actor_of(user) for name, user in staff.items()}
    with SmtpServer() as smtp:
        monkeypatch.setattr(settings, "smtp_url", smtp.url)
        yield actors, ids, smtp
    rate_limit._limiter.cache_clear()


def invite(actor, customer_id):
    with write_session() as session:
        return customers.email_survey_invitation(session=session, actor=actor, customer_id=customer_id, today=TODAY)


def test_the_owner_emails_a_one_time_survey_link_once_a_day(engine, company):
    actors, ids, smtp = company
    assert invite(actors["rep"], ids["bo"]) == customers.SurveyInvitation(to="bo@example.com", already_queued=False)
    assert invite(actors["rep"], ids["bo"]) == customers.SurveyInvitation(to="bo@example.com", already_queued=True)
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound(sent=1)
    [email] = smtp.wait_for(1)
    assert (email["To"], email["Subject"]) == ("bo@example.com", "How did we do, Bo?")
    text = email.get_body(("plain",)).get_content()
    [token] = re.findall(r"https://crm\.acme\.example/feedback\?t=(\S+)", text)
    with Session(engine) as session:
        assert feedback.open_invite(session=session, token=token).customer_id == ids["bo"]
    assert "Thank you,\nRep\n" in text
    assert email["List-Unsubscribe"].startswith("<https://crm.acme.example/unsubscribe?t=")


def test_no_consent_no_email_and_only_owners_and_admins_send(engine, company):
    actors, ids, smtp = company
    with pytest.raises(ValueError, match="has not agreed to receive email"):
        invite(actors["rep"], ids["cy"])
    with pytest.raises(PermissionDenied):
        invite(actors["exec"], ids["bo"])
    with pytest.raises(NotFound):
        invite(actors["other"], ids["bo"])  # another rep's customer
    assert invite(actors["admin"], ids["bo"]).already_queued is False
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound(sent=1)
    assert [e["To"] for e in smtp.wait_for(1)] == ["bo@example.com"]


def test_a_chinese_speaking_rep_sends_the_invitation_in_chinese(engine, company):
    actors, ids, smtp = company
    with i18n.speaking(i18n.CHINESE):  # as the page's handler does for a rep who reads Chinese
        invite(actors["rep"], ids["bo"])
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound(sent=1)
    [email] = smtp.wait_for(1)
    assert email["Subject"] == "Bo，您对我们的服务满意吗？"
    text = email.get_body(("plain",)).get_content()
    assert text.startswith("Bo，您好：\n\n您对 Acme 的满意度如何？只有两个问题")
    assert "\n\n谢谢！\nRep\n\n--\n如不想再收到此类邮件：https://crm.acme.example/unsubscribe?t=" in text
