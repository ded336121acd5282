"""Guards every HTTP request passes before the app reads its body (an ASGI middleware, outermost in the app).

- Cross-site writes: POST/PUT/PATCH/DELETE to /api/* and uploads from a browser page whose `Origin` is not one of
  CRM_ALLOWED_ORIGINS get 403; requests without an Origin (servers, curl, the survey embedded server-side) pass.
- Uploads (/_upload): only a signed-in staff member whose role may run the receiving handler (its `staff_roles`,
  set by `staff_event`), with a Content-Length within the import limit; everything else is refused from the headers,
  before one byte of the body is read, so no temp file is written for it.
- Slow bodies: a body must arrive within CRM_BODY_TIMEOUT_SECONDS (uploads get time for their size on top, at
  SLOWEST_UPLOAD_BYTES_PER_SECOND), and may not grow past what its Content-Length or the upload limit allow. The
  client gets 408 or 413 with `Connection: close`; the app sees a disconnect, which is neither logged as a
  traceback nor counted as a server error (metrics.BODY_REFUSED).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from crm_app.data.db import read_session
from crm_app.data.permissions import Actor
from crm_app.data.repositories import users
from crm_app.data.security import token_digest
from crm_app.data.repositories.imports import MAX_UPLOAD_BYTES
from crm_app.data.validation import whole_number
from crm_app.metrics import BODY_REFUSED
from crm_app.settings import get_settings
from crm_app.sign_in import from_a_foreign_page, session_token_of

logger = logging.getLogger(__name__)

UPLOAD_PATH = "/_upload"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Room for the multipart envelope around the file: boundaries, part headers, the bound-arguments field.
UPLOAD_ENVELOPE_BYTES = 64 * 1024
UPLOAD_LIMIT_BYTES = MAX_UPLOAD_BYTES + UPLOAD_ENVELOPE_BYTES
# An upload on a 1 Mbit/s line still makes it: its deadline grows by its size at this rate.
SLOWEST_UPLOAD_BYTES_PER_SECOND = 128 * 1024


class Refusal(Exception):
    """A request the guards answer themselves: the status and the machine-readable reason."""

    def __init__(self, status: int, reason: str, **details: Any) -> None:
        super().__init__(reason)
        self.status, self.reason, self.details = status, reason, details

    def response(self, *, close: bool = False) -> JSONResponse:
        return JSONResponse({"reason": self.reason, **self.details}, status_code=self.status,
                            headers={"Connection": "close"} if close else None)


# --- who is uploading -----------------------------------------------------------------------


async def _tab_session_digest(client_token: str) -> str:
    """The digest of the session cookie the tab's websocket signed in with (AuthState keeps only that), on the dev
    server only: its frontend and backend are on different ports, so uploads arrive without the cookie. In
    production page and backend share one origin and the cookie always comes; asking the state there would let
    anonymous requests make the server build a state for every made-up client token."""
    from reflex.istate.manager.token import BaseStateToken
    from reflex_base import constants
    from reflex_base.environment import environment
    from reflex_base.event.context import EventContext

    from crm_app.states.auth import AuthState

    if environment.REFLEX_ENV_MODE.get() != constants.Env.DEV or not client_token or len(client_token) > 128:
        return ""
    try:
        manager = EventContext.get().state_manager
    except LookupError:  # outside a Reflex app (the API served alone): no tab state to ask
        return ""
    root = await manager.get_state(BaseStateToken(ident=client_token, cls=AuthState))
    auth = await root.get_state(AuthState)
    return auth._session_seen


async def session_digest(headers: Headers) -> str:
    """The digest of the session a request acts with: the `crm_session` cookie's, else the tab's."""
    token = session_token_of(headers.get("cookie", ""))
    return token_digest(token) if token else await _tab_session_digest(headers.get("reflex-client-token", ""))


def _actor(digest: str) -> Actor | None:
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    with read_session() as session:
        live = users.session_for_digest(session=session, digest=digest, idle=idle)
    return live.actor if live else None


def _handler_roles(handler_name: str) -> frozenset | None:
    """The roles allowed to run the named event handler, or None when it is not a staff handler."""
    from reflex_base.registry import RegistrationContext

    try:
        registered = RegistrationContext.get().event_handlers.get(handler_name)
    except LookupError:  # outside a Reflex app: no handler takes uploads
        return None
    roles = getattr(registered.handler.fn, "staff_roles", None) if registered is not None else None
    return frozenset(roles) if roles else None


async def check_upload(headers: Headers) -> None:
    """Refuse an upload from its headers: a handler that takes no staff uploads, no signed-in user allowed to
    run it, no Content-Length or one over the limit."""
    roles = _handler_roles(headers.get("reflex-event-handler", ""))
    if roles is None:
        raise Refusal(404, "unknown_handler")
    digest = await session_digest(headers)
    actor = await run_in_threadpool(_actor, digest) if digest else None
    if actor is None:
        raise Refusal(401, "sign_in_required")
    if actor.role not in roles:
        raise Refusal(403, "forbidden")
    declared = whole_number(headers.get("content-length", ""))
    if declared is None:
        raise Refusal(411, "length_required")
    if declared > UPLOAD_LIMIT_BYTES:
        raise Refusal(413, "too_large", limit_bytes=UPLOAD_LIMIT_BYTES)


# --- the middleware ---------------------------------------------------------------------------


class _Body:
    """The request's `receive`, with a deadline (event-loop time) and a size limit while the body is arriving."""

    def __init__(self, receive: Any, *, deadline: float, limit: int | None) -> None:
        self.receive, self.deadline, self.limit = receive, deadline, limit
        self.received, self.complete, self.refusal = 0, False, None

    async def __call__(self) -> dict:
        if self.refusal is not None:
            return {"type": "http.disconnect"}
        if self.complete:
            return await self.receive()
        try:
            async with asyncio.timeout_at(self.deadline):
                message = await self.receive()
        except TimeoutError:
            self.refusal = Refusal(408, "body_timeout")
            return {"type": "http.disconnect"}
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.limit is not None and self.received > self.limit:
                self.refusal = Refusal(413, "too_large", limit_bytes=self.limit)
                return {"type": "http.disconnect"}
            self.complete = not message.get("more_body", False)
        return message


