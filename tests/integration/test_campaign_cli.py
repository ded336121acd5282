"""`crm-app campaign create|audience|start|report` against a real database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlmodel import Session, func, select

from crm_app import routes
from crm_app.cli import main
from crm_app.data.models import CampaignTarget, Customer, MailMessage, Order, Role, User
from crm_app.data.repositories import saved_views
from crm_app.data.repositories.users import actor_of
from crm_app.domain import OrderStatus, SalesChannel, TargetGroup
from crm_app.settings import get_settings
from tests.conftest import add_staff


@pytest.fixture
def cli(engine, monkeypatch):
    monkeypatch.setattr(get_settings(), "database_url", engine.url.render_as_string(hide_password=False))
    with Session(engine) as session:
        add_staff(session)
        session.add(User(email="mia@example.com", full_name="Mia", role=Role.marketer, password_hash="x"))
        session.add_all([Customer(name=f"C{n}", email=f"c{n}@example.com", region="EMEA", segment="SMB",
                                  acquisition_channel="event", consent_email=n != 0, external_ref=f"R{n}")
                         for n in range(11)])
        session.commit()
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_create_audience_start_and_report(cli, engine):
    today = datetime.now(UTC).date()
    created = cli("campaign", "create", "--as", "mia@example.com", "--name", "Spring", "--channel", "email",
                  "--start", today.isoformat(), "--end", (today + timedelta(days=7)).isoformat(), "--cost", "50",
                  "--holdout", "0.2", "--subject", "Hi {name}", "--body", "Tell us: {survey_link}")
    assert created.exit_code == 0, created.output
    campaign_id = created.output.strip()
    preview = cli("campaign", "audience", campaign_id, "--as", "mia@example.com", "--segment", "SMB")
    assert preview.output == ("11 customers chosen, 1 left out without consent, 8 to contact, 2 held out.\n"
                              "Nothing was saved: run again with --commit.\n")
    saved = cli("campaign", "audience", campaign_id, "--as", "mia@example.com", "--segment", "SMB", "--commit")
    assert saved.exit_code == 0
    started = cli("campaign", "start", campaign_id, "--as", "mia@example.com")
    assert started.output == "8 of 8 contacted.\n"
    assert cli("campaign", "start", campaign_id, "--as", "mia@example.com").output == "8 of 8 contacted.\n"
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(MailMessage)).one() == 8
        buyer = session.exec(select(CampaignTarget.customer_id).where(
            CampaignTarget.target_group == TargetGroup.contacted)).first()
        session.add(Order(customer_id=buyer, channel=SalesChannel.online, status=OrderStatus.paid,
                          ordered_at=datetime.now(UTC) + timedelta(minutes=1), total_amount=250))
        session.commit()
    report = json.loads(cli("campaign", "report", campaign_id, "--as", "mia@example.com", "--json").output)
    assert (report["targets"], report["holdout_targets"], report["responders"], report["holdout_responders"]) == \
        (8, 2, 1, 0)
    assert (report["uplift"], report["attributed_revenue"], report["roi"]) == (0.125, 250.0, 4.0)
    # (250/8 − 0/2) × 8 = 250 incremental: the same ROI as the naive one here.
    assert report["incremental_roi"] == 4.0 and report["status"] == "running"


def test_a_sales_rep_cannot_run_campaigns_and_bad_input_says_why(cli):
    refused = cli("campaign", "create", "--as", "rep@example.com", "--name", "Mine", "--channel", "ads",
                  "--start", "2026-10-01", "--end", "2026-10-02")
    assert refused.exit_code == 1 and "active marketer or admin" in refused.output
    bad = cli("campaign", "create", "--as", "mia@example.com", "--name", "Backwards", "--channel", "ads",
              "--start", "2026-10-05", "--end", "2026-10-01")
    assert bad.exit_code == 1 and "end on or after its start" in bad.output


def test_an_audience_from_a_saved_view_of_customers(cli, engine):
    with Session(engine) as session:
        mia = actor_of(session.exec(select(User).where(User.email == "mia@example.com")).one())
        saved_views.save_view(session=session, actor=mia, page=routes.CUSTOMERS, name="EMEA SMB",
                              filters={"region": "EMEA", "segment": "SMB"})
        session.commit()
    created = cli("campaign", "create", "--as", "mia@example.com", "--name", "Views", "--channel", "email",
                  "--start", "2026-10-01", "--end", "2026-10-07", "--holdout", "0.2", "--subject", "Hi {name}",
                  "--body", "Tell us: {survey_link}")
    campaign_id = created.output.strip()
    preview = cli("campaign", "audience", campaign_id, "--as", "mia@example.com", "--view", "emea  smb")
    assert preview.output == ("11 customers chosen, 1 left out without consent, 8 to contact, 2 held out.\n"
                              "Nothing was saved: run again with --commit.\n")
    missing = cli("campaign", "audience", campaign_id, "--as", "mia@example.com", "--view", "Nope")
    assert missing.exit_code == 1 and "No saved view of /customers called “Nope” (yours or shared)." in missing.output
