"""How rxconfig.py resolves the scale-out settings, read the way `reflex run` reads them (a fresh process each time).

The PostgreSQL + Redis + several workers server itself is exercised by tests/e2e/test_scale_out.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from crm_app.data.backup import create_database_if_missing
from crm_app.settings import PROJECT_ROOT
from tests.conftest import POSTGRES_ADMIN_URL

REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

# Prints what Reflex itself resolves from rxconfig.py: its state manager, the worker count and the allowed origins.
PROBE = """
import json
from reflex.config import get_config
from reflex.istate.manager import StateManager
from reflex.utils import processes

config = get_config()
print(json.dumps({
    "mode": getattr(config.state_manager_mode, "value", config.state_manager_mode),
    "manager": type(StateManager.create()).__name__,
    "workers": processes.get_num_workers(),
    "origins": list(config.cors_allowed_origins),
}))
"""


def _resolved(**crm_env: str) -> dict:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CRM_", "REFLEX_"))}
    env.update(crm_env, CRM_SECRET_KEY="s" * 40)
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_without_redis_one_worker_keeps_state_on_disk_for_the_local_origins():
    resolved = _resolved()
    assert resolved == {"mode": "disk", "manager": "StateManagerDisk", "workers": 1,
                        "origins": ["http://localhost:3000", "http://127.0.0.1:3000"]}


def test_redis_url_switches_to_the_shared_state_manager_and_several_workers():
    resolved = _resolved(CRM_REDIS_URL=REDIS_URL)
    assert resolved["mode"] == "redis"
    assert resolved["manager"] == "StateManagerRedis"
    # Reflex's own rule when Redis is there (GRANIAN_WORKERS, set by `make run-prod`, overrides it).
    assert resolved["workers"] == min(2 * (os.cpu_count() or 1) + 1, 8)
    assert resolved["workers"] > 1


def test_allowed_origins_come_from_the_setting_without_trailing_slashes():
    resolved = _resolved(CRM_ALLOWED_ORIGINS="https://crm.example.com/, https://crm.example.com:8443 ,")
    assert resolved["origins"] == ["https://crm.example.com", "https://crm.example.com:8443"]


def _fake_tool(path, name: str, log) -> None:
    """A stand-in for crm-app / reflex that records its arguments and the settings it was started with."""
    path.write_text(f"#!/bin/sh\necho \"{name} $* db=$CRM_DATABASE_URL redis=$CRM_REDIS_URL "
                    f"workers=$GRANIAN_WORKERS\" >> {log}\n")
    path.chmod(0o755)


@pytest.mark.parametrize("make_args, expected", [
    ([], "db=postgresql+psycopg2://postgres@127.0.0.1:5432/crm redis=redis://127.0.0.1:6379/0 workers=4"),
    (["WORKERS=2", "CRM_DATABASE_URL=postgresql+psycopg2://crm@db:5432/crm"],
     "db=postgresql+psycopg2://crm@db:5432/crm redis=redis://127.0.0.1:6379/0 workers=2"),
])
def test_make_run_prod_sets_up_then_serves_with_postgresql_redis_and_workers(tmp_path, make_args, expected):
    bin_dir, log = tmp_path / "bin", tmp_path / "calls.log"
    bin_dir.mkdir()
    (bin_dir / ".installed").touch()  # newer than pyproject.toml: make skips the install step
    for name in ("crm-app", "reflex"):
        _fake_tool(bin_dir / name, name, log)
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CRM_", "GRANIAN_"))}
    done = subprocess.run(["make", "--no-print-directory", "run-prod", f"BIN={bin_dir}", *make_args],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert log.read_text().splitlines() == [f"crm-app setup {expected}", f"reflex run --env prod {expected}"]


@pytest.fixture(autouse=True)
def _redis_is_running():
    import redis

    redis.Redis.from_url(REDIS_URL).ping()


def test_a_missing_postgresql_database_is_created_once():
    name = f"crm_created_{uuid.uuid4().hex[:10]}"
    url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        assert create_database_if_missing(url) is True
        assert create_database_if_missing(url) is False
        with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as connection:
            assert connection.exec_driver_sql("SELECT current_database()").scalar_one() == name
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
