"""Signing in and out over HTTP (POST /auth/sign-in, its code step POST /auth/sign-in/code, POST
/auth/sign-out): the throttle, the password check off the event loop, the second factor, the audit of every
attempt, and the HttpOnly session cookie.

A guess costs the server what the throttle lets it cost: a throttled attempt is two lookups in the rate
limiter's store and a counter increment (its audit row is written later, counted together with the others of
the same second). Only an attempt the throttle lets through checks a password, on one of a few threads
(`CRM_PASSWORD_CHECK_THREADS`), so however many guesses arrive, the event loop keeps serving everyone else.

A user with two-factor sign-in gets no session for the right password: they get a signed ticket, good for
SECOND_FACTOR_SECONDS, that the code step takes with a code from their app or a recovery code. Each code tried
counts as a sign-in attempt of the account (a wrong one as a failure), and the account's earlier failures are
forgotten only once the code is right, so knowing the password does not open a way to guess codes.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import os
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache, partial
from http.cookies import CookieError, SimpleCookie
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

from itsdangerous import BadSignature, URLSafeTimedSerializer

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from crm_app import rate_limit, routes
from crm_app.i18n import N_, gettext, request_language
from crm_app.data.db import read_session, write_session
from crm_app.data.models import SignInOutcome, User
from crm_app.data.repositories import sign_in_audit, two_factor, users
from crm_app.settings import get_settings

logger = logging.getLogger(__name__)

# Longest email and password looked at; anything longer is cut, so a 1 MB "password" costs no more than these.
EMAIL_LIMIT, PASSWORD_LIMIT = 254, 128
REFUSED = "Wrong email or password, or the account is deactivated."
# The niceness of the password-check threads (0 is the event loop's; 19 the lowest priority).
PASSWORD_CHECK_NICENESS = 10
# A throttled attempt is answered after this pause: a sleeping request costs the server nothing, and a client
# guessing back to back gets one answer a second instead of hundreds.
THROTTLED_ANSWER_DELAY_S = 1.0
# The login page's message for each `error` the sign-in endpoint redirects with (throttled: refusal_message).
LOGIN_MESSAGES = {
    "refused": REFUSED,
    "missing": "Enter your email and password.",
    "code": "That code is not right. Enter the 6 digits your app shows now, or a recovery code.",
    "expired": "Signing in took too long. Enter your email and password again.",
}
SESSION_COOKIE = "crm_session"
# Between the two steps of a two-factor sign-in: the signed ticket, sent only to the sign-in endpoints.
SECOND_FACTOR_COOKIE = "crm_second_factor"
# A sign-in form is two short fields and a path: a larger body is not one.
MAX_FORM_BYTES = 4096
# How long the code step may follow the password step.
SECOND_FACTOR_SECONDS = 300
_TICKET_SALT = "crm-second-factor"


@dataclass(frozen=True)
class SignInResult:
    """What an attempt came to: a session token, a refusal, or a wait (seconds) imposed by the throttle."""

    token: str | None = None
    retry_after: int = 0
    # Set when the code step comes next (the right password of a two-factor account, or a wrong code): the
    # signed ticket that step takes. No session is open yet.
    second_factor_ticket: str | None = None

    @property
    def signed_in(self) -> bool:
        return self.token is not None


def session_token_of(cookie_header: str) -> str:
    """The session token in a Cookie header ('' when there is none or the header does not parse)."""
    try:
        morsel = SimpleCookie(cookie_header).get(SESSION_COOKIE)
    except CookieError:
        return ""
    return morsel.value[:128] if morsel else ""


def account_key(email: str) -> str:
    """The account an attempt is counted against: the email as the users table keeps it."""
    return email.strip().lower()[:EMAIL_LIMIT]


T = TypeVar("T")


def _yield_the_cpu() -> None:
    """Run this password-check thread at a lower CPU priority (Linux sets nice per thread): when guesses keep the
    threads busy, the event loop serving everyone's pages still gets the CPU first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), PASSWORD_CHECK_NICENESS)
    except (AttributeError, OSError):  # not Linux, or not allowed: the thread keeps the default priority
        pass


@lru_cache(maxsize=1)
def _password_checkers() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=get_settings().password_check_threads, thread_name_prefix="password-check",
                              initializer=_yield_the_cpu)


async def off_the_event_loop(check: Callable[[], T]) -> T:
    """Run `check` (anything that verifies or hashes a password with Argon2) on the bounded password-check threads,
    never on the event loop, so password work never stalls other users' events. It runs in the caller's context,
    so a refusal it raises is written in the reader's language (i18n.speaking)."""
    in_callers_context = contextvars.copy_context().run
    return await asyncio.get_running_loop().run_in_executor(_password_checkers(), in_callers_context, check)


@dataclass(frozen=True)
class _PasswordChecked:
    token: str | None = None
    # The user whose code is asked next (two-factor sign-in is on): no session yet.
    code_asked_of: int | None = None


