"""The yardstick of benchmarks/feedback_api.py: the least a survey endpoint can do, served the same way.

A bare Starlette app with one route, POST /api/feedback: the body validated by the product's own pydantic model
(FeedbackSubmission), one INSERT and one COMMIT per request on the product's migrated SQLite file (WAL,
synchronous=NORMAL, as crm_app/data/db.py sets them), 201 with the new id. No rate limit, no origin check, no body
deadline, no group commit, no audit row, no sentiment, no webhooks: what is left is the cost of HTTP, JSON,
validation and the write itself.

    CRM_BARE_DATABASE=/path/to/db.sqlite3 granian --interface asgi --workers 1 benchmarks.bare_survey:app
"""

from __future__ import annotations

import os
import sqlite3
from datetime import UTC, datetime

from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from crm_app.data.models import FeedbackSubmission

_INSERT = ("INSERT INTO feedback (csat, nps, comment, channel, status, submitted_at, updated_at, client_submission_id,"
           " respondent_name, respondent_email, consent_contact) VALUES (?, ?, ?, 'api', 'new', ?, ?, ?, ?, ?, ?)")


def _connect() -> sqlite3.Connection:
    connection = sqlite3.connect(os.environ["CRM_BARE_DATABASE"], isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


_connection = _connect()


async def feedback(request: Request) -> JSONResponse:
    try:
        answer = FeedbackSubmission.model_validate_json(await request.body())
    except ValidationError as error:
        return JSONResponse({"reason": "invalid", "errors": str(error)}, status_code=422)
    now = datetime.now(UTC).isoformat(sep=" ")
    cursor = _connection.execute(_INSERT, (answer.csat, answer.nps, answer.comment, now, now, answer.submission_id,
                                           answer.name, answer.email, answer.consent))
    return JSONResponse({"id": cursor.lastrowid, "duplicate": False}, status_code=201)


app = Starlette(routes=[Route("/api/feedback", feedback, methods=["POST"])])
