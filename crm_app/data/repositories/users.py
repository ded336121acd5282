"""Users, sign-in and sessions. Only admins manage users; a deactivated user's sessions end at once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, update
from sqlmodel import Session, select

from crm_app.data.models import AuthSession, Role, RolePolicy, TwoFactor, User, UserCreate, UserUpdate, utcnow
from crm_app.data.passwords import WeakPassword, check_new_password
from crm_app.data.permissions import Actor, NotFound, PermissionDenied, require_role
from crm_app.data.repositories import two_factor
from crm_app.data.repositories.audit import record_change, snapshot
from crm_app.data.security import (
    hash_password,
    new_session_token,
    password_needs_rehash,
    token_digest,
    verify_password,
)
from crm_app.data.validation import unstorable
from crm_app.due_times import known_time_zone
from crm_app.i18n import gettext, supported

_AUDITED = ("email", "full_name", "role", "is_active")


class EmailTaken(ValueError):
    """Another user already signs in with this email."""


class WrongPassword(ValueError):
    """The current password given to confirm a change is not the user's."""


def actor_of(user: User, *, must_enrol_two_factor: bool = False) -> Actor:
    return Actor(id=user.id, email=user.email, full_name=user.full_name, role=Role(user.role),
                 must_change_password=user.must_change_password, must_enrol_two_factor=must_enrol_two_factor,
                 time_zone=user.time_zone, language=user.language)


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The active user with this email and password, or None. Takes the same time either way (an unknown email
    is checked against a dummy hash). Only reads: a read session keeps the writers free during the ~50 ms."""
    # No stored email holds a NUL, and PostgreSQL could not even compare one.
    user = None if unstorable(email) else session.exec(select(User).where(User.email == email.strip().lower())).first()
    if not verify_password(user.password_hash if user else None, password):
        return None
    if user is None or not user.is_active:
        return None
    return user


def refresh_password_hash(*, session: Session, user: User, password: str) -> None:
    """Store the password again under today's Argon2 parameters when its hash was made with older ones."""
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)


def open_session(*, session: Session, user: User, ttl: timedelta) -> str:
    """Start a session for the user and return the token the browser keeps."""
    token = new_session_token()
    session.add(
        AuthSession(user_id=user.id, token_hash=token_digest(token), expires_at=utcnow() + ttl)
    )
    record_change(session=session, actor_id=user.id, entity="user", entity_id=user.id, action="sign_in")
    return token


# A session's last_seen_at is written at most this often: a click every second costs one write a minute.
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class LiveSession:
    actor: Actor
    last_seen_at: datetime


def session_for_token(*, session: Session, token: str, idle: timedelta | None = None) -> LiveSession | None:
    """The live session behind a token: not revoked, not expired, not idle longer than `idle`, user still active."""
    if not token or len(token) > 128:
        return None
    return session_for_digest(session=session, digest=token_digest(token), idle=idle)


def session_for_digest(*, session: Session, digest: str, idle: timedelta | None = None) -> LiveSession | None:
    """session_for_token, from the token's digest (what the database and a tab's state keep of it)."""
    now = utcnow()
    conditions = [AuthSession.token_hash == digest, AuthSession.revoked_at.is_(None),
                  AuthSession.expires_at > now, User.is_active.is_(True)]
    if idle is not None:
        conditions.append(AuthSession.last_seen_at > now - idle)
    row = session.exec(
        select(User, RolePolicy.requires_two_factor, TwoFactor.confirmed_at, AuthSession.last_seen_at)
        .join(AuthSession, AuthSession.user_id == User.id)
        .outerjoin(RolePolicy, RolePolicy.role == User.role)
        .outerjoin(TwoFactor, TwoFactor.user_id == User.id)
        .where(*conditions)
    ).first()
    if row is None:
        return None
    user, two_factor_required, two_factor_since, last_seen_at = row
    actor = actor_of(user, must_enrol_two_factor=bool(two_factor_required) and two_factor_since is None)
    return LiveSession(actor=actor, last_seen_at=last_seen_at)


