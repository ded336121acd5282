"""The mail outbox: every email the app sends is a row here first, written in the transaction of the action that
causes it, and sent later by the background sender (crm_app/mail_sender.py).

How to send an email from any feature:

    from crm_app.data.repositories import mail_outbox

    with write_session() as session:
        ...                                    # the action (a campaign start, a reset request, ...)
        mail_outbox.enqueue(session=session, to="ann@example.com", purpose_key=f"campaign:{campaign_id}",
                            subject="...", body_text="...", body_html=None,
                            unsubscribe_customer_id=customer.id)   # marketing mail: see below

- Same transaction: if the action rolls back, no mail was queued; if it commits, the mail will go out.
- `purpose_key` (at most 200 characters) says why this recipient gets this mail, e.g. "campaign:12",
  "password-reset:57", "survey-invite:301". (to, purpose_key) is unique: enqueueing it again returns the
  message already queued (or sent) and sends nothing more, so a second click or a resumed job never mails twice.
- Marketing mail passes `unsubscribe_customer_id`: nothing is queued (None is returned) unless that customer
  consents to email; the text (and HTML) get a signed one-click unsubscribe link appended, and the message the
  RFC 8058 `List-Unsubscribe` and `List-Unsubscribe-Post: List-Unsubscribe=One-Click` headers. If the customer
  unsubscribes before it goes out, the sender withdraws it instead of sending it.
- `headers`: extra header lines (name -> value), e.g. {"X-Campaign": "12"}; the sender sets From, To, Subject,
  Date and Message-ID itself.
- Without CRM_SMTP_URL the rows wait in the outbox (`smtp_configured()` tells the pages so they can say it).

The sender's side (claim_due, mark_sent, mark_attempt_failed) leases rows so that several workers, or a sender that
died mid-send, never send a row twice while it is held, and a dead sender's rows go out after its lease ends.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import and_, func, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from crm_app.data.models import Customer, MailMessage, MailStatus, utcnow
from crm_app.data.validation import email_reason
from crm_app.i18n import N_, gettext
from crm_app.data.repositories import consent
from crm_app.settings import get_settings

PURPOSE_KEY_LIMIT = 200
SUBJECT_LIMIT = 300
# Headers the sender writes itself, or that would let a caller redirect or hide a message.
_RESERVED_HEADERS = {"from", "to", "cc", "bcc", "subject", "date", "message-id", "sender", "reply-to-all",
                     "content-type", "content-transfer-encoding", "mime-version", "return-path"}
_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")


class MailRefused(ValueError):
    """What was asked to be sent cannot be an email (bad address, header, purpose key); nothing was queued."""


def smtp_configured() -> bool:
    """True when CRM_SMTP_URL is set; otherwise queued mail stays in the outbox."""
    return get_settings().smtp_url is not None


def mail_not_sent_notice() -> str:
    """The sentence the pages that cause mail show while no SMTP server is configured ('' when one is)."""
    if smtp_configured():
        return ""
    return gettext("Email is not configured (CRM_SMTP_URL is not set): messages wait in the outbox and go out once "
                   "an SMTP server is set.")


def _checked_address(to: object) -> str:
    if not isinstance(to, str):
        raise MailRefused(gettext("The recipient must be an email address."))
    try:
        return validate_email(to.strip(), check_deliverability=False).normalized
    except EmailNotValidError as error:
        raise MailRefused(gettext("{address} is not an email address: {reason}", address=repr(to[:80]),
                                  reason=email_reason(error))) from None


def _checked_headers(headers: dict[str, str] | None) -> dict[str, str]:
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not _HEADER_NAME.match(name) or name.lower() in _RESERVED_HEADERS:
            raise MailRefused(gettext("{name} cannot be set as a mail header.", name=repr(str(name)[:64])))
        if not isinstance(value, str) or "\r" in value or "\n" in value or len(value) > 998:
            raise MailRefused(gettext("The {name} header must be one line of text.", name=name))
        checked[name] = value
    return checked


# What is wrong with a one-line field, whole sentences per field: (empty, several lines, too long).
_ONE_LINE_REFUSALS = {
    "purpose key": (N_("The purpose key must not be empty."), N_("The purpose key must be one line."),
                    N_("The purpose key is longer than {limit} characters.")),
    "subject": (N_("The subject must not be empty."), N_("The subject must be one line."),
                N_("The subject is longer than {limit} characters.")),
}


def _one_line(text: object, limit: int, what: str) -> str:
    empty, several_lines, too_long = _ONE_LINE_REFUSALS[what]
    if not isinstance(text, str) or not text.strip():
        raise MailRefused(gettext(empty))
    if "\r" in text or "\n" in text:
        raise MailRefused(gettext(several_lines))
    if len(text) > limit:
        raise MailRefused(gettext(too_long, limit=limit))
    return text.strip()


def enqueue(*, session: Session, to: str, purpose_key: str, subject: str, body_text: str,
            body_html: str | None = None, headers: dict[str, str] | None = None,
            unsubscribe_customer_id: int | None = None) -> MailMessage | None:
    """Queue one email in the caller's transaction; the message for (to, purpose_key), new or already there.

    None (and nothing queued) when `unsubscribe_customer_id` is given and that customer has no email consent.
    MailRefused for an address, subject, header or purpose key that cannot be mailed."""
    address = _checked_address(to)
    purpose_key = _one_line(purpose_key, PURPOSE_KEY_LIMIT, "purpose key")
    subject = _one_line(subject, SUBJECT_LIMIT, "subject")
    if not isinstance(body_text, str) or not body_text.strip():
        raise MailRefused(gettext("The message text must not be empty."))
    extra_headers = _checked_headers(headers)
    if unsubscribe_customer_id is not None:
        if not consent.has_email_consent(session=session, customer_id=unsubscribe_customer_id):
            return None
        link = consent.unsubscribe_url(unsubscribe_customer_id)
        # In the sender's language, as the message they wrote (the customer's own language is not known).
        body_text = f"{body_text.rstrip()}\n\n--\n{gettext('To receive no more of these emails: {link}', link=link)}\n"
        if body_html is not None:
            unsubscribe = f'<a href="{escape(link)}">{escape(gettext("unsubscribe"))}</a>'
            footer = escape(gettext("To receive no more of these emails: {link}.")).format(link=unsubscribe)
            body_html = f'{body_html}\n<p style="font-size:small">{footer}</p>'
        extra_headers["List-Unsubscribe"] = f"<{link}>"
        extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    values = dict(to_address=address, purpose_key=purpose_key, subject=subject, body_text=body_text,
                  body_html=body_html, headers=extra_headers or None,
                  unsubscribe_customer_id=unsubscribe_customer_id, status=MailStatus.queued.value,
                  created_at=utcnow(), next_attempt_at=utcnow(), attempts=0)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # Another transaction may queue the same (to, purpose) at the same moment: the unique key decides, no error.
    session.exec(dialect.insert(MailMessage).values(**values)
                 .on_conflict_do_nothing(index_elements=["to_address", "purpose_key"]))
    return session.exec(select(MailMessage).where(MailMessage.to_address == address,
                                                  MailMessage.purpose_key == purpose_key)).one()


@dataclass(frozen=True)
class OutboxSummary:
    queued: int
    sent: int
    failed: int
    withdrawn: int
    oldest_queued_at: datetime | None


def summary(*, session: Session) -> OutboxSummary:
    """How many messages are in each state, and since when the oldest one waits (the admin page shows it)."""
    counts = dict(session.exec(select(MailMessage.status, func.count()).group_by(MailMessage.status)).all())
    oldest = session.exec(select(func.min(MailMessage.created_at))
                          .where(MailMessage.status == MailStatus.queued)).one()
    return OutboxSummary(**{status.value: counts.get(status.value, 0) for status in MailStatus},
                         oldest_queued_at=oldest)


# --- the sender's side ----------------------------------------------------------------------------------------


def _claimable(now: datetime):
    return and_(MailMessage.status == MailStatus.queued, MailMessage.next_attempt_at <= now,
                or_(MailMessage.claimed_until.is_(None), MailMessage.claimed_until < now))


def claim_due(*, session: Session, now: datetime, lease: timedelta, limit: int) -> list[MailMessage]:
    """Take up to `limit` due messages for this sender until now + lease, oldest first.

    PostgreSQL: the candidates are locked FOR UPDATE SKIP LOCKED, so concurrent senders take different rows
    without waiting on each other. SQLite: the write transaction holds the database's write lock from its BEGIN
    IMMEDIATE. Both: the UPDATE repeats the claim's condition, so a row is only ever taken when it is free."""
    candidates = select(MailMessage.id).where(_claimable(now)).order_by(MailMessage.next_attempt_at,
                                                                        MailMessage.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(session.exec(candidates).all())
    if not ids:
        return []
    token = secrets.token_hex(16)
    session.exec(update(MailMessage).where(MailMessage.id.in_(ids), _claimable(now))
                 .values(claimed_until=now + lease, claim_token=token))
    claimed = list(session.exec(select(MailMessage).where(MailMessage.claim_token == token)
                                .order_by(MailMessage.id)).all())
    for message in claimed:
        session.expunge(message)  # the sender reads them after this transaction ends
    return claimed


def _still_ours(message: MailMessage):
    return and_(MailMessage.id == message.id, MailMessage.claim_token == message.claim_token,
                MailMessage.status == MailStatus.queued)


def mark_sent(*, session: Session, message: MailMessage, now: datetime) -> bool:
    """The SMTP server accepted the message: it is sent, for good."""
    return bool(session.exec(update(MailMessage).where(_still_ours(message)).values(
        status=MailStatus.sent, sent_at=now, attempts=MailMessage.attempts + 1,
        first_attempt_at=func.coalesce(MailMessage.first_attempt_at, now),
        claimed_until=None, claim_token=None, last_error=None)).rowcount)


def mark_attempt_failed(*, session: Session, message: MailMessage, now: datetime, error: str,
                        retry_at: datetime | None) -> bool:
    """An attempt failed: try again at `retry_at`, or never (None: failed for good)."""
    values: dict = dict(attempts=MailMessage.attempts + 1, claimed_until=None, claim_token=None,
                        first_attempt_at=func.coalesce(MailMessage.first_attempt_at, now),
                        last_error=error[:300])
    if retry_at is None:
        values["status"] = MailStatus.failed
    else:
        values["next_attempt_at"] = retry_at
    return bool(session.exec(update(MailMessage).where(_still_ours(message)).values(**values)).rowcount)


def withdraw_if_unsubscribed(*, session: Session, message: MailMessage) -> bool:
    """Marketing mail whose customer no longer consents to email, or no longer has this address (changed or
    erased), is withdrawn, never sent."""
    if message.unsubscribe_customer_id is None:
        return False
    customer = session.exec(select(Customer.consent_email, Customer.email)
                            .where(Customer.id == message.unsubscribe_customer_id)).first()
    if customer is not None and customer[0] and (customer[1] or "").strip().lower() == message.to_address.lower():
        return False
    return bool(session.exec(update(MailMessage).where(_still_ours(message)).values(
        status=MailStatus.withdrawn, claimed_until=None, claim_token=None)).rowcount)
