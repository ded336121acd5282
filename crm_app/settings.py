"""Every knob of the app in one place, read from ``CRM_``-prefixed environment variables or ``.env``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from urllib.parse import unquote, urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from crm_app.formatting import valid_currency, valid_locale

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
        # A bad value is named, never echoed: it may hold a password (CRM_SMTP_URL, CRM_DATABASE_URL).
        env_prefix="CRM_", env_file=PROJECT_ROOT / ".env", extra="ignore", hide_input_in_errors=True
    )

    database_url: str = Field(default_factory=_default_database_url)
    # When set, Reflex keeps session state in Redis so several backend workers can share it.
    redis_url: str | None = None
    secret_key: str = Field(default_factory=_local_secret_key, min_length=32, repr=False)
    # The product's name in the title bar, page titles and the navigation.
    company_name: str = Field(default="crm_app", min_length=1, max_length=60)
    # Every amount is in this ISO 4217 currency, shown with its symbol; numbers and dates follow the locale.
    currency: str = "USD"
    locale: str = "en_US"
    # Load the demo company into an empty database on `crm-app setup` (and so on `make run`).
    demo_data: bool = True
    # A session ends this long after sign-in (absolute), or after this long without a request (idle).
    session_ttl_hours: int = Field(default=12, ge=1, le=24 * 30)
    session_idle_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # Failed sign-ins allowed per account and per client address, in `limits` notation; each rule that is full
    # makes the next attempt wait until its window frees, so the wait grows with the failures.
    sign_in_account_limits: str = "5/15 minutes;10/hour;20/day"
    sign_in_client_limits: str = "30/15 minutes;100/hour;300/day"
    # "Forgot password?" requests per account and per client address (each request counts, sent or not).
    password_reset_account_limits: str = "3/15 minutes;10/day"
    password_reset_client_limits: str = "20/hour;50/day"
    # Threads checking passwords (Argon2 takes ~50 ms of CPU and 64 MiB): the event loop never waits on one.
    password_check_threads: int = Field(default=2, ge=1, le=32)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted.
    trusted_proxy_hops: int = Field(default=0, ge=0, le=10)
    # Public survey answers accepted per client IP (form and API together), in `limits` notation.
    feedback_rate_limit: str = "20/minute"
    # REST API (/api/v1) requests allowed per personal access token, in `limits` notation.
    api_token_rate_limit: str = "600/minute"
    # Origins (scheme://host:port, comma-separated) whose pages may open the app's websocket and call its API.
    allowed_origins: str = "http://localhost:3000,http://127.0.0.1:3000"
    # A request body must arrive within this many seconds (uploads get more for their size); then 408.
    body_timeout_seconds: float = Field(default=15, gt=0, le=3600)
    # The company-wide cockpit snapshot in memory-mapped column files every worker on the machine shares
    # (crm_app/data/shared_columns.py): a worker starts in seconds and the columns are held once per machine.
    # Default folder: next to the SQLite file, else under the system's temporary directory. Off: each worker
    # reads the database itself.
    cockpit_shared_columns: bool = True
    cockpit_columns_dir: Path | None = None

    # Outgoing mail: smtp://user:pass@host:587 (STARTTLS when the server offers it) or smtps://...:465 (TLS from
    # the first byte). Unset: mail waits in the outbox and the pages that cause mail say so.
    smtp_url: str | None = Field(default=None, repr=False)
    mail_from: str = Field(default="crm_app <crm@localhost>", min_length=3, max_length=254)
    # Messages sent per worker-shared window, in `limits` notation (most providers cap the rate per account).
    mail_rate_limit: str = "60/minute;1000/hour"
    # The address the app is reached at, for links in emails; default: the first of CRM_ALLOWED_ORIGINS.
    public_url: str | None = None

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_well_formed(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        smtp_server(value)  # raises ValueError (never echoing the password) when it is not one
        return value.strip()

    @property
    def smtp(self) -> SmtpServer | None:
        """Where outgoing mail goes, or None when CRM_SMTP_URL is not set."""
        return smtp_server(self.smtp_url) if self.smtp_url else None

    @property
    def link_base(self) -> str:
        """The app's address without a trailing slash, which links in emails start with."""
        return (self.public_url or (self.origins[0] if self.origins else "http://localhost:3000")).rstrip("/")

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, code: str) -> str:
        return valid_currency(code)

    @field_validator("locale")
    @classmethod
    def _known_locale(cls, name: str) -> str:
        return valid_locale(name)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def origins(self) -> tuple[str, ...]:
        """The allowed origins as a list, without blanks or trailing slashes."""
        return tuple(origin.strip().rstrip("/") for origin in self.allowed_origins.split(",") if origin.strip())


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)


def smtp_server(url: str) -> SmtpServer:
    """The parts of CRM_SMTP_URL; ValueError naming what is wrong (without the password) when it is not usable."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError("CRM_SMTP_URL is not a URL like smtp://user:password@host:587") from None
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("CRM_SMTP_URL must start with smtp:// (STARTTLS) or smtps:// (implicit TLS)")
    if not parts.hostname:
        raise ValueError("CRM_SMTP_URL names no host: smtp://user:password@host:587")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError("CRM_SMTP_URL takes no path or query, only smtp://user:password@host:port")
    implicit_tls = parts.scheme == "smtps"
    return SmtpServer(host=parts.hostname, port=port or (465 if implicit_tls else 587), implicit_tls=implicit_tls,
                      username=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password is not None else None)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
