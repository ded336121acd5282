"""What the server prints once it is up: the address to open and, on the demo company, who can sign in.

Reflex prints its own "App running at" (the bind address, http://0.0.0.0:3000) before the build output and the
workers' start; these lines come after them, so `make run` ends with what a new user needs."""

from __future__ import annotations

import asyncio
import os
import tempfile
from pathlib import Path

from reflex.config import get_config
from sqlmodel import select

from crm_app.data.db import read_session
from crm_app.data.models import User
from crm_app.data.security import verify_password
from crm_app.settings import get_settings

APP_PORT = 3000  # the README's: `reflex run --env prod` serves frontend and backend on one port


def start_up_text(*, demo_company_loaded: bool, port: int = APP_PORT) -> str:
    """The closing lines of the start-up output: the address, then the demo logins when the demo company is there."""
    lines = [f"Open http://localhost:{port} in your browser."]
    if demo_company_loaded:
        from crm_app.data.seed import demo_logins_text  # not at import: the seed package loads the demo generator

        lines.append(demo_logins_text())
    return "\n".join(lines)


def demo_company_loaded() -> bool:
    """The demo data is on and its admin still signs in with the demo password: nothing stale or real is printed."""
    if not get_settings().demo_data:
        return False
    from crm_app.data.seed import DEMO_LOGINS  # not at import: the seed package loads the demo generator

    demo_admin = DEMO_LOGINS[0]
    with read_session() as session:
        password_hash = session.exec(select(User.password_hash).where(User.email == demo_admin.email)).first()
    return verify_password(password_hash, demo_admin.password)


def first_worker_of_this_server() -> bool:
    """True in one backend worker per server: the workers share a parent process, the first to claim its marker prints."""
    parent = os.getppid()
    marker = Path(tempfile.gettempdir()) / f"crm_app-started-{parent}-{_start_time(parent)}"
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), so a reused process id gets a new marker."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "0"


async def announce_address_and_demo_logins() -> None:
    """Lifespan task: print the start-up lines once per server, after the workers have started."""
    if first_worker_of_this_server():
        loaded = await asyncio.to_thread(demo_company_loaded)
        # `reflex run` passes its port to the workers in the environment (REFLEX_FRONTEND_PORT), read by get_config.
        port = get_config().frontend_port or APP_PORT
        print(start_up_text(demo_company_loaded=loaded, port=port), flush=True)
