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
    # Load the demo company into an empty database on `crm-app setup` (and so on `make run`).
    demo_data: bool = True
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)
    # Public survey answers accepted per client IP (form and API together), in `limits` notation.
    feedback_rate_limit: str = "20/minute"
    # Origins (scheme://host:port, comma-separated) whose pages may open the app's websocket and call its API.
    allowed_origins: str = "http://localhost:3000,http://127.0.0.1:3000"

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
