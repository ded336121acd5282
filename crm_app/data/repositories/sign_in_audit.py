"""The audit of sign-ins (sign_in_attempt): every attempt's email, client address and outcome, never the password."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from crm_app.data.models import Role, SignInAttempt, SignInOutcome
from crm_app.data.permissions import Actor, require_role
from crm_app.data.validation import storable_text


def record_attempt(*, session: Session, email: str, client: str, outcome: SignInOutcome, attempts: int = 1) -> None:
    """Add one audit row; `attempts` > 1 stands for that many throttled attempts counted together."""
    session.add(SignInAttempt(email=storable_text(email[:254]), client=storable_text(client[:64]), outcome=outcome,
                              attempts=attempts))


def record_throttled(*, session: Session, counts: Iterable[tuple[tuple[str, str], int]]) -> None:
    """One row per (email, client) with how many of its attempts the throttle turned away."""
    for (email, client), attempts in counts:
        record_attempt(session=session, email=email, client=client, outcome=SignInOutcome.throttled,
                       attempts=attempts)


def recent_attempts(*, session: Session, actor: Actor, limit: int = 200) -> list[SignInAttempt]:
    """The latest sign-in attempts, newest first (admins only)."""
    require_role(actor, Role.admin)
    return list(session.exec(select(SignInAttempt).order_by(SignInAttempt.id.desc()).limit(limit)))
