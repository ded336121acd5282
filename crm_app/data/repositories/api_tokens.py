"""Personal access tokens of the REST API: created by a user for themselves (shown once), listed, revoked by their
owner or an admin; a request's bearer token resolved to the user it acts as.

The account page, the admin's users page and the `crm-app api-token` command all go through these functions, so
the rules (who sees and revokes which token, what a name and an expiry may be) are written once, here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select

from crm_app.data.models import ApiToken, RolePolicy, TokenAccess, TokenStatus, TwoFactor, User, utcnow
from crm_app.data.permissions import Actor, NotFound, PermissionDenied
from crm_app.data.repositories.audit import record_change
from crm_app.data.repositories.users import actor_of
from crm_app.data.security import token_digest
from crm_app.data.validation import unstorable
from crm_app.i18n import gettext

ENTITY = "api_token"
# What every token starts with, so a secret scanner (and a person) recognises one in a log or a repository.
TOKEN_PREFIX = "crm_pat_"
MAX_DAYS = 366
DEFAULT_DAYS = 90
MAX_NAME = 80
# The lifetimes the account page offers (the command line takes any number of days up to MAX_DAYS).
EXPIRY_CHOICES = (30, 90, 365)
# Rows per page of the admin's list of everybody's tokens.
PAGE_SIZE = 25
# last_used_at is written at most this often: a script calling every second costs one write a minute.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenRefused(ValueError):
    """A token request the rules refuse (no name, expiry out of range); `field` names what to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class NewToken:
    """A token just created: `secret` is shown to its owner this once and stored nowhere."""

    token: ApiToken
    secret: str


@dataclass(frozen=True)
class TokenRow:
    id: int
    user_id: int
    user_email: str
    user_name: str
    name: str
    access: TokenAccess
    status: TokenStatus
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class TokenPage:
    rows: list[TokenRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True)
class TokenCaller:
    """Who a valid bearer token acts for, and what it may do."""

    actor: Actor
    token_id: int
    can_write: bool
    last_used_at: datetime | None


def _checked_name(name: object) -> str:
    text = " ".join(name.split()) if isinstance(name, str) else ""
    if not text:
        raise TokenRefused("name", gettext("Name the token after what will use it, like 'shop sync'."))
    if len(text) > MAX_NAME or unstorable(text):
        raise TokenRefused("name", gettext("Keep the name to {limit} characters of plain text.", limit=MAX_NAME))
    return text


def _checked_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise TokenRefused("days", gettext("Choose how long the token lasts, from 1 to {limit} days.", limit=MAX_DAYS))
    return days


def create_token(*, session: Session, actor: Actor, name: object, can_write: bool, days: object = DEFAULT_DAYS,
                 now: datetime | None = None) -> NewToken:
    """A new token for the actor themselves (nobody creates one for someone else), audited without its secret."""
    checked_name, checked_days = _checked_name(name), _checked_days(days)
    now = now or utcnow()
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=actor.id, name=checked_name, token_hash=token_digest(secret), can_write=bool(can_write),
                     created_at=now, expires_at=now + timedelta(days=checked_days))
    session.add(token)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity=ENTITY, entity_id=token.id, action="create",
                  new={"name": token.name, "can_write": token.can_write, "user_id": actor.id,
                       "expires_at": token.expires_at.isoformat()})
    return NewToken(token=token, secret=secret)


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment  # SQLite hands times back zoneless


def token_status(token: ApiToken, now: datetime) -> TokenStatus:
    """Revoked wins over expired: a token revoked before it ran out says so."""
    if token.revoked_at is not None:
        return TokenStatus.revoked
    return TokenStatus.expired if _utc(token.expires_at) <= now else TokenStatus.active


