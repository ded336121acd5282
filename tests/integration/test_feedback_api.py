"""POST /api/feedback and GET /api/health over HTTP, against a real database. Every survey test runs twice: through
the framework's route (crm_app/api.py) and through the raw path that serves it ahead of the framework
(crm_app/survey_path.py), which must answer alike."""

from __future__ import annotations

import time

import pytest
from sqlmodel import Session, func, select

from fastapi.testclient import TestClient

from crm_app.api import api
from crm_app.data.models import Feedback
from crm_app.settings import get_settings
from crm_app.survey_path import SurveyPath

VALID = {"csat": 5, "nps": 10, "comment": "Lovely service", "submission_id": "api-sub-0001"}


@pytest.fixture(params=["framework", "survey_path"])
def client(api_client, request):
    return api_client if request.param == "framework" else TestClient(SurveyPath(api))


def _stored(engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(Feedback)).one()


def test_valid_answer_is_stored_with_201(client, engine):
    response = client.post("/api/feedback", json=VALID)
    assert response.status_code == 201
    body = response.json()
    assert body["duplicate"] is False
    with Session(engine) as session:
        stored = session.get(Feedback, body["id"])
    assert (stored.csat, stored.nps, stored.comment, stored.channel) == (5, 10, "Lovely service", "api")


def test_resend_returns_the_same_id_and_stores_nothing_new(client, engine):
    first = client.post("/api/feedback", json=VALID).json()
    again = client.post("/api/feedback", json=VALID)
    assert again.status_code == 200
    assert again.json() == {"id": first["id"], "duplicate": True}
    assert _stored(engine) == 1


@pytest.mark.parametrize(
    "change, errors",
    [
        ({"nps": 11}, {"nps": "Choose how likely you are to recommend us, from 0 to 10."}),
        ({"csat": 0}, {"csat": "Choose how satisfied you are, from 1 to 5."}),
        ({"csat": None}, {"csat": "Choose how satisfied you are, from 1 to 5."}),
        ({"comment": "x" * 2001}, {"comment": "Keep your comment to 2,000 characters or fewer (it has 2,001)."}),
        ({"submission_id": "short"}, {"submission_id": "Send a submission_id of 8 to 64 letters, digits, '-' or '_', the same on every resend."}),
        ({"email": "someone@example.com"},
         {"form": "Tick the consent box to leave your name or email, or leave them empty."}),
    ],
)
def test_invalid_answers_name_the_field_and_store_nothing(client, engine, change, errors):
    response = client.post("/api/feedback", json={**VALID, **change})
    assert response.status_code == 422
    assert response.json() == {"reason": "invalid", "errors": errors}
    assert _stored(engine) == 0


def test_missing_score_is_named(client, engine):
    response = client.post("/api/feedback", json={"nps": 7, "submission_id": "api-sub-0002"})
    assert response.json() == {"reason": "invalid", "errors": {"csat": "This answer is required."}}
    assert _stored(engine) == 0


def test_oversized_and_malformed_bodies_are_refused(client, engine):
    huge = client.post("/api/feedback", json={**VALID, "comment": "x" * 100_000})
    assert huge.status_code == 413 and huge.json() == {"reason": "too_large", "limit_bytes": 16384}
    for raw in (b"not json", b"[1, 2]", b"\xff\xfe"):
        response = client.post("/api/feedback", content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 400 and response.json() == {"reason": "invalid_json"}
    assert _stored(engine) == 0


def test_forged_invite_is_refused(client, engine):
    response = client.post("/api/feedback", json={**VALID, "invite": "forged.token.value"})
    assert response.status_code == 422
    assert response.json()["reason"] == "invite_refused"
    assert _stored(engine) == 0


def test_rate_limit_answers_429_after_the_limit_and_recovers(client, engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "feedback_rate_limit", "3/second")
    codes = [client.post("/api/feedback", json={**VALID, "submission_id": f"rate-sub-{i:04d}"}).status_code
             for i in range(4)]
    assert codes == [201, 201, 201, 429]
    limited = client.post("/api/feedback", json={**VALID, "submission_id": "rate-sub-0099"})
    assert limited.json()["reason"] == "rate_limited" and int(limited.headers["Retry-After"]) >= 1
    time.sleep(1.1)  # let the one-second window pass
    assert client.post("/api/feedback", json={**VALID, "submission_id": "rate-sub-0100"}).status_code == 201
    assert _stored(engine) == 4


def test_forged_forwarded_for_does_not_escape_the_limit(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "feedback_rate_limit", "2/minute")
    codes = [
        client.post("/api/feedback", json={**VALID, "submission_id": f"xff-sub-{i:04d}"},
                    headers={"X-Forwarded-For": f"10.0.0.{i}"}).status_code
        for i in range(3)
    ]
    assert codes == [201, 201, 429]


def test_health_reports_app_and_database(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "app": "ok", "database": "ok"}


def test_openapi_documents_the_survey(client):
    spec = client.get("/api/openapi.json").json()
    operation = spec["paths"]["/api/feedback"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"csat", "nps", "submission_id"}
    assert {"201", "422", "429", "413"} <= set(operation["responses"])
