"""Start and stop the real app (reflex run --env prod) for a benchmark, on a database of the caller's choice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from crm_app.data.db import engine_for

ROOT = Path(__file__).resolve().parent.parent


def app_environment(database_url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CRM_DATABASE_URL=database_url,
        PATH=f"{ROOT / '.tools/node_modules/.bin'}:{env.get('PATH', '')}",
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_CHECK_LATEST_VERSION="0",
        **extra,
    )
    return env


def migrate(database_url: str) -> None:
    subprocess.run([str(ROOT / ".venv/bin/crm-app"), "migrate"], env=app_environment(database_url),
                   check=True, capture_output=True)


def checkpoint(database_url: str) -> None:
    """Fold SQLite's write-ahead log into the database file, as a running server would have done by now."""
    if database_url.startswith("sqlite"):
        with engine_for(database_url).connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def seed_unless_seeded(database_url: str, **seed_options) -> bool:
    """Migrate, then load the demo company (`seed_demo_company(**seed_options)`) unless the database already has
    users, so a big benchmark database is seeded once and reused; whether it seeded."""
    from sqlalchemy import text

    from crm_app.data.seed import seed_demo_company

    migrate(database_url)
    with engine_for(database_url).connect() as connection:
        if connection.execute(text("SELECT count(*) FROM app_user")).scalar_one():
            return False
    seed_demo_company(engine=engine_for(database_url), **seed_options)
    checkpoint(database_url)
    return True


@contextmanager
def served_backend(database_url: str, port: int, log_path: Path, *, frontend: bool = False, **extra: str):
    """The backend alone (API and websocket) on `port`; with `frontend` the whole production app on that one
    port, its pages built first (a few minutes). Yields the base URL."""
    log = log_path.open("w")
    command = [str(ROOT / ".venv/bin/reflex"), "run", "--env", "prod", "--backend-port", str(port)]
    command += ["--frontend-port", str(port)] if frontend else ["--backend-only"]
    process = subprocess.Popen(command, cwd=ROOT, env=app_environment(database_url, **extra), stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = wait_until_up(process, f"http://127.0.0.1:{port}", log_path, frontend=frontend)
        yield base
    finally:
        stop(process)
        log.close()


def wait_until_up(process: subprocess.Popen, base: str, log_path: Path, *, probe: str = "/ping",
                  frontend: bool = False) -> str:
    """`base` once the server answers `probe` (any HTTP status counts) and, with `frontend`, its first page."""
    deadline = time.monotonic() + 600
    while True:
        try:
            try:
                urllib.request.urlopen(f"{base}{probe}", timeout=2)
            except urllib.error.HTTPError:
                pass  # an answer all the same
            if frontend:
                urllib.request.urlopen(f"{base}/", timeout=5)
            return base
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the app did not start:\n{log_path.read_text()[-3000:]}") from None
            time.sleep(0.5)


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