def _check_password_and_open_session(email: str, password: str, client: str) -> _PasswordChecked:
    """On a password-check thread: the new session's token, the user whose code comes next, or neither; the
    attempt's audit row either way."""
    with read_session() as session:  # Argon2 runs here, outside any write transaction
        user = users.authenticate(session=session, email=email, password=password)
        user_id = user.id if user else None
    ttl = timedelta(hours=get_settings().session_ttl_hours)
    with write_session() as session:
        user = session.get(User, user_id) if user_id is not None else None
        checked, outcome = _PasswordChecked(), SignInOutcome.refused
        if user is not None and user.is_active:  # still active now that the check is done
            users.refresh_password_hash(session=session, user=user, password=password)
            if two_factor.is_enrolled(session=session, user_id=user.id):
                checked, outcome = _PasswordChecked(code_asked_of=user.id), SignInOutcome.password_ok
            else:
                checked = _PasswordChecked(token=users.open_session(session=session, user=user, ttl=ttl))
                outcome = SignInOutcome.signed_in
        sign_in_audit.record_attempt(session=session, email=email, client=client, outcome=outcome)
    return checked


def _check_code_and_open_session(user_id: int, email: str, code: str, client: str) -> str | None:
    """On a worker thread: the new session's token when `code` is the user's, else None; audited either way."""
    ttl = timedelta(hours=get_settings().session_ttl_hours)
    with write_session() as session:
        user = session.get(User, user_id)
        token = None
        if user is not None and user.is_active and two_factor.verify_sign_in_code(session=session, user=user,
                                                                                   code=code):
            token = users.open_session(session=session, user=user, ttl=ttl)
        sign_in_audit.record_attempt(session=session, email=email, client=client,
                                     outcome=SignInOutcome.signed_in if token else SignInOutcome.wrong_code)
    return token


def _tickets() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(get_settings().secret_key, salt=_TICKET_SALT)


def _ticket_claim(ticket: Any) -> tuple[int, str] | None:
    """(user id, account) of a ticket this server signed less than SECOND_FACTOR_SECONDS ago, else None."""
    if not isinstance(ticket, str) or len(ticket) > 512:
        return None
    try:
        claim = _tickets().loads(ticket, max_age=SECOND_FACTOR_SECONDS)
    except BadSignature:  # forged, altered or expired (SignatureExpired is a BadSignature)
        return None
    user_id, account = claim.get("user"), claim.get("account")
    return (user_id, account) if isinstance(user_id, int) and isinstance(account, str) else None


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
    checked = await off_the_event_loop(partial(_check_password_and_open_session, account, password, client))
    if checked.code_asked_of is not None:  # the account's failures still count until the code is right
        return SignInResult(second_factor_ticket=_tickets().dumps({"user": checked.code_asked_of,
                                                                   "account": account}))
    if checked.token is None:
        await rate_limit.sign_in_failed(client)
    else:
        await rate_limit.sign_in_succeeded(account)
    return SignInResult(token=checked.token)


async def second_factor_step(*, ticket: str, code: str, client: str) -> SignInResult:
    """The code step of a two-factor sign-in: a session for a right code (TOTP or recovery code); the ticket
    back for a wrong one (ask again); neither when the ticket is forged or expired (start again)."""
    claim = _ticket_claim(ticket)
    if claim is None:
        return SignInResult()
    user_id, account = claim
    wait = await rate_limit.reserve_sign_in(account, client)
    if wait:
        throttled_attempts.count(account, client)
        return SignInResult(retry_after=wait)
    token = await asyncio.to_thread(_check_code_and_open_session, user_id, account,
                                    code[:64] if isinstance(code, str) else "", client)
    if token is None:
        await rate_limit.sign_in_failed(client)
        return SignInResult(second_factor_ticket=ticket)
    await rate_limit.sign_in_succeeded(account)
    return SignInResult(token=token)


def refusal_message(retry_after: int) -> str:
    """What the visitor is told when refused: never whether the email exists; when throttled, when to retry."""
    if retry_after <= 0:
        return gettext(REFUSED)
    if retry_after < 60:
        wait = gettext("1 second" if retry_after == 1 else "{count} seconds", count=retry_after)
    else:
        minutes = math.ceil(retry_after / 60)
        wait = gettext("1 minute" if minutes == 1 else "{count} minutes", count=minutes)
    return gettext("Too many sign-in attempts. Try again in {wait}.", wait=wait)


# --- HTTP ---------------------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


def from_a_foreign_page(headers: Mapping[str, str]) -> bool:
    """A browser writing from a page outside CRM_ALLOWED_ORIGINS (a cross-site form or fetch); clients that are
    not browsers send no Origin. The one origin rule of the sign-in routes, the API and uploads."""
    origin = headers.get("origin")
    return origin is not None and origin.rstrip("/") not in get_settings().origins


