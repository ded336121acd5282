"""PostgreSQL unreachable for a moment: writes fail with a clear answer, nothing is half-written, and work resumes
by itself once the database is back. The app reaches PostgreSQL through a small TCP relay the test cuts."""

from __future__ import annotations

import socket
import threading

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, func, select

from crm_app import rate_limit
from crm_app.api import api
from crm_app.data.db import engine_for, write_session
from crm_app.data.models import Customer, Feedback
from crm_app.settings import get_settings
from tests.conftest import migrate

pytestmark = pytest.mark.postgres


class Relay:
    """Forwards TCP connections to PostgreSQL until cut; while cut, it drops live connections and refuses new ones."""

    def __init__(self, host: str, port: int) -> None:
        self._upstream = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self.up = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            server = socket.create_connection(self._upstream)
            with self._lock:
                self._open += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _hang_up(*ends: socket.socket) -> None:
        # shutdown() before close(): closing a socket another thread reads from would not send the FIN to PostgreSQL.
        for end in ends:
            try:
                end.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            end.close()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            self._hang_up(source, target)

    def cut(self) -> None:
        self.up = False
        with self._lock:
            self._hang_up(*self._open)
            self._open.clear()

    def restore(self) -> None:
        self.up = True

    def close(self) -> None:
        self.cut()
        self._hang_up(self._listener)  # wakes the accept loop, which then ends


@pytest.fixture
def outage(postgres_databases, monkeypatch):
    """(relay, direct URL): the app's settings point at the relay; the test reads the truth directly."""
    direct = postgres_databases.create()
    migrate(direct)
    url = make_url(direct)
    relay = Relay(url.host or "127.0.0.1", url.port or 5432)
    settings = get_settings()
    monkeypatch.setattr(settings, "database_url", url.set(host="127.0.0.1", port=relay.port)
                        .render_as_string(hide_password=False))
    monkeypatch.setattr(settings, "feedback_rate_limit", "1000/minute")
    monkeypatch.setattr(settings, "redis_url", None)
    rate_limit._limiter.cache_clear()
    yield relay, direct
    relay.close()
    engine_for(settings.database_url).dispose()
    rate_limit._limiter.cache_clear()


def _stored(direct_url: str, model) -> int:
    with Session(engine_for(direct_url)) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def _answer(n: int) -> dict:
    return {"csat": 4, "nps": 9, "comment": "Fine", "submission_id": f"outage-answer-{n:03d}"}


def test_survey_answers_fail_clearly_while_the_database_is_away_and_resume_after(outage):
    relay, direct = outage
    client = TestClient(api)
    assert client.post("/api/feedback", json=_answer(1)).status_code == 201

    relay.cut()
    refused = client.post("/api/feedback", json=_answer(2))
    health = client.get("/api/health")
    relay.restore()
    resumed = client.post("/api/feedback", json=_answer(3))
    resent = client.post("/api/feedback", json=_answer(2))

    assert (refused.status_code, refused.json()) == (503, {"reason": "unavailable"})
    assert (health.status_code, health.json()["database"]) == (503, "unavailable")
    assert resumed.status_code == 201 and resent.status_code == 201  # the refused answer can simply be sent again
    assert _stored(direct, Feedback) == 3


def test_a_transaction_cut_off_midway_leaves_nothing_behind(outage):
    relay, direct = outage
    with pytest.raises(OperationalError):
        with write_session() as session:
            session.add_all(Customer(name=f"Half-written {n}", region="EMEA", segment="SMB",
                                     acquisition_channel="event") for n in range(3))
            session.flush()  # the rows reached PostgreSQL inside the open transaction ...
            relay.cut()  # ... which dies before its commit
    relay.restore()

    assert _stored(direct, Customer) == 0
    with write_session() as session:  # the pool throws the dead connection away and carries on
        session.add(Customer(name="After the outage", region="EMEA", segment="SMB", acquisition_channel="event"))
    assert _stored(direct, Customer) == 1