def actor_for_token(*, session: Session, token: str, idle: timedelta | None = None) -> Actor | None:
    """The user behind a live session token (see session_for_token)."""
    live = session_for_token(session=session, token=token, idle=idle)
    return live.actor if live else None


def needs_touch(live: LiveSession) -> bool:
    """Whether the session's last request is older than what last_seen_at keeps track of."""
    return live.last_seen_at < utcnow() - LAST_SEEN_RESOLUTION


def touch_session(*, session: Session, token: str) -> None:
    """Note a request on the session now, which restarts its idle time."""
    session.execute(update(AuthSession).where(AuthSession.token_hash == token_digest(token))
                    .values(last_seen_at=utcnow()))


def revoke_session(*, session: Session, token: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.token_hash == token_digest(token), AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def _revoke_all_sessions(session: Session, user_id: int, *, except_token: str = "") -> int:
    """End every live session of the user (but the one holding `except_token`); returns how many ended."""
    ended = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None),
               AuthSession.token_hash != token_digest(except_token))
        .values(revoked_at=utcnow())
    )
    return ended.rowcount


@dataclass(frozen=True)
class AccountStatus:
    """What the user's own account page shows and what it still asks of them."""

    must_change_password: bool
    two_factor_on: bool
    two_factor_required: bool
    recovery_codes_left: int


def account_status(*, session: Session, actor: Actor) -> AccountStatus:
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound(gettext("No such user."))
    return AccountStatus(
        must_change_password=user.must_change_password,
        two_factor_on=two_factor.is_enrolled(session=session, user_id=user.id),
        two_factor_required=two_factor.is_required(session=session, user=user),
        recovery_codes_left=two_factor.recovery_codes_left(session=session, user_id=user.id),
    )


def set_time_zone(*, session: Session, actor: Actor, time_zone: object, only_if_unset: bool = False) -> str | None:
    """Keep the user's own time zone (an IANA name this machine knows, else ValueError); returns the zone in force.
    `only_if_unset` is the browser's default at sign-in: it never overrides a zone the user chose."""
    zone = known_time_zone(time_zone)
    if zone is None:
        raise ValueError(gettext("Choose a time zone from the list."))
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound(gettext("No such user."))
    if only_if_unset and user.time_zone is not None:
        return user.time_zone
    old = snapshot(user, ("time_zone",))
    user.time_zone = zone
    session.add(user)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="user", entity_id=user.id, action="update",
                  old=old, new=snapshot(user, ("time_zone",)))
    return zone


def set_language(*, session: Session, actor: Actor, language: object) -> str | None:
    """Keep the language the user reads the app in (one of i18n.LANGUAGES, or "" for the browser's, else
    ValueError); returns it (None: the browser's)."""
    chosen = None if language == "" else supported(language)
    if chosen is None and language != "":
        raise ValueError(gettext("Choose a language from the list."))
    user = session.get(User, actor.id)
    if user is None:
        raise NotFound(gettext("No such user."))
    old = snapshot(user, ("language",))
    user.language = chosen
    session.add(user)
    session.flush()
    record_change(session=session, actor_id=actor.id, entity="user", entity_id=user.id, action="update",
                  old=old, new=snapshot(user, ("language",)))
    return chosen


def sign_out_everywhere(*, session: Session, actor: Actor) -> int:
    """End every session of the acting user, this browser's too; returns how many ended."""
    ended = _revoke_all_sessions(session, actor.id)
    record_change(session=session, actor_id=actor.id, entity="user", entity_id=actor.id,
                  action="sign_out_everywhere")
    return ended


