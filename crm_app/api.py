"""The JSON API next to the app: the public survey (POST /api/feedback), GET /api/health and the REST API
(/api/v1, crm_app/api_v1/).

Documented at /api/docs (OpenAPI at /api/openapi.json). Every answer carries a machine-readable `reason`
on failure.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.routing import compile_path

from crm_app import api_v1, password_reset, rate_limit, sign_in, unsubscribe
from crm_app.metrics import TimeRequests
from crm_app.data.db import DatabaseFault, database_fault, probe_write, read_session, write_session
from crm_app.data.models import FeedbackChannel, FeedbackSubmission
from crm_app.data.repositories.feedback import InviteRefused, Submitted, submit_anonymous_batch, submit_feedback
from crm_app.data.validation import field_errors, whole_number

logger = logging.getLogger(__name__)

# Largest JSON body accepted: a 2,000-character comment in 4-byte characters plus the other fields.
MAX_BODY_BYTES = 16_384

api = FastAPI(
    title="crm_app API",
    version="1",
    description="Embed the customer survey in emails and sites, and watch the service's health.",
    openapi_url="/api/openapi.json",
    docs_url="/api/docs",
    redoc_url=None,
)


def _failure(status: int, reason: str, **details) -> JSONResponse:
    return JSONResponse({"reason": reason, **details}, status_code=status)


async def _bounded_body(request: Request) -> bytes | None:
    """The request body, or None as soon as it exceeds MAX_BODY_BYTES (declared or actual)."""
    declared = whole_number(request.headers.get("content-length", "0"))
    if declared is None or declared > MAX_BODY_BYTES:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None
    return bytes(body)


_FEEDBACK_RESPONSES = {
    200: {"description": "Already stored: a resend of the same submission_id. Body: {id, duplicate: true}."},
    201: {"description": "Stored. Body: {id, duplicate: false}."},
    400: {"description": "reason=invalid_json: the body is not a JSON object."},
    403: {"description": "reason=foreign_origin: sent by a page of a site not in CRM_ALLOWED_ORIGINS."},
    408: {"description": "reason=body_timeout: the body did not arrive within CRM_BODY_TIMEOUT_SECONDS."},
    413: {"description": "reason=too_large: the body is over 16 KB."},
    415: {"description": "reason=unsupported_media_type: the body must be sent as application/json."},
    422: {"description": "reason=invalid: `errors` maps each bad field to a message. reason=invite_refused: the survey link is forged, expired or used."},
    429: {"description": "reason=rate_limited: too many answers from this address; retry after `retry_after` seconds."},
    503: {"description": "reason=unavailable: the database cannot be reached; reason=read_only: it takes no "
                         "changes for the moment. Nothing was stored."},
}


@api.post(
    "/api/feedback",
    status_code=201,
    responses=_FEEDBACK_RESPONSES,
    openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
        "schema": FeedbackSubmission.model_json_schema()}}}},
    summary="Submit a survey answer",
)
async def post_feedback(request: Request) -> JSONResponse:
    # Served ahead of the framework by crm_app/survey_path.py, which takes the same steps below.
    refused = unsupported_media_type(request.headers.get("content-type", ""))
    if refused is None:
        refused = await rate_limited(rate_limit.client_of(request))
    if refused is not None:
        return refused
    body = await _bounded_body(request)
    if body is None:
        return too_large()
    answer = read_answer(body)
    return answer if isinstance(answer, JSONResponse) else await store_answer(answer)


def unsupported_media_type(content_type: str) -> JSONResponse | None:
    """415 unless the body is declared JSON: a form post or text/plain is what a foreign page can send without
    asking (no CORS preflight)."""
    if content_type.split(";")[0].strip().lower() != "application/json":
        return _failure(415, "unsupported_media_type", accepted="application/json")
    return None


async def rate_limited(client: str) -> JSONResponse | None:
    """429 with Retry-After once `client` is over CRM_FEEDBACK_RATE_LIMIT; None counts the answer and lets it on."""
    if await rate_limit.allow_feedback(client):
        return None
    seconds = await rate_limit.retry_after_seconds(client)
    response = _failure(429, "rate_limited", retry_after=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def too_large() -> JSONResponse:
    return _failure(413, "too_large", limit_bytes=MAX_BODY_BYTES)


def read_answer(body: bytes) -> FeedbackSubmission | JSONResponse:
    """The answer in a JSON body, validated in one pass; else 400 (not a JSON object) or 422 naming each field."""
    try:
        return FeedbackSubmission.model_validate_json(body)
    except ValidationError as error:
        if any(item["loc"] == () and item["type"] in ("json_invalid", "model_type") for item in error.errors()):
            return _failure(400, "invalid_json")
        return _failure(422, "invalid", errors=field_errors(error))


class FeedbackBatcher:
    """Group commit: answers arriving together are written in one transaction by one writer task.

    One INSERT per batch instead of one transaction per request lets a single worker accept thousands of
    answers a second. A batch that fails leaves nothing half-written. When the database is at fault (down,
    read-only) each of its requests learns so at once; otherwise one of its rows is to blame, so each row is
    written again in its own transaction: one bad row fails alone and the honest ones are stored.
    """

    def __init__(self, max_batch: int = 512) -> None:
        self.max_batch = max_batch
        self._queue: asyncio.Queue | None = None
        self._task: asyncio.Task | None = None

    async def submit(self, submission: FeedbackSubmission) -> Submitted:
        loop = asyncio.get_running_loop()
        # A writer of another event loop (a stopped one: a test client's, a worker's before a fork) never drains
        # this loop's queue: each loop gets its own.
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._queue = asyncio.Queue()
            self._task = asyncio.create_task(self._drain(self._queue), name="feedback-batcher")
        future = loop.create_future()
        self._queue.put_nowait((submission, future))
        return await future

    async def _drain(self, queue: asyncio.Queue) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                results = await run_in_threadpool(_write_batch, [submission for submission, _ in batch])
            except Exception as error:  # noqa: BLE001  (every waiting request learns of the failure)
                if len(batch) > 1 and database_fault(error) is None:
                    await self._write_one_by_one(batch)
                    continue
                for _, future in batch:
                    _settle(future, error=error)
                continue
            for (_, future), result in zip(batch, results):
                _settle(future, result=result)

    @staticmethod
    async def _write_one_by_one(batch: list) -> None:
        for submission, future in batch:
            try:
                [result] = await run_in_threadpool(_write_batch, [submission])
            except Exception as error:  # noqa: BLE001  (this row's request learns why it failed)
                _settle(future, error=error)
            else:
                _settle(future, result=result)


def _settle(future: asyncio.Future, *, result: Submitted | None = None, error: BaseException | None = None) -> None:
    """Answer a waiting request, unless it has gone (a client that hung up cancels its future)."""
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


_batcher = FeedbackBatcher()


async def store_answer(submission: FeedbackSubmission) -> JSONResponse:
    """201 (or 200 for a resend) once the answer is committed; 422 for a refused invite; 503 while the database
    is away or read-only."""
    try:
        if submission.invite:
            saved = await run_in_threadpool(_write, submission)
        else:
            saved = await _batcher.submit(submission)
    except InviteRefused as refused:
        return _failure(422, "invite_refused", errors={"invite": str(refused)})
    except SQLAlchemyError as error:
        fault = database_fault(error)
        if fault is None:
            raise
        logger.error("Feedback could not be stored: the database is %s (%s)", fault.value, type(error).__name__)
        return _failure(503, "read_only" if fault == DatabaseFault.read_only else "unavailable")
    return JSONResponse({"id": saved.id, "duplicate": not saved.created}, status_code=201 if saved.created else 200)


def _write(submission: FeedbackSubmission) -> Submitted:
    with write_session() as session:
        return submit_feedback(session=session, submission=submission, channel=FeedbackChannel.api)


def _write_batch(submissions: list[FeedbackSubmission]) -> list[Submitted]:
    with write_session() as session:
        return submit_anonymous_batch(session=session, submissions=submissions, channel=FeedbackChannel.api)


_HEALTH_RESPONSES = {
    200: {"description": "database=ok: it answers and accepts writes."},
    503: {"description": "database=unavailable: it cannot be reached; database=read_only: it answers but takes "
                         "no write; database=error: the check itself failed."},
}


@api.get("/api/health", summary="Service health", responses=_HEALTH_RESPONSES)
def health() -> JSONResponse:
    """The database must answer a query and accept a write (begun and rolled back, see db.probe_write)."""
    try:
        with read_session() as session:
            session.execute(text("SELECT 1"))
        probe_write()
    except SQLAlchemyError as error:
        fault = database_fault(error)
        state = {DatabaseFault.read_only: "read_only", DatabaseFault.unreachable: "unavailable"}.get(fault, "error")
        logger.error("Health check: the database is %s (%s)", state, type(error).__name__)
        return JSONResponse({"status": "degraded", "app": "ok", "database": state}, status_code=503)
    return JSONResponse({"status": "ok", "app": "ok", "database": "ok"})


api.include_router(sign_in.router)
api.include_router(unsubscribe.router)
api.include_router(password_reset.router)
api_v1.install(api)


class MethodNotAllowed:
    """405 with `Allow` for a method an /api/ route does not take. Reflex mounts its own app at "" inside this one
    (`api_transformer`), and that mount matches every path fully, so Starlette would hand a TRACE or PUT on
    /api/health to Reflex's 404 instead of answering 405 for the route it only partly matched. The routes and
    their methods are those of the OpenAPI document, so what it says and what is answered agree."""

    def __init__(self, app: Any, documented_by: FastAPI) -> None:
        self.app, self.documented_by = app, documented_by
        self._paths: list[tuple[re.Pattern, frozenset[str]]] | None = None

    def _methods_for(self, path: str) -> set[str]:
        if self._paths is None:
            self._paths = [(compile_path(template)[0], frozenset(method.upper() for method in operations))
                           for template, operations in self.documented_by.openapi()["paths"].items()]
        return {method for pattern, methods in self._paths if pattern.match(path) for method in methods}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        allowed = self._methods_for(path) if scope["type"] == "http" and path.startswith("/api/") else set()
        if not allowed or scope.get("method") in allowed:
            await self.app(scope, receive, send)
            return
        headers = {"Allow": ", ".join(sorted(allowed))}
        if path.startswith(api_v1.problems.PREFIX + "/"):
            response = api_v1.problems.problem_response(405, "method_not_allowed", f"This route does not take "
                                                        f"{scope.get('method')}.", instance=path, headers=headers)
        else:
            response = JSONResponse({"reason": "method_not_allowed"}, status_code=405, headers=headers)
        await response(scope, receive, send)


api.add_middleware(MethodNotAllowed, documented_by=api)

# Latency and errors of every API call, aggregated in memory (crm_app/metrics.py).
api.add_middleware(TimeRequests)
