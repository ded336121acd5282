"""crm_app/request_guards.py in front of the JSON API, driven as ASGI: cross-site writes, the survey's media type,
bodies that never finish. (Uploads need the whole Reflex app: tests/e2e/test_upload_guard.py.)"""

from __future__ import annotations

import asyncio
import logging

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from crm_app import metrics, rate_limit
from crm_app.api import api
from crm_app.data.models import Feedback
from crm_app.request_guards import RequestGuards
from crm_app.settings import get_settings
from crm_app.survey_path import SurveyPath
from tests.conftest import run_async, serve_api_on

ALLOWED = "http://localhost:3000"
ANSWER = b'{"csat": 5, "nps": 10, "comment": "Lovely", "submission_id": "guard-sub-0001"}'
JSON = {"content-type": "application/json"}
# A hung test fails instead of hanging the run; the guard answers far sooner.
HANG_GUARD_S = 20


@pytest.fixture(params=["framework", "survey_path"])
def guarded(engine, monkeypatch, request):
    """The API behind the guards, on the `engine` fixture's database (settings as serve_api_on sets them); and the
    same with the survey's raw path in front, as the app serves it (crm_app.py), which must answer alike."""
    serve_api_on(monkeypatch, engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(get_settings(), "allowed_origins", f"{ALLOWED},http://127.0.0.1:3000")
    yield RequestGuards(api) if request.param == "framework" else SurveyPath(RequestGuards(api))
    rate_limit._limiter.cache_clear()


def _stored(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Feedback)).one()


def test_a_cross_site_write_is_refused_and_stores_nothing(guarded, engine):
    client = TestClient(guarded)
    for headers in ({"origin": "http://evil.example", "content-type": "text/plain"},
                    {"origin": "http://evil.example", **JSON}, {"origin": "null", **JSON}):
        refused = client.post("/api/feedback", content=ANSWER, headers=headers)
        assert (refused.status_code, refused.json()) == (403, {"reason": "foreign_origin"})
    assert client.delete("/api/feedback", headers={"origin": "http://evil.example"}).status_code == 403
    assert _stored(engine) == 0
    # Reads from anywhere, writes from the app's own pages and from servers (no Origin) go through.
    assert client.get("/api/health", headers={"origin": "http://evil.example"}).status_code == 200
    assert client.post("/api/feedback", content=ANSWER, headers={"origin": ALLOWED, **JSON}).status_code == 201
    assert client.post("/api/feedback", content=ANSWER.replace(b"0001", b"0002"), headers=JSON).status_code == 201
    assert _stored(engine) == 2


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                                        None])
def test_the_survey_accepts_json_only(guarded, engine, media_type):
    headers = {"content-type": media_type} if media_type else {}
    response = TestClient(guarded).post("/api/feedback", content=ANSWER, headers=headers)
    assert response.status_code == 415
    assert response.json() == {"reason": "unsupported_media_type", "accepted": "application/json"}
    assert _stored(engine) == 0
    charset = TestClient(guarded).post("/api/feedback", content=ANSWER,
                                       headers={"content-type": "application/json; charset=utf-8"})
    assert charset.status_code == 201


def test_a_score_in_superscript_digits_gets_the_surveys_own_message(guarded, engine):
    response = TestClient(guarded).post("/api/feedback", content=ANSWER.replace(b"5,", '"²",'.encode()),
                                        headers=JSON)
    assert response.status_code == 422
    assert response.json() == {"reason": "invalid", "errors": {"csat": "Choose how satisfied you are, from 1 to 5."}}


async def _exchange(app, chunks: list[bytes], *, then_hang: bool) -> list[dict]:
    """POST /api/feedback sending `chunks`, then (with then_hang) nothing more, ever; the messages sent back."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/api/feedback", "raw_path": b"/api/feedback", "root_path": "", "query_string": b"",
             "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(ANSWER)).encode())],
             "client": ("10.1.2.3", 5000), "server": ("testserver", 80)}
    pending = list(chunks)
    sent: list[dict] = []

    async def receive() -> dict:
        if pending:
            return {"type": "http.request", "body": pending.pop(0), "more_body": bool(pending) or then_hang}
        await asyncio.Event().wait()  # a client that stopped sending (or, after the body, never hangs up)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    await asyncio.wait_for(app(scope, receive, send), HANG_GUARD_S)
    return sent


def test_a_body_that_stops_arriving_gets_408_and_the_connection_closes(guarded, engine, monkeypatch, caplog):
    monkeypatch.setattr(get_settings(), "body_timeout_seconds", 0.3)
    metrics.recorder.drain()
    with caplog.at_level(logging.INFO):
        sent = run_async(_exchange(guarded, [ANSWER[:10]], then_hang=True))
    start, body = sent[0], sent[1]
    assert start["status"] == 408
    assert (b"connection", b"close") in start["headers"]
    assert body["body"] == b'{"reason":"body_timeout"}'
    assert len(sent) == 2  # nothing of the app's own answer follows
    assert _stored(engine) == 0
    # One quiet line, no traceback, and not a server error in the availability figure.
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING or record.exc_info]
    assert "Request body refused (body_timeout): POST /api/feedback" in caplog.text
    samples = [sample for sample in metrics.recorder.drain() if sample.name == "POST /api/feedback"]
    assert [(sample.count, sample.errors) for sample in samples] == [(1, 0)]


def test_a_body_arriving_in_pieces_within_the_deadline_is_stored(guarded, engine):
    pieces = [ANSWER[i:i + 7] for i in range(0, len(ANSWER), 7)]
    sent = run_async(_exchange(guarded, pieces, then_hang=False))
    assert sent[0]["status"] == 201
    assert _stored(engine) == 1
