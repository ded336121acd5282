"""How the REST API reads and writes one record: ETags on every answer, `If-Match` before a change (412 when the
record changed since it was read), `Idempotency-Key` on creation (a resend gets the first answer), 201 with
`Location`. Every write runs in one transaction through the repositories, as the token's user."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from fastapi import Header
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from crm_app.api_v1.problems import ApiProblem, domain_errors
from crm_app.data.db import read_session, write_session
from crm_app.data.models import IdempotentRequest, utcnow
from crm_app.data.repositories.api_tokens import TokenCaller

Out = TypeVar("Out", bound=BaseModel)
# A stored answer is replayed for this long after the first request; older keys are forgotten.
IDEMPOTENCY_WINDOW = timedelta(hours=24)
MAX_KEY_LENGTH = 255

IF_MATCH = Header(default=None, alias="If-Match",
                  description="The ETag of the record as you read it; the change is refused with 412 if it changed.")
IDEMPOTENCY_KEY = Header(default=None, alias="Idempotency-Key", max_length=MAX_KEY_LENGTH,
                         description="A unique key per intended creation (a UUID): a resend with the same key and "
                                     "body returns the first answer and creates nothing more, for 24 hours.")

ETAG_HEADER = {"ETag": {"description": "The record's entity tag, for If-Match.", "schema": {"type": "string"}}}
LOCATION_HEADER = {"Location": {"description": "The created record's URL.", "schema": {"type": "string"}}}


def _tag(body: str) -> str:
    return '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"'


def etag_of(record: BaseModel) -> str:
    """A strong entity tag: the SHA-256 of the record's JSON, so it changes whenever anything shown changes."""
    return _tag(record.model_dump_json())


def record_response(record: BaseModel, *, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(json.loads(record.model_dump_json()), status_code=status,
                        headers={"ETag": etag_of(record), **(headers or {})})


def read_record(read: Callable[[Session], Out]) -> JSONResponse:
    with domain_errors(), read_session() as session:
        return record_response(read(session))


def _require_match(if_match: str | None, current: BaseModel) -> None:
    """Strong comparison (RFC 9110 13.1.1): a weak tag never matches; '*' matches any existing record."""
    if if_match is None:
        return
    tags = {tag.strip() for tag in if_match.split(",")}
    if "*" not in tags and etag_of(current) not in tags:
        raise ApiProblem(412, "changed", "The record changed since you read it: read it again, then retry.",
                         headers={"ETag": etag_of(current)})


def update_record(*, if_match: str | None, read: Callable[[Session], Out], lock: Callable[[Session], None],
                  write: Callable[[Session], None]) -> JSONResponse:
    """Lock the record, check If-Match against it as the caller sees it, change it, answer what it is now."""
    with domain_errors(), write_session() as session:
        lock(session)
        _require_match(if_match, read(session))
        write(session)
        session.flush()
        session.expire_all()
        return record_response(read(session))


def delete_record(*, if_match: str | None, read: Callable[[Session], Out], lock: Callable[[Session], None],
                  write: Callable[[Session], None]) -> Response:
    with domain_errors(), write_session() as session:
        lock(session)
        _require_match(if_match, read(session))
        write(session)
    return Response(status_code=204)


def _key(value: str | None) -> str | None:
    if value is None:
        return None
    if not value.strip() or not value.isascii() or not value.isprintable():
        raise ApiProblem(400, "bad_idempotency_key", "Send an Idempotency-Key of 1 to 255 visible ASCII characters.",
                         errors={"Idempotency-Key": "1 to 255 visible ASCII characters, like a UUID."})
    return value


def _replay(stored: IdempotentRequest, fingerprint: str) -> JSONResponse:
    if stored.fingerprint != fingerprint:
        raise ApiProblem(409, "idempotency_key_reused", "This Idempotency-Key was used for another request; use a "
                         "new key for a new record.")
    body = json.loads(stored.body)
    headers = {"Idempotent-Replayed": "true", "ETag": _tag(stored.body)}
    if stored.location:
        headers["Location"] = stored.location
    return JSONResponse(body, status_code=stored.status_code, headers=headers)


def _stored(session: Session, user_id: int, key: str) -> IdempotentRequest | None:
    return session.exec(select(IdempotentRequest).where(IdempotentRequest.user_id == user_id,
                                                        IdempotentRequest.key == key)).first()


def create_record(*, caller: TokenCaller, idempotency_key: str | None, path: str, sent: Any,
                  create: Callable[[Session], Out], location: Callable[[Out], str]) -> JSONResponse:
    """Create through `create` in one transaction; with an Idempotency-Key, store the answer in that same
    transaction, so the record and its replayable answer exist together or not at all."""
    key = _key(idempotency_key)
    fingerprint = hashlib.sha256(json.dumps(["POST", path, sent], sort_keys=True, default=str).encode()).hexdigest()
    try:
        with domain_errors(), write_session() as session:
            stored = _stored(session, caller.actor.id, key) if key else None
            if stored is not None:
                return _replay(stored, fingerprint)
            record = create(session)
            session.flush()
            body, url = record.model_dump_json(), location(record)
            if key:
                session.execute(delete(IdempotentRequest).where(IdempotentRequest.created_at
                                                                < utcnow() - IDEMPOTENCY_WINDOW))
                session.add(IdempotentRequest(user_id=caller.actor.id, key=key, fingerprint=fingerprint,
                                              status_code=201, body=body, location=url))
    except IntegrityError:
        if key is None:
            raise
        with read_session() as session:  # the same key was being created alongside: answer as it was answered
            stored = _stored(session, caller.actor.id, key)
        if stored is None:
            raise
        return _replay(stored, fingerprint)
    return JSONResponse(json.loads(body), status_code=201, headers={
        "Location": url, "ETag": _tag(body)})
