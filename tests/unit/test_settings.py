"""Settings come from CRM_-prefixed environment variables, with safe defaults for a laptop."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from crm_app.settings import PROJECT_ROOT, Settings, SmtpServer, smtp_server


@pytest.fixture(autouse=True)
def _no_crm_env(monkeypatch):
    for name in ("CRM_DATABASE_URL", "CRM_REDIS_URL", "CRM_SECRET_KEY", "CRM_DEMO_DATA", "CRM_SESSION_TTL_HOURS",
                 "CRM_CURRENCY", "CRM_LOCALE"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_to_a_sqlite_file_inside_the_project():
    settings = Settings(_env_file=None)
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT / 'var' / 'crm.sqlite3'}"
    assert settings.is_sqlite
    assert settings.redis_url is None
    assert settings.demo_data is True
    assert len(settings.secret_key) >= 32
    assert (settings.currency, settings.locale) == ("USD", "en_US")


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


@pytest.mark.parametrize("url, server", [
    ("smtp://mailer:p%40ss%3Aword@mail.example:2525",
     SmtpServer(host="mail.example", port=2525, implicit_tls=False, username="mailer", password="p@ss:word")),
    ("smtp://mail.example", SmtpServer(host="mail.example", port=587, implicit_tls=False)),
    ("smtps://u:pw@mail.example", SmtpServer(host="mail.example", port=465, implicit_tls=True, username="u",
                                             password="pw")),
])
def test_the_smtp_url_gives_host_port_tls_and_credentials(monkeypatch, url, server):
    monkeypatch.setenv("CRM_SMTP_URL", url)
    settings = Settings(_env_file=None)
    assert settings.smtp == server
    assert (server.username, server.password) == (smtp_server(url).username, smtp_server(url).password)


@pytest.mark.parametrize("url, reason", [
    ("http://mailer:hunter2secret@mail.example", "must start with smtp:// (STARTTLS) or smtps://"),
    ("smtp://mailer:hunter2secret@", "names no host"),
    ("smtp://mailer:hunter2secret@mail.example:587/inbox", "takes no path or query"),
    ("smtp://mailer:hunter2secret@mail.example:port", "is not a URL like"),
])
def test_a_bad_smtp_url_stops_the_start_without_showing_its_password(monkeypatch, url, reason):
    monkeypatch.setenv("CRM_SMTP_URL", url)
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None)
    assert reason in str(refused.value)
    assert "hunter2secret" not in str(refused.value)
    assert "hunter2secret" not in repr(Settings(_env_file=None, smtp_url="smtp://m:hunter2secret@h"))


def test_without_smtp_url_mail_is_not_configured_and_links_use_the_first_origin():
    settings = Settings(_env_file=None, allowed_origins="https://crm.example/, http://other")
    assert settings.smtp is None
    assert settings.link_base == "https://crm.example"
    assert Settings(_env_file=None, public_url="https://mail.example/").link_base == "https://mail.example"

def test_currency_and_locale_are_normalised(monkeypatch):
    monkeypatch.setenv("CRM_CURRENCY", "eur")
    monkeypatch.setenv("CRM_LOCALE", "de-DE")
    settings = Settings(_env_file=None)
    assert (settings.currency, settings.locale) == ("EUR", "de_DE")


@pytest.mark.parametrize("name, value, message", [
    ("CRM_CURRENCY", "XYZ", "unknown currency 'XYZ'"), ("CRM_CURRENCY", "dollars", "unknown currency 'dollars'"),
    ("CRM_LOCALE", "xx_YY", "unknown locale 'xx_YY'"),
])
def test_unknown_currency_or_locale_stops_the_start(monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError, match=message):
        Settings(_env_file=None)
