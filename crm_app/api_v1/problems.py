"""Errors of the REST API as problem details (RFC 9457, application/problem+json), with one message per field."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from crm_app.data.db import DatabaseFault, database_fault
from crm_app.data.permissions import NotFound, PermissionDenied
from crm_app.data.validation import field_errors

PREFIX = "/api/v1"
MEDIA_TYPE = "application/problem+json"
# `type` of each problem: a stable identifier a client can branch on (RFC 9457 section 3.1.1).
TYPE_BASE = "https://crm-app.invalid/problems/"

TITLES = {
    400: "Bad request", 401: "Not signed in", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
    406: "Not acceptable", 409: "Conflict", 412: "Changed since read", 415: "Unsupported media type",
    422: "Invalid input", 428: "Precondition required", 429: "Too many requests", 503: "Unavailable",
}


class Problem(BaseModel):
    """An error answer (RFC 9457). `errors` maps each refused field of the request to what to fix."""

    type: str = Field(description="Identifies the kind of problem; branch on it.")
    title: str = Field(description="The kind of problem in words.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong this time, in words.")
    instance: str | None = Field(default=None, description="The path of the request.")
    errors: dict[str, str] | None = Field(default=None, description="Each refused field and its message.")


class ApiProblem(Exception):
    """Raised anywhere under /api/v1 to answer with a problem document."""

    def __init__(self, status: int, kind: str, detail: str | None = None, *, errors: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or kind)
        self.status, self.kind, self.detail, self.errors, self.headers = status, kind, detail, errors, headers


def problem_response(status: int, kind: str, detail: str | None = None, *, instance: str | None = None,
                     errors: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = Problem(type=TYPE_BASE + kind, title=TITLES.get(status, "Error"), status=status, detail=detail,
                   instance=instance, errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, media_type=MEDIA_TYPE,
                        headers=headers)


def _ours(request: Request) -> bool:
    return request.url.path == PREFIX or request.url.path.startswith(PREFIX + "/")


async def _on_problem(request: Request, problem: ApiProblem) -> JSONResponse:
    return problem_response(problem.status, problem.kind, problem.detail, instance=request.url.path,
                            errors=problem.errors, headers=problem.headers)


def _request_field_errors(error: RequestValidationError) -> dict[str, str]:
    """One message per refused field: body fields by name, query and header parameters by theirs."""
    messages: dict[str, str] = {}
    for item in error.errors():
        location = [str(part) for part in item.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = ".".join(location) or "body"
        message = "This field is required." if item.get("type") == "missing" else str(item.get("msg", "Invalid."))
        messages.setdefault(field, message.removeprefix("Value error, "))
    return messages


async def _on_invalid_request(request: Request, error: RequestValidationError):
    if not _ours(request):
        return await request_validation_exception_handler(request, error)
    errors = _request_field_errors(error)
    if any(item.get("type") in ("json_invalid", "model_attributes_type", "dict_type") and
           tuple(item.get("loc", ())) in (("body",), ("body", 0)) for item in error.errors()):
        return problem_response(400, "invalid_json", "Send the body as a JSON object.", instance=request.url.path)
    return problem_response(422, "invalid", "Some fields need fixing; see `errors`.", instance=request.url.path,
                            errors=errors)


async def _on_http_error(request: Request, error: StarletteHTTPException):
    if not _ours(request):
        return await http_exception_handler(request, error)
    kind = {404: "not_found", 405: "method_not_allowed"}.get(error.status_code, "http_error")
    return problem_response(error.status_code, kind, str(error.detail), instance=request.url.path,
                            headers=getattr(error, "headers", None))


def install(api) -> None:
    """Answer every error under /api/v1 with a problem document; other routes keep their own answers."""
    api.add_exception_handler(ApiProblem, _on_problem)
    api.add_exception_handler(RequestValidationError, _on_invalid_request)
    api.add_exception_handler(StarletteHTTPException, _on_http_error)


@contextmanager
def domain_errors() -> Iterator[None]:
    """Turn what the repositories refuse into problems: unknown or invisible records 404, forbidden 403, a rule
    broken 422 (with its field when the error names one), a database that cannot be reached 503."""
    try:
        yield
    except ApiProblem:
        raise
    except NotFound as error:
        raise ApiProblem(404, "not_found", str(error)) from None
    except PermissionDenied as error:
        raise ApiProblem(403, "forbidden", str(error)) from None
    except ValidationError as error:
        raise ApiProblem(422, "invalid", "Some fields need fixing; see `errors`.", errors=field_errors(error)) from None
    except ValueError as error:
        field = getattr(error, "field", None)
        raise ApiProblem(422, "invalid", str(error), errors={field: str(error)} if field else None) from None
    except SQLAlchemyError as error:
        fault = database_fault(error)
        if fault is None:
            raise
        kind = "read_only" if fault == DatabaseFault.read_only else "unavailable"
        raise ApiProblem(503, kind, "The database cannot take this request now; nothing was changed.",
                         headers={"Retry-After": "30"}) from None


def _problem_content(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description, "content": {
        MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
    if headers:
        response["headers"] = headers
    return response


_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.", "schema": {"type": "integer"}}}
_BEARER = {"WWW-Authenticate": {"description": "How to authenticate: Bearer.", "schema": {"type": "string"}}}

COMMON = {
    400: _problem_content("type=invalid_json: the body is not a JSON object; bad_cursor: the cursor is not one this "
                          "list gave; bad_idempotency_key: the key is not 1-255 visible characters."),
    401: _problem_content("type=unauthenticated: no `Authorization: Bearer` token, or one unknown, revoked, expired "
                          "or of a deactivated user.", _BEARER),
    403: _problem_content("type=forbidden: the token's user may not do this, or a read-only token writes; "
                          "account_setup_pending: the user must first finish their account page."),
    404: _problem_content("type=not_found: no such record, or none the token's user may see."),
    422: _problem_content("type=invalid: `errors` maps each refused field to a message; nothing was stored."),
    429: _problem_content("type=rate_limited: too many requests with this token; wait `Retry-After` seconds.",
                          _RETRY_AFTER),
    503: _problem_content("type=unavailable or read_only: the database cannot take the request now.", _RETRY_AFTER),
}
CONDITIONAL = {412: _problem_content("type=changed: the record changed since the `If-Match` ETag was read.")}
IDEMPOTENT = {409: _problem_content("type=idempotency_key_reused: this Idempotency-Key was sent with another "
                                    "request.")}


def openapi_with_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """The generated document, with Problem among its schemas and FastAPI's own 422 answer replaced by it."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}")
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(PREFIX):
            continue
        for operation in operations.values():
            responses = operation.get("responses", {})
            if "422" in responses:
                responses["422"] = COMMON[422]
    for name in ("HTTPValidationError", "ValidationError"):
        still_used = name in str(schema.get("paths", {}))
        if not still_used:
            schema["components"]["schemas"].pop(name, None)
    return schema