def _served_over_https(request: Request) -> bool:
    if request.url.scheme == "https":
        return True
    forwarded = request.headers.get("x-forwarded-proto", "")
    return get_settings().trusted_proxy_hops > 0 and forwarded.split(",")[0].strip().lower() == "https"


async def _form(request: Request) -> dict[str, str] | None:
    """The urlencoded form of the request, or None when it is not one or larger than MAX_FORM_BYTES."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            return None
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def _to_login(error: str, next_path: str, **extra: str | int) -> RedirectResponse:
    query = {"error": error, **extra} if error else dict(extra)
    if next_path != routes.HOME:
        query["next"] = next_path
    return RedirectResponse(f"{routes.LOGIN}?{urlencode(query)}", status_code=303)


def _session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=_served_over_https(request))


def refused_post(request: Request, message: str, status: int) -> PlainTextResponse:
    """The answer to a post the app's own pages never send (from another site, or not a form), in the browser's
    language: nobody is signed in to have chosen one."""
    return PlainTextResponse(gettext(message, request_language(request.headers)), status_code=status)


@router.post("/auth/sign-in")
async def post_sign_in(request: Request) -> Response:
    """The login form's target: on success a new session cookie and 303 to `next`; else 303 back to the form."""
    if from_a_foreign_page(request.headers):
        return refused_post(request, N_("Sign in from the app's own login page."), 403)
    form = await _form(request)
    if form is None:
        return refused_post(request, N_("Expected the login form."), 400)
    next_path = routes.safe_next_path(form.get("next"))
    email, password = form.get("email", "")[:EMAIL_LIMIT], form.get("password", "")
    if not email.strip() or not password:
        return _to_login("missing", next_path)
    result = await sign_in(email=email, password=password, client=rate_limit.client_of(request))
    if result.retry_after:
        await asyncio.sleep(THROTTLED_ANSWER_DELAY_S)
        response = _to_login("throttled", next_path, wait=result.retry_after)
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if result.second_factor_ticket:
        response = _to_login("", next_path, step="code")
        _second_factor_cookie(response, request, result.second_factor_ticket, SECOND_FACTOR_SECONDS)
        return response
    if not result.signed_in:
        return _to_login("refused", next_path)
    return await _signed_in(request, result.token, next_path)


@router.post("/auth/sign-in/code")
async def post_sign_in_code(request: Request) -> Response:
    """The code step of a two-factor sign-in: the ticket cookie from the password step plus a code from the
    user's app (or a recovery code). Right: the session cookie, as after a password; wrong: the code form again."""
    if from_a_foreign_page(request.headers):
        return refused_post(request, N_("Sign in from the app's own login page."), 403)
    form = await _form(request)
    if form is None:
        return refused_post(request, N_("Expected the code form."), 400)
    next_path = routes.safe_next_path(form.get("next"))
    result = await second_factor_step(ticket=request.cookies.get(SECOND_FACTOR_COOKIE, ""),
                                      code=form.get("code", ""), client=rate_limit.client_of(request))
    if result.second_factor_ticket:
        return _to_login("code", next_path, step="code")
    if result.signed_in:
        response = await _signed_in(request, result.token, next_path)
    elif result.retry_after:
        response = _to_login("throttled", next_path, wait=result.retry_after)
        response.headers["Retry-After"] = str(result.retry_after)
    else:
        response = _to_login("expired", next_path)
    _second_factor_cookie(response, request, "", 0)
    return response


async def _signed_in(request: Request, token: str, next_path: str) -> Response:
    response = RedirectResponse(next_path, status_code=303)
    # Rotation: the session this browser held before (if any) ends; only the new token opens anything.
    await _end_session(request)
    _session_cookie(response, request, token, get_settings().session_ttl_hours * 3600)
    return response


def _second_factor_cookie(response: Response, request: Request, ticket: str, max_age: int) -> None:
    response.set_cookie(SECOND_FACTOR_COOKIE, ticket, max_age=max_age, path=routes.SIGN_IN, httponly=True,
                        samesite="strict", secure=_served_over_https(request))


@router.post("/auth/sign-out")
async def post_sign_out(request: Request) -> Response:
    """End the browser's session and clear its cookie, then 303 to the login page."""
    if from_a_foreign_page(request.headers):
        return refused_post(request, N_("Sign out from the app's own pages."), 403)
    await _end_session(request)
    response = RedirectResponse(routes.LOGIN, status_code=303)
    _session_cookie(response, request, "", 0)
    return response


async def _end_session(request: Request) -> None:
    token = request.cookies.get(SESSION_COOKIE, "")[:128]
    if token:
        await asyncio.to_thread(_revoke, token)


def _revoke(token: str) -> None:
    with write_session() as session:
        users.revoke_session(session=session, token=token)
