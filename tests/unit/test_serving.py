"""The served app's fault handling: Granian restarts a dead worker, and an event failing on Redis says so."""

from __future__ import annotations

import redis.exceptions
import sqlalchemy.exc
from granian.server import Server

import rxconfig  # noqa: F401  (loading the app's config turns the respawn on, as `reflex run` does)
from crm_app.serving import DATABASE_AWAY, SESSION_STORE_AWAY, report_backend_error


def test_the_production_server_restarts_a_worker_that_dies():
    assert Server(target="crm_app.crm_app:app", workers=2).respawn_failed_workers is True
    # Only the default changes: an explicit choice still holds.
    assert Server(target="crm_app.crm_app:app", respawn_failed_workers=False).respawn_failed_workers is False


def _raised_from(cause: Exception) -> Exception:
    try:
        try:
            raise cause
        except Exception as error:
            raise RuntimeError("the state could not be read") from error
    except RuntimeError as wrapped:
        return wrapped


def test_an_event_failing_because_redis_is_away_tells_the_user_so():
    for cause in (redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:6379."),
                  redis.exceptions.TimeoutError("Timeout reading from socket")):
        assert SESSION_STORE_AWAY in str(report_backend_error(_raised_from(cause)))


def test_an_event_failing_because_the_database_is_away_tells_the_user_so():
    refused = sqlalchemy.exc.OperationalError("INSERT INTO activity ...", {}, ConnectionRefusedError(111))
    toast = str(report_backend_error(_raised_from(refused)))
    assert DATABASE_AWAY in toast and SESSION_STORE_AWAY not in toast


def test_any_other_failure_keeps_reflexs_own_message():
    toast = str(report_backend_error(ValueError("bad value")))
    assert "An error occurred." in toast and SESSION_STORE_AWAY not in toast and DATABASE_AWAY not in toast
