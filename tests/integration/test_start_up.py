"""The server's closing start-up lines: the README's address, then the demo logins when the demo company is there."""

from __future__ import annotations

from sqlmodel import Session

from crm_app import start_up
from crm_app.data.models import Role, User
from crm_app.data.security import hash_password
from crm_app.settings import get_settings
from tests.conftest import run_async

ADDRESS = "Open http://localhost:3000 in your browser."


def _point_at(engine, monkeypatch, *, marker_dir):
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    monkeypatch.setattr(start_up.tempfile, "gettempdir", lambda: str(marker_dir))


def _add_admin(engine, password: str) -> None:
    with Session(engine) as session:
        session.add(User(email="admin@example.com", full_name="Ada Admin", role=Role.admin,
                         password_hash=hash_password(password)))
        session.commit()


def test_the_demo_company_ends_the_output_with_the_address_and_its_logins_printed_once(engine, monkeypatch, capsys, tmp_path):
    _point_at(engine, monkeypatch, marker_dir=tmp_path)
    _add_admin(engine, "demo-admin-2026")
    run_async(start_up.announce_address_and_demo_logins())
    run_async(start_up.announce_address_and_demo_logins())  # a second worker of the same server
    lines = capsys.readouterr().out.splitlines()
    assert lines[:3] == [ADDRESS, "Demo logins (email / password / role):",
                         "  admin@example.com            demo-admin-2026        admin"]
    assert len(lines) == 11 and lines[-2:] == ["  rep6@example.com             demo-rep6-2026         sales_rep",
                                               "  marketer@example.com         demo-marketer-2026     marketer"]


def test_a_changed_demo_password_or_no_demo_data_prints_only_the_address(engine, monkeypatch, tmp_path):
    _point_at(engine, monkeypatch, marker_dir=tmp_path)
    assert start_up.demo_company_loaded() is False  # empty database
    _add_admin(engine, "a-real-secret-2026")
    assert start_up.demo_company_loaded() is False
    assert start_up.start_up_text(demo_company_loaded=False) == ADDRESS
    monkeypatch.setattr(get_settings(), "demo_data", False)
    assert start_up.demo_company_loaded() is False
