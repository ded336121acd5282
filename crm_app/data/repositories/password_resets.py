""""Forgot password?": a one-time link by email, valid RESET_VALID_FOR, that sets a new password and ends every
session of the account.

The link carries a token signed with CRM_SECRET_KEY (salt "password-reset", so it is good for nothing else) that
names a password_reset row and holds a random key; the row keeps only the key's SHA-256. A link works once, until
its row's expires_at (the signature's age is checked too), for an active user; asking again or using one link
spends every other link of the account. The request never tells whether the email belongs to anyone: the caller
answers the same either way (crm_app/password_reset.py).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import func, update
from sqlmodel import Session, select

from crm_app import routes
from crm_app.data.models import PasswordReset, User, utcnow
from crm_app.data.passwords import check_new_password
from crm_app.data.repositories import mail_outbox
from crm_app.data.repositories.audit import record_change
from crm_app.data.repositories.users import _revoke_all_sessions  # the one way sessions end with a password
from crm_app.data.security import token_digest
from crm_app.i18n import N_, current_language, gettext, supported
from crm_app.settings import get_settings

logger = logging.getLogger(__name__)

RESET_VALID_FOR = timedelta(minutes=30)
_SALT = "password-reset"
TOKEN_LIMIT = 512


class ResetLinkRefused(ValueError):
    """The link is forged, expired, used, or its account is deactivated."""


LINK_REFUSED = N_("This reset link has expired or has already been used. Ask for a new one.")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_SALT)


def reset_url(token: str) -> str:
    return f"{get_settings().link_base}{routes.RESET_PASSWORD}?t={token}"


def request_reset(*, session: Session, email: str, now: datetime | None = None) -> bool:
    """Queue a reset link for the active account with this email; True when one was queued (the caller must not
    tell the visitor). Earlier links of the account stop working."""
    now = now or utcnow()
    user = session.exec(select(User).where(func.lower(User.email) == email.strip().lower()[:254],
                                           User.is_active.is_(True))).first()
    if user is None:
        return False
    _spend_open_links(session, user.id, now)
    key = secrets.token_urlsafe(32)
    reset = PasswordReset(user_id=user.id, token_hash=token_digest(key), created_at=now,
                          expires_at=now + RESET_VALID_FOR)
    session.add(reset)
    session.flush()
    link = reset_url(_serializer().dumps({"reset": reset.id, "key": key}))
    try:
        _mail_link(session, user, reset, link)
    except mail_outbox.MailRefused:  # an address the mail system cannot take: the visitor is told the same
        logger.warning("The password reset link of user %s could not be queued: not a mailable address", user.id)
        return False
    return True


def _mail_link(session: Session, user: User, reset: PasswordReset, link: str) -> None:
    """The link by email, in the account's chosen language, else the language the request was made in."""
    language = supported(user.language) or current_language()
    company = get_settings().company_name
    minutes = int(RESET_VALID_FOR.total_seconds() // 60)
    mail_outbox.enqueue(
        session=session, to=user.email, purpose_key=f"password-reset:{reset.id}",
        subject=gettext("Choose a new password for {company}", language, company=company),
        body_text=gettext("Hello {name},\n\nsomeone (we hope you) asked to choose a new password for your {company} "
                          "account. Open this link within {minutes} minutes to choose it:\n\n{link}\n\nThe link "
                          "works once. If you did not ask, ignore this email: your password stays as it is.\n",
                          language, name=user.full_name, company=company, minutes=minutes, link=link))


def _spend_open_links(session: Session, user_id: int, now: datetime) -> None:
    session.exec(update(PasswordReset).where(PasswordReset.user_id == user_id, PasswordReset.used_at.is_(None))
                 .values(used_at=now))


@dataclass(frozen=True)
class ResetLink:
    reset_id: int
    user_id: int
    email: str
    full_name: str


def open_link(*, session: Session, token: object, now: datetime | None = None) -> ResetLink:
    """The account a reset token is good for now; ResetLinkRefused when it is not (forged, expired, used)."""
    now = now or utcnow()
    if not isinstance(token, str) or not token or len(token) > TOKEN_LIMIT:
        raise ResetLinkRefused(gettext(LINK_REFUSED))
    try:
        claim = _serializer().loads(token, max_age=RESET_VALID_FOR.total_seconds())
    except BadSignature:  # forged, altered or older than 30 minutes (SignatureExpired is a BadSignature)
        raise ResetLinkRefused(gettext(LINK_REFUSED)) from None
    reset_id, key = (claim.get("reset"), claim.get("key")) if isinstance(claim, dict) else (None, None)
    if not isinstance(reset_id, int) or not isinstance(key, str):
        raise ResetLinkRefused(gettext(LINK_REFUSED))
    row = session.exec(select(PasswordReset, User).join(User, User.id == PasswordReset.user_id)
                       .where(PasswordReset.id == reset_id)).first()
    if row is None:
        raise ResetLinkRefused(gettext(LINK_REFUSED))
    reset, user = row
    if (not hmac.compare_digest(reset.token_hash, token_digest(key)) or reset.used_at is not None
            or reset.expires_at <= now or not user.is_active):
        raise ResetLinkRefused(gettext(LINK_REFUSED))
    return ResetLink(reset_id=reset.id, user_id=user.id, email=user.email, full_name=user.full_name)


def check_new_password_for(link: ResetLink, new_password: str) -> None:
    """WeakPassword when the account page would refuse the password too (zxcvbn, with the user's own words)."""
    check_new_password(new_password, user_inputs=(link.email, link.full_name))


def set_new_password(*, session: Session, token: object, new_password_hash: str, now: datetime | None = None) -> int:
    """Spend the link and set the password (already checked and hashed by the caller, off the event loop); every
    session of the user ends. Returns the user's id. ResetLinkRefused when the link is no longer good (used by
    a request that finished first)."""
    now = now or utcnow()
    link = open_link(session=session, token=token, now=now)
    spent = session.exec(update(PasswordReset).where(PasswordReset.id == link.reset_id,
                                                     PasswordReset.used_at.is_(None)).values(used_at=now)).rowcount
    if not spent:
        raise ResetLinkRefused(gettext(LINK_REFUSED))
    _spend_open_links(session, link.user_id, now)
    user = session.get(User, link.user_id)
    user.password_hash, user.must_change_password = new_password_hash, False
    session.add(user)
    _revoke_all_sessions(session, user.id)
    record_change(session=session, actor_id=user.id, entity="user", entity_id=user.id,
                  action="password_reset_by_email")
    return user.id
