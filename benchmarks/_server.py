"""Start and stop the real app (reflex run --env prod) for a benchmark, on a database of the caller's choice."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

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


@contextmanager
def served_backend(database_url: str, port: int, log_path: Path, **extra: str):
    """The backend alone (API and websocket) on `port`; yields its base URL."""
    log = log_path.open("w")
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/reflex"), "run", "--env", "prod", "--backend-only", "--backend-port", str(port)],
        cwd=ROOT, env=app_environment(database_url, **extra), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                urllib.request.urlopen(f"{base}/ping", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"backend did not start:\n{log_path.read_text()[-3000:]}") from None
                time.sleep(0.5)
        yield base
    finally:
        _stop(process)
        log.close()


def _stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
