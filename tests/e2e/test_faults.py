"""Faults under a signed-in user, in the scale-out configuration served for real (PostgreSQL, a Redis of the
test's own, two Granian workers) and used in Chromium: a backend worker killed with SIGKILL, and Redis
stopped and started again under the running app."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy.engine import make_url
from sqlmodel import Session, func, select

from crm_app.data.backup import create_database_if_missing
from crm_app.data.db import engine_for
from crm_app.data.models import Activity, AuditLog, Customer
from crm_app.serving import SESSION_STORE_AWAY
from tests.conftest import POSTGRES_ADMIN_URL
from tests.e2e.conftest import (
    _crm_app, _server_env, backend_worker_pids, open_page, serve_prod, sign_in, user_by_email,
)

pytestmark = pytest.mark.e2e

PORT = int(os.environ.get("CRM_E2E_FAULTS_PORT", "3104"))
URL = f"http://localhost:{PORT}"
# The test stops and restarts this Redis, so it is never the machine's own; 0 picks a free port.
REDIS_PORT = int(os.environ.get("CRM_E2E_FAULTS_REDIS_PORT", "0"))
WORKERS = 2

# Counts the page's websocket drops, so a test knows it cut the page's own connection.
SOCKET_DROPS = """
(() => {
  const probe = window.__reflex_otel || {};
  window.__e2eSocketDrops = 0;
  window.__reflex_otel = {
    ...probe,
    onSocketDisconnect(reason) { window.__e2eSocketDrops += 1; probe.onSocketDisconnect?.(reason); },
  };
})();
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until(done: Callable[[], bool], what: str, timeout_s: float = 30, page: Page | None = None) -> None:
    """Poll `done`; with a page, wait through Playwright so the page's events keep arriving meanwhile."""
    deadline = time.monotonic() + timeout_s
    while not done():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout_s:.0f} s waiting until {what}", pytrace=False)
        if page is None:
            time.sleep(0.2)
        else:
            page.wait_for_timeout(200)