class RequestGuards:
    """ASGI middleware applying the module's guards; install it last in `rx.App(api_transformer=[...])`."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = asyncio.get_running_loop().time()
        headers, path, method = Headers(scope=scope), scope.get("path", ""), scope.get("method", "")
        upload = path == UPLOAD_PATH
        try:
            if method in WRITE_METHODS and (upload or path.startswith("/api/")) and from_a_foreign_page(headers):
                raise Refusal(403, "foreign_origin")
            if upload and method == "POST":
                await check_upload(headers)
        except Refusal as refusal:
            await refusal.response(close=True)(scope, receive, send)
            return
        await self._run(scope, receive, send, headers, started, upload)

    async def _run(self, scope: dict, receive: Any, send: Any, headers: Headers, started: float,
                   upload: bool) -> None:
        settings = get_settings()
        declared = whole_number(headers.get("content-length", ""))
        if not declared and "transfer-encoding" not in headers:  # no body to wait for (GET, HEAD, ...)
            await self.app(scope, receive, send)
            return
        deadline = started + settings.body_timeout_seconds
        if upload:
            deadline += min(declared or 0, UPLOAD_LIMIT_BYTES) / SLOWEST_UPLOAD_BYTES_PER_SECOND
        body = _Body(receive, deadline=deadline, limit=UPLOAD_LIMIT_BYTES if upload else None)
        app_answering = refusal_sent = False

        async def sending(message: dict) -> None:
            nonlocal app_answering
            if refusal_sent:
                return  # the client has its refusal; what the app says after it goes nowhere
            app_answering = True
            await send(message)

        async def receiving() -> dict:
            nonlocal refusal_sent
            message = await body()
            if body.refusal is not None and not scope.get(BODY_REFUSED):
                scope[BODY_REFUSED] = True
                logger.info("Request body refused (%s): %s %s", body.refusal.reason, scope.get("method"),
                            scope.get("path"))
                if not app_answering:
                    refusal_sent = True
                    await body.refusal.response(close=True)(scope, receive, send)
            return message

        try:
            await self.app(scope, receiving, sending)
        except Exception:
            if body.refusal is None:
                raise
            # The app stopped on the disconnect it was handed: the client's doing, already answered and logged.