def _rows(session: Session, statement, now: datetime) -> list[TokenRow]:
    ordered = statement.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    return [TokenRow(id=t.id, user_id=t.user_id, user_email=email, user_name=full_name, name=t.name,
                     access=TokenAccess.read_write if t.can_write else TokenAccess.read,
                     status=token_status(t, now), created_at=t.created_at, expires_at=t.expires_at,
                     last_used_at=t.last_used_at, revoked_at=t.revoked_at)
            for t, email, full_name in session.exec(ordered).all()]


def _with_owner():
    return select(ApiToken, User.email, User.full_name).join(User, User.id == ApiToken.user_id)


def list_tokens(*, session: Session, actor: Actor, now: datetime | None = None) -> list[TokenRow]:
    """The actor's own tokens, newest first, revoked and expired ones too (a user keeps only a handful)."""
    return _rows(session, _with_owner().where(ApiToken.user_id == actor.id), now or utcnow())


def all_tokens(*, session: Session, actor: Actor, page: object = 1, now: datetime | None = None) -> TokenPage:
    """Every user's tokens, newest first, PAGE_SIZE a page: for admins only (a page beyond the last shows the last)."""
    if not actor.is_admin:
        raise PermissionDenied(gettext("Only admins see other people's tokens."))
    total = session.exec(select(func.count()).select_from(ApiToken)).one()
    pages = max(1, -(-total // PAGE_SIZE))
    wanted = page if isinstance(page, int) and not isinstance(page, bool) else 1
    page = min(max(1, wanted), pages)
    rows = _rows(session, _with_owner().offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE), now or utcnow())
    return TokenPage(rows=rows, total=total, page=page, pages=pages)


def revoke_token(*, session: Session, actor: Actor | None, token_id: object, now: datetime | None = None) -> ApiToken:
    """Revoke a token: its owner's or, for an admin (or the CLI, actor None), anybody's. Revoking twice is a no-op."""
    is_id = isinstance(token_id, int) and not isinstance(token_id, bool) and 0 < token_id < 2**63  # True is not 1
    token = session.get(ApiToken, token_id) if is_id else None
    if token is None or not (actor is None or actor.is_admin or token.user_id == actor.id):
        raise NotFound(gettext("No such token."))
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        session.add(token)
        record_change(session=session, actor_id=actor.id if actor else None, entity=ENTITY, entity_id=token.id,
                      action="revoke", new={"name": token.name, "user_id": token.user_id})
        session.flush()
    return token


def caller_for_token(*, session: Session, secret: str, now: datetime | None = None) -> TokenCaller | None:
    """The user a bearer token acts for: the token known, not revoked, not expired, its user still active.

    One indexed lookup by the token's SHA-256; the comparison is of digests, so its timing tells nothing of the
    secret.
    """
    if not secret or len(secret) > 128 or not secret.isascii():
        return None
    now = now or utcnow()
    row = session.exec(
        select(User, ApiToken.id, ApiToken.can_write, ApiToken.last_used_at, RolePolicy.requires_two_factor,
               TwoFactor.confirmed_at)
        .join(ApiToken, ApiToken.user_id == User.id)
        .outerjoin(RolePolicy, RolePolicy.role == User.role)
        .outerjoin(TwoFactor, TwoFactor.user_id == User.id)
        .where(ApiToken.token_hash == token_digest(secret), ApiToken.revoked_at.is_(None),
               ApiToken.expires_at > now, User.is_active.is_(True))
    ).first()
    if row is None:
        return None
    user, token_id, can_write, last_used_at, two_factor_required, two_factor_since = row
    actor = actor_of(user, must_enrol_two_factor=bool(two_factor_required) and two_factor_since is None)
    return TokenCaller(actor=actor, token_id=token_id, can_write=can_write, last_used_at=last_used_at)


def needs_touch(caller: TokenCaller, now: datetime | None = None) -> bool:
    last = caller.last_used_at
    return last is None or _utc(last) < (now or utcnow()) - LAST_USED_RESOLUTION


def touch_token(*, session: Session, token_id: int, now: datetime | None = None) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now or utcnow()))