class RedisServer:
    """A redis-server keeping nothing on disk, stopped and started again on the same port by the test."""

    def __init__(self, port: int, log_path: Path) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._log_path = log_path
        self._process: subprocess.Popen | None = None

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=1).ping()
        except redis.exceptions.ConnectionError:
            return False

    def start(self) -> None:
        with self._log_path.open("a") as log:
            self._process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=log, stderr=subprocess.STDOUT,
            )
        _wait_until(self._answers, f"Redis answers on port {self.port}", timeout_s=10)

    def stop(self) -> None:
        """SIGTERM, as `systemctl stop redis` sends; with nothing to save, Redis exits at once."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=10)


@dataclass
class FaultyApp:
    database_url: str
    server_pid: int
    redis: RedisServer


@pytest.fixture(scope="module")
def faulty_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultyApp]:
    workdir = tmp_path_factory.mktemp("faults")
    redis_server = RedisServer(REDIS_PORT or _free_port(), workdir / "redis.log")
    database = f"crm_faults_{uuid.uuid4().hex[:10]}"
    database_url = make_url(POSTGRES_ADMIN_URL).set(database=database).render_as_string(hide_password=False)
    create_database_if_missing(database_url)
    env = {**_server_env(database_url, workdir), "CRM_REDIS_URL": redis_server.url, "GRANIAN_WORKERS": str(WORKERS),
           "CRM_ALLOWED_ORIGINS": f"{URL},http://127.0.0.1:{PORT}"}
    _crm_app("migrate", env=env)
    _crm_app("seed", "--customers", "60", "--orders", "300", env=env)
    redis_server.start()
    try:
        with serve_prod(PORT, env, workdir / "server.log") as server:
            yield FaultyApp(database_url, server.pid, redis_server)
    finally:
        redis_server.stop()
        engine_for.cache_clear()
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def page(new_context) -> Page:
    context = new_context()
    context.add_init_script(SOCKET_DROPS)
    return context.new_page()


# --- the backend's worker processes, seen through /proc --------------------------------------------


def _established_sockets(port: int) -> set[str]:
    """Socket inodes of the TCP connections accepted on `port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                inodes.add(fields[9])
    return inodes


def _workers_with_connections(server_pid: int, port: int) -> list[int]:
    connections = {f"socket:[{inode}]" for inode in _established_sockets(port)}
    holders = []
    for pid in sorted(backend_worker_pids(server_pid)):
        try:
            fds = {os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()}
        except OSError:
            continue
        if fds & connections:
            holders.append(pid)
    return holders


def kill_the_websocket_worker(page: Page, server_pid: int) -> tuple[int, set[int]]:
    """SIGKILL the worker holding the page's websocket, the other workers paused (SIGSTOP) so that the page
    stays disconnected until `resume` is called with them: (the killed pid, the paused pids).

    /proc tells which workers hold a connection from the browser, not which one is the websocket (Chromium
    keeps idle HTTP connections too), so each is killed in turn until the page sees its socket drop.
    """
    for pid in _workers_with_connections(server_pid, PORT):
        paused = backend_worker_pids(server_pid) - {pid}
        for other in paused:
            os.kill(other, signal.SIGSTOP)
        os.kill(pid, signal.SIGKILL)
        try:
            page.wait_for_function("() => window.__e2eSocketDrops > 0", timeout=5_000)
            return pid, paused
        except PlaywrightTimeout:
            resume(paused)
            continue  # it held an idle connection only; Granian replaces it like any other
    pytest.fail("No backend worker held the page's websocket", pytrace=False)


def resume(paused: set[int]) -> None:
    for pid in paused:
        os.kill(pid, signal.SIGCONT)


# --- the tests ------------------------------------------------------------------------------------


def _count(database_url: str, model, *conditions) -> int:
    with Session(engine_for(database_url)) as session:
        return session.exec(select(func.count()).select_from(model).where(*conditions)).one()


def _sign_ins(database_url: str, email: str) -> int:
    user = user_by_email(database_url, email)
    return _count(database_url, AuditLog, AuditLog.actor_id == user.id, AuditLog.action == "sign_in")


def test_a_worker_killed_under_a_signed_in_user_is_replaced_and_the_page_carries_on(page, faulty_app):
    rep = user_by_email(faulty_app.database_url, "rep1@example.com")
    with Session(engine_for(faulty_app.database_url)) as session:
        customer = session.exec(select(Customer).where(Customer.owner_id == rep.id).order_by(Customer.id)).first()
    task, new_customer = "Call back after the crash", "Kira Killwell"

    sign_in(page, URL, "rep1@example.com", "demo-rep1-2026")
    open_page(page, f"{URL}/tasks?customer={customer.id}")
    page.get_by_label("What is to be done").fill(task)
    page.get_by_role("button", name="Save task").click()
    # Due by default at the next working hour: later today, or on the next working day.
    open_task = page.get_by_test_id(re.compile(r"^task-(today|upcoming)$")).filter(has_text=task)
    expect(open_task).to_have_count(1)
    # The user is halfway through adding a customer when their worker dies.
    page.get_by_test_id("nav-customers").click()
    page.get_by_role("button", name="New customer").first.click()  # the toolbar's; an empty list offers one too
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name", exact=True).fill(new_customer)
    dialog.get_by_label("Company", exact=True).fill("Crash Test Ltd")
    page.evaluate("window.__e2eSamePage = true")  # a reload would lose this
    workers_before = backend_worker_pids(faulty_app.server_pid)

    killed, paused = kill_the_websocket_worker(page, faulty_app.server_pid)
    try:
        dialog.get_by_role("button", name="Save customer").click()  # sent while the page is disconnected
    finally:
        resume(paused)

    # The save went through once the page had reconnected by itself, signed in as before.
    expect(page).to_have_url(re.compile(rf"^{re.escape(URL)}/customers/\d+/?$"), timeout=30_000)
    expect(page.get_by_test_id("customer-name")).to_have_text(new_customer)
    expect(page.get_by_test_id("signed-in-user")).to_have_text(rep.full_name)
    # And the page goes on working: the task made before the crash is there, once, and can be closed.
    page.get_by_test_id("nav-tasks").click()
    page.get_by_role("button", name=f"Mark done: {task}").click()
    expect(page.get_by_test_id("task-recently_done").filter(has_text=task)).to_have_count(1)
    expect(open_task).to_have_count(0)
    assert page.evaluate("window.__e2eSamePage") is True
    assert page.evaluate("window.__e2eSocketDrops") == 1

    # Granian started a new worker in place of the dead one.
    _wait_until(lambda: len(backend_worker_pids(faulty_app.server_pid)) == WORKERS, "the killed worker is replaced")
    workers_after = backend_worker_pids(faulty_app.server_pid)
    assert killed in workers_before and killed not in workers_after
    assert len(workers_after - workers_before) >= 1
    # Nothing lost, nothing twice, and no second sign-in.
    assert _count(faulty_app.database_url, Customer, Customer.name == new_customer) == 1
    assert _count(faulty_app.database_url, Activity, Activity.subject == task, Activity.done.is_(True)) == 1
    assert _count(faulty_app.database_url, Activity, Activity.subject == task) == 1
    assert _sign_ins(faulty_app.database_url, "rep1@example.com") == 1


def test_redis_going_away_is_reported_and_the_app_recovers_when_it_is_back(page, faulty_app):
    rep = user_by_email(faulty_app.database_url, "rep2@example.com")
    new_customer = "Rhea Restart"
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url) if frame == page.main_frame else None)
    sign_in(page, URL, "rep2@example.com", "demo-rep2-2026")
    open_page(page, f"{URL}/customers")
    expect(page.get_by_test_id("customer-row").first).to_be_visible()
    page.evaluate("window.__e2eSamePage = true")

    faulty_app.redis.stop()
    # The open page says what is wrong instead of doing nothing ...
    page.get_by_role("button", name="New customer").first.click()  # the toolbar's; an empty list offers one too
    expect(page.get_by_text(SESSION_STORE_AWAY)).to_be_visible()
    expect(page.get_by_role("dialog")).to_have_count(0)
    # ... and so does a page opened during the outage, which cannot load.
    late = page.context.new_page()
    late.goto(f"{URL}/customers")
    expect(late.get_by_text(SESSION_STORE_AWAY)).to_be_visible()
    expect(late.get_by_test_id("customer-row")).to_have_count(0)

    faulty_app.redis.start()
    # Redis came back empty, so the page's session state is gone, but the sign-in is the HttpOnly session cookie
    # that the websocket presents: the next click works in the same page, signed in, with no detour to the login.
    visited.clear()
    page.get_by_role("button", name="New customer").first.click()  # the toolbar's; an empty list offers one too
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(page.get_by_test_id("signed-in-user")).to_have_text(rep.full_name)
    assert [url for url in visited if "/login" in url] == []
    dialog.get_by_label("Name", exact=True).fill(new_customer)
    dialog.get_by_role("button", name="Save customer").click()
    expect(page.get_by_test_id("customer-name")).to_have_text(new_customer)
    assert page.evaluate("window.__e2eSamePage") is True
    # The page opened during the outage loads once the user tries again.
    late.reload()
    expect(late.get_by_test_id("customer-row").first).to_be_visible()
    expect(late.get_by_test_id("signed-in-user")).to_have_text(rep.full_name)

    assert _count(faulty_app.database_url, Customer, Customer.name == new_customer) == 1
    assert _sign_ins(faulty_app.database_url, "rep2@example.com") == 1
