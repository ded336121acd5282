"""The scale-out configuration served for real: PostgreSQL, Redis as the state manager and two backend workers
(what `make run-prod` starts), on its own port, signed in through Chromium."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from sqlalchemy.engine import make_url
from sqlmodel import Session, func, select

from crm_app.data.backup import create_database_if_missing
from crm_app.data.db import engine_for
from crm_app.data.models import AuditLog, User
from tests.conftest import POSTGRES_ADMIN_URL
from tests.e2e.conftest import _crm_app, _server_env, backend_worker_pids, open_page, serve_prod, sign_in

pytestmark = pytest.mark.e2e

PORT = int(os.environ.get("CRM_E2E_SCALE_OUT_PORT", "3102"))
URL = f"http://localhost:{PORT}"
# A Redis database of its own, so the test never mixes its sessions with a developer's server on database 0.
REDIS_URL = os.environ.get("CRM_E2E_REDIS_URL", "redis://127.0.0.1:6379/7")
WORKERS = 2
CUSTOMERS = 60


@pytest.fixture(scope="module")
def scale_out(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, int]]:
    """(app URL, database URL, server pid) of a production server on PostgreSQL + Redis with two workers."""
    workdir = tmp_path_factory.mktemp("scale_out")
    database = f"crm_scale_out_{uuid.uuid4().hex[:10]}"
    database_url = make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    create_database_if_missing(database_url)
    env = {**_server_env(database_url, workdir), "CRM_REDIS_URL": REDIS_URL, "GRANIAN_WORKERS": str(WORKERS),
           "CRM_ALLOWED_ORIGINS": f"{URL},http://127.0.0.1:{PORT}"}
    _crm_app("migrate", env=env)
    _crm_app("seed", "--customers", str(CUSTOMERS), "--orders", "300", env=env)
    try:
        with serve_prod(PORT, env, workdir / "server.log") as server:
            yield URL, database_url, server.pid
    finally:
        engine_for.cache_clear()
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()


def test_two_workers_share_sessions_through_redis_over_postgresql(new_context, scale_out):
    app_url, database_url, server_pid = scale_out
    context = new_context()
    page = context.new_page()

    sign_in(page, app_url, "admin@example.com", "demo-admin-2026")
    # Every reload is a new websocket, accepted by whichever worker is free: the session holds on each one.
    for _ in range(6):
        open_page(page, f"{app_url}/customers")
        expect(page.get_by_test_id("signed-in-user")).to_have_text("Ada Admin")
        expect(page.get_by_test_id("customers-total")).to_have_text(f"{CUSTOMERS} customers")
    second_tab = context.new_page()
    open_page(second_tab, f"{app_url}/customers")
    expect(second_tab.get_by_test_id("customers-total")).to_have_text(f"{CUSTOMERS} customers")

    with Session(engine_for(database_url)) as session:
        admin_id = session.exec(select(User.id).where(User.email == "admin@example.com")).one()
        sign_ins = session.exec(select(func.count()).select_from(AuditLog)
                                .where(AuditLog.actor_id == admin_id, AuditLog.action == "sign_in")).one()
    assert sign_ins == 1  # the sign-in landed in PostgreSQL, once
    assert len(backend_worker_pids(server_pid)) == WORKERS
