"""The background sender: takes due messages from the mail outbox (crm_app/data/repositories/mail_outbox.py) and
hands them to the SMTP server named by CRM_SMTP_URL, at most CRM_MAIL_RATE_LIMIT of them.

A message is marked sent only once the server accepted it. A refusal for good (5xx) fails it; anything else (a
4xx, a lost connection, a timeout) is tried again on crm_app/retry_schedule.py's back-off, for up to 24 hours.
Each worker runs one sender (`send_forever`, a lifespan task); they share the outbox through leases, so a row is
in one sender's hands at a time and a sender that dies leaves its rows to the others once its lease ends. A message
is never handed to the server with less than SEND_TIMEOUT left on its lease, so no other sender can take it while
it is on its way; should the database fail between the server's acceptance and the mark, that one message goes
out again after the lease (at least once, never silently lost).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

import aiosmtplib
from sqlalchemy import update

from crm_app import rate_limit, retry_schedule
from crm_app.data.db import write_session
from crm_app.data.models import MailMessage, utcnow
from crm_app.data.repositories import mail_outbox
from crm_app.settings import SmtpServer, get_settings

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# The longest one SMTP conversation may take (connect, TLS, auth, DATA).
SEND_TIMEOUT = timedelta(seconds=60)
BATCH = 20
POLL_SECONDS = 2.0


@dataclass(frozen=True)
class SendRound:
    """What one pass over the outbox did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    withdrawn: int = 0
    rate_limited_for: int = 0


def as_email(message: MailMessage, mail_from: str) -> EmailMessage:
    """The outbox row as the email the server receives: plain text, plus an HTML alternative when there is one."""
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = format_datetime(message.created_at)
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    email["Message-ID"] = make_msgid(idstring=f"outbox-{message.id}", domain=domain)
    for name, value in (message.headers or {}).items():
        email[name] = value
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


async def deliver(email: EmailMessage, server: SmtpServer) -> None:
    """Hand one email to the SMTP server; returns once it accepted it, raises what went wrong otherwise."""
    await aiosmtplib.send(
        email, hostname=server.host, port=server.port, username=server.username, password=server.password,
        use_tls=server.implicit_tls, start_tls=False if server.implicit_tls else None,  # None: STARTTLS if offered
        timeout=SEND_TIMEOUT.total_seconds())


class ErasedRecipient(Exception):
    """The message's address was redacted by a privacy erase."""


def refused_for_good(error: BaseException) -> bool:
    """A 5xx answer (unknown mailbox, rejected content), or an erased recipient, will not change by trying again."""
    if isinstance(error, ErasedRecipient):
        return True
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return all(500 <= refusal.code < 600 for refusal in error.recipients)
    return isinstance(error, aiosmtplib.SMTPResponseException) and 500 <= error.code < 600


def describe(error: BaseException) -> str:
    """What is kept of a failure in the outbox row: its type and the server's answer, never credentials."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return "; ".join(f"{refusal.code} {refusal.message}" for refusal in error.recipients)
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return f"{error.code} {error.message}"
    return f"{type(error).__name__}: {error}"


def _claim(now: datetime) -> list[MailMessage]:
    with write_session() as session:
        return mail_outbox.claim_due(session=session, now=now, lease=LEASE, limit=BATCH)


def _release(messages: list[MailMessage]) -> None:
    """Hand claimed rows back unsent (the rate limit is full): the next round, of any sender, takes them."""
    with write_session() as session:
        for message in messages:
            session.exec(update(MailMessage).where(MailMessage.id == message.id,
                                                   MailMessage.claim_token == message.claim_token)
                         .values(claimed_until=None, claim_token=None))


def _withdraw_if_unsubscribed(message: MailMessage) -> bool:
    with write_session() as session:
        return mail_outbox.withdraw_if_unsubscribed(session=session, message=message)


def _mark_sent(message: MailMessage) -> None:
    with write_session() as session:
        mail_outbox.mark_sent(session=session, message=message, now=utcnow())


def _mark_failed(message: MailMessage, error: BaseException) -> bool:
    """Record the failed attempt; True when the message will be tried again."""
    now = utcnow()
    retry_at = None
    if not refused_for_good(error):
        retry_at = retry_schedule.next_attempt_at(message.attempts + 1, message.first_attempt_at or now, now)
    with write_session() as session:
        mail_outbox.mark_attempt_failed(session=session, message=message, now=now, error=describe(error),
                                        retry_at=retry_at)
    return retry_at is not None


async def send_due(*, now: datetime | None = None) -> SendRound:
    """One pass: claim what is due (at `now`, default the clock), send it within the rate limit, record each result."""
    server = get_settings().smtp
    if server is None:
        return SendRound()
    mail_from = get_settings().mail_from
    messages = await asyncio.to_thread(_claim, now or utcnow())
    sent = retrying = failed = withdrawn = 0
    for position, message in enumerate(messages):
        if await asyncio.to_thread(_withdraw_if_unsubscribed, message):
            withdrawn += 1
            continue
        if "@" not in message.to_address:  # a privacy erase redacted the recipient: nobody to send it to
            await asyncio.to_thread(_mark_failed, message, ErasedRecipient("the recipient was erased"))
            failed += 1
            continue
        wait = await rate_limit.reserve_mail_send()
        if wait or message.claimed_until - utcnow() < SEND_TIMEOUT:
            await asyncio.to_thread(_release, messages[position:])
            return SendRound(sent, retrying, failed, withdrawn, rate_limited_for=wait)
        try:
            await deliver(as_email(message, mail_from), server)
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as error:
            logger.warning("Mail %s to the SMTP server failed: %s", message.id, describe(error))
            if await asyncio.to_thread(_mark_failed, message, error):
                retrying += 1
            else:
                failed += 1
            continue
        await asyncio.to_thread(_mark_sent, message)
        sent += 1
    return SendRound(sent, retrying, failed, withdrawn)


async def send_forever(poll_seconds: float = POLL_SECONDS) -> None:
    """Lifespan task: send what is due every `poll_seconds`; without CRM_SMTP_URL say once that mail waits."""
    if get_settings().smtp is None:
        logger.warning("CRM_SMTP_URL is not set: outgoing mail stays in the outbox until it is.")
        return
    while True:
        try:
            result = await send_due()
        except Exception:  # the database may be down; the next round tries again
            logger.exception("The mail sender's round failed")
            result = SendRound()
        if result.rate_limited_for:
            await asyncio.sleep(min(result.rate_limited_for, 60))
        elif not (result.sent or result.retrying or result.failed or result.withdrawn):
            await asyncio.sleep(poll_seconds)