def change_password(
    *, session: Session, actor: Actor, current_password: str, new_password: str, current_token: str = ""
) -> None:
    """The user's own password change. The current password is required; the new one must be hard to guess.
    Every other session of the user ends (whoever knew the old password is signed out)."""
    user = session.get(User, actor.id)
    if user is None or not verify_password(user.password_hash, current_password):
        raise WrongPassword(gettext("Your current password is not right."))
    check_new_password(new_password, user_inputs=(user.email, user.full_name))
    if verify_password(user.password_hash, new_password):
        raise WeakPassword(gettext("Choose a password different from your current one."))
    user.password_hash, user.must_change_password = hash_password(new_password), False
    session.add(user)
    _revoke_all_sessions(session, user.id, except_token=current_token)
    record_change(session=session, actor_id=actor.id, entity="user", entity_id=user.id, action="password_change")


def reset_password(*, session: Session, actor: Actor, user_id: int, new_password: str) -> User:
    """An admin sets a temporary password: the user is signed out everywhere and must choose their own
    password at the next sign-in. Admins change their own password on their account page."""
    require_role(actor, Role.admin)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(gettext("No such user."))
    if user.id == actor.id:
        raise PermissionDenied(gettext("Change your own password on your account page."))
    check_new_password(new_password, user_inputs=(user.email, user.full_name))
    user.password_hash, user.must_change_password = hash_password(new_password), True
    session.add(user)
    _revoke_all_sessions(session, user.id)
    record_change(session=session, actor_id=actor.id, entity="user", entity_id=user.id, action="password_reset")
    return user


def staff_directory(*, session: Session, actor: Actor) -> list[tuple[int, str, str]]:
    """(id, name, role) of every active user, for owner and assignee pickers; any staff member may read it."""
    require_role(actor, *Role)
    return [tuple(row) for row in session.exec(
        select(User.id, User.full_name, User.role).where(User.is_active.is_(True)).order_by(User.full_name)
    ).all()]


def list_users(*, session: Session, actor: Actor) -> list[User]:
    require_role(actor, Role.admin)
    return list(session.exec(select(User).order_by(User.full_name)))


def create_user(*, session: Session, actor: Actor | None, user_create: UserCreate) -> User:
    """Create a user (admins only; `actor=None` is the command line, which runs as the operator)."""
    if actor is not None:
        require_role(actor, Role.admin)
    if session.exec(select(User.id).where(User.email == user_create.email)).first():
        raise EmailTaken(gettext("A user with this email already exists."))
    user = User(
        email=user_create.email,
        full_name=user_create.full_name,
        role=user_create.role,
        password_hash=hash_password(user_create.password),
    )
    session.add(user)
    session.flush()
    record_change(
        session=session, actor_id=actor.id if actor else None, entity="user",
        entity_id=user.id, action="create", new=snapshot(user, _AUDITED),
    )
    return user


def update_user(*, session: Session, actor: Actor, user_id: int, user_update: UserUpdate) -> User:
    """Change a user's name, role or active flag. Deactivating ends every session of the user."""
    require_role(actor, Role.admin)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(gettext("No such user."))
    changes = user_update.model_dump(exclude_unset=True, exclude_none=True)
    loses_admin = user.role == Role.admin and (
        changes.get("is_active") is False or changes.get("role", Role.admin) != Role.admin
    )
    if loses_admin and _active_admins(session) <= 1:
        raise PermissionDenied(gettext("The last active admin cannot be demoted or deactivated."))
    old = snapshot(user, _AUDITED)
    for name, value in changes.items():
        setattr(user, name, value)
    session.add(user)
    if changes.get("is_active") is False:
        _revoke_all_sessions(session, user.id)
    session.flush()
    record_change(
        session=session, actor_id=actor.id, entity="user", entity_id=user.id,
        action="update", old=old, new=snapshot(user, _AUDITED),
    )
    return user


def _active_admins(session: Session) -> int:
    return session.exec(
        select(func.count()).select_from(User).where(User.role == Role.admin, User.is_active.is_(True))
    ).one()
