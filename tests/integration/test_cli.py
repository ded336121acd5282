"""The crm-app command against a real database."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from crm_app.cli import main
from crm_app.data.models import Campaign, CampaignTarget, Customer, FeedbackInvite, User
from crm_app.data.repositories.feedback import open_invite
from crm_app.settings import get_settings


@pytest.fixture
def cli(engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_create_admin_hashes_the_password_and_refuses_duplicates(cli, engine):
    created = cli("create-admin", "--email", "Boss@Example.com", "--name", "Boss", "--password", "long-password-1")
    assert created.exit_code == 0 and created.output == "Admin boss@example.com created.\n"
    again = cli("create-admin", "--email", "boss@example.com", "--name", "Boss", "--password", "long-password-1")
    assert again.exit_code == 1 and "already exists" in again.output
    with Session(engine) as session:
        admin = session.exec(select(User)).one()
    assert (admin.role, admin.password_hash[:10]) == ("admin", "$argon2id$")


def test_create_admin_explains_bad_input_without_echoing_the_password(cli):
    result = cli("create-admin", "--email", "not-an-email", "--name", "Boss", "--password", "tiny-pw")
    assert result.exit_code == 1
    assert "email: Enter a valid email address, like name@example.com. An email address must have an @-sign." in result.output
    assert "password: Use at least 10 characters." in result.output
    assert "tiny-pw" not in result.output


def test_setup_without_demo_data_only_migrates(cli, engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "demo_data", False)
    result = cli("setup")
    assert result.exit_code == 0 and "Demo logins" not in result.output
    with Session(engine) as session:
        assert session.exec(select(User)).all() == []


def test_survey_links_for_a_customer_and_for_a_campaign(cli, engine):
    with Session(engine) as session:
        customers = [Customer(name=f"C{i}", region="EMEA", segment="SMB", acquisition_channel="event") for i in range(3)]
        session.add_all(customers)
        session.flush()
        campaign = Campaign(name="Spring", channel="email", start_date=date(2026, 3, 1), end_date=date(2026, 3, 31), cost=100)
        session.add(campaign)
        session.flush()
        session.add_all([CampaignTarget(campaign_id=campaign.id, customer_id=c.id) for c in customers[:2]])
        session.commit()
        ids, campaign_id = [c.id for c in customers], campaign.id

    single = cli("survey-link", str(ids[2]), "--base-url", "https://crm.example.com/")
    assert single.exit_code == 0 and single.output.startswith("https://crm.example.com/feedback?t=")
    batch = cli("survey-link", "--campaign", str(campaign_id))
    lines = batch.output.splitlines()
    assert lines[0] == "customer_id,link" and [int(line.split(",")[0]) for line in lines[1:]] == ids[:2]
    with Session(engine) as session:
        token = single.output.strip().split("t=", 1)[1]
        assert open_invite(session=session, token=token).customer_name == "C2"
        assert len(session.exec(select(FeedbackInvite)).all()) == 3
    assert cli("survey-link", "999999").exit_code == 1
    assert cli("survey-link").exit_code == 2


def test_seed_refuses_a_database_with_users(cli):
    cli("create-admin", "--email", "boss@example.com", "--name", "Boss", "--password", "long-password-1")
    result = cli("seed", "--customers", "10", "--orders", "20")
    assert result.exit_code == 1
    assert "already has 1 user(s)" in result.output and "Traceback" not in result.output
