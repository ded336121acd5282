"""Signing in and out over HTTP (POST /auth/sign-in, POST /auth/sign-out): the throttle, the password check off
the event loop, the audit of every attempt, and the HttpOnly session cookie.

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
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response

from crm_app import rate_limit, routes
from crm_app.data.db import read_session, write_session
from crm_app.data.models import SignInOutcome, User
from crm_app.data.repositories import sign_in_audit, users
from crm_app.settings import get_settings

logger = logging.getLogger(__name__)

# Longest email and password looked at; anything longer is cut, so a 1 MB "password" costs no more than these.
EMAIL_LIMIT, PASSWORD_LIMIT = 254, 128
REFUSED = "Wrong email or password, or the account is deactivated."
# The login page's message for each `error` the sign-in endpoint redirects with (throttled: refusal_message).
LOGIN_MESSAGES = {"refused": REFUSED, "missing": "Enter your email and password."}
SESSION_COOKIE = "crm_session"
# A sign-in form is two short fields and a path: a larger body is not one.
MAX_FORM_BYTES = 4096


@dataclass(frozen=True)
class SignInResult:
    """What an attempt came to: a session token, a refusal, or a wait (seconds) imposed by the throttle."""

    token: str | None = None
    retry_after: int = 0

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


# --- HTTP ---------------------------------------------------------------------------------------------------

router = APIRouter(include_in_schema=False)


def _from_a_foreign_page(request: Request) -> bool:
    """A browser posting from a page outside CRM_ALLOWED_ORIGINS (a cross-site form); clients that are not
    browsers send no Origin."""
    origin = request.headers.get("origin")
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
    query = {"error": error, **extra}
    if next_path != routes.HOME:
        query["next"] = next_path
    return RedirectResponse(f"{routes.LOGIN}?{urlencode(query)}", status_code=303)


def _session_cookie(response: Response, request: Request, token: str, max_age: int) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=max_age, path="/", httponly=True, samesite="strict",
                        secure=_served_over_https(request))


@router.post("/auth/sign-in")
async def post_sign_in(request: Request) -> Response:
    """The login form's target: on success a new session cookie and 303 to `next`; else 303 back to the form."""
    if _from_a_foreign_page(request):
        return PlainTextResponse("Sign in from the app's own login page.", status_code=403)
    form = await _form(request)
    if form is None:
        return PlainTextResponse("Expected the login form.", status_code=400)
    next_path = routes.safe_next_path(form.get("next"))
    email, password = form.get("email", "")[:EMAIL_LIMIT], form.get("password", "")
    if not email.strip() or not password:
        return _to_login("missing", next_path)
    result = await sign_in(email=email, password=password, client=rate_limit.client_of(request))
    if result.retry_after:
        response = _to_login("throttled", next_path, wait=result.retry_after)
        response.headers["Retry-After"] = str(result.retry_after)
        return response
    if not result.signed_in:
        return _to_login("refused", next_path)
    response = RedirectResponse(next_path, status_code=303)
    # Rotation: the session this browser held before (if any) ends; only the new token opens anything.
    await _end_session(request)
    _session_cookie(response, request, result.token, get_settings().session_ttl_hours * 3600)
    return response


@router.post("/auth/sign-out")
async def post_sign_out(request: Request) -> Response:
    """End the browser's session and clear its cookie, then 303 to the login page."""
    if _from_a_foreign_page(request):
        return PlainTextResponse("Sign out from the app's own pages.", status_code=403)
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
