"""Signing in: the throttle, the password check off the event loop, and the audit of every attempt.

A guess costs the server what the throttle lets it cost: a throttled attempt is two lookups in the rate
limiter's store and a counter increment (its audit row is written later, counted together with the others of
the same second). Only an attempt the throttle lets through checks a password, on one of a few threads
(`CRM_PASSWORD_CHECK_THREADS`), so however many guesses arrive, the event loop keeps serving everyone else.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from crm_app import rate_limit
from crm_app.data.db import read_session, write_session
from crm_app.data.models import SignInOutcome, User
from crm_app.data.repositories import sign_in_audit, users
from crm_app.settings import get_settings

logger = logging.getLogger(__name__)

# Longest email and password looked at; anything longer is cut, so a 1 MB "password" costs no more than these.
EMAIL_LIMIT, PASSWORD_LIMIT = 254, 128
REFUSED = "Wrong email or password, or the account is deactivated."


@dataclass(frozen=True)
class SignInResult:
    """What an attempt came to: a session token, a refusal, or a wait (seconds) imposed by the throttle."""

    token: str | None = None
    retry_after: int = 0

    @property
    def signed_in(self) -> bool:
        return self.token is not None


def account_key(email: str) -> str:
    """The account an attempt is counted against: the email as the users table keeps it."""
    return email.strip().lower()[:EMAIL_LIMIT]


@lru_cache(maxsize=1)
def _password_checkers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=get_settings().password_check_threads, thread_name_prefix="password-check")


def _check_password_and_open_session(email: str, password: str, client: str) -> str | None:
    """On a password-check thread: the new session's token, or None; the attempt's audit row either way."""
    with read_session() as session:  # Argon2 runs here, outside any write transaction
        user = users.authenticate(session=session, email=email, password=password)
        user_id = user.id if user else None
    ttl = timedelta(hours=get_settings().session_ttl_hours)
    with write_session() as session:
        user = session.get(User, user_id) if user_id is not None else None
        token = None
        if user is not None and user.is_active:  # still active now that the check is done
            users.refresh_password_hash(session=session, user=user, password=password)
            token = users.open_session(session=session, user=user, ttl=ttl)
        sign_in_audit.record_attempt(session=session, email=email, client=client,
                                     outcome=SignInOutcome.signed_in if token else SignInOutcome.refused)
    return token


class ThrottledTally:
    """Counts the attempts the throttle turns away and writes them, one row per (email, client), once a second."""

    def __init__(self, every_s: float = 1.0) -> None:
        self.every_s = every_s
        self._counts: Counter[tuple[str, str]] = Counter()
        self._flusher: asyncio.Task | None = None

    def count(self, email: str, client: str) -> None:
        self._counts[(email, client)] += 1
        if self._flusher is None or self._flusher.done() or self._flusher.get_loop() is not asyncio.get_running_loop():
            self._flusher = asyncio.create_task(self._flush_soon(), name="sign-in-throttled-audit")

    async def _flush_soon(self) -> None:
        await asyncio.sleep(self.every_s)
        await self.flush()

    async def flush(self) -> None:
        counts, self._counts = self._counts, Counter()
        if not counts:
            return
        try:
            await asyncio.to_thread(_write_throttled, counts)
        except Exception:  # the audit is best effort for turned-away guesses; the database may be down
            logger.exception("Could not record %d throttled sign-in attempts", sum(counts.values()))


def _write_throttled(counts: Counter[tuple[str, str]]) -> None:
    with write_session() as session:
        sign_in_audit.record_throttled(session=session, counts=counts.items())


throttled_attempts = ThrottledTally()


async def sign_in(*, email: str, password: str, client: str) -> SignInResult:
    """Check an email and password from `client`; the same answer and about the same time whether or not the
    email belongs to anyone."""
    account, password = account_key(email), password[:PASSWORD_LIMIT]
    wait = await rate_limit.reserve_sign_in(account, client)
    if wait:
        throttled_attempts.count(account, client)
        return SignInResult(retry_after=wait)
    token = await asyncio.get_running_loop().run_in_executor(
        _password_checkers(), _check_password_and_open_session, account, password, client)
    if token is None:
        await rate_limit.sign_in_failed(client)
    else:
        await rate_limit.sign_in_succeeded(account)
    return SignInResult(token=token)


def refusal_message(retry_after: int) -> str:
    """What the visitor is told when refused: never whether the email exists; when throttled, when to retry."""
    if retry_after <= 0:
        return REFUSED
    if retry_after < 60:
        wait = f"{retry_after} second{'s' * (retry_after != 1)}"
    else:
        minutes = math.ceil(retry_after / 60)
        wait = f"{minutes} minute{'s' * (minutes != 1)}"
    return f"Too many sign-in attempts. Try again in {wait}."
