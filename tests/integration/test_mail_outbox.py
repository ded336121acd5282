"""The mail outbox and its sender against a real SMTP server (aiosmtpd) and a real database, SQLite and PostgreSQL:
one message per recipient and purpose, nothing queued by a rolled-back action, retries after a 4xx, a dead
sender's rows sent after its lease, nothing sent without CRM_SMTP_URL, marketing mail's unsubscribe link."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from crm_app import mail_sender, rate_limit
from crm_app.data.db import write_session
from crm_app.data.models import Customer, MailMessage, MailStatus, utcnow
from crm_app.data.repositories import consent, mail_outbox
from crm_app.settings import get_settings
from tests.conftest import run_async
from tests.smtp_server import SmtpServer


@pytest.fixture
def settings(engine, monkeypatch):
    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(settings, "redis_url", None)
    monkeypatch.setattr(settings, "smtp_url", None)
    monkeypatch.setattr(settings, "mail_from", "Acme CRM <crm@acme.example>")
    monkeypatch.setattr(settings, "mail_rate_limit", "1000/minute")
    monkeypatch.setattr(settings, "public_url", "https://crm.acme.example")
    rate_limit._limiter.cache_clear()
    yield settings
    rate_limit._limiter.cache_clear()


@pytest.fixture
def smtp(settings, monkeypatch):
    with SmtpServer(user="mailer", password="p@ss:word") as server:
        monkeypatch.setattr(settings, "smtp_url", f"smtp://mailer:p%40ss%3Aword@127.0.0.1:{server.port}")
        yield server


def queue_welcome(**extra) -> None:
    with write_session() as session:
        mail_outbox.enqueue(session=session, to="Ann@Example.com", purpose_key="welcome:7",
                            subject="Welcome, Ann", body_text="Hello Ann,\nwelcome aboard.", **extra)


def rows(engine) -> list[MailMessage]:
    with Session(engine) as session:
        return list(session.exec(select(MailMessage).order_by(MailMessage.id)).all())


def test_the_same_purpose_twice_is_one_message_sent_once(engine, smtp):
    queue_welcome()
    queue_welcome()  # a second click
    [row] = rows(engine)
    assert (row.to_address, row.purpose_key, row.status) == ("Ann@example.com", "welcome:7", MailStatus.queued)

    assert run_async(mail_sender.send_due()) == mail_sender.SendRound(sent=1)
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound()
    [email] = smtp.wait_for(1)
    assert email["To"] == "Ann@example.com"
    assert email["From"] == "Acme CRM <crm@acme.example>"
    assert email["Subject"] == "Welcome, Ann"
    assert email.get_body(("plain",)).get_content() == "Hello Ann,\nwelcome aboard.\n"
    assert smtp.envelopes == [("crm@acme.example", ["Ann@example.com"])]
    assert smtp.logins == ["mailer"]  # the percent-encoded password of CRM_SMTP_URL, decoded
    [row] = rows(engine)
    assert (row.status, row.attempts, row.claim_token) == (MailStatus.sent, 1, None)
    assert row.sent_at is not None

    queue_welcome()  # after it went out: still the one message
    assert [r.status for r in rows(engine)] == [MailStatus.sent]
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound()
    assert len(smtp.received) == 1


def test_an_action_that_rolls_back_queues_no_mail(engine, settings):
    with pytest.raises(RuntimeError):
        with write_session() as session:
            mail_outbox.enqueue(session=session, to="ann@example.com", purpose_key="welcome:7",
                                subject="Welcome", body_text="Hello")
            raise RuntimeError("the action failed after queueing its mail")
    assert rows(engine) == []


def test_a_4xx_is_tried_again_after_the_back_off_and_delivered_once(engine, smtp):
    queue_welcome()
    smtp.refuse_next(1, 451)
    before = utcnow()
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound(retrying=1)
    [row] = rows(engine)
    assert (row.status, row.attempts, row.last_error) == (MailStatus.queued, 1, "451 Try again later")
    # retry_schedule: 30 s after the first failure, plus up to a fifth of jitter
    assert before + timedelta(seconds=30) <= row.next_attempt_at <= utcnow() + timedelta(seconds=36)
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound()  # not due yet
    assert smtp.received == []

    assert run_async(mail_sender.send_due(now=row.next_attempt_at)) == mail_sender.SendRound(sent=1)
    smtp.wait_for(1)
    assert smtp.refused == 1
    [row] = rows(engine)
    assert (row.status, row.attempts, row.last_error) == (MailStatus.sent, 2, None)


def test_a_5xx_fails_the_message_for_good(engine, smtp):
    queue_welcome()
    smtp.refuse_next(1, 550)
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound(failed=1)
    [row] = rows(engine)
    assert (row.status, row.last_error) == (MailStatus.failed, "550 Mailbox unavailable")
    assert run_async(mail_sender.send_due(now=utcnow() + timedelta(days=2))) == mail_sender.SendRound()
    assert smtp.received == []


def test_a_dead_senders_claim_is_sent_after_its_lease(engine, smtp):
    queue_welcome()
    now = utcnow()
    with write_session() as session:  # a sender claims the row, then dies before sending
        [claimed] = mail_outbox.claim_due(session=session, now=now, lease=mail_sender.LEASE, limit=10)
    assert claimed.claimed_until == now + mail_sender.LEASE

    assert run_async(mail_sender.send_due(now=now + mail_sender.LEASE - timedelta(seconds=1))) \
        == mail_sender.SendRound()  # still held
    assert smtp.received == []
    assert run_async(mail_sender.send_due(now=now + mail_sender.LEASE + timedelta(seconds=1))) \
        == mail_sender.SendRound(sent=1)
    smtp.wait_for(1)
    # the dead sender's late mark changes nothing: its claim is no longer the row's
    with write_session() as session:
        assert mail_outbox.mark_sent(session=session, message=claimed, now=utcnow()) is False
    assert [r.attempts for r in rows(engine)] == [1]


def test_two_senders_claiming_together_take_each_row_once(engine, settings):
    with write_session() as session:
        for number in range(5):
            mail_outbox.enqueue(session=session, to=f"c{number}@example.com", purpose_key="news",
                                subject="News", body_text="News")
    now = utcnow()
    with write_session() as session:
        first = mail_outbox.claim_due(session=session, now=now, lease=mail_sender.LEASE, limit=3)
    with write_session() as session:
        second = mail_outbox.claim_due(session=session, now=now, lease=mail_sender.LEASE, limit=3)
    assert [m.to_address for m in first] == ["c0@example.com", "c1@example.com", "c2@example.com"]
    assert [m.to_address for m in second] == ["c3@example.com", "c4@example.com"]


def test_without_smtp_the_mail_stays_queued_and_the_pages_say_so(engine, settings):
    queue_welcome()
    assert mail_outbox.smtp_configured() is False
    assert "CRM_SMTP_URL is not set" in mail_outbox.mail_not_sent_notice()
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound()
    run_async(mail_sender.send_forever(poll_seconds=0.01))  # returns at once: nothing to send through
    [row] = rows(engine)
    assert (row.status, row.attempts, row.claim_token) == (MailStatus.queued, 0, None)
    with Session(engine) as session:
        assert mail_outbox.summary(session=session) == mail_outbox.OutboxSummary(
            queued=1, sent=0, failed=0, withdrawn=0, oldest_queued_at=row.created_at)


def add_customer(engine, *, consent_email: bool) -> int:
    with Session(engine) as session:
        customer = Customer(name="Bo Buyer", email="bo@example.com", region="North", segment="Retail",
                            acquisition_channel="Web", consent_email=consent_email)
        session.add(customer)
        session.commit()
        return customer.id


def test_marketing_mail_needs_consent_and_carries_the_one_click_unsubscribe(engine, smtp):
    refusing = add_customer(engine, consent_email=False)
    with write_session() as session:
        assert mail_outbox.enqueue(session=session, to="bo@example.com", purpose_key="campaign:1",
                                   subject="Offer", body_text="Hi Bo", unsubscribe_customer_id=refusing) is None
    assert rows(engine) == []
    with Session(engine) as session:
        session.get(Customer, refusing).consent_email = True
        session.commit()
    with write_session() as session:
        mail_outbox.enqueue(session=session, to="bo@example.com", purpose_key="campaign:1", subject="Offer",
                            body_text="Hi Bo", body_html="<p>Hi Bo</p>", headers={"X-Campaign": "1"},
                            unsubscribe_customer_id=refusing)
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound(sent=1)
    [email] = smtp.wait_for(1)
    link = f"https://crm.acme.example/unsubscribe?t={consent.unsubscribe_token(refusing)}"
    assert email["List-Unsubscribe"] == f"<{link}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert email["X-Campaign"] == "1"
    assert email.get_body(("plain",)).get_content() == (
        f"Hi Bo\n\n--\nTo receive no more of these emails: {link}\n")
    assert f'<a href="{link}">unsubscribe</a>' in email.get_body(("html",)).get_content()
    assert consent.customer_of_token(link.rpartition("t=")[2]) == refusing


def test_marketing_mail_is_withdrawn_when_the_customer_unsubscribes_before_it_goes(engine, smtp):
    customer_id = add_customer(engine, consent_email=True)
    with write_session() as session:
        mail_outbox.enqueue(session=session, to="bo@example.com", purpose_key="campaign:1", subject="Offer",
                            body_text="Hi Bo", unsubscribe_customer_id=customer_id)
        mail_outbox.enqueue(session=session, to="ops@example.com", purpose_key="report", subject="Report",
                            body_text="Figures")
    with write_session() as session:
        assert consent.withdraw_email_consent(session=session, customer_id=customer_id) is True
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound(sent=1, withdrawn=1)
    [email] = smtp.wait_for(1)
    assert email["To"] == "ops@example.com"
    assert [r.status for r in rows(engine)] == [MailStatus.withdrawn, MailStatus.sent]


@pytest.mark.parametrize("bad, message", [
    (dict(to="not an address"), "is not an email address"),
    (dict(subject="Two\nlines"), "The subject must be one line."),
    (dict(purpose_key=""), "The purpose key must not be empty."),
    (dict(headers={"Bcc": "spy@example.com"}), "'Bcc' cannot be set as a mail header."),
    (dict(headers={"X-Note": "a\r\nBcc: spy@example.com"}), "The X-Note header must be one line of text."),
])
def test_what_cannot_be_an_email_is_refused_and_nothing_is_queued(engine, settings, bad, message):
    fields = dict(to="ann@example.com", purpose_key="welcome:7", subject="Welcome", body_text="Hello") | bad
    with pytest.raises(mail_outbox.MailRefused, match=message):
        with write_session() as session:
            mail_outbox.enqueue(session=session, **fields)
    assert rows(engine) == []


def test_a_privacy_erase_redacts_queued_mail_which_then_never_goes(engine, smtp):
    from crm_app.data.erasing import erase_customer
    from crm_app.data.repositories.users import actor_of
    from tests.conftest import add_staff

    with Session(engine) as session:
        admin = actor_of(add_staff(session)["admin"])
        session.commit()
    customer_id = add_customer(engine, consent_email=True)
    with write_session() as session:
        mail_outbox.enqueue(session=session, to="bo@example.com", purpose_key="survey-invite:1",
                            subject="How did we do, Bo Buyer?", body_text="Dear Bo Buyer, tell us.")
    with write_session(overwrite_freed=True) as session:
        erasure = erase_customer(session=session, actor=admin, customer_id=customer_id)
    assert erasure.counts["emails"] == 1
    [row] = rows(engine)
    assert "bo@example.com" not in row.to_address and "Bo Buyer" not in row.body_text + row.subject
    assert run_async(mail_sender.send_due()) == mail_sender.SendRound(failed=1)
    assert smtp.received == []
    [row] = rows(engine)
    assert (row.status, row.last_error) == (MailStatus.failed, "ErasedRecipient: the recipient was erased")


def test_the_rate_limit_holds_back_what_is_over_it_unclaimed(engine, smtp, settings, monkeypatch):
    monkeypatch.setattr(settings, "mail_rate_limit", "2/minute")
    rate_limit._limiter.cache_clear()
    with write_session() as session:
        for number in range(3):
            mail_outbox.enqueue(session=session, to=f"c{number}@example.com", purpose_key="news",
                                subject="News", body_text="News")
    result = run_async(mail_sender.send_due())
    assert (result.sent, result.retrying, result.failed) == (2, 0, 0)
    assert 0 < result.rate_limited_for <= 60
    assert [e["To"] for e in smtp.wait_for(2)] == ["c0@example.com", "c1@example.com"]
    assert [(r.status, r.claim_token, r.attempts) for r in rows(engine)] == [
        (MailStatus.sent, None, 1), (MailStatus.sent, None, 1), (MailStatus.queued, None, 0)]


@pytest.mark.postgres
def test_on_postgresql_a_sender_skips_the_rows_another_is_claiming(postgres_databases, monkeypatch):
    """Two senders in flight at once: the second does not wait for the first's transaction, and takes other rows
    (FOR UPDATE SKIP LOCKED)."""
    from concurrent.futures import ThreadPoolExecutor

    from crm_app.data.db import engine_for
    from tests.conftest import migrate

    url = postgres_databases.create()
    migrate(url)
    monkeypatch.setattr(get_settings(), "database_url", url)
    with write_session() as session:
        for number in range(4):
            mail_outbox.enqueue(session=session, to=f"c{number}@example.com", purpose_key="news",
                                subject="News", body_text="News")
    now = utcnow()
    with write_session() as first:  # its claim is not committed while the second sender claims
        mine = mail_outbox.claim_due(session=first, now=now, lease=mail_sender.LEASE, limit=2)

        def second_sender() -> list[str]:
            with write_session() as session:
                return [m.to_address for m in mail_outbox.claim_due(session=session, now=now,
                                                                    lease=mail_sender.LEASE, limit=4)]

        with ThreadPoolExecutor(max_workers=1) as thread:
            theirs = thread.submit(second_sender).result(timeout=30)
    assert [m.to_address for m in mine] == ["c0@example.com", "c1@example.com"]
    assert theirs == ["c2@example.com", "c3@example.com"]
    engine_for(url).dispose()
