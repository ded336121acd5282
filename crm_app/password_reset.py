""""Forgot password?" over HTTP: POST /auth/forgot-password (the email) and POST /auth/reset-password (the link's
token and the new password), the forms of /forgot-password and /reset-password (crm_app/pages/login.py).

The request is answered the same way, after the same work on the same thread, whether or not the email belongs to
an account, and throttled per account and per address (CRM_PASSWORD_RESET_*_LIMITS) whether or not it does. The
link itself goes out through the mail outbox. The new password must pass the account page's policy (zxcvbn); it
is hashed on the password-check threads; then every session of the account ends, this browser's too.

Both answers are in the browser's language (Accept-Language), as the pages are before anyone signs in; the email
is in the account's chosen language, else in the language of the browser that asked for it.
"""

from __future__ import annotations

import asyncio
from functools import partial
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeSerializer

from crm_app import i18n, rate_limit, routes, sign_in
from crm_app.data.db import read_session, write_session
from crm_app.data.passwords import WeakPassword
from crm_app.data.repositories import password_resets
from crm_app.data.repositories.password_resets import ResetLinkRefused
from crm_app.data.security import hash_password
from crm_app.settings import get_settings

router = APIRouter(include_in_schema=False)

# What /forgot-password and /reset-password show for each `error` (throttled: sign_in.refusal_message's wording).
RESET_MESSAGES = {
    "missing": "Enter the email address of your account.",
    "link": password_resets.LINK_REFUSED,
    "mismatch": "The two passwords are not the same. Type the new password twice.",
}
SENT = ("If an account uses that address, an email with a link to choose a new password is on its way. The link "
        "works for 30 minutes.")
CHANGED = "Your password was changed and you were signed out everywhere. Sign in with the new password."
_MESSAGE_SALT = "reset-page-message"


def _messages() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=_MESSAGE_SALT)


def signed_message(text: str) -> str:
    """A message for the reset page carried in its address, signed so a crafted link cannot put words there."""
    return _messages().dumps(text)


def message_of(signed: object) -> str:
    if not isinstance(signed, str) or len(signed) > 2000:
        return ""
    try:
        text = _messages().loads(signed)
    except BadSignature:
        return ""
    return text if isinstance(text, str) else ""


def _back(path: str, **query: str | int) -> RedirectResponse:
    return RedirectResponse(f"{path}?{urlencode(query)}" if query else path, status_code=303)


def _request_reset(email: str) -> None:
    with write_session() as session:
        password_resets.request_reset(session=session, email=email)


@router.post(routes.FORGOT_PASSWORD_POST)
async def post_forgot_password(request: Request) -> Response:
    with i18n.speaking(i18n.request_language(request.headers)):
        return await _forgot_password(request)


async def _forgot_password(request: Request) -> Response:
    if sign_in.from_a_foreign_page(request.headers):
        return sign_in.refused_post(request, i18n.N_("Ask for a reset link from the app's own page."), 403)
    form = await sign_in._form(request)
    if form is None:
        return sign_in.refused_post(request, i18n.N_("Expected the reset form."), 400)
    email = form.get("email", "")[:sign_in.EMAIL_LIMIT]
    if not email.strip():
        return _back(routes.FORGOT_PASSWORD, error="missing")
    wait = await rate_limit.reserve_password_reset(sign_in.account_key(email), rate_limit.client_of(request))
    if wait:
        await asyncio.sleep(sign_in.THROTTLED_ANSWER_DELAY_S)
        response = _back(routes.FORGOT_PASSWORD, error="throttled", wait=wait)
        response.headers["Retry-After"] = str(wait)
        return response
    # The same transaction whether or not the email is known: no answer and little timing tells them apart.
    await asyncio.to_thread(_request_reset, email)
    return _back(routes.FORGOT_PASSWORD, sent=1)


def _open(token: str) -> password_resets.ResetLink:
    with read_session() as session:
        return password_resets.open_link(session=session, token=token)


def _checked_hash(link: password_resets.ResetLink, password: str) -> str:
    """On a password-check thread: zxcvbn's verdict (as on the account page), then the Argon2 hash."""
    password_resets.check_new_password_for(link, password)
    return hash_password(password)


def _set(token: str, password_hash: str) -> None:
    with write_session() as session:
        password_resets.set_new_password(session=session, token=token, new_password_hash=password_hash)


@router.post(routes.RESET_PASSWORD_POST)
async def post_reset_password(request: Request) -> Response:
    with i18n.speaking(i18n.request_language(request.headers)):  # the refusal of a weak password is carried to the page
        return await _reset_password(request)


async def _reset_password(request: Request) -> Response:
    if sign_in.from_a_foreign_page(request.headers):
        return sign_in.refused_post(request, i18n.N_("Choose your new password on the app's own page."), 403)
    form = await sign_in._form(request)
    if form is None:
        return sign_in.refused_post(request, i18n.N_("Expected the new password form."), 400)
    token = form.get("t", "")[:password_resets.TOKEN_LIMIT]
    password = form.get("password", "")[:sign_in.PASSWORD_LIMIT + 1]
    try:
        link = await asyncio.to_thread(_open, token)
    except ResetLinkRefused:
        return _back(routes.RESET_PASSWORD, error="link")
    if password != form.get("confirm", "")[:sign_in.PASSWORD_LIMIT + 1]:
        return _back(routes.RESET_PASSWORD, t=token, error="mismatch")
    try:
        password_hash = await sign_in.off_the_event_loop(partial(_checked_hash, link, password))
    except WeakPassword as weak:
        return _back(routes.RESET_PASSWORD, t=token, error="weak", why=signed_message(str(weak)))
    try:
        await asyncio.to_thread(_set, token, password_hash)
    except ResetLinkRefused:  # another request used the link meanwhile
        return _back(routes.RESET_PASSWORD, error="link")
    response = _back(routes.LOGIN, notice="password-changed")
    response.delete_cookie(sign_in.SESSION_COOKIE, path="/")  # its session has ended with the others
    return response
