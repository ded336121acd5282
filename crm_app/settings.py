"""Every knob of the app in one place, read from ``CRM_``-prefixed environment variables or ``.env``."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = PROJECT_ROOT / "var"


def _default_database_url() -> str:
    return f"sqlite:///{VAR_DIR / 'crm.sqlite3'}"


def _local_secret_key() -> str:
    """A random key kept in var/ so sessions and signed links survive restarts of a dev install."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CRM_", env_file=PROJECT_ROOT / ".env", extra="ignore"
    )

    database_url: str = Field(default_factory=_default_database_url)
    # When set, Reflex keeps session state in Redis so several backend workers can share it.
    redis_url: str | None = None
    secret_key: str = Field(default_factory=_local_secret_key, min_length=32, repr=False)
    # The product's name in the title bar, page titles and the navigation.
    company_name: str = Field(default="crm_app", min_length=1, max_length=60)
    # Load the demo company into an empty database on `crm-app setup` (and so on `make run`).
    demo_data: bool = True
    # A session ends this long after sign-in (absolute), or after this long without a request (idle).
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    session_idle_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Failed sign-ins allowed per account and per client address, in `limits` notation; each rule that is full
    # makes the next attempt wait until its window frees, so the wait grows with the failures.
    sign_in_account_limits: str = "5/15 minutes;10/hour;20/day"
    sign_in_client_limits: str = "30/15 minutes;100/hour;300/day"
    # Threads checking passwords (Argon2 takes ~50 ms of CPU and 64 MiB): the event loop never waits on one.
    password_check_threads: int = Field(default=2, ge=1, le=32)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)
    # Public survey answers accepted per client IP (form and API together), in `limits` notation.
    feedback_rate_limit: str = "20/minute"
    # Origins (scheme://host:port, comma-separated) whose pages may open the app's websocket and call its API.
    allowed_origins: str = "http://localhost:3000,http://127.0.0.1:3000"
    # A request body must arrive within this many seconds (uploads get more for their size); then 408.
    body_timeout_seconds: float = Field(default=15, gt=0, le=3600)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def origins(self) -> tuple[str, ...]:
        """The allowed origins as a list, without blanks or trailing slashes."""
        return tuple(origin.strip().rstrip("/") for origin in self.allowed_origins.split(",") if origin.strip())


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
