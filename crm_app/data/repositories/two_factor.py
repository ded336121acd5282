"""Two-factor sign-in: a TOTP authenticator app (RFC 6238: 6 digits, 30-second steps), one-time recovery
codes, and the roles an admin requires it of.

A code is accepted in the step it was made for or the one before or after (clocks drift), and never twice:
the last accepted step is stored and only a later one is accepted. Recovery codes carry 80 random bits, so
their SHA-256 (what is stored, as for session tokens) cannot be turned back into a code; each works once.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, func, update
from sqlmodel import Session, select

from crm_app.data.models import RecoveryCode, Role, RolePolicy, TwoFactor, User, utcnow
from crm_app.data.permissions import Actor, NotFound, require_role
from crm_app.data.repositories.audit import record_change
from crm_app.data.security import token_digest, verify_password
from crm_app.i18n import gettext

ISSUER = "crm_app"
RECOVERY_CODE_COUNT = 10
# Steps either side of the current one whose codes are still accepted.
VALID_WINDOW = 1


class TwoFactorRefused(ValueError):
    """The two-factor change was refused; the message is safe to show."""


@dataclass(frozen=True)
class Enrolment:
    """What the user's authenticator app needs: the secret typed in, or the same as a QR code."""

    secret: str
    provisioning_uri: str
    qr_svg_data_uri: str


def enrol(*, session: Session, actor: Actor) -> Enrolment:
    """Start enrolment with a new secret; two-factor sign-in is on only once `confirm_enrolment` gets a code."""
    row = session.get(TwoFactor, actor.id)
    if row is not None and row.confirmed_at is not None:
        raise TwoFactorRefused(gettext("Two-factor sign-in is already on. Turn it off first to use another device."))
    secret = pyotp.random_base32()  # 32 base32 characters: 160 bits, the RFC 4226 recommended length
    if row is None:
        row = TwoFactor(user_id=actor.id, secret=secret)
    row.secret, row.last_used_step = secret, 0
    session.add(row)
    uri = pyotp.TOTP(secret).provisioning_uri(name=actor.email, issuer_name=ISSUER)
    qr = segno.make(uri, error="m").svg_data_uri(scale=5, border=2)
    return Enrolment(secret=secret, provisioning_uri=uri, qr_svg_data_uri=qr)


def confirm_enrolment(*, session: Session, actor: Actor, code: str, now: datetime | None = None) -> list[str]:
    """Turn two-factor sign-in on once the app shows a right code; returns the recovery codes, shown only now."""
    row = session.get(TwoFactor, actor.id)
    if row is None or row.confirmed_at is not None:
        raise TwoFactorRefused(gettext("Start enrolment first."))
    step = _matching_step(row, code, now)
    if step is None:
        raise TwoFactorRefused(gettext("That code is not right. Enter the 6 digits your app shows now."))
    row.confirmed_at, row.last_used_step = utcnow(), step
    session.add(row)
    record_change(session=session, actor_id=actor.id, entity="user", entity_id=actor.id, action="two_factor_on")
    return _replace_recovery_codes(session, actor.id)


def disable(*, session: Session, actor: Actor, password: str) -> None:
    """Turn two-factor sign-in off; the current password is asked again so an unattended tab cannot."""
    user = session.get(User, actor.id)
    if user is None or not verify_password(user.password_hash, password if isinstance(password, str) else ""):
        raise TwoFactorRefused(gettext("Your password is not right."))
    session.execute(delete(TwoFactor).where(TwoFactor.user_id == actor.id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == actor.id))
    record_change(session=session, actor_id=actor.id, entity="user", entity_id=actor.id, action="two_factor_off")


def turn_off_for_user(*, session: Session, actor: Actor, user_id: int) -> None:
    """An admin turns off a user's two-factor sign-in (a lost phone and lost recovery codes): the password
    alone signs them in again until they enrol anew, or are kept to their account page to do so if their role
    requires it."""
    require_role(actor, Role.admin)
    if session.get(User, user_id) is None:
        raise NotFound(gettext("No such user."))
    session.execute(delete(TwoFactor).where(TwoFactor.user_id == user_id))
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    record_change(session=session, actor_id=actor.id, entity="user", entity_id=user_id, action="two_factor_off")


