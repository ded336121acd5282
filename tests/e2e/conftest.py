"""The served app for end-to-end tests: a seeded SQLite database, `reflex run --env prod`, Debian's Chromium.

One production server serves the whole session on APP_PORT (prod mode serves the frontend and the
backend on one port). It builds into its own web and state directories under the session's tmp dir,
so it never rebuilds, or deletes the state of, a developer's server running from the same checkout.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from crm_app.data.db import engine_for, writer_connection
from crm_app.data.models import User
from crm_app.settings import PROJECT_ROOT
from tests.smtp_server import SmtpServer

APP_PORT = int(os.environ.get("CRM_E2E_PORT", "3100"))  # another port lets two checkouts test at once
APP_URL = f"http://localhost:{APP_PORT}"
COMPANY_NAME = "Northwind CRM"
BIN = Path(sys.executable).parent
TOOLS_BIN = PROJECT_ROOT / ".tools" / "node_modules" / ".bin"
START_TIMEOUT_S = 360
# The served app's request-body deadline, short so the slow-body test is quick.
E2E_BODY_TIMEOUT_S = 5
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Reflex calls these instrumentation hooks when its websocket (dis)connects; the flag tells a test
# that React has mounted and the page's events reach the server.
SOCKET_PROBE = """
window.__reflex_otel = {
  onSocketConnect() { window.__e2eSocketConnected = true; },
  onSocketDisconnect() { window.__e2eSocketConnected = false; },
};
"""

expect.set_options(timeout=15_000)


def _server_env(database_url: str, workdir: Path) -> dict[str, str]:
    (workdir / "tmp").mkdir(exist_ok=True)
    return {
        **os.environ,
        "PATH": f"{TOOLS_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_CHECK_LATEST_VERSION": "0",
        "REFLEX_WEB_WORKDIR": str(workdir / "web"),
        "REFLEX_STATES_WORKDIR": str(workdir / "states"),
        "CRM_DATABASE_URL": database_url,
        # The product's name on screen comes from the settings (tests/e2e/test_guidance.py).
        "CRM_COMPANY_NAME": COMPANY_NAME,
        # The served app accepts websockets from its own pages only (rxconfig's cors_allowed_origins).
        "CRM_ALLOWED_ORIGINS": f"{APP_URL},http://127.0.0.1:{APP_PORT}",
        # Every test's browser signs in from 127.0.0.1: the per-address throttle would count one office's worth
        # of failures across the whole session. The per-account throttle stays as shipped.
        "CRM_SIGN_IN_CLIENT_LIMITS": "10000/15 minutes",
        "CRM_BODY_TIMEOUT_SECONDS": str(E2E_BODY_TIMEOUT_S),
        # Its own temp dir, so a test sees whether an upload reached the disk.
        "TMPDIR": str(workdir / "tmp"),
    }


def _crm_app(*args: str, env: dict[str, str]) -> None:
    done = subprocess.run(
        [str(BIN / "crm-app"), *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"crm-app {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}", pytrace=False)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, ""
    except OSError:
        return 0, ""


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _log_tail(log_path: Path, lines: int = 60) -> str:
    return "\n".join(log_path.read_text(errors="replace").splitlines()[-lines:])


def _stop(server: subprocess.Popen) -> None:
    """End the server and every process it started (it runs in its own process group)."""
    for sig, grace_s in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            return
        try:
            server.wait(timeout=grace_s)
            return
        except subprocess.TimeoutExpired:
            continue


def _session_and_command(pid: str) -> tuple[int, bytes]:
    stat = (Path("/proc") / pid / "stat").read_text()
    return int(stat[stat.rindex(")") + 2:].split()[3]), (Path("/proc") / pid / "cmdline").read_bytes()


def backend_worker_pids(server_pid: int) -> set[int]:
    """The processes the server forked as copies of itself (Granian's workers): same session, same command."""
    command = _session_and_command(str(server_pid))[1]
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(server_pid):
            try:
                if _session_and_command(entry.name) == (server_pid, command):
                    pids.add(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue  # the process ended while being looked at
    return pids


@pytest.fixture(scope="session")
def e2e_workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def e2e_database_url(e2e_workdir: Path) -> str:
    """A migrated SQLite database holding the demo company (200 customers, 1,000 orders)."""
    url = f"sqlite:///{e2e_workdir / 'e2e.sqlite3'}"
    env = _server_env(url, e2e_workdir)
    _crm_app("migrate", env=env)
    _crm_app("seed", "--customers", "200", "--orders", "1000", env=env)
    return url


@contextmanager
def serve_prod(port: int, env: dict[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """`reflex run --env prod` on `port` (frontend and backend), until it answers; stopped on leaving."""
    if _port_taken(port):
        pytest.fail(f"Port {port} is already in use: stop whatever serves it first.", pytrace=False)
    url = f"http://localhost:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [str(BIN / "reflex"), "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)],
            cwd=PROJECT_ROOT,
            # Tests read the log while the server runs (tracebacks counted around one request): what it writes must
            # reach the file when written, not a buffer's worth later.
            env={**env, "PYTHONUNBUFFERED": "1"},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while _get(f"{url}/ping") != (200, '"pong"') or _get(f"{url}/")[0] != 200:
            if server.poll() is not None or time.monotonic() > deadline:
                state = f"exited with {server.returncode}" if server.poll() is not None else "timed out"
                pytest.fail(f"The app server {state}; end of {log_path}:\n{_log_tail(log_path)}", pytrace=False)
            time.sleep(1)
        yield server
    finally:
        _stop(server)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    """The real SMTP server (aiosmtpd) the served app sends its mail to; tests read what it received."""
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="session")
def app_url(e2e_database_url: str, e2e_workdir: Path, smtp_server: SmtpServer) -> Iterator[str]:
    """The base URL of the production server, serving the e2e database and sending mail to `smtp_server`."""
    env = {**_server_env(e2e_database_url, e2e_workdir), "CRM_SMTP_URL": smtp_server.url,
           "CRM_MAIL_FROM": f"{COMPANY_NAME} <crm@northwind.example>", "CRM_MAIL_RATE_LIMIT": "10000/minute",
           # Every e2e test answers the survey from 127.0.0.1; the per-address limit is tested in tests/integration.
           "CRM_FEEDBACK_RATE_LIMIT": "10000/minute"}
    with serve_prod(APP_PORT, env, e2e_workdir / "server.log"):
        yield APP_URL


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture
def new_context(new_context: Callable[..., BrowserContext]) -> Callable[..., BrowserContext]:
    """pytest-playwright's context factory, with the websocket probe in every page."""

    def _new_context(**kwargs) -> BrowserContext:
        context = new_context(**kwargs)
        context.add_init_script(SOCKET_PROBE)
        return context

    return _new_context


def wait_until_live(page: Page) -> None:
    """Wait until the page is hydrated and its websocket is connected, so clicks reach the server."""
    page.wait_for_function("() => window.__e2eSocketConnected === true", timeout=30_000)


def open_page(page: Page, url: str) -> None:
    page.goto(url)
    wait_until_live(page)


def submit_login(page: Page, email: str, password: str) -> None:
    """Fill in and send the login form of the login page, once it is live (the form is posted over HTTP, and each
    answer is a new page load)."""
    wait_until_live(page)
    page.locator("#login-email").fill(email)
    page.locator("#login-password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def sign_in(page: Page, app_url: str, email: str, password: str) -> None:
    """Sign in through the login form and wait until the shell shows who is signed in."""
    open_page(page, f"{app_url}/login")
    submit_login(page, email, password)
    expect(page.get_by_test_id("signed-in-user")).to_have_text(re.compile(r"\S"))


def path_is(app_url: str, path: str) -> re.Pattern[str]:
    """A URL pattern for `path` on the app, with or without the trailing slash the server adds."""
    base, _, query = path.partition("?")
    slash = "" if base == "/" else "/?"
    query_pattern = rf"\?{re.escape(query)}/?" if query else ""
    return re.compile(rf"^{re.escape(app_url)}{re.escape(base.rstrip('/') or '/')}{slash}{query_pattern}$")


@contextmanager
def writing(database: str | Engine) -> Iterator[Session]:
    """A session on the e2e database (its URL or engine) for a test's own writes: on SQLite each of its
    transactions takes the write lock as it begins (db.writer_connection), so it waits for the app's writers
    instead of failing at its first write. Keep its block to the rows it writes: the app's own writes wait while
    it is open."""
    with writer_connection(database if isinstance(database, Engine) else engine_for(database)) as connection, \
            Session(bind=connection) as session:
        yield session


def user_by_email(database_url: str, email: str) -> User | None:
    with Session(engine_for(database_url)) as session:
        return session.exec(select(User).where(User.email == email)).first()


def user_count(database_url: str) -> int:
    with Session(engine_for(database_url)) as session:
        return session.exec(select(func.count()).select_from(User)).one()


def store_insight_fit(database_url: str, name: str):
    """Fit insight `name` on the e2e company as /insights does and store it as a ModelRun; the fit.

    The facts are read in a session of their own, as refresh_insights does, and the run stored in a writing one."""
    from datetime import UTC, datetime

    from crm_app.data.facts import load_facts
    from crm_app.data.insights_refresh import fit_insight, insight_model_name
    from crm_app.data.reports import ReportPeriod
    from crm_app.data.repositories.model_runs import record_model_run

    with Session(engine_for(database_url)) as session:
        facts = load_facts(session)
    fit = fit_insight(name, facts, ReportPeriod.ending(datetime.now(UTC).date()))
    with writing(database_url) as session:
        record_model_run(session=session, model=insight_model_name(name), rows=fit.rows, seconds=fit.seconds,
                         summary=fit.report)
        session.commit()
    return fit


def ensure_segments_fit(database_url: str) -> None:
    """A stored /insights segments fit, as a visit to /insights would leave, when there is none yet (fitting every
    model on the page's first visit takes minutes on a busy machine)."""
    from crm_app.data.insights_refresh import latest_insights

    with Session(engine_for(database_url)) as session:
        fitted = latest_insights(session=session)["segments"] is not None
    if not fitted:
        store_insight_fit(database_url, "segments")
