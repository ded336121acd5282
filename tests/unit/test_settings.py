"""Settings come from CRM_-prefixed environment variables, with safe defaults for a laptop."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crm_app.settings import PROJECT_ROOT, Settings


@pytest.fixture(autouse=True)
def _no_crm_env(monkeypatch):
    for name in ("CRM_DATABASE_URL", "CRM_REDIS_URL", "CRM_SECRET_KEY", "CRM_DEMO_DATA", "CRM_SESSION_TTL_HOURS"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_to_a_sqlite_file_inside_the_project():
    settings = Settings(_env_file=None)
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'crm.sqlite3'}"
    assert settings.is_sqlite
    assert settings.redis_url is None
    assert settings.demo_data is True
    assert len(settings.secret_key) >= 32


def test_environment_variables_override(monkeypatch):
    monkeypatch.setenv("CRM_DATABASE_URL", "postgresql+psycopg2://crm@db:5432/crm")
    monkeypatch.setenv("CRM_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("CRM_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("CRM_DEMO_DATA", "false")
    settings = Settings(_env_file=None)
    assert settings.database_url == "postgresql+psycopg2://crm@db:5432/crm"
    assert not settings.is_sqlite
    assert settings.redis_url == "redis://cache:6379/0"
    assert settings.secret_key == "k" * 40
    assert settings.demo_data is False


def test_dotenv_file_is_read(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("CRM_DEMO_DATA=0\nCRM_SESSION_TTL_HOURS=8\n")
    settings = Settings(_env_file=env_file)
    assert (settings.demo_data, settings.session_ttl_hours) == (False, 8)


def test_secret_key_repr_hides_the_value(monkeypatch):
    monkeypatch.setenv("CRM_SECRET_KEY", "s" * 40)
    assert "s" * 40 not in repr(Settings(_env_file=None))


@pytest.mark.parametrize("name, value", [("CRM_SECRET_KEY", "short"), ("CRM_SESSION_TTL_HOURS", "0")])
def test_bad_values_are_refused_with_the_field_named(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=name.removeprefix("CRM_").lower()):
        Settings(_env_file=None)