def regenerate_recovery_codes(*, session: Session, actor: Actor) -> list[str]:
    """New recovery codes for an enrolled user; the old ones stop working."""
    if not is_enrolled(session=session, user_id=actor.id):
        raise TwoFactorRefused(gettext("Turn on two-factor sign-in first."))
    record_change(session=session, actor_id=actor.id, entity="user", entity_id=actor.id,
                  action="recovery_codes_renewed")
    return _replace_recovery_codes(session, actor.id)


def is_enrolled(*, session: Session, user_id: int) -> bool:
    return session.exec(
        select(TwoFactor.user_id).where(TwoFactor.user_id == user_id, TwoFactor.confirmed_at.is_not(None))
    ).first() is not None


def recovery_codes_left(*, session: Session, user_id: int) -> int:
    return session.exec(
        select(func.count()).select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    ).one()


def enrolled_user_ids(*, session: Session, actor: Actor) -> set[int]:
    """Who has two-factor sign-in on (admins only, for the users page)."""
    require_role(actor, Role.admin)
    return set(session.exec(select(TwoFactor.user_id).where(TwoFactor.confirmed_at.is_not(None))).all())


def verify_sign_in_code(*, session: Session, user: User, code: str, now: datetime | None = None) -> bool:
    """True when `code` is the user's current TOTP code (not used before) or one of their unused recovery
    codes; either is then spent. The caller commits the session."""
    if not isinstance(code, str) or len(code) > 64:
        return False
    row = session.get(TwoFactor, user.id)
    if row is None or row.confirmed_at is None:
        return False
    step = _matching_step(row, code, now)
    if step is not None:
        # Only a later step than the last accepted one is taken, in one statement, so two tabs racing
        # with the same code cannot both get in.
        taken = session.execute(
            update(TwoFactor)
            .where(TwoFactor.user_id == user.id, TwoFactor.last_used_step < step)
            .values(last_used_step=step)
        )
        return taken.rowcount == 1
    recovery = _normalised_recovery_code(code)
    if recovery is None:
        return False
    spent = session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == token_digest(recovery),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if spent.rowcount != 1:
        return False
    record_change(session=session, actor_id=user.id, entity="user", entity_id=user.id,
                  action="recovery_code_used")
    return True


def is_required(*, session: Session, user: User | Actor) -> bool:
    """Whether an admin requires two-factor sign-in of the user's role."""
    return bool(session.exec(
        select(RolePolicy.requires_two_factor).where(RolePolicy.role == Role(user.role))
    ).first())


def required_roles(*, session: Session) -> set[Role]:
    return {Role(role) for role in session.exec(
        select(RolePolicy.role).where(RolePolicy.requires_two_factor.is_(True))
    ).all()}


def set_required(*, session: Session, actor: Actor, role: Role, required: bool) -> None:
    """Require (or stop requiring) two-factor sign-in of every user with `role` (admins only). Users of the
    role without it are kept to their account page until they enrol."""
    require_role(actor, Role.admin)
    policy = session.get(RolePolicy, role) or RolePolicy(role=role)
    old = policy.requires_two_factor
    policy.requires_two_factor = required
    session.add(policy)
    record_change(session=session, actor_id=actor.id, entity="role_policy", entity_id=0, action="update",
                  old={"role": role.value, "requires_two_factor": old},
                  new={"role": role.value, "requires_two_factor": required})


def _matching_step(row: TwoFactor, code: str, now: datetime | None) -> int | None:
    """The time step, after the last one used, whose code is `code`; None when there is none."""
    digits = code.replace(" ", "") if isinstance(code, str) else ""
    if len(digits) != 6 or not (digits.isascii() and digits.isdigit()):
        return None
    totp = pyotp.TOTP(row.secret)
    current = totp.timecode(now or utcnow())
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if step > row.last_used_step and secrets.compare_digest(totp.generate_otp(step), digits):
            return step
    return None


def _replace_recovery_codes(session: Session, user_id: int) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    session.add_all(RecoveryCode(user_id=user_id, code_hash=token_digest(code.replace("-", ""))) for code in codes)
    return codes


def _new_recovery_code() -> str:
    """16 base32 characters (80 random bits) in groups of four: `abcd-efgh-ijkl-mnop`."""
    raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(raw[i:i + 4] for i in range(0, 16, 4))


def _normalised_recovery_code(code: str) -> str | None:
    """A recovery code as typed (any case, with or without dashes and spaces), or None when it cannot be one."""
    compact = code.replace("-", "").replace(" ", "").lower()
    alphabet = set("abcdefghijklmnopqrstuvwxyz234567")
    return compact if len(compact) == 16 and set(compact) <= alphabet else None
