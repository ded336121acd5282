"""POST /api/feedback served ahead of the framework: a raw ASGI path for the one route that takes load from the
public (issue 17).

Through the app a survey answer crosses Reflex's Starlette (error, CORS and context middleware, a mount), the
request guards, then FastAPI (its own error, CORS, body-limit and telemetry middleware, timing, the 405 check,
exception and exit-stack middleware, routing, dependency solving) before its handler runs: that stack cost about
four times what the handler and the write do, so one worker answered a fifth as many surveys a second as a bare
endpoint. This path takes the same steps as `api.post_feedback` with the same rules (crm_app/api.py: media type,
rate limit, 16 KB body, one-pass validation, the group commit), the body deadline of crm_app/request_guards.py
(408 with Connection: close, logged as the guards log it) and the API's timing (crm_app/metrics.py), and nothing
else. A request with an `Origin` (a browser page) goes the whole way instead: the guards refuse foreign pages, and
the CORS middleware answers the app's own. Every other request is handed on untouched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import reflex as rx
from starlette.responses import JSONResponse, PlainTextResponse

from crm_app import api, metrics, rate_limit
from crm_app.data.validation import whole_number
from crm_app.request_guards import Refusal
from crm_app.settings import get_settings

logger = logging.getLogger(__name__)

PATH = "/api/feedback"
ROUTE = f"POST {PATH}"  # as metrics.route_name names the route on the framework's path
_READ = (b"content-type", b"content-length", b"transfer-encoding", b"x-forwarded-for")


class _ClientLeft(Exception):
    """The client hung up before its body arrived: nobody to answer."""


class SurveyPath:
    """ASGI wrapper answering POST /api/feedback itself; outermost in the app (AppWithSurveyPath)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, str] = {}
        for name, value in scope["headers"]:
            if name == b"origin":
                await self.app(scope, receive, send)
                return
            if name in _READ and name not in headers:  # the first of repeated headers, as Starlette reads them
                headers[name] = value.decode("latin-1")
        deadline = asyncio.get_running_loop().time() + get_settings().body_timeout_seconds
        started, status = time.perf_counter(), 500
        try:
            response = await _answer(scope, receive, headers, deadline)
            status = response.status_code
            await response(scope, receive, send)
        except _ClientLeft:
            status = 499
        except Exception:
            logger.exception("A survey answer failed")
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
        finally:
            metrics.recorder.record("api", ROUTE, time.perf_counter() - started, status >= 500, module="api",
                                    role="public")


class AppWithSurveyPath(rx.App):
    """The Reflex app whose ASGI app has SurveyPath in front: ahead of Reflex's own Starlette (error, CORS and
    context middleware, the mount), which an `api_transformer` cannot get in front of."""

    def __call__(self) -> Any:
        return SurveyPath(super().__call__())


async def _answer(scope: dict, receive: Any, headers: dict[bytes, str], deadline: float) -> JSONResponse:
    """What api.post_feedback answers, step by step the same."""
    refused = api.unsupported_media_type(headers.get(b"content-type", ""))
    if refused is None:
        peer = scope["client"][0] if scope.get("client") else "unknown"
        client = rate_limit.client_ip(peer, headers.get(b"x-forwarded-for"), get_settings().trusted_proxy_hops)
        refused = await api.rate_limited(client)
    if refused is not None:
        return refused
    declared = whole_number(headers.get(b"content-length", "0"))
    if declared is None or declared > api.MAX_BODY_BYTES:
        return api.too_large()
    body = await _body(scope, receive, deadline)
    if isinstance(body, JSONResponse):
        return body
    answer = api.read_answer(body)
    return answer if isinstance(answer, JSONResponse) else await api.store_answer(answer)


async def _body(scope: dict, receive: Any, deadline: float) -> bytes | JSONResponse:
    """The whole body by the deadline (CRM_BODY_TIMEOUT_SECONDS from the request's start) and within
    api.MAX_BODY_BYTES; else the refusal to send."""
    body = b""
    try:
        async with asyncio.timeout_at(deadline):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _ClientLeft
                body += message.get("body", b"")
                if len(body) > api.MAX_BODY_BYTES:
                    return api.too_large()
                if not message.get("more_body", False):
                    return body
    except TimeoutError:
        refusal = Refusal(408, "body_timeout")
        logger.info("Request body refused (%s): %s %s", refusal.reason, scope["method"], scope["path"])
        return refusal.response(close=True)
