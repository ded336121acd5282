""""Forgot password?" over HTTP against a real database and a real SMTP server: the same answer for any email,
one emailed link, valid 30 minutes and once, the password policy, every session ended, the throttle."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from crm_app import mail_sender, password_reset, rate_limit, sign_in
from crm_app.api import api
from crm_app.data.models import AuditLog, MailMessage, Role, User, UserCreate, utcnow
from crm_app.data.repositories import password_resets, users
from crm_app.settings import get_settings
from tests.conftest import run_async
from tests.smtp_server import SmtpServer

OLD, NEW = "correct-horse-1", "violet tractor harbour 42"


@pytest.fixture
def settings(engine, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(settings, "redis_url", None)
    monkeypatch.setattr(settings, "allowed_origins", "http://crm.example")
    monkeypatch.setattr(settings, "public_url", None)
    monkeypatch.setattr(settings, "company_name", "Acme")
    monkeypatch.setattr(settings, "mail_rate_limit", "1000/minute")
    rate_limit._limiter.cache_clear()
    sign_in._password_checkers.cache_clear()
    with Session(engine) as session:
        users.create_user(session=session, actor=None, user_create=UserCreate(
            email="rep@example.com", full_name="Riley Rep", role=Role.sales_rep, password=OLD))
        session.commit()
    yield settings
    rate_limit._limiter.cache_clear()
    sign_in._password_checkers.cache_clear()


@pytest.fixture
def smtp(settings, monkeypatch):
    with SmtpServer() as server:
        monkeypatch.setattr(settings, "smtp_url", server.url)
        yield server


@pytest.fixture
def client(settings):
    return TestClient(api, base_url="http://crm.example", follow_redirects=False)


def ask(client, email: str):
    return client.post("/auth/forgot-password", data={"email": email})


def emailed_token(smtp, count: int = 1) -> str:
    assert run_async(mail_sender.send_due()).sent == 1
    email = smtp.wait_for(count)[-1]
    [link] = re.findall(r"http://crm\.example/reset-password\?t=\S+", email.get_body(("plain",)).get_content())
    return parse_qs(urlsplit(link).query)["t"][0]


def sign_in_token(engine, password: str) -> str | None:
    return run_async(sign_in.sign_in(email="rep@example.com", password=password, client="10.0.0.1")).token


def live(engine, token: str) -> bool:
    with Session(engine) as session:
        return users.actor_for_token(session=session, token=token) is not None


def test_the_answer_is_the_same_whether_or_not_the_email_exists_and_only_a_real_account_gets_mail(
        engine, client, smtp):
    known, unknown = ask(client, "Rep@Example.com "), ask(client, "nobody@example.com")
    assert (known.status_code, known.headers["location"]) == (303, "/forgot-password?sent=1")
    assert (unknown.status_code, unknown.headers["location"]) == (303, "/forgot-password?sent=1")
    assert known.text == unknown.text
    emailed_token(smtp)
    [email] = smtp.received
    assert (email["To"], email["Subject"]) == ("rep@example.com", "Choose a new password for Acme")
    assert "Open this link within 30 minutes" in email.get_body(("plain",)).get_content()
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound()


def test_the_link_sets_a_new_password_once_and_ends_every_session(engine, client, smtp):
    sessions = [sign_in_token(engine, OLD), sign_in_token(engine, OLD)]
    ask(client, "rep@example.com")
    token = emailed_token(smtp)

    weak = client.post("/auth/reset-password", data={"t": token, "password": "password123", "confirm": "password123"})
    assert weak.status_code == 303
    query = parse_qs(urlsplit(weak.headers["location"]).query)
    assert (query["t"][0], query["error"][0]) == (token, "weak")
    assert password_reset.message_of(query["why"][0]).startswith("This is a very common password.")
    assert password_reset.message_of("forged" + query["why"][0]) == ""
    mismatch = client.post("/auth/reset-password", data={"t": token, "password": NEW, "confirm": NEW + "!"})
    assert parse_qs(urlsplit(mismatch.headers["location"]).query)["error"] == ["mismatch"]
    assert all(live(engine, s) for s in sessions)  # nothing changed yet

    done = client.post("/auth/reset-password", data={"t": token, "password": NEW, "confirm": NEW})
    assert (done.status_code, done.headers["location"]) == (303, "/login?notice=password-changed")
    assert not any(live(engine, s) for s in sessions)
    assert sign_in_token(engine, OLD) is None
    assert sign_in_token(engine, NEW) is not None
    with Session(engine) as session:
        assert session.exec(select(AuditLog.action).where(AuditLog.entity == "user",
                                                          AuditLog.action.like("password%"))).all() \
            == ["password_reset_by_email"]

    again = client.post("/auth/reset-password", data={"t": token, "password": NEW + "x", "confirm": NEW + "x"})
    assert again.headers["location"] == "/reset-password?error=link"
    assert sign_in_token(engine, NEW) is not None


def test_a_link_older_than_30_minutes_or_replaced_by_a_newer_one_is_refused(engine, client, smtp):
    ask(client, "rep@example.com")
    first = emailed_token(smtp)
    with Session(engine) as session:
        assert password_resets.open_link(session=session, token=first).email == "rep@example.com"
        with pytest.raises(password_resets.ResetLinkRefused, match="expired or has already been used"):
            password_resets.open_link(session=session, token=first, now=utcnow() + timedelta(minutes=31))
    ask(client, "rep@example.com")
    second = emailed_token(smtp, count=2)
    with Session(engine) as session:
        with pytest.raises(password_resets.ResetLinkRefused):
            password_resets.open_link(session=session, token=first)
        password_resets.open_link(session=session, token=second)
    forged = second[:-3] + ("AAA" if not second.endswith("AAA") else "BBB")
    refused = client.post("/auth/reset-password", data={"t": forged, "password": NEW, "confirm": NEW})
    assert refused.headers["location"] == "/reset-password?error=link"
    assert sign_in_token(engine, OLD) is not None


def test_requests_are_throttled_per_account_whether_or_not_it_exists(engine, client, settings):
    for email in ("rep@example.com", "nobody@example.com"):
        answers = [ask(client, email) for _ in range(4)]
        assert [a.headers["location"] for a in answers[:3]] == ["/forgot-password?sent=1"] * 3
        assert answers[3].headers["location"].startswith("/forgot-password?error=throttled&wait=")
        assert int(answers[3].headers["retry-after"]) > 0
    with Session(engine) as session:  # three links queued for the real account, each spending the one before
        assert len(session.exec(select(MailMessage)).all()) == 3


def test_without_smtp_the_link_waits_in_the_outbox(engine, client, settings, monkeypatch):
    monkeypatch.setattr(settings, "smtp_url", None)
    assert ask(client, "rep@example.com").headers["location"] == "/forgot-password?sent=1"
    with Session(engine) as session:
        [message] = session.exec(select(MailMessage)).all()
    assert (message.to_address, message.status) == ("rep@example.com", "queued")


def test_a_foreign_page_cannot_post_the_forms(client):
    for path in ("/auth/forgot-password", "/auth/reset-password"):
        assert client.post(path, data={"email": "rep@example.com"},
                           headers={"origin": "https://evil.example"}).status_code == 403


def test_an_account_whose_address_cannot_be_mailed_gets_the_same_answer_and_no_mail(engine, client):
    from crm_app.data.models import User

    with Session(engine) as session:
        session.add(User(email="ops@crm.invalid", full_name="Ops", role=Role.admin, password_hash="x"))
        session.commit()
    assert ask(client, "ops@crm.invalid").headers["location"] == "/forgot-password?sent=1"
    with Session(engine) as session:
        assert session.exec(select(MailMessage)).all() == []


CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}


def test_a_chinese_browser_reads_the_email_and_the_refusal_in_chinese(engine, client, smtp):
    client.post("/auth/forgot-password", data={"email": "rep@example.com"}, headers=CHINESE)
    token = emailed_token(smtp)
    [email] = smtp.received
    assert email["Subject"] == "为 Acme 设置新密码"
    body = email.get_body(("plain",)).get_content()
    assert body.startswith("Riley Rep，您好：\n\n有人（希望是您本人）申请为您的 Acme 账户设置新密码。请在 30 分钟内打开")
    weak = client.post("/auth/reset-password", data={"t": token, "password": "password123", "confirm": "password123"},
                       headers=CHINESE)
    why = password_reset.message_of(parse_qs(urlsplit(weak.headers["location"]).query)["why"][0])
    assert why.startswith("这是一个非常常见的密码。"), why
    foreign = client.post("/auth/reset-password", data={"t": token}, headers={**CHINESE, "Origin": "http://evil.example"})
    assert (foreign.status_code, foreign.text) == (403, "请在本应用自己的页面上设置新密码。")


def test_the_email_is_in_the_language_the_account_chose_over_the_browsers(engine, client, smtp):
    with Session(engine) as session:
        user = session.exec(select(User).where(User.email == "rep@example.com")).one()
        user.language = "en"
        session.add(user)
        session.commit()
    client.post("/auth/forgot-password", data={"email": "rep@example.com"}, headers=CHINESE)
    emailed_token(smtp)
    assert smtp.received[0]["Subject"] == "Choose a new password for Acme"
